//! Independent peers: ffmpeg and VLC as clients of our server, and VLC's MMSH server as the
//! server for our client. oracles.md describes their traps (VLC refuses root, decodes the
//! edges slightly differently, must not loop).

use std::process::Stdio;
use std::time::Duration;

use mmsplay_net::AsfEvent;
use mmsplay_server::Faults;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_from_our_server_bit_exact() {
    if !require("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = ffmpeg_wma(dir.path(), "chirp.asf", 3, "64k");
    let reference = ffmpeg_decode(file.to_str().unwrap());
    for live in [false, true] {
        let server = TestServer::start(vec![file.clone()], live, !live, Faults::default()).await;
        let url = server.url("chirp.asf");
        let mut cmd = tokio::process::Command::new("ffmpeg");
        cmd.args(["-loglevel", "error", "-i", &url]);
        if live {
            // A broadcast never ends: take 1.5 s of it.
            cmd.args(["-t", "1.5"]);
        }
        cmd.args(["-f", "f32le", "-"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(20), cmd.output())
            .await
            .expect("ffmpeg hung")
            .unwrap();
        let got = f32_samples(&out.stdout);
        if live {
            // Joined mid-broadcast: the audio must be a stretch of the file's own decode.
            assert!(got.len() >= 44100 * 2, "only {} samples", got.len());
            let probe = &got[8192..8192 + 2048];
            let found = reference
                .windows(probe.len())
                .step_by(2)
                .any(|w| snr_db(w, probe, 0) > 90.0);
            assert!(found, "live audio is not a stretch of the file");
        } else {
            assert!(out.status.success());
            assert_eq!(got.len(), reference.len());
            assert!(
                got == reference,
                "ffmpeg's decode over MMSH differs from the file's"
            );
            let ends = server.wait_session_ends(1).await;
            assert_eq!(ends[0]["transport"], "mmsh");
            assert!(ends[0]["packets_sent"].as_u64().unwrap() > 0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vlc_plays_from_our_server() {
    if !require("cvlc") || !require("ffmpeg") || !require("setpriv") {
        return;
    }
    let dir = shared_tempdir();
    let file = ffmpeg_wma(dir.path(), "chirp.asf", 3, "64k");
    let reference = ffmpeg_decode(file.to_str().unwrap());
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let wav = dir.path().join("vlc.wav");
    let sout = format!(
        "#transcode{{acodec=f32l}}:std{{access=file,mux=wav,dst={}}}",
        wav.display()
    );
    let status = tokio::time::timeout(
        Duration::from_secs(30),
        vlc_command(dir.path())
            .args([
                "-I",
                "dummy",
                "--sout",
                &sout,
                &server.url("chirp.asf"),
                "vlc://quit",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status(),
    )
    .await
    .expect("VLC hung")
    .unwrap();
    assert!(status.success());
    let got = wav_f32(&wav);
    // VLC decodes with libavcodec too, but differs in the first samples and the last frame
    // (oracles.md 2): compare the middle, sample-aligned.
    assert!(
        got.len() + 4096 * 2 >= reference.len(),
        "VLC got {} of {}",
        got.len(),
        reference.len()
    );
    let snr = snr_db(&reference, &got, 4096 * 2);
    assert!(snr >= 90.0, "VLC's decode is {snr:.1} dB from the file's");
    let ends = server.wait_session_ends(1).await;
    assert!(ends.iter().all(|e| e["transport"] == "mmsh"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_plays_from_vlc_mmsh_server() {
    if !require("cvlc") || !require("ffmpeg") || !require("setpriv") {
        return;
    }
    let dir = shared_tempdir();
    // A long source, no loop (oracles.md 3): VLC only serves while it plays the file.
    let file = ffmpeg_wma(dir.path(), "long.asf", 30, "128k");
    let port = free_port();
    let sout = format!("#std{{access=mmsh,mux=asfh,dst=127.0.0.1:{port}}}");
    let _vlc = vlc_command(dir.path())
        .args(["-I", "dummy", file.to_str().unwrap(), "--sout", &sout])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) for VLC to listen.
    let url = format!("mmsh://127.0.0.1:{port}/");
    let mut session = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Ok(s) = open(&url, &opts()).await {
            session = Some(s);
            break;
        }
    }
    let mut s = session.expect("could not play from VLC's MMSH server");
    let AsfEvent::Header(header) = s.next_event().await.unwrap() else {
        panic!("first event is not the header");
    };
    let h = mmsplay_asf::parse_header(&header).unwrap();
    assert!(h.file.broadcast, "VLC serves a broadcast");
    assert_eq!(h.packet_size(), 4096);
    let mut got = Vec::new();
    let t0 = std::time::Instant::now();
    while got.len() < 10 && t0.elapsed() < Duration::from_secs(10) {
        match s.next_event().await.unwrap() {
            AsfEvent::Packet(p) => {
                assert_eq!(p.len(), 4096);
                got.push(p.to_vec());
            }
            AsfEvent::Gap { lost } => panic!("gap of {lost}"),
            _ => {}
        }
    }
    s.close().await;
    assert!(got.len() >= 10, "only {} packets from VLC", got.len());
    // VLC remuxes into its own packets, but the media objects (WMA blocks) are the file's:
    // what we reassembled must be a contiguous run of the file's objects.
    let (fh, fp) = file_packets(&file);
    let want = media_objects(&fh, &fp);
    let ours = media_objects(&header, &got);
    assert!(ours.len() >= 10, "only {} media objects", ours.len());
    let start = want
        .iter()
        .position(|o| *o == ours[1])
        .expect("media object not found in the file");
    for (k, o) in ours[1..ours.len() - 1].iter().enumerate() {
        assert!(*o == want[start + k], "media object {k} differs");
    }
}

/// libmms through ctypes, as mimms used it: connect, read everything, write the file.
const LIBMMS_DUMP: &str = r#"
import ctypes, sys
lib = ctypes.CDLL('libmms.so.0')
lib.mmsx_connect.restype = ctypes.c_void_p
lib.mmsx_connect.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
lib.mmsx_read.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
lib.mmsx_close.argtypes = [ctypes.c_void_p]
m = lib.mmsx_connect(None, None, sys.argv[1].encode(), 10**9)
if not m: sys.exit('connect failed')
buf = ctypes.create_string_buffer(65536)
with open(sys.argv[2], 'wb') as f:
    while True:
        n = lib.mmsx_read(None, m, buf, 65536)
        if n <= 0: break
        f.write(buf.raw[:n])
lib.mmsx_close(m)
"#;

fn have_libmms() -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", "ldconfig -p | grep -q 'libmms.so.0'"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("libmms0 is required under CI but is not installed");
        }
        eprintln!("skipping: libmms0 is not installed");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libmms_rebuilds_the_file_from_our_server() {
    if !require("python3") || !have_libmms() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 2);
    let server = TestServer::start(vec![file.clone()], false, true, Faults::default()).await;
    let script = dir.path().join("dump.py");
    std::fs::write(&script, LIBMMS_DUMP).unwrap();
    let out = dir.path().join("out.asf");
    let status = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new("python3")
            .arg(&script)
            .arg(server.url("tone.asf"))
            .arg(&out)
            .kill_on_drop(true)
            .status(),
    )
    .await
    .expect("libmms hung")
    .unwrap();
    assert!(status.success());
    // We send padded packets, so libmms's file is the original, byte for byte.
    assert!(std::fs::read(&out).unwrap() == std::fs::read(&file).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vlc_plays_our_live_broadcast() {
    if !require("cvlc") || !require("ffmpeg") || !require("setpriv") {
        return;
    }
    let dir = shared_tempdir();
    let file = ffmpeg_wma(dir.path(), "radio.asf", 20, "64k");
    let reference = ffmpeg_decode(file.to_str().unwrap());
    let server = TestServer::start(vec![file], true, false, Faults::default()).await;
    // Join a little after the broadcast started.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let wav = dir.path().join("live.wav");
    let sout = format!(
        "#transcode{{acodec=f32l}}:std{{access=file,mux=wav,dst={}}}",
        wav.display()
    );
    let mut vlc = vlc_command(dir.path())
        .args(["-I", "dummy", "--sout", &sout, &server.url("radio.asf")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A broadcast never ends: stop VLC (SIGTERM, so it finishes the WAV) after a while.
    tokio::time::sleep(Duration::from_secs(4)).await;
    if let Some(pid) = vlc.id() {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), vlc.wait()).await;
    let got = wav_f32(&wav);
    assert!(
        got.len() >= 2 * 44100 * 2,
        "VLC played only {} values",
        got.len()
    );
    // Joined mid-broadcast: a stretch of VLC's decode is a stretch of the file's.
    let probe = &got[44100 * 2..44100 * 2 + 4096];
    let at = locate(&reference, probe, 2, 90.0).expect("VLC's audio is not in the file");
    assert!(at > 0, "a live client must join mid-stream");
    let ends = server.wait_session_ends(1).await;
    assert!(ends[0]["packets_sent"].as_u64().unwrap() > 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_follows_vlc_looping_with_a_new_header_mid_stream() {
    if !require("cvlc") || !require("ffmpeg") || !require("setpriv") {
        return;
    }
    // With `--loop --sout-keep` VLC re-sends `$H` at each loop point, in the middle of the
    // `$D` stream (oracles.md 3); ffmpeg fails on it, we carry on.
    let dir = shared_tempdir();
    let file = ffmpeg_wma(dir.path(), "short.asf", 2, "128k");
    let port = free_port();
    let sout = format!("#std{{access=mmsh,mux=asfh,dst=127.0.0.1:{port}}}");
    let _vlc = vlc_command(dir.path())
        .args([
            "-I",
            "dummy",
            "--loop",
            "--sout-keep",
            file.to_str().unwrap(),
            "--sout",
            &sout,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("mmsh://127.0.0.1:{port}/");
    let mut session = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Ok(s) = open(&url, &opts()).await {
            session = Some(s);
            break;
        }
    }
    let mut s = session.expect("could not play from VLC's MMSH server");
    let t0 = std::time::Instant::now();
    let mut packets = 0;
    let mut headers = 0;
    while t0.elapsed() < Duration::from_millis(5500) {
        match s.next_event().await {
            Ok(AsfEvent::Packet(p)) => {
                assert_eq!(p.len(), 4096);
                packets += 1;
            }
            Ok(AsfEvent::Header(_)) => headers += 1,
            Ok(AsfEvent::End) => panic!("VLC's broadcast ended"),
            Ok(_) => {}
            Err(e) => panic!("failed across VLC's loop point: {e}"),
        }
    }
    s.close().await;
    eprintln!("{packets} packets, {headers} header events across VLC loop points");
    // Over 5.5 s of a 2 s loop: at least two loop points crossed.
    assert!(packets >= 15, "only {packets} packets");
    assert!(headers >= 1);
}
