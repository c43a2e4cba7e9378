//! Playback: a target (file or URL) through rollover or the file reader, the decode pipeline on
//! its own thread, and the sink; events out for the TUI or the headless printer.

pub mod adapt;
mod asking;
pub mod codec;
pub mod convert;
mod entries;
mod feed;
pub mod http_file;
pub mod mp3_frames;
pub mod pipeline;
pub mod record;
pub mod script;
pub mod select;
pub mod source;
pub mod switch;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use mmsplay_net::auth::Credentials;
use mmsplay_net::proxy::ProxyConfig;
use mmsplay_net::rollover::{ConnectEvent, RolloverPlan};
use mmsplay_net::stream::Notes;
use mmsplay_net::{AsfEvent, ConnectOptions, Ports, StreamUrl, Transport, TransportStats};
use tokio::sync::mpsc;

use crate::audio::{AudioControl, OutputSpec, open_sink};
use crate::events::{EndReason, PlayerEvent, Stats, StreamInfo};
use pipeline::{Pipeline, PipelineObserver};

/// Why playback failed.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Net(#[from] mmsplay_net::NetError),
    #[error(transparent)]
    Pipeline(#[from] pipeline::PipelineError),
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error("{0}")]
    Internal(String),
}

/// What to play.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    File(PathBuf),
    Url(StreamUrl),
    /// A plain ASF file on a web server, played as it downloads.
    HttpFile(StreamUrl),
}

/// A seek waiting to be carried out: the UI puts, the playback takes. Presses that arrive
/// before the playback gets to them add up.
#[derive(Debug, Default)]
pub struct SeekRequests(std::sync::Mutex<Option<i64>>);

impl SeekRequests {
    /// Asks to move by `by_ms` (negative: back).
    pub fn request(&self, by_ms: i64) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(g.unwrap_or(0).saturating_add(by_ms));
        }
    }

    /// Sets the request to `to`, whatever was there.
    pub(crate) fn set(&self, to: i64) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(to);
        }
    }

    pub fn take(&self) -> Option<i64> {
        self.0.lock().ok().and_then(|mut g| g.take())
    }
}

/// How to play it.
#[derive(Clone, Debug)]
pub struct PlayOptions {
    pub output: OutputSpec,
    pub duration: Option<f64>,
    /// Where to start, in seconds (`--start`); negative is the start.
    pub start: Option<f64>,
    /// Seeks asked for during playback (the TUI's arrow keys), relative to the position.
    pub seek: Arc<SeekRequests>,
    pub stream: Option<u16>,
    /// `--lang`, else the locale's language: a lower-case BCP 47 tag.
    pub lang: Option<String>,
    /// `--max-bitrate`, in bits per second.
    pub max_bitrate: Option<u32>,
    /// Counts presses of the language key (`l`); the decode thread moves to the next language
    /// for each one.
    pub language_key: Arc<AtomicU64>,
    /// Next/previous entry requests for a metafile's playlist (the `n`/`p` keys, MPRIS).
    pub playlist_nav: crate::playlist::PlaylistNav,
    pub record: Option<PathBuf>,
    pub transports: Option<Vec<Transport>>,
    pub ports: Ports,
    pub connect_timeout: Duration,
    /// Play silently when the sound device cannot be opened (`--demo`), instead of failing.
    pub silent_fallback: bool,
    /// Ask network servers for an accelerated start (not `--no-fast-start`).
    pub fast_start: bool,
    /// `--user`: credentials for servers that ask.
    pub credentials: Option<Credentials>,
    /// `--proxy` or the environment's: the HTTP proxy for MMSH and metafiles.
    pub proxy: ProxyConfig,
}

impl Default for PlayOptions {
    fn default() -> Self {
        PlayOptions {
            output: OutputSpec::Null,
            duration: None,
            start: None,
            seek: Arc::default(),
            stream: None,
            lang: None,
            max_bitrate: None,
            language_key: Arc::default(),
            playlist_nav: crate::playlist::PlaylistNav::default(),
            record: None,
            transports: None,
            ports: Ports::default(),
            connect_timeout: Duration::from_secs(10),
            silent_fallback: false,
            fast_start: true,
            credentials: None,
            proxy: ProxyConfig::direct(),
        }
    }
}

impl PlayOptions {
    /// What the stream choice needs from the options.
    pub fn selection(&self) -> select::Selection {
        select::Selection {
            stream: self.stream,
            language: self.lang.clone(),
            max_bitrate: self.max_bitrate,
        }
    }
}

