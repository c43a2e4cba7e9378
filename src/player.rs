//! Playback: a target (file or URL) through rollover or the file reader, the decode pipeline on
//! its own thread, and the sink; events out for the TUI or the headless printer.

pub mod adapt;
mod asking;
pub mod codec;
pub mod convert;
mod entries;
mod feed;
pub mod http_file;
mod moves;
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

use mmsplay_net::auth::GivenCredentials;
use mmsplay_net::proxy::ProxyConfig;
use mmsplay_net::rollover::{ConnectEvent, RolloverPlan};
use mmsplay_net::stream::Notes;
use mmsplay_net::{
    AsfEvent, ConnectOptions, ErrorKind, Ports, StreamUrl, Transport, TransportStats,
};
use tokio::sync::mpsc;

use crate::audio::{AudioControl, OutputSpec, open_sink};
use crate::events::{EndReason, PlayerEvent, Stats, StreamInfo};
use moves::{Landing, Mover};
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
/// before the playback gets to them add up. A request also wakes the playback if it is waiting
/// for the stream (a paced stream's next packet may be a fraction of a second away).
#[derive(Debug, Default)]
pub struct SeekRequests {
    slot: std::sync::Mutex<Option<SeekTo>>,
    wake: tokio::sync::Notify,
}

/// Where a seek goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeekTo {
    /// By this many milliseconds from what is heard (negative: back).
    By(i64),
    /// To this position, in milliseconds (MPRIS SetPosition).
    At(u64),
}

impl SeekRequests {
    /// Asks to move by `by_ms` (negative: back).
    pub fn request(&self, by_ms: i64) {
        self.put(|g| match g {
            Some(SeekTo::At(ms)) => {
                let to = i64::try_from(ms).unwrap_or(i64::MAX).saturating_add(by_ms);
                SeekTo::At(u64::try_from(to).unwrap_or(0))
            }
            Some(SeekTo::By(b)) => SeekTo::By(b.saturating_add(by_ms)),
            None => SeekTo::By(by_ms),
        });
    }

    /// Asks to move to `ms`, whatever was asked before.
    pub fn request_at(&self, ms: u64) {
        self.put(|_| SeekTo::At(ms));
    }

    /// Sets the request to the absolute position `to` (ms; negative is 0).
    pub(crate) fn set(&self, to: i64) {
        self.request_at(u64::try_from(to).unwrap_or(0));
    }

    fn put(&self, f: impl FnOnce(Option<SeekTo>) -> SeekTo) {
        if let Ok(mut g) = self.slot.lock() {
            *g = Some(f(*g));
        }
        self.wake.notify_one();
    }

    pub fn take_request(&self) -> Option<SeekTo> {
        self.slot.lock().ok().and_then(|mut g| g.take())
    }

    /// The absolute position asked for (ms), for the file reader's slot.
    pub(crate) fn take(&self) -> Option<i64> {
        self.take_request().map(|r| match r {
            SeekTo::At(ms) => i64::try_from(ms).unwrap_or(i64::MAX),
            SeekTo::By(by) => by,
        })
    }

