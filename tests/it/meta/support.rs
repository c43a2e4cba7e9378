//! Helpers: `mmsplay serve` as a process, a tiny HTTP server for metafiles, running the player.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::common::*;

/// `mmsplay serve FILES` as a process, with its ports.
pub use crate::common::ServeProcess as Server;
/// Whether a tool is there (fails in CI when it is not; skips with a reason otherwise).
pub use crate::common::have_tool as tool;

/// One canned HTTP answer.
#[derive(Clone)]
pub struct Reply {
    pub content_type: String,
    pub body: Vec<u8>,
}

pub fn reply(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        content_type: content_type.into(),
        body: body.into(),
    }
}

/// A tiny HTTP/1.0 server on 127.0.0.1: answers each exact request target from a table, 404
/// otherwise, and records what was asked (the targets, and the whole request heads); with
/// [`HttpFiles::require`], only requests with good credentials (401 otherwise).
pub struct HttpFiles {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    pub requests: Arc<Mutex<Vec<String>>>,
    pub heads: Arc<Mutex<Vec<String>>>,
    auth: Arc<Mutex<Option<mmsplay_net::auth::ServerAuth>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpFiles {
    pub fn start() -> HttpFiles {
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let auth: Arc<Mutex<Option<mmsplay_net::auth::ServerAuth>>> = Arc::default();
        let (s, r, table) = (stop.clone(), requests.clone(), routes.clone());
        let (h, a) = (heads.clone(), auth.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (table, r, h, a) = (table.clone(), r.clone(), h.clone(), a.clone());
                std::thread::spawn(move || answer(conn, &table, &r, &h, &a));
            }
        });
        HttpFiles {
            port,
            routes,
            requests,
            heads,
            auth,
            stop,
            thread: Some(thread),
        }
    }

    /// Serves `reply` for exactly this request target.
    pub fn route(&self, target: &str, reply: Reply) {
        self.routes
            .lock()
            .unwrap()
            .insert(target.to_string(), reply);
    }

    /// Requires `user:pass` (Basic or Digest, as `serve --auth` checks them) from now on.
    pub fn require(&self, user: &str, pass: &str) {
        *self.auth.lock().unwrap() = Some(mmsplay_net::auth::ServerAuth::new(user, pass, [9; 32]));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for HttpFiles {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(
    mut conn: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    log: &Mutex<Vec<String>>,
    heads: &Mutex<Vec<String>>,
    auth: &Mutex<Option<mmsplay_net::auth::ServerAuth>>,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut b = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match conn.read(&mut b) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&b[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let target = text.split_whitespace().nth(1).unwrap_or("").to_string();
    log.lock().unwrap().push(target.clone());
    heads.lock().unwrap().push(text.to_string());
    if let Some(a) = auth.lock().unwrap().as_ref() {
        let authorization = text.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("authorization")
                .then(|| value.trim())
        });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let verdict = a.check("GET", &target, authorization, now);
        if verdict != mmsplay_net::auth::Verdict::Allowed {
            let stale = verdict == mmsplay_net::auth::Verdict::Stale;
            let mut v = "HTTP/1.0 401 Unauthorized\r\nContent-Length: 0\r\n".to_string();
            for c in a.challenges(now, stale) {
                v.push_str(&format!("WWW-Authenticate: {c}\r\n"));
            }
            v.push_str("\r\n");
            let _ = conn.write_all(v.as_bytes());
            return;
        }
    }
    let found = routes.lock().unwrap().get(&target).cloned();
    let resp = match found {
        Some(r) => {
            let mut v = format!(
                "HTTP/1.0 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
                r.content_type,
                r.body.len()
            )
            .into_bytes();
            v.extend_from_slice(&r.body);
            v
        }
        None => b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
    };
    let _ = conn.write_all(&resp);
}

/// Runs the player headless with JSON events; returns the output and the events.
pub fn run_player(args: &[String], limit: Duration) -> (Output, Vec<serde_json::Value>) {
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json"])
            .args(args),
        limit,
    );
    let ev = events(&out.stdout);
    (out, ev)
}

/// The events of one kind.
pub fn of<'a>(ev: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    ev.iter().filter(|e| e["event"] == kind).collect()
}
