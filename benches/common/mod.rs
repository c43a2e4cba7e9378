//! Helpers the benchmarks share: medians, tool lookup, and ffmpeg as the peer measured in the
//! same run.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Instant;

pub const MMSPLAY: &str = env!("CARGO_BIN_EXE_mmsplay");

/// The median of `v`; NaN when there are no figures.
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Whether a tool is on the PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Milliseconds from spawning ffmpeg with these input arguments (`-i URL`, maybe after `-ss`)
/// to the first byte it decodes.
pub fn ffmpeg_first_audio_ms(input: &[&str]) -> Option<f64> {
    let t = Instant::now();
    let mut child = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error"])
        .args(input)
        .args(["-f", "f32le", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut out = child.stdout.take()?;
    let mut b = [0u8; 1];
    let got = out.read(&mut b).ok()? == 1;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let _ = child.kill();
    let _ = child.wait();
    got.then_some(ms)
}

/// Runs mmsplay headless and returns the time from spawning it to reading the first event
/// named `name` (process start-up included, as for the peers); `None` if it never came.
pub fn mmsplay_event_ms(args: &[String], name: &str) -> Option<f64> {
    mmsplay_events_ms(args, &[name])[0]
}

/// [`mmsplay_event_ms`] for several events, each the first of its name, read until the last
/// of them.
pub fn mmsplay_events_ms(args: &[String], names: &[&str]) -> Vec<Option<f64>> {
    let mut found = vec![None; names.len()];
    let t = Instant::now();
    let Ok(mut child) = Command::new(MMSPLAY)
        .args(["--headless", "--events", "json", "--output", "null"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return found;
    };
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                break;
            };
            if let Some(i) = names.iter().position(|n| v["event"] == *n)
                && found[i].is_none()
            {
                found[i] = Some(t.elapsed().as_secs_f64() * 1000.0);
            }
            if found.iter().all(Option::is_some) {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    found
}
