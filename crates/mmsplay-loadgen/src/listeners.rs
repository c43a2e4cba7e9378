//! The listeners: started with bounded concurrency, each counting the bytes it receives, then
//! measured over a window once all are up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mmsplay_net::{AsfEvent, ConnectOptions, Session, StreamUrl, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::measure::Server;

/// Connections being set up at once.
const CONNECTING: usize = 128;
/// A listener at real-time rate received at least this share of the content rate.
const REAL_TIME_SHARE: f64 = 0.95;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Mmsh,
    Mmsu,
    Rtspt,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mmsh => "MMSH",
            Kind::Mmsu => "MMS/UDP",
            Kind::Rtspt => "RTSP/TCP",
        }
    }
}

/// One listener's counters.
#[derive(Default)]
struct Tally {
    bytes: AtomicU64,
    connected: AtomicBool,
    /// Connected, or gave up.
    settled: AtomicBool,
}

#[derive(Default, Debug, Clone, Copy)]
pub struct Counts {
    pub listeners: usize,
    pub connected: usize,
    pub real_time: usize,
}

pub struct Report {
    pub per_kind: Vec<(Kind, Counts)>,
    pub bytes: u64,
    pub cpu_seconds: f64,
    pub peak_rss_kb: u64,
}

impl Report {
    /// All listeners.
    pub fn listeners(&self) -> usize {
        self.per_kind.iter().map(|(_, c)| c.listeners).sum()
    }

    /// The share of all listeners that kept real-time rate.
    pub fn share(&self) -> f64 {
        let real_time: usize = self.per_kind.iter().map(|(_, c)| c.real_time).sum();
        real_time as f64 / self.listeners().max(1) as f64
    }

    /// The server's CPU seconds per delivered GB.
    pub fn cpu_per_gb(&self) -> f64 {
        let gb = self.bytes as f64 / 1e9;
        if gb > 0.0 { self.cpu_seconds / gb } else { 0.0 }
    }
}

/// Starts the listeners of `plan` (kind, count, port) on `path`, waits until they are all
/// set up, then measures over `window`.
pub async fn run(
    server: &Server,
    plan: &[(Kind, usize, u16)],
    path: &str,
    window: Duration,
    bitrate: u64,
) -> Report {
    let gate = Arc::new(Semaphore::new(CONNECTING));
    let mut all: Vec<(Kind, Arc<Tally>)> = Vec::new();
    let mut tasks = Vec::new();
    for &(kind, n, port) in plan {
        for _ in 0..n {
            let tally = Arc::new(Tally::default());
            all.push((kind, tally.clone()));
            let gate = gate.clone();
            let path = path.to_string();
            tasks.push(tokio::spawn(async move {
                listen(kind, port, &path, tally, gate).await;
            }));
        }
    }
    // Set-up: until every listener has connected or given up, bounded.
    let setup_deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < setup_deadline
        && all.iter().any(|(_, t)| !t.settled.load(Ordering::Relaxed))
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let the preroll bursts pass before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before: Vec<u64> = all
        .iter()
        .map(|(_, t)| t.bytes.load(Ordering::Relaxed))
        .collect();
    let cpu0 = server.cpu_seconds();
    let t0 = Instant::now();
    tokio::time::sleep(window).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu0;
    let need = REAL_TIME_SHARE * bitrate as f64 / 8.0 * elapsed;
    let mut per_kind: Vec<(Kind, Counts)> = Vec::new();
    let mut total = 0u64;
    for ((kind, t), b0) in all.iter().zip(before) {
        let got = t.bytes.load(Ordering::Relaxed) - b0;
        total += got;
        let i = match per_kind.iter().position(|(k, _)| k == kind) {
            Some(i) => i,
            None => {
                per_kind.push((*kind, Counts::default()));
                per_kind.len() - 1
            }
        };
        let c = &mut per_kind[i].1;
        c.listeners += 1;
        c.connected += usize::from(t.connected.load(Ordering::Relaxed));
        c.real_time += usize::from(got as f64 >= need);
    }
    let peak_rss_kb = server.peak_rss_kb();
    for t in tasks {
        t.abort();
    }
    Report {
        per_kind,
        bytes: total,
        cpu_seconds: cpu,
        peak_rss_kb,
    }
}

async fn listen(kind: Kind, port: u16, path: &str, tally: Arc<Tally>, gate: Arc<Semaphore>) {
    let t = tally.clone();
    match kind {
        Kind::Mmsh => mmsh(port, path, tally, gate).await,
        Kind::Mmsu => session(Transport::Mmsu, "mmsu", port, path, tally, gate).await,
        Kind::Rtspt => session(Transport::Rtspt, "rtspt", port, path, tally, gate).await,
    }
    // Ended: settled either way (a listener still playing settled when it connected).
    t.settled.store(true, Ordering::Relaxed);
}

/// A raw MMSH Play: the request, then count what arrives (framing included, a few bytes a
/// packet) until the connection ends.
async fn mmsh(port: u16, path: &str, tally: Arc<Tally>, gate: Arc<Semaphore>) {
    let req = format!(
        "GET /{path} HTTP/1.0\r\nAccept: */*\r\nUser-Agent: NSPlayer/4.1.0.3856\r\nHost: 127.0.0.1:{port}\r\nPragma: no-cache,rate=1.000000,stream-time=0,stream-offset=4294967295:4294967295,request-context=2,max-duration=0\r\nPragma: xPlayStrm=1\r\nPragma: xClientGUID={{c77e7400-738a-11d2-9add-0020af0a3278}}\r\nPragma: stream-switch-count=1\r\nPragma: stream-switch-entry=ffff:1:0\r\n\r\n"
    );
    let mut sock = {
        let Ok(_permit) = gate.acquire().await else {
            return;
        };
        let Ok(Ok(mut s)) = tokio::time::timeout(
            Duration::from_secs(10),
            TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        else {
            return;
        };
        if s.write_all(req.as_bytes()).await.is_err() {
            return;
        }
        s
    };
    tally.connected.store(true, Ordering::Relaxed);
    tally.settled.store(true, Ordering::Relaxed);
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = sock.read(&mut buf).await {
        if n == 0 {
            return;
        }
        tally.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// A listener through mmsplay's client: counts the data packets' bytes.
async fn session(
    t: Transport,
    scheme: &str,
    port: u16,
    path: &str,
    tally: Arc<Tally>,
    gate: Arc<Semaphore>,
) {
    let Ok(url) = StreamUrl::parse(&format!("{scheme}://127.0.0.1:{port}/{path}")) else {
        return;
    };
    let opts = ConnectOptions {
        connect_timeout: Duration::from_secs(20),
        idle_timeout: Duration::from_secs(30),
        ..ConnectOptions::default()
    };
    let mut s = {
        let Ok(_permit) = gate.acquire().await else {
            return;
        };
        match Session::open(&url, t, &opts).await {
            Ok(s) => s,
            Err(_) => return,
        }
    };
    tally.connected.store(true, Ordering::Relaxed);
    tally.settled.store(true, Ordering::Relaxed);
    while let Ok(ev) = s.next_event().await {
        match ev {
            AsfEvent::Packet(p) => {
                tally.bytes.fetch_add(p.len() as u64, Ordering::Relaxed);
            }
            AsfEvent::End => return,
            _ => {}
        }
    }
}
