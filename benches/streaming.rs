//! Streaming figures against `mmsplay serve` on loopback, beside ffmpeg and VLC measured in the
//! same run:
//!
//! 1. time to `connected` when only MMSH works (RTSP/UDP and MMS/UDP blackholed, RTSP/TCP and
//!    MMS/TCP refused);
//! 2. time to first decoded audio on a healthy MMSH stream (mmsplay's `first_audio`; ffmpeg's
//!    first byte of decoded PCM; VLC's first bytes of its decoded output file);
//! 3. peak resident memory and CPU time while playing a 128 kb/s WMA v2 stream for a while
//!    (mmsplay `--output null`, `cvlc -A dummy`, `ffmpeg -f null`);
//! 4. fast start: on a file whose preroll is 3.1 s (ffmpeg's ASF muxer), served in real time,
//!    the time to first audio and until a whole preroll of audio is in, over each transport with
//!    and without fast start, beside ffmpeg (which does not ask for it) decoding the same span.
//!
//! Run: `cargo bench --bench streaming` (needs ffmpeg; VLC figures when cvlc is installed);
//! `cargo bench --bench streaming -- fast-start` runs the fourth only.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{MMSPLAY, have, median, mmsplay_event_ms, mmsplay_events_ms};

struct Server {
    child: Child,
    http: u16,
    rtsp: u16,
    mms: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(file: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(MMSPLAY)
        .args([
            "serve",
            "--rtsp-port",
            "0",
            "--mms-port",
            "0",
            "--http-port",
            "0",
        ])
        .args(extra)
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    let out = child.stdout.take().expect("stdout");
    BufReader::new(out)
        .read_line(&mut line)
        .expect("listening line");
    let v: serde_json::Value = serde_json::from_str(&line).expect("listening JSON");
    let p = |k: &str| v[k].as_u64().unwrap_or(0) as u16;
    Server {
        http: p("http"),
        rtsp: p("rtsp"),
        mms: p("mms"),
        child,
    }
}

/// The arguments that play the demo through the whole ladder of a server.
fn ladder_args(s: &Server) -> Vec<String> {
    vec![
        "--port".to_string(),
        format!("rtsp={}", s.rtsp),
        "--port".to_string(),
        format!("mms={}", s.mms),
        "--port".to_string(),
        format!("http={}", s.http),
        "mms://127.0.0.1/demo.wma".to_string(),
    ]
}

/// Wall time of ffmpeg decoding the first `secs` seconds of a URL (`-t`), start-up included.
fn ffmpeg_span_ms(url: &str, secs: f64, extra: &[&str]) -> Option<f64> {
    let t = Instant::now();
    let ok = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error"])
        .args(extra)
        .args(["-i", url, "-t", &secs.to_string(), "-f", "null", "-"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?
        .success();
    ok.then(|| t.elapsed().as_secs_f64() * 1000.0)
}

/// Median of the runs that gave a figure, as text.
fn median_text(v: Vec<Option<f64>>) -> String {
    let v: Vec<f64> = v.into_iter().flatten().collect();
    if v.is_empty() {
        "-".into()
    } else {
        format!("{:.0}", median(v))
    }
}

/// 4. Fast start, on each transport: first audio and a whole preroll in, with and without.
fn fast_start(dir: &Path) {
    // ffmpeg's ASF muxer writes a preroll of 3.1 s.
    const PREROLL_S: f64 = 3.1;
    let file = dir.join("preroll.wma");
    let made = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=f=440:d=20:sample_rate=44100")
        .args(["-ac", "2", "-c:a", "wmav2", "-b:a", "64k"])
        .arg(&file)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        return;
    }
    let s = serve(&file, &[]);
    println!(
        "fast start, 64 kb/s WMA v2 with a {PREROLL_S} s preroll served in real time (ms, median of 3; first audio / a whole preroll in):"
    );
    for t in ["mmsh", "mmst", "mmsu", "rtspt", "rtspu"] {
        let port = match t {
            "mmsh" => s.http,
            "mmst" | "mmsu" => s.mms,
            _ => s.rtsp,
        };
        let url = format!("{t}://127.0.0.1:{port}/preroll.wma");
        let mut cols = Vec::new();
        for extra in [&[][..], &["--no-fast-start"][..]] {
            let mut args: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
            args.extend(["--duration".into(), PREROLL_S.to_string(), url.clone()]);
            let runs: Vec<Vec<Option<f64>>> = (0..3)
                .map(|_| mmsplay_events_ms(&args, &["first_audio", "end"]))
                .collect();
            let first = median_text(runs.iter().map(|r| r[0]).collect());
            let full = median_text(runs.iter().map(|r| r[1]).collect());
            cols.push(format!("{first} / {full}"));
        }
        let ff = match t {
            "mmsh" | "mmst" => Some(&[][..]),
            "rtspt" => Some(&["-rtsp_transport", "tcp"][..]),
            "rtspu" => Some(&["-rtsp_transport", "udp"][..]),
            _ => None,
        };
        let ffmpeg = ff.map_or("-".to_string(), |extra| {
            let url = url
                .replace("rtspt://", "rtsp://")
                .replace("rtspu://", "rtsp://");
            let first = median_text((0..3).map(|_| ffmpeg_span_ms(&url, 0.1, extra)).collect());
            let full = median_text(
                (0..3)
                    .map(|_| ffmpeg_span_ms(&url, PREROLL_S, extra))
                    .collect(),
            );
            format!("{first} / {full}")
        });
        println!(
            "  {t:6} mmsplay fast start {:>13}   without {:>13}   ffmpeg {:>13}",
            cols[0], cols[1], ffmpeg
        );
    }
}

/// VLC refuses to run as root: run it as nobody (docs/oracles.md).
fn vlc(args: &[&str], home: &Path) -> Command {
    let mut c = Command::new("setpriv");
    c.env("HOME", home)
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "cvlc",
            "-I",
            "dummy",
        ])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Time from spawn until VLC's decoded output file has data.
fn vlc_first_audio_ms(url: &str, dir: &Path) -> Option<f64> {
    let out = dir.join(format!("vlc-{}.raw", Instant::now().elapsed().as_nanos()));
    let _ = std::fs::remove_file(&out);
    let sout = format!(
        "#transcode{{acodec=f32l}}:std{{access=file,mux=raw,dst={}}}",
        out.display()
    );
    let t = Instant::now();
    let mut child = vlc(&["--sout", &sout, url], dir).spawn().ok()?;
    let mut found = None;
    while t.elapsed() < Duration::from_secs(15) {
        if std::fs::metadata(&out).is_ok_and(|m| m.len() > 0) {
            found = Some(t.elapsed().as_secs_f64() * 1000.0);
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    found
}

/// Peak RSS (KiB) and CPU seconds of a process over `secs` seconds, from /proc.
fn footprint(mut child: Child, secs: u64) -> Option<(u64, f64)> {
    let pid = child.id();
    let tick = 100.0; // USER_HZ on Linux
    let (mut peak, mut cpu) = (0u64, 0.0f64);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            for l in status.lines() {
                if let Some(v) = l.strip_prefix("VmHWM:") {
                    peak = peak.max(v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0));
                }
            }
        }
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            let after = stat.rsplit(')').next().unwrap_or("");
            let f: Vec<&str> = after.split_whitespace().collect();
            if f.len() > 13 {
                let u: f64 = f[11].parse().unwrap_or(0.0);
                let s: f64 = f[12].parse().unwrap_or(0.0);
                cpu = (u + s) / tick;
            }
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    (peak > 0).then_some((peak, cpu))
}

fn main() {
    if !have("ffmpeg") {
        println!("ffmpeg is not installed: no figures");
        return;
    }
    let dir = std::env::temp_dir().join(format!("mmsplay-stream-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let _ = Command::new("chmod").arg("777").arg(&dir).status();
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo.wma");
    let vlc_ok = have("cvlc") && have("setpriv");
    if std::env::args().any(|a| a == "fast-start") {
        fast_start(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    // 1. Time to connected with only MMSH working.
    let s = serve(
        &demo,
        &["--blackhole", "rtspu,mmsu", "--refuse", "rtspt,mmst"],
    );
    let ports = ladder_args(&s);
    let runs: Vec<f64> = (0..3)
        .filter_map(|_| mmsplay_event_ms(&ports, "connected"))
        .collect();
    drop(s);
    if !runs.is_empty() {
        println!(
            "time to connected, only MMSH works (UDP blackholed, TCP refused): mmsplay {:.0} ms (median of {}; target < 1500 ms)",
            median(runs.clone()),
            runs.len()
        );
    }

    // 1b. The same with every other step silently blocked (TCP accepted, then silence).
    let s = serve(&demo, &["--blackhole", "rtspu,rtspt,mmsu,mmst"]);
    let ports = ladder_args(&s);
    let runs: Vec<f64> = (0..3)
        .filter_map(|_| mmsplay_event_ms(&ports, "connected"))
        .collect();
    drop(s);
    if !runs.is_empty() {
        println!(
            "time to connected, every step but MMSH silently blocked: mmsplay {:.0} ms (median of {})",
            median(runs.clone()),
            runs.len()
        );
    }

    // 2. Time to first audio on a healthy, paced MMSH stream.
    let s = serve(&demo, &[]);
    let url = format!("mmsh://127.0.0.1:{}/demo.wma", s.http);
    let ours: Vec<f64> = (0..5)
        .filter_map(|_| mmsplay_event_ms(std::slice::from_ref(&url), "first_audio"))
        .collect();
    let ff: Vec<f64> = (0..5)
        .filter_map(|_| common::ffmpeg_first_audio_ms(&["-i", &url]))
        .collect();
    let (o, f) = (median(ours), median(ff));
    println!(
        "time to first audio, healthy MMSH: mmsplay {o:.0} ms, ffmpeg {f:.0} ms, ratio {:.2}",
        o / f
    );
    if vlc_ok {
        let v: Vec<f64> = (0..3)
            .filter_map(|_| vlc_first_audio_ms(&url, &dir))
            .collect();
        if !v.is_empty() {
            let v = median(v);
            println!(
                "time to first audio, VLC: {v:.0} ms (mmsplay/VLC ratio {:.2})",
                o / v
            );
        }
    }
    drop(s);

    // 3. Footprint while playing a 128 kb/s WMA v2 stream.
    let stream = dir.join("wma128.asf");
    let made = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("aevalsrc=0.3*sin(2*PI*440*t)+0.2*sin(2*PI*554*t)+0.05*(random(0)-0.5)|0.3*sin(2*PI*330*t)+0.05*(random(1)-0.5):s=44100:d=60")
        .args(["-c:a", "wmav2", "-b:a", "128k"])
        .arg(&stream)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        return;
    }
    let secs = 15;
    let s = serve(&stream, &["--live"]);
    let url = format!("mmsh://127.0.0.1:{}/wma128.asf", s.http);
    let ours = Command::new(MMSPLAY)
        .args(["--headless", "--output", "null", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
        .and_then(|c| footprint(c, secs));
    let ffm = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            &url,
            "-f",
            "null",
            "-",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
        .and_then(|c| footprint(c, secs));
    let vl = if vlc_ok {
        vlc(&["-A", "dummy", "--no-video", &url], &dir)
            .spawn()
            .ok()
            .and_then(|c| footprint(c, secs))
    } else {
        None
    };
    println!("playing 128 kb/s WMA v2 over MMSH for {secs} s (peak RSS, CPU time, CPU share):");
    for (name, f) in [
        ("mmsplay", ours),
        ("ffmpeg -f null", ffm),
        ("cvlc -A dummy", vl),
    ] {
        if let Some((kib, cpu)) = f {
            println!(
                "  {name:16} {:6.1} MB  {cpu:5.2} s  {:4.1}% of a core",
                kib as f64 / 1024.0,
                100.0 * cpu / secs as f64
            );
        }
    }
    drop(s);
    fast_start(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}