/// The event channel's sending side. Sends never block: a full channel drops log lines first.
#[derive(Clone)]
pub struct Events {
    tx: mpsc::Sender<PlayerEvent>,
    /// Whether the outcome of a playback is announced as `end`/`error`. A playlist turns it
    /// off for its items and announces the outcome of the whole list itself.
    announce_end: bool,
}

impl Events {
    pub fn new(tx: mpsc::Sender<PlayerEvent>) -> Events {
        Events {
            tx,
            announce_end: true,
        }
    }

    /// The same channel, for one item of a playlist: its outcome is logged, not announced.
    pub fn for_playlist_item(&self) -> Events {
        Events {
            tx: self.tx.clone(),
            announce_end: false,
        }
    }

    /// Sends an event without blocking the caller (the decode thread, the transport loop).
    /// Under pressure (a reader that does not keep up) log lines and stats are dropped once
    /// the channel is within an eighth of full, so that room stays for the events that matter;
    /// `end` and `error` are never dropped: if even that room is gone, a helper thread waits
    /// to deliver them.
    pub fn emit(&self, ev: PlayerEvent) {
        let chatter = matches!(ev, PlayerEvent::Log { .. } | PlayerEvent::Stats(_));
        if chatter && self.tx.capacity() <= self.tx.max_capacity() / 8 {
            return;
        }
        // Anything else that finds the channel full, or closed, is let go.
        if let Err(mpsc::error::TrySendError::Full(
            ev @ (PlayerEvent::End { .. } | PlayerEvent::Error { .. }),
        )) = self.tx.try_send(ev)
        {
            let tx = self.tx.clone();
            std::thread::spawn(move || {
                let _ = tx.blocking_send(ev);
            });
        }
    }

    pub fn log(&self, level: &str, message: impl Into<String>) {
        let message = message.into();
        match level {
            "warn" => tracing::warn!("{message}"),
            _ => tracing::info!("{message}"),
        }
        self.emit(PlayerEvent::Log {
            level: level.to_string(),
            message,
        });
    }
}

/// Counters the decode thread keeps for the stats ticker.
#[derive(Default)]
struct PlaybackCounters {
    buffer_ms: AtomicU64,
    underruns: AtomicU64,
    position_ms: AtomicU64,
    bad: AtomicU64,
    reconnects: AtomicU64,
}

/// Sends events and counts from the decode thread, and tells the transport which streams
/// playback needs.
struct Observer<'a> {
    events: &'a Events,
    asking: &'a asking::Asking,
    /// The stream playing.
    current: Option<u8>,
}

impl PipelineObserver for Observer<'_> {
    fn stream(&mut self, info: StreamInfo) {
        self.current = u8::try_from(info.stream_number).ok();
        self.events.emit(PlayerEvent::Stream(info));
    }

    fn switch_requested(&mut self, to: u8) {
        self.asking.moving(self.current, to);
    }

    fn first_audio(&mut self) {
        self.events.emit(PlayerEvent::FirstAudio);
    }

    fn seeked(&mut self, position_ms: u64) {
        self.events.emit(PlayerEvent::Seek { position_ms });
    }

    fn log(&mut self, message: String) {
        self.events.log("warn", message);
    }

    fn script(&mut self, kind: String, text: String) {
        self.events.emit(PlayerEvent::Script { kind, text });
    }

    fn stream_switch(&mut self, to: &pipeline::StreamSwitch) {
        let ev = PlayerEvent::StreamSwitch {
            stream_number: u16::from(to.stream_number),
            bitrate: to.bitrate,
            reason: to.reason.clone(),
            language: to.language.clone(),
            codec: to.codec.to_string(),
            sample_rate: to.sample_rate,
            channels: to.channels,
        };
        tracing::info!("{}", crate::app::switch_line(&ev));
        self.events.emit(ev);
        self.current = Some(to.stream_number);
        let language = (to.reason == "language").then_some(to.language.as_deref());
        self.asking.moved(to.stream_number, language.flatten());
    }
}

/// Largest number of transport events queued ahead of the decoder.
const ASF_QUEUE: usize = 256;

/// Where an opened target starts, and how it moves later.
struct Positioning {
    /// The position (ms) playback starts at (`--start`), when the target could go there.
    start_ms: Option<u64>,
    /// The file reader's seek slot (absolute positions in ms), for targets that can seek
    /// during playback.
    seeker: Option<Arc<SeekRequests>>,
    /// The target as events name it (its URL or file), for a server-side playlist's entries.
    label: String,
}

