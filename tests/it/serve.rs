//! `mmsplay serve` as a server for many listeners: directories, session records, limits,
//! shutdown and live relays. The wire helpers here speak just enough of each protocol to ask
//! for a path and read the answer.

mod dirs;
mod limits;
mod ops;
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
        let b = &self.server.bound;
        let port = match t {
            Transport::Rtspu | Transport::Rtspt => b.rtsp.port(),
            Transport::Mmsu | Transport::Mmst => b.mms.port(),
            _ => b.http.port(),
        };
        StreamUrl::parse(&format!("{}://127.0.0.1:{port}/{name}", t.as_str())).unwrap()
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
