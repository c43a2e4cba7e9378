//! Redirects on every protocol, against `mmsplay serve --redirect`: an MMS redirect report, an
//! HTTP 302 on MMSH and an RTSP 302 are followed (each hop in the log), and a loop is stopped
//! with a clear error.

use std::path::Path;

use crate::common::{ChildGuard, free_ports, mmsplay, play_outcome};

struct Server {
    _guard: ChildGuard,
    rtsp: u16,
    mms: u16,
    http: u16,
}

/// A server with a chain and a loop on each protocol:
/// `/m1 → /m2 → demo.wma` (MMS), `/h1 → /h2 → demo.wma` (MMSH), `/r1 → /r2 → demo.wma`
/// (RTSP), and `/xa ↔ /xb` loops on each.
fn server() -> Server {
    // The redirect URLs must name the ports before the server starts.
    let [rtsp, mms, http] = free_ports();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.wma");
    let mut args: Vec<String> = vec![
        "serve".into(),
        demo.display().to_string(),
        "--fast".into(),
        "--rtsp-port".into(),
        rtsp.to_string(),
        "--mms-port".into(),
        mms.to_string(),
        "--http-port".into(),
        http.to_string(),
    ];
    for (scheme, port, p) in [("mms", mms, "m"), ("http", http, "h"), ("rtsp", rtsp, "r")] {
        let base = format!("{scheme}://127.0.0.1:{port}");
        for (from, to) in [
            (format!("{p}1"), format!("{base}/{p}2")),
            (format!("{p}2"), format!("{base}/demo.wma")),
            (format!("{p}xa"), format!("{base}/{p}xb")),
            (format!("{p}xb"), format!("{base}/{p}xa")),
        ] {
            args.push("--redirect".into());
            args.push(format!("{from}={to}"));
        }
    }
    let mut child = mmsplay()
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(line.contains("listening"), "{line}");
    std::thread::spawn(move || {
        let mut sink = String::new();
        while std::io::BufRead::read_line(&mut out, &mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    Server {
        _guard: ChildGuard(child),
        rtsp,
        mms,
        http,
    }
}

fn play(target: &str) -> (bool, Vec<serde_json::Value>, String) {
    play_outcome(&["--duration", "1"], target)
}

#[test]
fn redirect_chains_are_followed_and_logged_on_every_protocol() {
    let s = server();
    for (target, t, hops) in [
        (
            format!("mmst://127.0.0.1:{}/m1", s.mms),
            "mmst",
            ["m2", "demo.wma"],
        ),
        (
            format!("mmsh://127.0.0.1:{}/h1", s.http),
            "mmsh",
            ["h2", "demo.wma"],
        ),
        (
            format!("rtspt://127.0.0.1:{}/r1", s.rtsp),
            "rtspt",
            ["r2", "demo.wma"],
        ),
    ] {
        let (ok, ev, err) = play(&target);
        assert!(ok, "{target}: {err}");
        let connected: Vec<_> = ev.iter().filter(|e| e["event"] == "connected").collect();
        assert_eq!(connected[0]["transport"], t);
        // The log shows the chain, one hop a line, in order.
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| l.contains(" redirects to "))
            .collect();
        assert_eq!(lines.len(), 2, "{target}: {err}");
        for (line, hop) in lines.iter().zip(hops) {
            assert!(line.ends_with(&format!("/{hop}")), "{target}: {line}");
        }
    }
}

#[test]
fn redirect_loops_end_with_a_clear_error() {
    let s = server();
    for target in [
        format!("mmst://127.0.0.1:{}/mxa", s.mms),
        format!("mmsh://127.0.0.1:{}/hxa", s.http),
        format!("rtspt://127.0.0.1:{}/rxa", s.rtsp),
    ] {
        let (ok, ev, err) = play(&target);
        assert!(!ok, "{target} played");
        let message = ev
            .iter()
            .find(|e| e["event"] == "error")
            .and_then(|e| e["message"].as_str())
            .unwrap_or_default()
            .to_string();
        assert!(
            message.contains("redirects go in a loop"),
            "{target}: {message}"
        );
        assert!(message.contains("xa"), "{target}: {message}");
        // Stopped at the first repeat: two hops, not a whole budget of them.
        let hops = err.lines().filter(|l| l.contains(" redirects to ")).count();
        assert_eq!(hops, 2, "{target}: {err}");
    }
}
