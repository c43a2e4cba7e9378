//! `mmsplay serve`: a conformant server for the five Windows Media transports (RTSP over UDP and
//! TCP, MMS over UDP and TCP, MMSH), serving ASF files on demand or as looping live broadcasts.
//! It is the stand-in for Windows Media Services in tests and in `mmsplay --demo`, and is
//! checked against independent clients (ffmpeg, VLC, GStreamer).

pub mod error;
pub mod faults;
pub mod media;
pub mod mms;
pub mod mmsh;
pub mod pacing;
pub mod rtsp;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::TcpListener;

pub use error::ServerError;
pub use faults::Faults;
pub use media::{Library, Media};
use mmsplay_net::Transport;

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub files: Vec<PathBuf>,
    /// Media already in memory (the demo's bundled asset), served beside `files`.
    pub media: Vec<Arc<Media>>,
    pub bind: String,
    pub rtsp_port: u16,
    pub mms_port: u16,
    pub http_port: u16,
    pub faults: Faults,
    pub live: bool,
    pub fast: bool,
}

/// What every protocol handler shares.
pub struct ServerContext {
    pub library: Library,
    pub faults: Faults,
    pub live: bool,
    pub fast: bool,
    /// Session counter, for seeds and logs.
    pub sessions: AtomicU64,
    /// Where `session_end` lines go (stdout for `mmsplay serve`).
    pub report: Box<dyn Fn(&str) + Send + Sync>,
}

impl ServerContext {
    pub fn next_session(&self) -> u64 {
        self.sessions.fetch_add(1, Ordering::Relaxed)
    }

    /// Prints `{"event":"session_end","transport":T,"packets_sent":N,"packets_dropped":M}`.
    pub fn session_end(&self, t: Transport, packets_sent: u64, packets_dropped: u64) {
        let line = serde_json::json!({
            "event": "session_end",
            "transport": t.as_str(),
            "packets_sent": packets_sent,
            "packets_dropped": packets_dropped,
        });
        (self.report)(&line.to_string());
    }
}

/// A running server's bound ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    pub rtsp: SocketAddr,
    pub mms: SocketAddr,
    pub http: SocketAddr,
}

impl Bound {
    /// The `listening` line of the contract.
    pub fn listening_line(&self) -> String {
        serde_json::json!({
            "event": "listening",
            "rtsp": self.rtsp.port(),
            "mms": self.mms.port(),
            "http": self.http.port(),
        })
        .to_string()
    }
}

async fn bind(addr: &str, port: u16) -> Result<TcpListener, ServerError> {
    let a = if addr.contains(':') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    };
    TcpListener::bind(&a)
        .await
        .map_err(|source| ServerError::Bind { addr: a, source })
}

/// Loads the files, binds the three listeners and spawns the protocol servers on the current
/// tokio runtime. Returns the bound addresses; the servers run until the runtime stops.
pub async fn start(
    opts: ServerOptions,
    report: Box<dyn Fn(&str) + Send + Sync>,
) -> Result<Bound, ServerError> {
    let mut library = Library {
        media: opts.media.clone(),
    };
    for f in &opts.files {
        library.media.push(Arc::new(Media::load(f)?));
    }
    let rtsp = bind(&opts.bind, opts.rtsp_port).await?;
    let mms = bind(&opts.bind, opts.mms_port).await?;
    let http = bind(&opts.bind, opts.http_port).await?;
    let local = |l: &TcpListener| {
        l.local_addr().map_err(|source| ServerError::Bind {
            addr: opts.bind.clone(),
            source,
        })
    };
    let bound = Bound {
        rtsp: local(&rtsp)?,
        mms: local(&mms)?,
        http: local(&http)?,
    };
    let ctx = Arc::new(ServerContext {
        library,
        faults: opts.faults.clone(),
        live: opts.live,
        fast: opts.fast,
        sessions: AtomicU64::new(1),
        report,
    });
    tokio::spawn(rtsp::serve(rtsp, ctx.clone()));
    tokio::spawn(mms::serve(mms, ctx.clone()));
    tokio::spawn(mmsh::serve(http, ctx));
    Ok(bound)
}
