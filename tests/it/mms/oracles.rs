//! Independent peers against our server: ffmpeg (mmst), VLC (mmst, mmsu), libmms (mmst), and
//! tshark's MS-MMS dissector reading a capture of our client talking to our server.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mmsplay_net::{AsfEvent, Session, Transport};

use super::util::{
    ChildGuard, Fixture, TestServer, best_snr, faults, fixture, have_tool, opts, read_f32,
    read_wav, reference_pcm,
};

/// Runs a command to completion or kills it after `limit`; returns whether it exited 0.
fn run_bounded(cmd: &mut Command, limit: Duration) -> bool {
    let child = cmd.stdin(Stdio::null()).spawn().expect("spawn");
    let mut g = ChildGuard(child);
    let t0 = Instant::now();
    loop {
        if let Ok(Some(st)) = g.0.try_wait() {
            return st.success();
        }
        if t0.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_mmst_bit_exact() {
    let Some(f) = fixture() else { return };
    if !have_tool("ffmpeg", "independent mmst client") {
        return;
    }
    let reference = reference_pcm(f);
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), false, true).await;
    let url = format!("mmst://127.0.0.1:{}/{}", srv.bound.mms.port(), f.name);
    let out = f.dir.join("ffmpeg_mmst.f32le");
    let o2 = out.clone();
    // ffmpeg never exits at the end of an mmst stream (oracles.md): -t plus a kill bound.
    blocking(move || {
        run_bounded(
            Command::new("ffmpeg")
                .args(["-nostdin", "-loglevel", "error", "-y", "-i", &url])
                .args(["-t", "5", "-f", "f32le"])
                .arg(&o2)
                .stderr(Stdio::null()),
            Duration::from_secs(20),
        )
    })
    .await;
    let got = read_f32(&out);
    assert!(
        got.len() >= 2 * 44100 * 4,
        "ffmpeg decoded {} samples",
        got.len()
    );
    assert_eq!(
        got[..],
        reference[..got.len()],
        "bit-exact prefix of the file decode"
    );
}

/// VLC refuses to run as root: run it as nobody (oracles.md).
fn vlc_command(f: &Fixture, url: &str, wav: &Path) -> Command {
    let home = f.dir.join("vlchome");
    std::fs::create_dir_all(&home).unwrap();
    let _ = std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o777));
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "cvlc",
        "-I",
        "dummy",
    ])
    .env("HOME", &home)
    .arg("--sout")
    .arg(format!(
        "#transcode{{acodec=f32l}}:std{{access=file,mux=wav,dst={}}}",
        wav.display()
    ))
    .arg(url)
    .arg("vlc://quit")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

async fn vlc_plays(scheme: &str) {
    let Some(f) = fixture() else { return };
    if !have_tool("cvlc", "independent mmst/mmsu client")
        || !have_tool("setpriv", "runs VLC as nobody")
    {
        return;
    }
    let reference = reference_pcm(f);
    // VLC needs real-time pacing over UDP (it lost ~10 % of a burst); TCP may go fast.
    let fast = scheme == "mmst";
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), false, fast).await;
    let url = format!("{scheme}://127.0.0.1:{}/{}", srv.bound.mms.port(), f.name);
    let wav = f.dir.join(format!("vlc_{scheme}.wav"));
    let _ = std::fs::remove_file(&wav);
    let mut cmd = vlc_command(f, &url, &wav);
    let ok = blocking(move || run_bounded(&mut cmd, Duration::from_secs(25))).await;
    assert!(ok, "VLC exited cleanly at the end of the stream");
    let got = read_wav(&wav);
    // VLC decodes with libavcodec but differs at the edges: search the lag, skip the edges.
    let lags: Vec<isize> = (-4096..=4096).step_by(1024).collect();
    let (lag, snr, frames) = best_snr(&got, &reference, 2, &lags, 4096);
    eprintln!(
        "VLC {scheme}: lag {lag}, {snr:.1} dB over {frames} frames ({} samples)",
        got.len()
    );
    assert!(frames > 44100 * 4, "VLC played {frames} comparable frames");
    assert!(snr >= 90.0, "SNR {snr:.1} dB");
    let ends = srv.wait_session_ends(1).await;
    assert_eq!(ends[0]["transport"], scheme);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vlc_plays_mmst() {
    vlc_plays("mmst").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vlc_plays_mmsu() {
    vlc_plays("mmsu").await;
}

/// A libmms client through Python's ctypes (what mimms did): URL and output path as arguments,
/// the reassembled ASF stream written out.
const LIBMMS_CLIENT: &str = r#"
import ctypes, sys
lib = ctypes.CDLL('libmms.so.0')
lib.mmsx_connect.restype = ctypes.c_void_p
lib.mmsx_connect.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
lib.mmsx_read.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
lib.mmsx_close.argtypes = [ctypes.c_void_p]
m = lib.mmsx_connect(None, None, sys.argv[1].encode(), 10**9)
if not m:
    sys.exit('connect failed')
buf = ctypes.create_string_buffer(65536)
with open(sys.argv[2], 'wb') as f:
    while True:
        n = lib.mmsx_read(None, m, buf, 65536)
        if n <= 0:
            break
        f.write(buf.raw[:n])
lib.mmsx_close(m)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libmms_rebuilds_the_file() {
    let Some(f) = fixture() else { return };
    if !have_tool("python3", "runs the libmms client") {
        return;
    }
    let has_lib = Command::new("python3")
        .args(["-c", "import ctypes; ctypes.CDLL('libmms.so.0')"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_lib {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "libmms0 is required in CI"
        );
        eprintln!("skipping: libmms.so.0 not installed");
        return;
    }
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), false, true).await;
    let url = format!("mmst://127.0.0.1:{}/{}", srv.bound.mms.port(), f.name);
    let out = f.dir.join("libmms.asf");
    let o2 = out.clone();
    let ok = blocking(move || {
        run_bounded(
            Command::new("python3")
                .args(["-c", LIBMMS_CLIENT])
                .arg(&url)
                .arg(&o2),
            Duration::from_secs(20),
        )
    })
    .await;
    assert!(ok, "the libmms client finished");
    let got = std::fs::read(&out).unwrap();
    let want = std::fs::read(&f.asf).unwrap();
    assert!(
        got == want,
        "libmms's reassembled file is byte-identical to the served file"
    );
}

