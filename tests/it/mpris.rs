//! MPRIS: the desktop's media keys and widgets drive mmsplay through `playerctl`, on a private
//! D-Bus session bus, while it plays a real-time paced stream from `mmsplay serve`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::tui::e2e::Tmux;

/// A session bus of the test's own; the daemon goes when this does.
struct PrivateBus {
    _daemon: ChildGuard,
    address: String,
}

impl PrivateBus {
    fn start() -> PrivateBus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_string();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        PrivateBus {
            _daemon: ChildGuard(daemon),
            address,
        }
    }

    /// `playerctl -p mmsplay ARGS` on this bus: its stdout, trimmed.
    fn playerctl(&self, args: &[&str]) -> String {
        let out = run_with_deadline(
            Command::new("playerctl")
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .args(["-p", "mmsplay"])
                .args(args),
            Duration::from_secs(10),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A property of the player interface, as `dbus-send --print-reply=literal` shows it
    /// (`boolean true`…).
    fn player_property(&self, name: &str) -> String {
        let out = run_with_deadline(
            Command::new("dbus-send")
                .arg(format!("--bus={}", self.address))
                .args([
                    "--print-reply=literal",
                    "--dest=org.mpris.MediaPlayer2.mmsplay",
                    "/org/mpris/MediaPlayer2",
                    "org.freedesktop.DBus.Properties.Get",
                    "string:org.mpris.MediaPlayer2.Player",
                ])
                .arg(format!("string:{name}")),
            Duration::from_secs(10),
        );
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Asks until `args` answers `want`, for a few seconds.
    fn wait_for(&self, args: &[&str], want: &str) {
        let start = Instant::now();
        loop {
            let got = self.playerctl(args);
            if got == want {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "playerctl {args:?}: {got:?}, expected {want:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The bundled demo stream served in real time (so that playback lasts long enough to be
/// driven), and its MMS-over-TCP URL.
fn serve_demo() -> (ServeProcess, String) {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.wma");
    let server = ServeProcess::start(&[&demo], &[]);
    let url = format!("mmst://127.0.0.1:{}/demo.wma", server.mms);
    (server, url)
}

#[test]
fn playerctl_pauses_reads_and_stops_a_headless_playback() {
    if !have_tool("dbus-daemon") || !have_tool("playerctl") {
        return;
    }
    let bus = PrivateBus::start();
    // Paced in real time (no --fast), so that the 16 s stream outlasts the test's steps.
    let (_server, url) = serve_demo();
    let player = mmsplay()
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .args(["--headless", "--events", "json", "--output", "null"])
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    bus.wait_for(&["status"], "Playing");
    assert_eq!(bus.playerctl(&["metadata", "title"]), "Rollover Arpeggios");
    assert_eq!(bus.playerctl(&["metadata", "artist"]), "mmsplay");
    assert_eq!(bus.playerctl(&["metadata", "xesam:url"]), url);
    // mpris:length, in microseconds: the on-demand stream's 16 s.
    let length: u64 = bus
        .playerctl(&["metadata", "mpris:length"])
        .parse()
        .unwrap();
    assert!((15_000_000..17_000_000).contains(&length), "{length}");
    // Stats carry the position about once a second.
    let start = Instant::now();
    let position = loop {
        let p: f64 = bus.playerctl(&["position"]).parse().unwrap_or(0.0);
        if p > 0.0 || start.elapsed() > Duration::from_secs(5) {
            break p;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(position > 0.0 && position < 17.0, "{position}");

    bus.playerctl(&["play-pause"]);
    bus.wait_for(&["status"], "Paused");
    bus.playerctl(&["volume", "0.5"]);
    bus.wait_for(&["volume"], "0.500000");
    bus.playerctl(&["play-pause"]);
    bus.wait_for(&["status"], "Playing");

    bus.playerctl(&["stop"]);
    let out = wait_output(player, Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let ev = events(&out.stdout);
    let last = ev.last().unwrap();
    assert_eq!(last["event"], "end", "{ev:?}");
    assert_eq!(last["reason"], "stopped", "{ev:?}");
}

#[test]
fn without_a_session_bus_playback_is_unaffected() {
    let mut player = mmsplay();
    player.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let ev = play_to_null(player, asset("pcm_s16_8k_mono.asf"));
    assert_eq!(ev.last().unwrap()["reason"], "eos", "{ev:?}");
}

#[test]
fn playerctl_drives_the_tui_like_its_keys() {
    if !have_tool("dbus-daemon") || !have_tool("playerctl") || !have_tool("tmux") {
        return;
    }
    let bus = PrivateBus::start();
    let (_server, url) = serve_demo();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let cache = dir.path().join("cache");
    let env = [
        ("DBUS_SESSION_BUS_ADDRESS", Path::new(&bus.address)),
        ("MMSPLAY_CONFIG_DIR", config.as_path()),
        ("XDG_CACHE_HOME", cache.as_path()),
    ];
    let bin = env!("CARGO_BIN_EXE_mmsplay");
    let tmux = Tmux::start(100, 30, &format!("{bin} --output null {url}"), &env);
    let long = Duration::from_secs(30);

    bus.wait_for(&["status"], "Playing");
    assert_eq!(bus.playerctl(&["metadata", "title"]), "Rollover Arpeggios");
    // Pause from the desktop: the TUI shows it as if space had been pressed.
    bus.playerctl(&["play-pause"]);
    tmux.wait_for("the pause", long, |s| s.contains("paused"));
    bus.wait_for(&["status"], "Paused");
    bus.playerctl(&["volume", "0.5"]);
    tmux.wait_for("the volume", long, |s| s.contains("volume 50%"));
    bus.wait_for(&["volume"], "0.500000");
    bus.playerctl(&["play-pause"]);
    bus.wait_for(&["status"], "Playing");
    tmux.wait_for("the resume", long, |s| !s.contains("paused"));
    bus.playerctl(&["stop"]);
    bus.wait_for(&["status"], "Stopped");
    tmux.quit_and_check_restored();
}

/// Reads `--events json` lines as they come, on a thread of their own.
fn event_lines(stdout: std::process::ChildStdout) -> std::sync::mpsc::Receiver<serde_json::Value> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str(&line)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    rx
}

/// Waits for the `entry` event (then returns its index) or for the end of the events.
fn next_entry(rx: &std::sync::mpsc::Receiver<serde_json::Value>, seen: &mut Vec<String>) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no entry event ({e}); events so far: {seen:?}"));
        seen.push(ev["event"].to_string());
        if ev["event"] == "entry" {
            assert_eq!(ev["count"], 3, "{ev}");
            return ev["index"].as_i64().unwrap_or(-1);
        }
    }
}

#[test]
fn playerctl_next_and_previous_move_in_a_headless_playlist() {
    if !have_tool("dbus-daemon") || !have_tool("playerctl") || !have_tool("dbus-send") {
        return;
    }
    let bus = PrivateBus::start();
    // Paced in real time, so that each entry lasts long enough to be skipped.
    let (_server, url) = serve_demo();
    let dir = tempfile::tempdir().unwrap();
    let asx = dir.path().join("list.asx");
    let entry = format!("<ENTRY><REF HREF=\"{url}\"/></ENTRY>");
    std::fs::write(
        &asx,
        format!("<ASX VERSION=\"3.0\">{entry}{entry}{entry}</ASX>"),
    )
    .unwrap();
    let mut player = ChildGuard(
        mmsplay()
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .args(["--headless", "--events", "json", "--output", "null"])
            .arg(&asx)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rx = event_lines(player.0.stdout.take().unwrap());
    let mut seen = Vec::new();
    assert_eq!(next_entry(&rx, &mut seen), 0);
    bus.wait_for(&["status"], "Playing");
    assert_eq!(bus.player_property("CanGoNext"), "variant boolean true");
    assert_eq!(
        bus.player_property("CanGoPrevious"),
        "variant boolean false"
    );
    // At the first entry there is nothing before it: MPRIS Previous does nothing…
    bus.playerctl(&["previous"]);
    // …and Next ends the first entry early for the second.
    bus.playerctl(&["next"]);
    assert_eq!(next_entry(&rx, &mut seen), 1);
    let start = Instant::now();
    while bus.player_property("CanGoPrevious") != "variant boolean true" {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "CanGoPrevious stays false"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    bus.playerctl(&["previous"]);
    assert_eq!(next_entry(&rx, &mut seen), 0);
    bus.playerctl(&["stop"]);
    let start = Instant::now();
    let end = loop {
        let left = Duration::from_secs(10).saturating_sub(start.elapsed());
        let ev = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no end ({e}): {seen:?}"));
        assert_ne!(ev["event"], "entry", "an entry after stop: {ev}");
        if ev["event"] == "end" || ev["event"] == "error" {
            break ev;
        }
    };
    assert_eq!(end["reason"], "stopped", "{end}");
    let status = player.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// Waits for the next `seek` event; its position in ms.
fn next_seek(rx: &std::sync::mpsc::Receiver<serde_json::Value>, seen: &mut Vec<String>) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no seek event ({e}); events so far: {seen:?}"));
        seen.push(ev.to_string());
        if ev["event"] == "seek" {
            return ev["position_ms"].as_u64().unwrap();
        }
    }
}

#[test]
fn playerctl_seeks_a_headless_network_playback() {
    if !have_tool("dbus-daemon") || !have_tool("playerctl") || !have_tool("dbus-send") {
        return;
    }
    let bus = PrivateBus::start();
    // Paced in real time, so that the 16 s stream outlasts the seeks.
    let (_server, url) = serve_demo();
    let mut player = mmsplay()
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .args(["--headless", "--events", "json", "--output", "null"])
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = event_lines(player.stdout.take().unwrap());
    let _guard = ChildGuard(player);
    bus.wait_for(&["status"], "Playing");
    assert_eq!(bus.player_property("CanSeek"), "variant boolean true");
    let mut seen = Vec::new();
    // SetPosition: to 10 s, within one WMA frame (2048 samples at 44.1 kHz: 47 ms).
    bus.playerctl(&["position", "10"]);
    let at = next_seek(&rx, &mut seen);
    assert!((10_000..10_050).contains(&at), "{at}: {seen:?}");
    // Seek: 3 s back from what is heard.
    bus.playerctl(&["position", "3-"]);
    let back = next_seek(&rx, &mut seen);
    assert!(
        back < at && at - back < 4_000,
        "{back} after {at}: {seen:?}"
    );
    println!("SetPosition 10 s: resumed at {at} ms; Seek -3 s: at {back} ms");
    bus.playerctl(&["stop"]);
}
