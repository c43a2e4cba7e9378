//! What every transport shares, whichever protocol it speaks: the uniform stream it yields
//! (one ASF header, then data packets, gaps and end of stream), the counters it keeps and the
//! options it connects with. A leaf: the transports and the `Session` that
//! picks among them both import it, and it imports none of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

use crate::auth::{Credentials, GivenCredentials};
use crate::proxy::ProxyConfig;
use crate::url::Ports;

/// One item of the uniform stream.
#[derive(Clone, Debug, PartialEq)]
pub enum AsfEvent {
    /// The ASF Header Object followed by the 50-byte Data Object prefix. Comes first, and again
    /// after a stream change (a new header mid-stream: rebuild the demuxer and decoder).
    Header(Bytes),
    /// One ASF data packet, zero-padded back to the header's packet size.
    Packet(Bytes),
    /// `lost` data packets never arrived here (sequence gap). Already counted in the stats.
    Gap { lost: u64 },
    /// A script command carried by the transport (MMSH `$M`, say).
    Script { kind: String, text: String },
    /// The server ended the stream normally.
    End,
}

/// Counters every transport updates as media arrives. Shared with the player (read) through an
/// `Arc`; relaxed atomics are enough, the figures are for display.
#[derive(Debug, Default)]
pub struct TransportStats {
    pub bytes_received: AtomicU64,
    pub packets_received: AtomicU64,
    pub packets_lost: AtomicU64,
    pub packets_recovered: AtomicU64,
    pub packets_late: AtomicU64,
    /// The link's bandwidth in bits per second from a packet-pair probe at connect; 0 until
    /// one was measured.
    pub link_bps: AtomicU64,
}

impl TransportStats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one received data packet of `len` bytes (as received, before padding).
    pub fn packet(&self, len: usize) {
        Self::add(&self.packets_received, 1);
        Self::add(&self.bytes_received, len as u64);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Records a packet-pair measurement (at least 1 b/s, so it reads as measured).
    pub fn set_link_bps(&self, bps: u64) {
        self.link_bps.store(bps.max(1), Ordering::Relaxed);
    }

    /// The packet-pair measurement, if the server answered one.
    pub fn link_bps(&self) -> Option<u64> {
        Some(Self::get(&self.link_bps)).filter(|b| *b > 0)
    }
}

/// Fast start: a client asks the server to send the start of the stream faster than real time
/// so that its buffer fills in a fraction of the preroll ([MS-MMSP] dwAccelBandwidth and
/// dwAccelDuration, [MS-WMSP] `AccelBW`/`AccelDuration` pragmas, [MS-RTSP]
/// `X-Accelerate-Streaming`). The same two figures on every transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acceleration {
    /// The rate to send at, bits per second.
    pub bandwidth_bps: u32,
    /// How much media (ms of stream time) to send at that rate.
    pub duration_ms: u32,
}

impl Acceleration {
    /// What mmsplay asks for: up to 10 s of media at up to 10 Mb/s (the server sends no faster
    /// than the link takes, and no more than it has).
    pub const CLIENT: Acceleration = Acceleration {
        bandwidth_bps: 10_000_000,
        duration_ms: 10_000,
    };
}

/// What a transport needs to connect.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub ports: Ports,
    /// Deadline for the whole connect step: until media flows.
    pub connect_timeout: Duration,
    /// Once playing, how long without any data before the stream is declared dead.
    pub idle_timeout: Duration,
    /// Where to start an on-demand stream (resume after a reconnect), in milliseconds.
    pub start_ms: u64,
    /// Stream numbers to ask for (empty: the one `choose` picks, else the server's default /
    /// all audio).
    pub streams: Vec<u16>,
    /// Ask for an accelerated start (fast start); `None`: real time from the start.
    pub accelerate: Option<Acceleration>,
    /// Picks the audio stream the player will play from the stream's header, so that a
    /// transport asks the server for that one only.
    pub choose: Option<StreamChooser>,
    pub stats: Arc<TransportStats>,
    /// `--user` or the TUI's prompt: answers a 401 from the server they belong to (see
    /// [`GivenCredentials::offer`]), before the URL's own `user:pass@`.
    pub credentials: Option<GivenCredentials>,
    /// The HTTP proxy MMSH goes through (the other transports go direct).
    pub proxy: ProxyConfig,
    /// Where a transport tells what it did on the way (each redirect followed): the log.
    pub notes: Notes,
}

/// A sink for log lines from inside a connect (the player's log); silent by default.
#[derive(Clone, Default)]
pub struct Notes(Option<Arc<dyn Fn(String) + Send + Sync>>);

impl Notes {
    pub fn new(f: impl Fn(String) + Send + Sync + 'static) -> Notes {
        Notes(Some(Arc::new(f)))
    }

    pub fn note(&self, line: impl Into<String>) {
        if let Some(f) = &self.0 {
            f(line.into());
        }
    }
}

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notes(on)"
        } else {
            "Notes(off)"
        })
    }
}

impl ConnectOptions {
    /// The credentials for a challenge from `host:port`, reached through `url`: the user's
    /// when that server owns them, else the URL's own.
    pub fn credentials_for(
        &self,
        host: &str,
        port: u16,
        url: &crate::url::StreamUrl,
    ) -> Option<Credentials> {
        GivenCredentials::offer(
            self.credentials.as_ref(),
            host,
            port,
            url.credentials.as_ref(),
        )
    }
}

/// The player's choice of audio stream, asked once the header is known (it arrives before
/// any transport selects streams: MMS ReadBlock, MMSH Describe, RTSP DESCRIBE).
#[derive(Clone)]
pub struct StreamChooser(pub Arc<ChooseFn>);

/// From a header, the number of the audio stream to play, if any.
pub type ChooseFn = dyn Fn(&mmsplay_asf::Header) -> Option<u16> + Send + Sync;

impl std::fmt::Debug for StreamChooser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamChooser")
    }
}

impl ConnectOptions {
    /// The streams to ask the server for, once its `header` is known: `streams`, else the one
    /// `choose` picks, each with the header's command (script) streams. Empty: no preference,
    /// the transport's default.
    pub fn wanted(&self, header: &mmsplay_asf::Header) -> Vec<u16> {
        wanted(&self.streams, self.choose.as_ref(), header)
    }
}

/// `streams` when given, else the one `choose` picks from `header`, each with the header's
/// command streams; empty when there is neither.
pub fn wanted(
    streams: &[u16],
    choose: Option<&StreamChooser>,
    header: &mmsplay_asf::Header,
) -> Vec<u16> {
    let audio: Vec<u16> = if streams.is_empty() {
        choose.and_then(|c| (c.0)(header)).into_iter().collect()
    } else {
        streams.to_vec()
    };
    with_commands(header, &audio)
}

/// `audio` and the command (script) streams of `header`, which carry captions and URLs
/// whichever audio stream plays. Empty stays empty.
pub fn with_commands(header: &mmsplay_asf::Header, audio: &[u16]) -> Vec<u16> {
    if audio.is_empty() {
        return Vec::new();
    }
    let commands = header
        .streams
        .iter()
        .filter(|s| s.kind == mmsplay_asf::StreamKind::Command)
        .map(|s| u16::from(s.number));
    let mut out: Vec<u16> = audio.iter().copied().chain(commands).collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            ports: Ports::default(),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(10),
            start_ms: 0,
            streams: Vec::new(),
            accelerate: Some(Acceleration::CLIENT),
            choose: None,
            stats: Arc::new(TransportStats::default()),
            credentials: None,
            proxy: ProxyConfig::direct(),
            notes: Notes::default(),
        }
    }
}