/// Capturing on `lo` needs root or CAP_NET_RAW: CI must have it, elsewhere we skip.
fn can_capture() -> bool {
    if !have_tool("tshark", "dissects MS-MMS") {
        return false;
    }
    let ok = Command::new("tshark")
        .args([
            "-i",
            "lo",
            "-c",
            "1",
            "-a",
            "duration:1",
            "-w",
            "/dev/null",
            "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("tshark cannot capture on lo in CI");
        }
        eprintln!("skipping: cannot capture on lo (needs root or CAP_NET_RAW)");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tshark_dissects_our_session_cleanly() {
    let Some(f) = fixture() else { return };
    if !blocking(can_capture).await {
        return;
    }
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), false, true).await;
    let port = srv.bound.mms.port();
    let pcap = f.dir.join("mms.pcap");
    let _ = std::fs::remove_file(&pcap);
    let child = Command::new("tshark")
        .args([
            "-i",
            "lo",
            "-f",
            &format!("port {port}"),
            "-a",
            "duration:20",
            "-w",
        ])
        .arg(&pcap)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = ChildGuard(child);
    // Wait (bounded) until tshark says it is capturing.
    let stderr = guard.0.stderr.take().unwrap();
    let ready = blocking(move || {
        let mut r = BufReader::new(stderr);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if line.contains("Capturing on") {
                return true;
            }
            line.clear();
        }
        false
    });
    assert!(
        tokio::time::timeout(Duration::from_secs(10), ready)
            .await
            .unwrap_or(false),
        "tshark started capturing"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (t, scheme) in [(Transport::Mmst, "mmst"), (Transport::Mmsu, "mmsu")] {
        let mut s = Session::open(&srv.url(scheme, f.name), t, &opts())
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        while !matches!(s.next_event().await.unwrap(), AsfEvent::End) {}
        s.close().await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = guard.0.id().to_string();
    let _ = Command::new("kill").args(["-INT", &pid]).status();
    blocking(move || {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = guard.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(guard);
    })
    .await;

    let decode = [
        "-d".to_string(),
        format!("tcp.port=={port},msmms"),
        "-d".to_string(),
        format!("udp.port=={port},msmms"),
    ];
    let fields = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(&decode)
        .args([
            "-Y",
            "msmms",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.col.Info",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&fields.stdout);
    let frames = text.lines().count();
    assert!(
        text.contains("Connect info"),
        "the dissector saw our Connect:\n{text}"
    );
    assert!(
        text.contains("Media details"),
        "and the server's ReportOpenFile:\n{text}"
    );
    assert!(frames >= 20, "MMS frames dissected: {frames}\n{text}");
    assert!(
        !text.to_lowercase().contains("unknown"),
        "every command is known:\n{text}"
    );
    let udp = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(&decode)
        .args(["-Y", "msmms && udp", "-T", "fields", "-e", "_ws.col.Info"])
        .output()
        .unwrap();
    let udp = String::from_utf8_lossy(&udp.stdout);
    assert!(
        udp.lines().filter(|l| l.contains("Data")).count() >= 10,
        "MMSU datagrams dissected as MMS Data:\n{udp}"
    );
    let bad = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(&decode)
        .args(["-Y", "_ws.malformed || _ws.expert.severity >= 8388608"])
        .args([
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.expert.message",
        ])
        .output()
        .unwrap();
    let bad = String::from_utf8_lossy(&bad.stdout);
    assert!(bad.trim().is_empty(), "malformed or expert errors:\n{bad}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_follows_a_live_loop() {
    let Some(f) = fixture() else { return };
    if !have_tool("ffmpeg", "independent mmst client") {
        return;
    }
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), true, false).await;
    let url = format!("mmst://127.0.0.1:{}/{}", srv.bound.mms.port(), f.name);
    let out = f.dir.join("ffmpeg_live.f32le");
    let o2 = out.clone();
    // 7 s out of a 6 s loop: ffmpeg crosses the wrap, and -t only ends it if the timestamps
    // keep increasing across it.
    let ok = blocking(move || {
        run_bounded(
            Command::new("ffmpeg")
                .args(["-nostdin", "-loglevel", "error", "-y", "-i", &url])
                .args(["-t", "7", "-f", "f32le"])
                .arg(&o2)
                .stderr(Stdio::null()),
            Duration::from_secs(15),
        )
    })
    .await;
    assert!(ok, "ffmpeg ended by itself after 7 s of a live stream");
    let got = read_f32(&out);
    let secs = got.len() as f64 / 2.0 / 44100.0;
    assert!((6.5..=7.1).contains(&secs), "{secs:.2} s decoded");
}
