//! `mmsplay serve` as a server for many listeners: directories, session records, limits,
//! shutdown and live relays. The wire helpers here speak just enough of each protocol to ask
//! for a path and read the answer.

mod dirs;
mod limits;
mod ops;
mod playlist;
mod queues;
mod relay;
mod relay_audio;
mod wire;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mmsplay_net::{AsfEvent, ConnectOptions, Ports, Session, StreamUrl, Transport};
use mmsplay_server::{Server, ServerOptions};

use crate::common::InProcessServer;

/// The small file most of these tests serve.
pub const FILE: &str = "adpcm_ms_8k_mono.asf";

/// An in-process server (with its shutdown handle) and the lines it reported.
pub struct Running {
    pub server: Server,
    reported: InProcessServer,
}

impl std::ops::Deref for Running {
    type Target = InProcessServer;

    /// The reported lines: `session_ends`, `wait_session_ends`.
    fn deref(&self) -> &InProcessServer {
        &self.reported
    }
}

impl Running {
    /// Serves with `opts` (files, limits...) on loopback, every port picked by the system.
    pub async fn start(opts: ServerOptions) -> Running {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let server = mmsplay_server::launch(
            ServerOptions {
                rtsp_port: 0,
                mms_port: 0,
                http_port: 0,
                ..opts
            },
            Box::new(move |l: &str| sink.lock().unwrap().push(l.to_string())),
        )
        .await
        .expect("server starts");
        let reported = InProcessServer {
            bound: server.bound,
            lines,
        };
        Running { server, reported }
    }

    /// The URL of `name` for a transport, on the right port.
    pub fn url(&self, t: Transport, name: &str) -> StreamUrl {
        StreamUrl::parse(&self.reported.url(t, name)).unwrap()
    }

    /// A session on `t` that has received `n` data packets.
    pub async fn listen(&self, t: Transport, name: &str, n: usize) -> Session {
        let mut s = Session::open(&self.url(t, name), t, &client_options())
            .await
            .unwrap_or_else(|e| panic!("{t:?}: {e}"));
        packets(&mut s, n).await;
        s
    }
}

pub fn client_options() -> ConnectOptions {
    ConnectOptions {
        ports: Ports::default(),
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        ..ConnectOptions::default()
    }
}

/// The next event within 10 s; a stall or an error fails the test.
pub async fn next_event(s: &mut Session) -> AsfEvent {
    match tokio::time::timeout(Duration::from_secs(10), s.next_event()).await {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => panic!("stream failed: {e}"),
        Err(_) => panic!("stream stalled"),
    }
}

/// Reads until `n` data packets have arrived.
pub async fn packets(s: &mut Session, n: usize) {
    let mut got = 0;
    while got < n {
        match next_event(s).await {
            AsfEvent::Packet(_) => got += 1,
            AsfEvent::End => panic!("the stream ended after {got} packets"),
            _ => {}
        }
    }
}

pub const TRANSPORTS: [Transport; 5] = [
    Transport::Rtspu,
    Transport::Rtspt,
    Transport::Mmsu,
    Transport::Mmst,
    Transport::Mmsh,
];

/// `seconds` of 1.4 Mb/s PCM in 4000-byte packets (44 a second), so that socket buffers
/// fill within a second or two of a client not reading.
pub fn pcm_file(dir: &std::path::Path, seconds: u32) -> std::path::PathBuf {
    let file = dir.join("pcm.asf");
    let st = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("sine=f=440:d={seconds}:sample_rate=44100"))
        .args(["-ac", "2", "-c:a", "pcm_s16le", "-packet_size", "4000"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(st.success());
    file
}

/// An MMSH Play of `path` whose client never reads, with a small receive buffer.
pub async fn stuck_mmsh_play(to: std::net::SocketAddr, path: &str) -> tokio::net::TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut stuck = sock.connect(to).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.0\r\nUser-Agent: NSPlayer/4.1.0.3856\r\nPragma: xPlayStrm=1\r\nPragma: stream-switch-count=1\r\nPragma: stream-switch-entry=ffff:1:0\r\n\r\n"
    );
    tokio::io::AsyncWriteExt::write_all(&mut stuck, req.as_bytes())
        .await
        .unwrap();
    stuck
}

/// `mmsplay serve` relaying `stream` from its standard input as `/radio` (more options in
/// `extra`): the process (killed when the guard drops) and its `listening` line.
pub fn stdin_relay(
    stream: Vec<u8>,
    extra: &[&str],
) -> (crate::common::ChildGuard, serde_json::Value) {
    use std::io::{BufRead, Write};
    use std::process::Stdio;
    let mut child = crate::common::mmsplay()
        .args(["serve", "--relay", "radio=-"])
        .args(extra)
        .args(["--rtsp-port", "0", "--mms-port", "0", "--http-port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = crate::common::ChildGuard(child);
    // The server reads as it paces: write from a thread of its own.
    std::thread::spawn(move || {
        let _ = stdin.write_all(&stream);
    });
    let mut lines = std::io::BufReader::new(stdout);
    let mut line = String::new();
    lines.read_line(&mut line).unwrap();
    let listening = serde_json::from_str(&line).unwrap();
    // Its session_end lines are not needed: keep reading so that it never blocks.
    std::thread::spawn(move || {
        let mut rest = String::new();
        while lines.read_line(&mut rest).is_ok_and(|n| n > 0) {
            rest.clear();
        }
    });
    (guard, listening)
}
