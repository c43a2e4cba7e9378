//! What the decode benchmarks share: timing, running `ffmpeg -i FILE -f null -`, and the
//! report that puts the two side by side.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mmsplay_wma::WmaDecoder;
use symphonia_core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;

/// The fastest of `runs` runs of `f`.
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

/// Best-of-5 time of a fresh decoder (raw output, no gapless trim) decoding `packets`, and
/// the samples per channel it produced (with the end-of-stream flush).
pub fn time_decoder(params: &AudioCodecParameters, packets: &[Packet]) -> (Duration, usize) {
    let mut opts = AudioDecoderOptions::default();
    opts.gapless = false;
    let mut samples = 0usize;
    let t = best_of(5, || {
        let mut dec = WmaDecoder::try_new(params, &opts).expect("decoder");
        samples = 0;
        for p in packets {
            if let Ok(buf) = dec.decode(p) {
                samples += buf.frames();
            }
        }
        samples += dec.flush().frames();
    });
    (t, samples)
}

/// Best-of-5 time of `ffmpeg -threads 1 -i FILE -f null -` (the whole process).
pub fn ffmpeg_null(path: &Path) -> Duration {
    best_of(5, || {
        let ok = Command::new("ffmpeg")
            .args(["-v", "fatal", "-threads", "1", "-i"])
            .arg(path)
            .args(["-f", "null", "-"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ffmpeg decode failed on {}", path.display());
    })
}

/// Prints our time beside ffmpeg's and their ratio; `startup` is ffmpeg's time on a tiny
/// file of the same kind (its fixed cost), `short_label` says which.
pub fn report(
    ours: Duration,
    audio_s: f64,
    samples: usize,
    ffmpeg: Duration,
    startup: Duration,
    short_label: &str,
) {
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
    if !ff_decode.is_zero() {
        println!(
            "ffmpeg start-up on {short_label}: {:.2} ms; ffmpeg decode-only estimate {:.2} ms; \
             ratio against that: {:.3}",
            startup.as_secs_f64() * 1e3,
            ff_decode.as_secs_f64() * 1e3,
            ours.as_secs_f64() / ff_decode.as_secs_f64()
        );
    }
}