    /// Resolves when a request was made (maybe one already taken: a spurious wake-up).
    async fn requested(&self) {
        self.wake.notified().await;
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
    /// A pause this long also pauses a network stream's server (the session goes, and
    /// playback resumes it at the position).
    pub release_after: Duration,
    /// Ask network servers for an accelerated start (not `--no-fast-start`).
    pub fast_start: bool,
    /// `--user` or the TUI's prompt: credentials for the server they belong to.
    pub credentials: Option<GivenCredentials>,
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
            release_after: LONG_PAUSE,
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

/// A pause longer than this pauses the server too: beyond a few seconds packets would pile up,
/// and a server may time out a client that does not read.
pub const LONG_PAUSE: Duration = Duration::from_secs(5);

/// Largest number of transport events queued ahead of the decoder.
const ASF_QUEUE: usize = 256;

/// Where an opened target starts, and how it moves later.
struct Positioning {
    /// The position (ms) playback starts at (`--start`), when the target could go there.
    start_ms: Option<u64>,
    /// How the target moves during playback, for targets that can.
    mover: Option<Mover>,
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
        mover,
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
    let mut sink = open_sink(&opts.output, control.clone())?;
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
    // `--start`: applied with the first header, unless that says the stream is live.
    let mut start = start_ms.map(Landing::Ms);
    // A seek under way: packets are dropped until the reader marks the new position with the
    // header.
    let mut seeking_to: Option<Landing> = None;
    let mut entries = entries::Entries::default();
    let result = loop {
        moves::hold_while_paused(&control, &stop);
        if stop.load(Ordering::Relaxed) {
            break Ok(EndReason::Stopped);
        }
        let live = pipe.header().is_some_and(|h| h.file.broadcast);
        if let Some(landing) = mover.as_ref().and_then(|m| m.resume(&pipe, live)) {
            events.log(
                "info",
                if live {
                    "resuming: rejoining the live stream".to_string()
                } else {
                    format!("resuming at {:.3} s", pipe.position_ms() as f64 / 1000.0)
                },
            );
            seeking_to = Some(landing);
        }
        // Seeks are taken once audio plays, so that there is a position to move from, and one
        // at a time: a press during a seek waits for it to land, and moves from there (a new
        // header cannot be told from the one a seek before it asked for).
        if pipe.frames_out > 0
            && seeking_to.is_none()
            && let Some(request) = opts.seek.take_request()
        {
            match &mover {
                Some(m) if !live => {
                    let to = match request {
                        SeekTo::By(by_ms) => {
                            // From what the listener hears (written less still queued),
                            // or from where a seek that has not landed yet goes.
                            let here = pipe.seek_target_ms().unwrap_or_else(|| {
                                pipe.position_ms().saturating_sub(sink.buffered_ms())
                            });
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
                            to
                        }
                        SeekTo::At(ms) => {
                            events.log("info", format!("seeking to {:.3} s", ms as f64 / 1000.0));
                            i64::try_from(ms).unwrap_or(i64::MAX)
                        }
                    };
                    // What the output still holds is from before the seek.
                    control.discard_queued();
                    if m.past_end(pipe.header(), to as u64) {
                        // A server has nothing to send from there: the end, as for a file.
                        events.log("info", "the seek is past the end of the stream");
                        break Ok(EndReason::Eos);
                    }
                    seeking_to = Some(m.seek(to as u64));
                }
                _ if live => events.log("warn", "cannot seek: the stream is live"),
                _ => events.log("warn", "cannot seek: this stream cannot seek"),
            }
        }
        // The next event, or a seek asked for meanwhile (taken at the top of the loop).
        let next = futures::executor::block_on(async {
            tokio::select! {
                ev = rx.recv() => Some(ev),
                () = opts.seek.requested(), if pipe.frames_out > 0 => None,
            }
        });
        let Some(next) = next else { continue };
        let Some(ev) = next else {
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
                if let Some(landing) = seeking_to.take() {
                    landing.apply(&mut pipe);
                }
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
                let r = pipe.on_header(&h, &mut obs);
                if let Some(landing) = start.take() {
                    if pipe.header().is_some_and(|h| h.file.broadcast) {
                        events.log("warn", "--start is ignored: the stream is live");
                    } else if let Some(m) = &mover
                        && let Landing::Ms(ms) = landing
                        && m.past_end(pipe.header(), ms)
                    {
                        events.log("info", "the start position is past the end of the stream");
                        break Ok(EndReason::Eos);
                    } else {
                        landing.apply(&mut pipe);
                    }
                }
                r
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
    /// The last is how the target moves during playback, for targets that can.
    Feeding(Feeder, mpsc::Receiver<AsfEvent>, Option<u64>, Option<Mover>),
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
            &control,
            &events,
            (&transport_stats, &counters, &asking),
            &mut stop_rx,
        )
        .await
        {
            Opened::Feeding(f, rx, start_ms, mover) => {
                let label = crate::playlist::target_label(target);
                opened = Some((
                    f,
                    rx,
                    Positioning {
                        start_ms,
                        mover,
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
    control: &Arc<AudioControl>,
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
    let mut mover = None;
    if opts.start.is_some() && matches!(target, Target::HttpFile(_)) {
        // A plain download has no way to ask for a position.
        events.log(
            "warn",
            "--start is ignored: a file on a web server plays from its start",
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
            mover = slot.clone().map(Mover::File);
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
            let open = http_file::open(
                url,
                opts.ports.http,
                &opts.proxy,
                opts.credentials.as_ref(),
                opts.connect_timeout,
            );
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
            // `--start`: the server is asked for a little before the target (as a file is
            // entered), and the decoder trims to it; a live server ignores the position.
            let target_ms = opts
                .start
                .map(|secs| (secs.max(0.0) * 1000.0).round() as u64);
            start_ms = target_ms;
            let copts = ConnectOptions {
                ports: opts.ports,
                connect_timeout: opts.connect_timeout,
                stats: transport_stats.clone(),
                streams: opts.stream.into_iter().collect(),
                start_ms: target_ms.map_or(0, |ms| ms.saturating_sub(source::SEEK_LEAD_MS)),
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
            let mut session = tokio::select! {
                s = connect => s,
                _ = stop_rx.changed() => return Opened::Stopped,
            };
            if let Err(e) = &session
                && copts.start_ms > 0
                && matches!(e.kind, ErrorKind::Protocol | ErrorKind::Closed)
            {
                // A server with nothing to send from a position past the end may end the
                // stream before any data, which some transports take for a failure. The
                // stream's start tells its length, and the decoder ends playback there.
                events.log(
                    "info",
                    format!("nothing at the start position ({e}): asking for the stream's start"),
                );
                let plan = RolloverPlan::new(url, opts.transports.as_deref());
                let from_start = ConnectOptions {
                    start_ms: 0,
                    ..copts.clone()
                };
                let connect = mmsplay_net::rollover::connect(url, plan, &from_start, &mut on_event);
                session = tokio::select! {
                    s = connect => s,
                    _ = stop_rx.changed() => return Opened::Stopped,
                };
            }
            let session = match session {
                Ok(s) => s,
                Err(e) => return Opened::Failed(e.into()),
            };
            if let Some(bps) = transport_stats.link_bps() {
                events.log("info", format!("link measured at {} kb/s", bps / 1000));
            }
            let net = Arc::new(feed::FeedControl::default());
            let feed = feed::Feed {
                url: url.clone(),
                opts: copts,
                events: events.clone(),
                tx,
                counters: counters.clone(),
                control: net.clone(),
                audio: control.clone(),
                release_after: opts.release_after,
                wanted: asking.subscribe(),
            };
            mover = Some(Mover::Net(net));
            Feeder::Task(tokio::spawn(feed.run(session)))
        }
    };
    Opened::Feeding(feeder, rx, start_ms, mover)
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
