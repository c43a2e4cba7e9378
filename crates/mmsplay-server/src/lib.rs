//! `mmsplay serve`: a conformant server for the five Windows Media transports (RTSP over UDP and
//! TCP, MMS over UDP and TCP, MMSH), serving ASF files on demand or as looping live broadcasts.
//! It is the stand-in for Windows Media Services in tests and in `mmsplay --demo`, and is
//! checked against independent clients (ffmpeg, VLC, GStreamer).

mod accept;
pub mod access;
pub mod clients;
pub mod error;
pub mod faults;
pub mod library;
pub mod media;
pub mod mms;
pub mod mmsh;
pub mod outbox;
pub mod pacing;
pub mod playlist;
pub mod record;
pub mod relay;
pub mod rtsp;
pub mod thinning;
pub mod tick;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use access::Access;
pub use clients::{Busy, Limits};
pub use error::ServerError;
pub use faults::Faults;
pub use library::Library;
pub use media::Media;
pub use record::SessionRecord;

/// How long a new connection may take to send its first complete request, by default.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Files (served by file name) and directories (their ASF/WMA/WMV files, by relative path).
    pub files: Vec<PathBuf>,
    /// Media already in memory (the demo's bundled asset), served beside `files`.
    pub media: Vec<Arc<Media>>,
    /// The addresses to listen on, comma-separated (`127.0.0.1`, `::1`, `0.0.0.0,::`). Every
    /// address gets the same three ports.
    pub bind: String,
    pub rtsp_port: u16,
    pub mms_port: u16,
    pub http_port: u16,
    pub faults: Faults,
    pub live: bool,
    pub fast: bool,
    pub limits: Limits,
    /// How long a connection may take to send its first complete request.
    pub handshake_timeout: Duration,
    /// Live relays: `(NAME, SOURCE)`, served under `/NAME`.
    pub relays: Vec<(String, relay::Source)>,
    /// Packets a listener (of a file or a relay) may fall behind before it is dropped.
    pub queue: usize,
    /// `--auth` and `--redirect`.
    pub access: Access,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            files: Vec::new(),
            media: Vec::new(),
            bind: "127.0.0.1".into(),
            rtsp_port: 554,
            mms_port: 1755,
            http_port: 80,
            faults: Faults::default(),
            live: false,
            fast: false,
            limits: Limits::default(),
            handshake_timeout: HANDSHAKE_TIMEOUT,
            relays: Vec::new(),
            queue: relay::QUEUE_PACKETS,
            access: Access::default(),
        }
    }
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
    /// Connection accounting and limits.
    pub clients: Arc<clients::Clients>,
    pub handshake_timeout: Duration,
    /// Packets a listener may fall behind before it is dropped.
    pub queue: usize,
    /// Turns `true` when the server is shutting down: sessions end with their protocol's
    /// end-of-stream message.
    pub shutdown: watch::Sender<bool>,
    /// `--auth` and `--redirect`.
    pub access: Access,
}
impl ServerContext {
    /// Whether `media` is served as a live broadcast: `--live`, or a relay.
    pub fn is_live(&self, media: &Media) -> bool {
        self.live || media.relay.is_some()
    }

    pub fn next_session(&self) -> u64 {
        self.sessions.fetch_add(1, Ordering::Relaxed)
    }

    /// Prints the `session_end` line of a finished session.
    pub fn session_end(&self, record: &SessionRecord) {
        (self.report)(&record.line());
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

/// Listens on `addr:port`; `port` 0 picks a free one.
async fn bind(addr: &str, port: u16) -> Result<TcpListener, ServerError> {
    let a = if addr.contains(':') && !addr.starts_with('[') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    };
    TcpListener::bind(&a)
        .await
        .map_err(|source| ServerError::Bind { addr: a, source })
}

/// Listens on `port` at every address; the first address picks the port when it is 0, the
/// others take the same one.
async fn bind_all(addrs: &[&str], port: u16) -> Result<Vec<TcpListener>, ServerError> {
    let mut out: Vec<TcpListener> = Vec::new();
    let mut port = port;
    for addr in addrs {
        let l = bind(addr, port).await?;
        if port == 0 {
            port = l
                .local_addr()
                .map_err(|source| ServerError::Bind {
                    addr: addr.to_string(),
                    source,
                })?
                .port();
        }
        out.push(l);
    }
    Ok(out)
}

/// A running server.
pub struct Server {
    pub bound: Bound,
    ctx: Arc<ServerContext>,
}

impl Server {
    /// Ends every session with its protocol's end-of-stream message, and waits (up to `grace`)
    /// until they have all closed. New connections are refused from now on.
    pub async fn shutdown(&self, grace: Duration) {
        self.ctx.shutdown.send_replace(true);
        let deadline = tokio::time::Instant::now() + grace;
        while self.ctx.clients.connections() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.ctx.clients.connections()
    }
}

/// Loads the files, binds the listeners and spawns the protocol servers on the current tokio
/// runtime. Returns the bound addresses; the servers run until the runtime stops.
pub async fn start(
    opts: ServerOptions,
    report: Box<dyn Fn(&str) + Send + Sync>,
) -> Result<Bound, ServerError> {
    Ok(launch(opts, report).await?.bound)
}

/// [`start`], keeping a handle for a graceful shutdown.
pub async fn launch(
    opts: ServerOptions,
    report: Box<dyn Fn(&str) + Send + Sync>,
) -> Result<Server, ServerError> {
    let mut library = Library::open(&opts.files, opts.media.clone())?;
    library.relays = relay::start(&opts.relays, opts.queue)?;
    let addrs: Vec<&str> = opts
        .bind
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    if addrs.is_empty() {
        return Err(ServerError::Usage("--bind: no address".into()));
    }
    let rtsp = bind_all(&addrs, opts.rtsp_port).await?;
    let mms = bind_all(&addrs, opts.mms_port).await?;
    let http = bind_all(&addrs, opts.http_port).await?;
    let local = |l: &[TcpListener]| {
        l[0].local_addr().map_err(|source| ServerError::Bind {
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
        clients: clients::Clients::new(opts.limits),
        handshake_timeout: opts.handshake_timeout,
        queue: opts.queue,
        shutdown: watch::Sender::new(false),
        access: opts.access.clone(),
    });
    for l in rtsp {
        tokio::spawn(rtsp::serve(l, ctx.clone()));
    }
    for l in mms {
        tokio::spawn(mms::serve(l, ctx.clone()));
    }
    for l in http {
        tokio::spawn(mmsh::serve(l, ctx.clone()));
    }
    Ok(Server { bound, ctx })
}

/// Resolves once the server is shutting down (or the server is gone).
pub async fn stopping(rx: &mut watch::Receiver<bool>) {
    // The guard wait_for returns is not Send: drop it here, not in the caller's select arm.
    let _ = rx.wait_for(|s| *s).await.map(|_| ());
}