/// What the decode thread counts into (playback) and reads (the transport's link statistics,
/// for bitrate adaptation).
struct Meters {
    counters: Arc<PlaybackCounters>,
    transport: Arc<TransportStats>,
    /// Where the streams playback needs go to the transport.
    asking: asking::Asking,
}

/// The decode thread: header and packets in, audio out. Returns how it ended.
fn decode_thread(
    mut rx: mpsc::Receiver<AsfEvent>,
    Positioning {
        start_ms,
        seeker,
        label,
    }: Positioning,
    opts: PlayOptions,
    control: Arc<AudioControl>,
    events: Events,
    Meters {
        counters,
        transport,
        asking,
    }: Meters,
    stop: Arc<AtomicBool>,
) -> Result<EndReason, PlayError> {
    let mut sink = open_sink(&opts.output, control)?;
    if opts.silent_fallback {
        sink = Box::new(crate::audio::SilentFallback::new(sink));
    }
    let mut pipe = Pipeline::new(opts.selection());
    let mut recorder = opts.record.clone().map(record::Recorder::new);
    let mut obs = Observer {
        events: &events,
        asking: &asking,
        current: None,
    };
    let mut rate_for_limit = None;
    // Link statistics for bitrate adaptation, judged once a second.
    let mut seconds = adapt::SecondCounter::default();
    let mut next_second = std::time::Instant::now() + Duration::from_secs(1);
    let mut language_presses = opts.language_key.load(Ordering::Relaxed);
    if let Some(ms) = start_ms {
        pipe.seek_to(ms);
    }
    // A seek under way: packets are dropped until the reader marks the new position with the
    // header.
    let mut seeking_to: Option<u64> = None;
    let mut entries = entries::Entries::default();
    let result = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(EndReason::Stopped);
        }
        // Seeks are taken once audio plays, so that there is a position to move from.
        if pipe.frames_out > 0
            && let Some(by_ms) = opts.seek.take()
        {
            let live = pipe.header().is_some_and(|h| h.file.broadcast);
            match &seeker {
                Some(slot) if !live => {
                    // From what the listener hears: written less still queued in the sink.
                    let here = pipe.position_ms().saturating_sub(sink.buffered_ms());
                    let to = i64::try_from(here)
                        .unwrap_or(i64::MAX)
                        .saturating_add(by_ms)
                        .max(0);
                    events.log(
                        "info",
                        format!(
                            "seeking {:+.0} s to {:.3} s",
                            by_ms as f64 / 1000.0,
                            to as f64 / 1000.0
                        ),
                    );
                    slot.set(to);
                    seeking_to = Some(to as u64);
                }
                _ if live => events.log("warn", "cannot seek: the stream is live"),
                _ => events.log(
                    "warn",
                    "cannot seek: seeking in network streams is not supported yet",
                ),
            }
        }
        let Some(ev) = rx.blocking_recv() else {
            // The transport side went away without an End: treat as stopped.
            break Ok(EndReason::Stopped);
        };
        let step = match ev {
            // The packets still queued from before the seek.
            // (An end read before the seek was asked for: the reader goes on from the new
            // position and ends again.)
            AsfEvent::Packet(_) | AsfEvent::Gap { .. } | AsfEvent::End if seeking_to.is_some() => {
                continue;
            }
            AsfEvent::Header(h) if seeking_to.is_some() => {
                // A fresh demuxer and decoder: nothing carries over from before the seek.
                let r = pipe.on_header(&h, &mut obs);
                pipe.seek_to(seeking_to.take().unwrap_or(0));
                r
            }
            AsfEvent::Header(h) => {
                if let Some(index) = entries.on_header(&h) {
                    // A server-side playlist moved on: the entry that ended plays out, and
                    // the outputs go on in files of the new entry's own.
                    if let Err(e) = pipe.end_entry(sink.as_mut(), &mut obs) {
                        break Err(PlayError::Pipeline(e));
                    }
                    if let Err(e) = sink.next_entry(index + 1) {
                        break Err(PlayError::Pipeline(e.into()));
                    }
                    if let (Some(r), Some(first)) = (recorder.as_mut(), opts.record.as_deref()) {
                        if let Err(e) = r.finish() {
                            events.log("warn", e);
                        }
                        *r = record::Recorder::for_entry(first, index + 1);
                    }
                    events.emit(entries::event(index, &label, &h));
                }
                if let Some(r) = recorder.as_mut()
                    && let Err(e) = r.header(&h)
                {
                    events.log("warn", e);
                }
                pipe.on_header(&h, &mut obs)
            }
            AsfEvent::Packet(p) => {
                if let Some(r) = recorder.as_mut()
                    && let Err(e) = r.packet(&p)
                {
                    events.log("warn", e);
                    recorder = None;
                }
                pipe.on_packet(&p, sink.as_mut(), &mut obs)
            }
            AsfEvent::Gap { lost } => {
                if let Some(r) = recorder.as_mut() {
                    r.gaps += lost;
                }
                pipe.on_gap();
                Ok(())
            }
            AsfEvent::Script { kind, text } => {
                events.emit(PlayerEvent::Script { kind, text });
                Ok(())
            }
            AsfEvent::End => match pipe.on_end(sink.as_mut(), &mut obs) {
                Ok(()) => break Ok(EndReason::Eos),
                Err(e) => Err(e),
            },
        };
        if let Err(e) = step {
            break Err(PlayError::Pipeline(e));
        }
        let presses = opts.language_key.load(Ordering::Relaxed);
        if presses != language_presses {
            language_presses = presses;
            match pipe.next_language(&mut obs) {
                Ok(Some(l)) => events.log("info", format!("switching to {l}")),
                Ok(None) => events.log("info", "the stream has only one language"),
                Err(e) => events.log("warn", format!("cannot switch language: {e}")),
            }
        }
        if std::time::Instant::now() >= next_second {
            next_second += Duration::from_secs(1);
            // A packet that needed a resend was dropped by the link all the same: both count
            // as loss when judging whether the link carries the stream.
            let s = seconds.delta(adapt::Second {
                packets_received: TransportStats::get(&transport.packets_received),
                packets_lost: TransportStats::get(&transport.packets_lost)
                    + TransportStats::get(&transport.packets_recovered),
                underruns: sink.underruns(),
            });
            if let Err(e) = pipe.on_second(s, &mut obs) {
                events.log("warn", format!("cannot switch bitrate: {e}"));
            }
        }
        if rate_for_limit.is_none()
            && let (Some(rate), Some(secs)) = (pipe.sample_rate(), opts.duration)
        {
            rate_for_limit = Some(rate);
            pipe.frame_limit = Some((secs.max(0.0) * f64::from(rate)).round() as u64);
        }
        if let Some(w) = sink.take_warning() {
            events.log("warn", w);
        }
        counters
            .buffer_ms
            .store(sink.buffered_ms(), Ordering::Relaxed);
        counters
            .underruns
            .store(sink.underruns(), Ordering::Relaxed);
        counters.bad.store(
            pipe.bad_objects + pipe.demux_stats().map_or(0, |s| s.bad_packets),
            Ordering::Relaxed,
        );
        if pipe.sample_rate().is_some() {
            counters
                .position_ms
                .store(pipe.position_ms(), Ordering::Relaxed);
        }
        if pipe.done() {
            break Ok(EndReason::Duration);
        }
    };
    if pipe.seeking() && matches!(result, Ok(EndReason::Eos)) {
        events.log("info", "the start position is past the end of the stream");
    }
    let finish = sink.finish();
    if let Some(mut r) = recorder {
        if r.gaps > 0 {
            events.log(
                "warn",
                format!("the recording has gaps: {} packets were lost", r.gaps),
            );
        }
        if let Err(e) = r.finish() {
            events.log("warn", e);
        }
    }
    counters.buffer_ms.store(0, Ordering::Relaxed);
    let end = result?;
    finish?;
    Ok(end)
}

