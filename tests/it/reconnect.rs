//! Killing and restarting the server mid-stream: the player reconnects through the transport
//! that worked, says so, and playback goes on; a server that never comes back ends with a clear
//! error within the bound.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn demo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.wma")
}

/// Starts `mmsplay serve` on the given HTTP port (0: any) and returns it with its port.
fn serve(http_port: u16, extra: &[&str]) -> (ServeProcess, u16) {
    let server = ServeProcess::start_on_http_port(&[&demo()], http_port, extra);
    let port = server.http;
    (server, port)
}

/// Reads the player's events as they come, until `stop` says so or the deadline passes.
fn watch(
    player: &mut std::process::Child,
    limit: Duration,
    mut on_event: impl FnMut(&serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    let stdout = player.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut all = Vec::new();
    while start.elapsed() < limit {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(v) => {
                let stop = on_event(&v);
                all.push(v);
                if stop {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(_) => break,
        }
    }
    all
}

fn player(url: &str, extra: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_mmsplay"))
        .args(["--headless", "--events", "json", "--output", "null"])
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn live_stream_reconnects_after_a_server_restart() {
    let (server, port) = serve(0, &["--live"]);
    let mut p = ChildGuard(player(
        &format!("mmsh://127.0.0.1:{port}/demo.wma"),
        &["--duration", "6"],
    ));
    let mut server = Some(server);
    let mut restarted = None;
    let mut killed_at = None;
    let events = watch(&mut p.0, Duration::from_secs(40), |e| {
        if e["event"] == "stats"
            && e["position_ms"].as_u64().unwrap_or(0) > 1500
            && killed_at.is_none()
        {
            server.take();
            killed_at = Some(Instant::now());
        }
        if let Some(t) = killed_at
            && restarted.is_none()
            && t.elapsed() > Duration::from_millis(700)
        {
            restarted = Some(serve(port, &["--live"]).0);
        }
        e["event"] == "end" || e["event"] == "error"
    });
    let reconnects: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "reconnect")
        .collect();
    assert!(!reconnects.is_empty(), "no reconnect event: {events:?}");
    assert!(
        reconnects[0]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    let last = events.last().unwrap();
    assert_eq!(last["event"], "end", "{events:?}");
    assert_eq!(last["reason"], "duration");
    let stats = events.iter().rev().find(|e| e["event"] == "stats").unwrap();
    assert!(stats["reconnects"].as_u64().unwrap() >= 1);
    assert!(stats["position_ms"].as_u64().unwrap() >= 5900);
}

#[test]
fn a_server_that_never_returns_ends_with_a_clear_error() {
    let (server, port) = serve(0, &["--live"]);
    let mut p = ChildGuard(player(&format!("mmsh://127.0.0.1:{port}/demo.wma"), &[]));
    let mut server = Some(server);
    let started = Instant::now();
    let mut killed_at = None;
    let events = watch(&mut p.0, Duration::from_secs(40), |e| {
        if e["event"] == "first_audio" {
            server.take();
            killed_at = Some(Instant::now());
        }
        e["event"] == "end" || e["event"] == "error"
    });
    let killed_at = killed_at.expect("playback started");
    let last = events.last().unwrap();
    assert_eq!(last["event"], "error", "{events:?}");
    assert!(last["message"].as_str().is_some_and(|m| !m.is_empty()));
    let took = killed_at.elapsed();
    assert!(
        took < Duration::from_secs(30),
        "gave up only after {took:?}"
    );
    assert!(events.iter().any(|e| e["event"] == "reconnect"));
    let status = p.0.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let _ = started;
}

#[test]
fn on_demand_stream_resumes_where_it_stopped() {
    let (server, port) = serve(0, &[]);
    let mut p = ChildGuard(player(&format!("mmsh://127.0.0.1:{port}/demo.wma"), &[]));
    let mut server = Some(server);
    let mut restarted = None;
    let mut killed_at = None;
    let mut position_at_kill = 0;
    let events = watch(&mut p.0, Duration::from_secs(60), |e| {
        let pos = e["position_ms"].as_u64().unwrap_or(0);
        if e["event"] == "stats" && pos > 4000 && killed_at.is_none() {
            server.take();
            killed_at = Some(Instant::now());
            position_at_kill = pos;
        }
        if let Some(t) = killed_at
            && restarted.is_none()
            && t.elapsed() > Duration::from_millis(500)
        {
            restarted = Some(serve(port, &[]).0);
        }
        e["event"] == "end" || e["event"] == "error"
    });
    assert!(
        position_at_kill > 0,
        "the server was never stopped: {events:?}"
    );
    assert!(
        events.iter().any(|e| e["event"] == "reconnect"),
        "{events:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["event"], "end", "{events:?}");
    assert_eq!(last["reason"], "eos");
    // Resumed, not restarted: about the file's 16 s in all, not 16 s plus what came before.
    let stats = events.iter().rev().find(|e| e["event"] == "stats").unwrap();
    let total = stats["position_ms"].as_u64().unwrap();
    assert!(
        (15_000..=17_500).contains(&total),
        "decoded {total} ms after resuming at {position_at_kill} ms"
    );
}
