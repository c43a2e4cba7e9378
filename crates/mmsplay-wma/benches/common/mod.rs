//! What the decode benches share: best-of timing, ffmpeg's time on the same file, and the
//! report lines.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The shortest of `runs` runs of `f`.
pub fn best_of<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Best of 5 of `ffmpeg -threads 1 -i FILE -f null -` (the whole process).
pub fn ffmpeg_null(path: &Path) -> Duration {
    best_of(5, || {
        let ok = Command::new("ffmpeg")
            .args(["-v", "error", "-threads", "1", "-i"])
            .arg(path)
            .args(["-f", "null", "-"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ffmpeg decode failed on {}", path.display());
    })
}

/// Prints our time beside ffmpeg's and their ratio; with an estimate of ffmpeg's start-up
/// (`startup`, zero if unknown, and how it was measured), also the ratio to ffmpeg's
/// decode-only time.
pub fn report(
    ours: Duration,
    samples: usize,
    rate: u32,
    ffmpeg: Duration,
    startup: Duration,
    how: &str,
) {
    let audio_s = samples as f64 / f64::from(rate);
    println!(
        "mmsplay-wma: {:8.2} ms ({:.0}x real time, {samples} samples/channel)",
        ours.as_secs_f64() * 1e3,
        audio_s / ours.as_secs_f64()
    );
    println!(
        "ffmpeg -i FILE -f null -: {:8.2} ms (whole process: demux, decode, startup)",
        ffmpeg.as_secs_f64() * 1e3
    );
    println!(
        "ratio mmsplay/ffmpeg: {:.3} (best of 5 each)",
        ours.as_secs_f64() / ffmpeg.as_secs_f64()
    );
    let ff_decode = ffmpeg.saturating_sub(startup);
    if !startup.is_zero() && !ff_decode.is_zero() {
        println!(
            "ffmpeg start-up ({how}): {:.2} ms; ffmpeg decode-only estimate {:.2} ms; \
             ratio against that: {:.3}",
            startup.as_secs_f64() * 1e3,
            ff_decode.as_secs_f64() * 1e3,
            ours.as_secs_f64() / ff_decode.as_secs_f64()
        );
    }
}