/// Emits a stats event about once a second until cancelled.
async fn stats_ticker(events: Events, t: Arc<TransportStats>, c: Arc<PlaybackCounters>) {
    let mut last_bytes = 0u64;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        let s = snapshot(&t, &c, &mut last_bytes);
        events.emit(PlayerEvent::Stats(s));
    }
}

fn snapshot(t: &TransportStats, c: &PlaybackCounters, last_bytes: &mut u64) -> Stats {
    let bytes = TransportStats::get(&t.bytes_received);
    let s = Stats {
        bitrate_bps: bytes.saturating_sub(*last_bytes) * 8,
        bytes_received: bytes,
        packets_received: TransportStats::get(&t.packets_received),
        packets_lost: TransportStats::get(&t.packets_lost),
        packets_recovered: TransportStats::get(&t.packets_recovered),
        buffer_ms: c.buffer_ms.load(Ordering::Relaxed),
        underruns: c.underruns.load(Ordering::Relaxed),
        packets_late: TransportStats::get(&t.packets_late),
        packets_bad: c.bad.load(Ordering::Relaxed),
        position_ms: c.position_ms.load(Ordering::Relaxed),
        reconnects: c.reconnects.load(Ordering::Relaxed),
    };
    *last_bytes = bytes;
    s
}

