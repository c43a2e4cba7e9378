//! The whole program over MMSH: `mmsplay serve` as a process, `mmsplay --headless --events
//! json` playing from it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

/// `mmsplay serve` with the given extra options; returns the server, its HTTP port and the
/// reader of its remaining stdout lines.
fn serve(
    files: &[&std::path::Path],
    extra: &[&str],
) -> (ServeProcess, u16, BufReader<std::process::ChildStdout>) {
    let (server, out) = ServeProcess::start_reading(files, extra);
    let port = server.http;
    (server, port, out)
}

fn kinds(events: &[serde_json::Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["event"].as_str()).collect()
}

#[test]
fn headless_player_plays_mmsh_on_demand() {
    if !have_tool("ffmpeg") {
        return;
    }
    let file = asset("pcm_s16_44k_stereo.asf");
    let (_server, port, mut out) = serve(&[&file], &["--fast"]);
    for scheme in ["mmsh", "http"] {
        let url = format!("{scheme}://127.0.0.1:{port}/pcm_s16_44k_stereo.asf");
        let (audio, events) = play_to_wav(&url, &[]);
        let k = kinds(&events);
        for want in [
            "attempt",
            "connected",
            "stream",
            "first_audio",
            "stats",
            "end",
        ] {
            assert!(k.contains(&want), "no {want} event in {k:?}");
        }
        let attempt = events.iter().find(|e| e["event"] == "attempt").unwrap();
        assert_eq!(attempt["transport"], "mmsh");
        let connected = events.iter().find(|e| e["event"] == "connected").unwrap();
        assert_eq!(connected["transport"], "mmsh");
        let stream = events.iter().find(|e| e["event"] == "stream").unwrap();
        assert_eq!(stream["codec"], "pcm");
        assert_eq!(stream["live"], false);
        let stats = events.iter().rev().find(|e| e["event"] == "stats").unwrap();
        assert!(stats["packets_received"].as_u64().unwrap() > 0);
        assert_eq!(stats["packets_lost"], 0);
        assert_eq!(events.last().unwrap()["reason"], "eos");
        let reference = ffmpeg_decode(file.to_str().unwrap(), audio.rate, audio.channels);
        assert_eq!(audio.frames(), reference.frames());
        assert!(
            audio.samples == reference.samples,
            "audio over {scheme} differs from the file's"
        );
        // The server reports the session with every packet sent.
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let end: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(end["event"], "session_end");
        assert_eq!(end["transport"], "mmsh");
        assert_eq!(end["packets_sent"], stats["packets_received"]);
    }
}

#[test]
fn headless_player_plays_mmsh_live_and_refused_is_reported() {
    let file = asset("pcm_s16_8k_mono.asf");
    let (_server, port, _out) = serve(&[&file], &["--live"]);
    let url = format!("mmsh://127.0.0.1:{port}/pcm_s16_8k_mono.asf");
    let (audio, live_events) = play_to_wav(&url, &["--duration", "1"]);
    assert_eq!(audio.frames(), 8000);
    let stream = live_events.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(stream["live"], true);
    assert_eq!(live_events.last().unwrap()["reason"], "duration");

    let (_refusing, port, _out) = serve(&[&file], &["--refuse", "mmsh"]);
    let url = format!("mmsh://127.0.0.1:{port}/pcm_s16_8k_mono.asf");
    let out = run_with_deadline(
        mmsplay().args(["--headless", "--events", "json", "--output", "null", &url]),
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    let ev = events(&out.stdout);
    let failed = ev.iter().find(|e| e["event"] == "attempt_failed").unwrap();
    assert_eq!(failed["transport"], "mmsh");
    assert!(
        failed["reason"].as_str().unwrap().contains("503"),
        "{failed}"
    );
}

#[test]
fn headless_player_decodes_wma_over_mmsh_like_ffmpeg() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chirp.asf");
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("aevalsrc=0.5*sin(2*PI*(100*t+190*t*t))|0.5*sin(2*PI*(3000*t-140*t*t)):d=3:s=44100")
        .args(["-ac", "2", "-c:a", "wmav2", "-b:a", "64k"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(st.success());
    let (_server, port, _out) = serve(&[&file], &["--fast"]);
    let (audio, events) = play_to_wav(&format!("mmsh://127.0.0.1:{port}/chirp.asf"), &[]);
    let stream = events.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(stream["codec"], "wmav2");
    let reference = ffmpeg_decode(file.to_str().unwrap(), audio.rate, audio.channels);
    assert_eq!(audio.frames(), reference.frames());
    let snr = snr_db(&reference.samples, &audio.samples);
    assert!(
        snr >= 90.0,
        "WMA over MMSH is {snr:.1} dB from ffmpeg's decode of the file"
    );
}

/// Whether a Describe on `port` gets a `$H` back.
fn describes(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = "GET / HTTP/1.0\r\nUser-Agent: NSPlayer/7.10.0.3059\r\nPragma: xClientGUID={c77e7400-738a-11d2-9add-0020af0a3278}\r\n\r\n";
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut resp = Vec::new();
    let _ = s.take(64 * 1024).read_to_end(&mut resp);
    resp.windows(4).any(|w| w == b"\r\n\r\n") && resp.windows(2).any(|w| w == b"$H")
}

#[test]
fn headless_player_plays_from_vlc_mmsh_server() {
    if !have_tool("ffmpeg") || !have_tool("cvlc") || !have_tool("setpriv") {
        return;
    }
    let dir = super::support::shared_tempdir();
    let file = super::support::ffmpeg_wma(dir.path(), "long.asf", 30, "128k");
    let port = super::support::free_port();
    let sout = format!("#std{{access=mmsh,mux=asfh,dst=127.0.0.1:{port}}}");
    let _vlc = ChildGuard(
        Command::new("setpriv")
            .args([
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "cvlc",
            ])
            .env("HOME", dir.path())
            .args(["-I", "dummy", file.to_str().unwrap(), "--sout", &sout])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait (bounded) until VLC serves a header: it listens before its muxer has one.
    let up = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(250));
        describes(port)
    });
    assert!(up, "VLC's MMSH server did not start");
    let url = format!("mmsh://127.0.0.1:{port}/");
    let (audio, events) = play_to_wav(&url, &["--duration", "2"]);
    let connected = events.iter().find(|e| e["event"] == "connected").unwrap();
    assert_eq!(connected["transport"], "mmsh");
    let stream = events.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(stream["live"], true);
    assert_eq!(audio.frames(), 88200);
    // Joined mid-broadcast: the audio is a stretch of the file's own decode.
    let reference = ffmpeg_decode(file.to_str().unwrap(), audio.rate, audio.channels);
    let probe = &audio.samples[44100..44100 + 4096];
    assert!(
        super::support::locate(&reference.samples, probe, 2, 90.0).is_some(),
        "what we played from VLC is not in the file"
    );
}