/// Plays a target to the end, a stop request, or an error. Emits every event including the
/// final `stats` and `end`/`error`, and returns the outcome.
pub async fn play(
    target: Target,
    opts: PlayOptions,
    control: Arc<AudioControl>,
    events: Events,
    stop_rx: tokio::sync::watch::Receiver<bool>,
) -> Result<EndReason, PlayError> {
    play_first(
        vec![Candidate::Play(target)],
        None,
        opts,
        control,
        events,
        stop_rx,
    )
    .await
}

/// One entry of a list of things to try (a metafile's entries, in document order).
#[derive(Clone, Debug)]
pub enum Candidate {
    Play(Target),
    /// An entry that failed before it could be tried (a nested metafile that could not be
    /// read, a reference that is not a URL): shown as a failed try in its turn.
    Failed {
        label: String,
        reason: String,
    },
}

/// Ends a playback stopped before any target was tried (while metafiles were resolved).
pub fn stopped_before_start(events: &Events) -> Result<EndReason, PlayError> {
    let (t, c) = (TransportStats::default(), PlaybackCounters::default());
    finish_with(Ok(EndReason::Stopped), events, &t, &c)
}

/// How opening one target went.
enum Opened {
    /// Media flows; with the position (ms) playback starts at, when it was asked for and the
    /// target can start there.
    /// The last is the file reader's seek slot (absolute positions in ms), for targets that can
    /// seek during playback.
    Feeding(
        Feeder,
        mpsc::Receiver<AsfEvent>,
        Option<u64>,
        Option<Arc<SeekRequests>>,
    ),
    Stopped,
    Failed(PlayError),
}

/// Tries `candidates` in order (the entries of a metafile) until one delivers media, and plays
/// that one. Each try shows in the `attempt` events; only the last failure (or `prior`, a
/// failure from before the list, when nothing in it failed) becomes the `error`.
pub async fn play_first(
    candidates: Vec<Candidate>,
    prior: Option<PlayError>,
    opts: PlayOptions,
    control: Arc<AudioControl>,
    events: Events,
    mut stop_rx: tokio::sync::watch::Receiver<bool>,
) -> Result<EndReason, PlayError> {
    let transport_stats = Arc::new(TransportStats::default());
    let counters = Arc::new(PlaybackCounters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let asking = asking::Asking::new(opts.selection());
    let mut last = prior;
    let mut opened = None;
    for candidate in &candidates {
        let target = match candidate {
            Candidate::Play(t) => t,
            Candidate::Failed { label, reason } => {
                events.emit(PlayerEvent::Attempt {
                    transport: Transport::File,
                    url: label.clone(),
                });
                events.emit(PlayerEvent::AttemptFailed {
                    transport: Transport::File,
                    reason: reason.clone(),
                });
                last = Some(PlayError::Input(reason.clone()));
                continue;
            }
        };
        match open_target(
            target,
            &opts,
            &events,
            (&transport_stats, &counters, &asking),
            &mut stop_rx,
        )
        .await
        {
            Opened::Feeding(f, rx, start_ms, seeker) => {
                let label = crate::playlist::target_label(target);
                opened = Some((
                    f,
                    rx,
                    Positioning {
                        start_ms,
                        seeker,
                        label,
                    },
                ));
                break;
            }
            Opened::Stopped => {
                return finish_with(Ok(EndReason::Stopped), &events, &transport_stats, &counters);
            }
            Opened::Failed(e) => last = Some(e),
        }
    }
    let Some((feeder, rx, positioning)) = opened else {
        let e = last.unwrap_or_else(|| PlayError::Input("nothing to play".into()));
        return finish_with(Err(e), &events, &transport_stats, &counters);
    };
    run_playback(
        feeder,
        rx,
        positioning,
        opts,
        control,
        events,
        stop_rx,
        Meters {
            counters,
            transport: transport_stats,
            asking,
        },
        stop,
    )
    .await
}

/// Connects to one target (for URLs, the whole rollover), so that a failed one never opens the
/// sound device.
async fn open_target(
    target: &Target,
    opts: &PlayOptions,
    events: &Events,
    (transport_stats, counters, asking): (
        &Arc<TransportStats>,
        &Arc<PlaybackCounters>,
        &asking::Asking,
    ),
    stop_rx: &mut tokio::sync::watch::Receiver<bool>,
) -> Opened {
    let (tx, rx) = mpsc::channel::<AsfEvent>(ASF_QUEUE);
    let mut start_ms = None;
    let mut seeker = None;
    if opts.start.is_some() && !matches!(target, Target::File(_)) {
        // Each transport asks its server for a position in its own way (MMS's StartPlaying,
        // MMSH's Pragma, RTSP's Range); that is not wired up yet, so say so rather than play
        // from the start as if it were.
        events.log(
            "warn",
            "--start is ignored: seeking in network streams is not supported yet",
        );
    }
    let feeder = match target {
        Target::File(path) => {
            events.emit(PlayerEvent::Attempt {
                transport: Transport::File,
                url: path.display().to_string(),
            });
            let (layout, header, mut reader) = match source::open_file(path) {
                Ok(v) => v,
                Err(e) => {
                    events.emit(PlayerEvent::AttemptFailed {
                        transport: Transport::File,
                        reason: e.to_string(),
                    });
                    return Opened::Failed(e);
                }
            };
            events.emit(PlayerEvent::Connected {
                transport: Transport::File,
            });
            let mut first = 0;
            if let Some(secs) = opts.start {
                match file_start(&layout, &mut reader, opts.stream, secs, events) {
                    Ok(Some((packet, ms))) => (first, start_ms) = (packet, Some(ms)),
                    Ok(None) => {}
                    Err(e) => return Opened::Failed(e),
                }
            }
            let st = transport_stats.clone();
            let slot = (!layout.header.file.broadcast).then(|| Arc::new(SeekRequests::default()));
            seeker = slot.clone();
            let stream = opts.stream;
            std::thread::spawn(move || {
                let seek = slot.map(|s| (s, stream));
                source::pump_file(&layout, header, first, reader, seek, &tx, &st);
            });
            Feeder::Thread
        }
        Target::HttpFile(url) => {
            events.emit(PlayerEvent::Attempt {
                transport: Transport::File,
                url: url.for_transport(Transport::File, &opts.ports),
            });
            let open = http_file::open(url, opts.ports.http, &opts.proxy, opts.connect_timeout);
            let o = tokio::select! {
                o = open => o,
                _ = stop_rx.changed() => return Opened::Stopped,
            };
            let o = match o {
                Ok(o) => o,
                Err(e) => {
                    events.emit(PlayerEvent::AttemptFailed {
                        transport: Transport::File,
                        reason: e.to_string(),
                    });
                    return Opened::Failed(e);
                }
            };
            events.emit(PlayerEvent::Connected {
                transport: Transport::File,
            });
            Feeder::Task(tokio::spawn(http_file::pump(
                o,
                tx,
                transport_stats.clone(),
            )))
        }
        Target::Url(url) => {
            let plan = RolloverPlan::new(url, opts.transports.as_deref());
            let copts = ConnectOptions {
                ports: opts.ports,
                connect_timeout: opts.connect_timeout,
                stats: transport_stats.clone(),
                streams: opts.stream.into_iter().collect(),
                accelerate: opts.fast_start.then_some(mmsplay_net::Acceleration::CLIENT),
                choose: Some(asking.chooser(transport_stats.clone())),
                credentials: opts.credentials.clone(),
                proxy: opts.proxy.clone(),
                notes: {
                    let ev = events.clone();
                    Notes::new(move |line| ev.log("info", line))
                },
                ..ConnectOptions::default()
            };
            if let Some(line) = proxy_route_line(url, &plan, &opts.proxy) {
                events.log("info", line);
            }
            let ev = events.clone();
            let mut on_event = move |e: ConnectEvent| {
                ev.emit(match e {
                    ConnectEvent::Attempt { transport, url } => {
                        PlayerEvent::Attempt { transport, url }
                    }
                    ConnectEvent::Failed { transport, reason } => {
                        PlayerEvent::AttemptFailed { transport, reason }
                    }
                    ConnectEvent::Connected { transport } => PlayerEvent::Connected { transport },
                })
            };
            let connect = mmsplay_net::rollover::connect(url, plan, &copts, &mut on_event);
            let session = tokio::select! {
                s = connect => s,
                _ = stop_rx.changed() => return Opened::Stopped,
            };
            let session = match session {
                Ok(s) => s,
                Err(e) => return Opened::Failed(e.into()),
            };
            if let Some(bps) = transport_stats.link_bps() {
                events.log("info", format!("link measured at {} kb/s", bps / 1000));
            }
            let feed = feed::Feed {
                url: url.clone(),
                opts: copts,
                events: events.clone(),
                tx,
                counters: counters.clone(),
                wanted: asking.subscribe(),
            };
            Feeder::Task(tokio::spawn(feed.run(session)))
        }
    };
    Opened::Feeding(feeder, rx, start_ms, seeker)
}

/// Announces a failed playback: the `error` event, and before it `credentials_needed` when
/// the server wants credentials we lack or refused ours.
pub fn emit_error(events: &Events, e: &PlayError) {
    use mmsplay_net::auth::AuthError;
    if let PlayError::Net(n) = e {
        let wanted = match n.auth_error() {
            Some(AuthError::NoCredentials) => Some((None, false)),
            Some(AuthError::NoPassword(u)) => Some((Some(u.clone()), false)),
            Some(AuthError::Rejected) => Some((None, true)),
            _ => None,
        };
        if let Some((user, rejected)) = wanted {
            events.emit(PlayerEvent::CredentialsNeeded { user, rejected });
        }
    }
    events.emit(PlayerEvent::Error {
        message: e.to_string(),
    });
}

/// The log line that says which steps of the ladder go through the HTTP proxy (MMSH only) and
/// which go direct; `None` without a proxy for this host.
fn proxy_route_line(url: &StreamUrl, plan: &RolloverPlan, proxy: &ProxyConfig) -> Option<String> {
    let p = proxy.for_host(&url.host)?;
    let direct: Vec<String> = plan
        .steps()
        .iter()
        .filter(|t| **t != Transport::Mmsh)
        .map(Transport::to_string)
        .collect();
    let via = plan.steps().contains(&Transport::Mmsh);
    Some(match (via, direct.is_empty()) {
        (true, true) => format!("mmsh goes through the HTTP proxy {p}"),
        (true, false) => format!(
            "mmsh goes through the HTTP proxy {p}; {} go direct (a proxy carries only HTTP)",
            direct.join(", ")
        ),
        (false, _) => format!(
            "{} go direct: the HTTP proxy {p} carries only HTTP",
            direct.join(", ")
        ),
    })
}

/// Positions a file's reader for `--start`: at the packet to enter at, found through the
/// file's index or by send time. Returns that packet's number and the target in milliseconds,
/// or `None` when the file cannot seek (a live capture).
fn file_start(
    layout: &mmsplay_asf::FileLayout,
    reader: &mut std::io::BufReader<std::fs::File>,
    stream: Option<u16>,
    secs: f64,
    events: &Events,
) -> Result<Option<(u64, u64)>, PlayError> {
    use std::io::{Seek, SeekFrom};
    // Saturating cast: a huge start is simply past the end.
    let target_ms = (secs.max(0.0) * 1000.0).round() as u64;
    if layout.header.file.broadcast {
        events.log(
            "warn",
            "--start is ignored: the file is a live broadcast capture",
        );
        return Ok(None);
    }
    let len = reader.get_ref().metadata().map_or(0, |m| m.len());
    let (packet, how) = source::seek_packet(reader.get_mut(), len, layout, stream, target_ms);
    events.log(
        "info",
        format!(
            "seeking to {:.3} s: entering at packet {packet} of {}, found by {how}",
            target_ms as f64 / 1000.0,
            layout.packet_count
        ),
    );
    let at = layout.packets_offset + packet * u64::from(layout.packet_size);
    reader
        .seek(SeekFrom::Start(at))
        .map_err(|e| PlayError::Input(format!("cannot seek in the file: {e}")))?;
    Ok(Some((packet, target_ms)))
}

/// Decodes and plays what an opened target feeds, to the end, a stop or an error.
#[allow(clippy::too_many_arguments)]
async fn run_playback(
    feeder: Feeder,
    rx: mpsc::Receiver<AsfEvent>,
    positioning: Positioning,
    opts: PlayOptions,
    control: Arc<AudioControl>,
    events: Events,
    mut stop_rx: tokio::sync::watch::Receiver<bool>,
    meters: Meters,
    stop: Arc<AtomicBool>,
) -> Result<EndReason, PlayError> {
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel();
    let (transport_stats, counters) = (meters.transport.clone(), meters.counters.clone());
    {
        let (opts, control, events, stop) =
            (opts.clone(), control.clone(), events.clone(), stop.clone());
        std::thread::Builder::new()
            .name("decode".into())
            .spawn(move || {
                let r = decode_thread(rx, positioning, opts, control, events, meters, stop);
                let _ = done_tx.send(r);
            })
            .map_err(|e| PlayError::Internal(format!("cannot start the decode thread: {e}")))?;
    }
    let ticker = tokio::spawn(stats_ticker(
        events.clone(),
        transport_stats.clone(),
        counters.clone(),
    ));
    let outcome = tokio::select! {
        r = &mut done_rx => r.unwrap_or(Err(PlayError::Internal("the decode thread died".into()))),
        _ = stop_rx.changed() => {
            stop.store(true, Ordering::Relaxed);
            feeder.abort();
            // The decode thread sees the closed channel or the flag within one packet.
            match tokio::time::timeout(Duration::from_secs(5), &mut done_rx).await {
                Ok(Ok(Ok(_))) => Ok(EndReason::Stopped),
                Ok(Ok(Err(e))) => Err(e),
                _ => Ok(EndReason::Stopped),
            }
        }
    };
    ticker.abort();
    // A transport error that ended the stream early is the real outcome.
    let outcome = match (outcome, feeder.join().await) {
        (Ok(EndReason::Eos), Some(e)) => Err(PlayError::Net(e)),
        (o, _) => o,
    };
    finish_with(outcome, &events, &transport_stats, &counters)
}

enum Feeder {
    /// The file reader; it ends by itself when the decoder goes away.
    Thread,
    Task(tokio::task::JoinHandle<Option<mmsplay_net::NetError>>),
}

impl Feeder {
    fn abort(&self) {
        if let Feeder::Task(t) = self {
            t.abort();
        }
    }

    /// The transport error that ended the feed, if any.
    async fn join(self) -> Option<mmsplay_net::NetError> {
        match self {
            Feeder::Thread => None,
            Feeder::Task(t) => t.await.ok().flatten(),
        }
    }
}

fn finish_with(
    outcome: Result<EndReason, PlayError>,
    events: &Events,
    t: &TransportStats,
    c: &PlaybackCounters,
) -> Result<EndReason, PlayError> {
    let mut last = 0;
    let mut s = snapshot(t, c, &mut last);
    s.bitrate_bps = 0;
    events.emit(PlayerEvent::Stats(s));
    match (&outcome, events.announce_end) {
        (Ok(reason), true) => events.emit(PlayerEvent::End { reason: *reason }),
        (Err(e), true) => emit_error(events, e),
        (Ok(_), false) => events.log("info", "playlist entry ended"),
        (Err(e), false) => events.log("warn", format!("playlist entry failed: {e}")),
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that does not keep up loses log lines, never the outcome.
    #[test]
    fn a_full_channel_drops_chatter_but_never_the_end_or_error() {
        let (tx, mut rx) = mpsc::channel(16);
        let events = Events::new(tx);
        for i in 0..100 {
            events.log("info", format!("line {i}"));
        }
        events.emit(PlayerEvent::FirstAudio);
        for _ in 0..100 {
            events.emit(PlayerEvent::FirstAudio);
        }
        events.emit(PlayerEvent::Error {
            message: "boom".into(),
        });
        events.emit(PlayerEvent::End {
            reason: EndReason::Eos,
        });
        drop(events);
        let mut got = Vec::new();
        while let Some(ev) = rx.blocking_recv() {
            got.push(ev);
        }
        let logs = got
            .iter()
            .filter(|e| matches!(e, PlayerEvent::Log { .. }))
            .count();
        assert_eq!(logs, 14, "log lines stop short of the reserve");
        assert_eq!(got.len(), 16 + 2, "the channel full, plus error and end");
        assert!(
            got.iter()
                .any(|e| matches!(e, PlayerEvent::Error { message } if message == "boom"))
        );
        assert!(got.iter().any(|e| matches!(e, PlayerEvent::End { .. })));
    }
}
