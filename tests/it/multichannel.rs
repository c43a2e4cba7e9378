//! Multichannel streams: 5.1 PCM-in-ASF made by ffmpeg at test time, played into a WAV file
//! (every channel kept, with its speaker mask), downmixed for a stereo device by speaker
//! position (ITU-R BS.775 gains, normalised so nothing clips, LFE left out), and played on a
//! six-channel ALSA device in ALSA's channel order.
//!
//! The stereo downmix is checked on the pipeline's real output (the WAV, which is exactly what
//! the sink receives) through the same `Downmix` the cpal sink applies: an ALSA device that
//! only takes two channels cannot be built from the `null` PCM (a `multi` over it stalls once
//! its buffer is full), so the capture test runs the device at six channels.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mmsplay::audio::ChannelLayout;
use mmsplay::audio::downmix::Downmix;
use mmsplay::audio::layout::speaker;

use crate::common::*;

/// One tone per channel, each at its own frequency (whole cycles per 10 ms, so they are
/// orthogonal over any whole number of 10 ms) and level.
const TONES: [(f64, f64); 6] = [
    (200.0, 0.50),
    (300.0, 0.40),
    (400.0, 0.30),
    (500.0, 0.60),
    (600.0, 0.20),
    (700.0, 0.35),
];

/// Makes an ASF file with ffmpeg: 1 s of the six tones in `layout` (`5.1`, `5.1(side)`),
/// `codec` (`pcm_s16le`, `pcm_s24le`) at `rate`.
fn make_asf(dir: &Path, layout: &str, codec: &str, rate: u32, expr: Option<&str>) -> PathBuf {
    let exprs: Vec<String> = TONES
        .iter()
        .map(|(f, a)| format!("{a}*sin(2*PI*{f}*t)"))
        .collect();
    let exprs = expr.map_or_else(|| exprs.join("|"), |e| [e; 6].join("|"));
    let path = dir.join(format!(
        "{codec}_{rate}_{}.asf",
        layout.replace(['(', ')'], "_")
    ));
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("aevalsrc={exprs}:s={rate}:c={layout}:d=1"))
        .args(["-c:a", codec, "-f", "asf"])
        .arg(&path)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// ffprobe's view of the first audio stream: (channels, channel_layout).
fn probe_layout(path: &Path) -> (u64, String) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-of", "json"])
        .args(["-show_entries", "stream=channels,channel_layout"])
        .arg(path)
        .output()
        .expect("run ffprobe");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ffprobe json");
    let s = &v["streams"][0];
    (
        s["channels"].as_u64().unwrap_or(0),
        s["channel_layout"].as_str().unwrap_or("").to_string(),
    )
}

/// Plays `input` into `wav`; returns the events.
fn play_into_wav(input: &Path, wav: &Path) -> Vec<serde_json::Value> {
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output"])
            .arg(format!("wav:{}", wav.display()))
            .arg(input),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    events(&out.stdout)
}

/// Plays `input` to a WAV file; returns the audio and the WAV's channel mask.
fn play_to_wav_with_mask(input: &Path) -> (Audio, u32) {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    play_into_wav(input, &wav);
    let bytes = std::fs::read(&wav).unwrap();
    let mask = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
    (read_wav(&wav), mask)
}

fn stream_event(events: &[serde_json::Value]) -> &serde_json::Value {
    events
        .iter()
        .find(|e| e["event"] == "stream")
        .expect("a stream event")
}

#[test]
fn wav_output_keeps_every_channel_and_the_speaker_layout() {
    if !have_tool("ffmpeg") || !have_tool("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (layout, codec, rate, bits) in [
        ("5.1", "pcm_s16le", 48_000, 16),
        ("5.1(side)", "pcm_s16le", 44_100, 16),
        ("5.1", "pcm_s24le", 96_000, 24),
    ] {
        let input = make_asf(dir.path(), layout, codec, rate, None);
        let wav = dir.path().join("out.wav");
        let ev = play_into_wav(&input, &wav);
        let s = stream_event(&ev);
        assert_eq!(s["codec"], "pcm", "{s}");
        assert_eq!(s["channels"], 6, "{s}");
        assert_eq!(s["sample_rate"], rate, "{s}");
        assert_eq!(s["channel_layout"], layout, "{s}");
        assert_eq!(s["bits_per_sample"], bits, "{s}");
        assert_eq!(s["stream_number"], 1, "{s}");
        assert!(
            s.get("lossless").is_none(),
            "only WMA Lossless says so: {s}"
        );

        assert_eq!(
            probe_layout(&wav),
            (6, layout.to_string()),
            "{layout} {codec}"
        );
        let ours = read_wav(&wav);
        assert_eq!((ours.rate, ours.channels), (rate, 6));
        let reference = ffmpeg_decode(input.to_str().unwrap(), rate, 6);
        assert_eq!(ours.frames(), reference.frames(), "{layout} {codec}");
        // Integer PCM scaled to f32 is exact, channel for channel.
        assert_eq!(
            max_abs_diff(&ours.samples, &reference.samples),
            0.0,
            "{layout} {codec}: channels differ from ffmpeg's"
        );
    }
}

/// The amplitude of a `freq` Hz sine in `x` (frames at `rate`), by projection over whole
/// 10 ms periods.
fn tone_level(x: &[f32], freq: f64, rate: f64) -> f64 {
    let period = (rate / 100.0) as usize;
    let n = x.len() / period * period;
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for (i, v) in x[..n].iter().enumerate() {
        let w = 2.0 * std::f64::consts::PI * freq * i as f64 / rate;
        s += f64::from(*v) * w.sin();
        c += f64::from(*v) * w.cos();
    }
    2.0 * (s * s + c * c).sqrt() / n as f64
}

/// Channel `c` of interleaved `frames` with `n` channels.
fn channel(samples: &[f32], n: usize, c: usize) -> Vec<f32> {
    samples.iter().skip(c).step_by(n).copied().collect()
}

/// The decoded 5.1 stream as a stereo device gets it.
fn downmix_to_stereo(audio: &Audio, mask: u32) -> Vec<f32> {
    let layout = ChannelLayout::new(audio.channels, mask);
    let m = Downmix::new(&layout, &[Some(speaker::FL), Some(speaker::FR)]);
    let mut out = Vec::new();
    m.apply(&audio.samples, &mut out);
    out
}

#[test]
fn five_one_for_a_stereo_device_is_downmixed_by_position() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rate = 48_000;
    // The side-surround 5.1 as well: the surrounds fold by position, not by index.
    for layout in ["5.1", "5.1(side)"] {
        let input = make_asf(dir.path(), layout, "pcm_s16le", rate, None);
        let (audio, mask) = play_to_wav_with_mask(&input);
        let stereo = downmix_to_stereo(&audio, mask);
        assert_eq!(stereo.len(), audio.frames() * 2);
        let (l, r) = (channel(&stereo, 2, 0), channel(&stereo, 2, 1));
        // BS.775: L = FL + 0.707 FC + 0.707 Ls, R the mirror, LFE dropped; all divided by
        // 1 + 2 × 0.707 so that a full-scale signal everywhere stays within ±1.
        let norm = 1.0 + std::f64::consts::SQRT_2;
        let direct = 1.0 / norm;
        let folded = std::f64::consts::FRAC_1_SQRT_2 / norm;
        // Stream order FL FR FC LFE Ls Rs (back or side: both sort after LFE).
        let want_left = [direct, 0.0, folded, 0.0, folded, 0.0];
        let want_right = [0.0, direct, folded, 0.0, 0.0, folded];
        for (ch, (freq, amp)) in TONES.iter().enumerate() {
            let gl = tone_level(&l, *freq, f64::from(rate)) / amp;
            let gr = tone_level(&r, *freq, f64::from(rate)) / amp;
            println!("{layout} channel {ch} ({freq} Hz): left gain {gl:.4}, right gain {gr:.4}");
            assert!(
                (gl - want_left[ch]).abs() < 0.002 && (gr - want_right[ch]).abs() < 0.002,
                "{layout} channel {ch}: gains {gl:.4}/{gr:.4}, want {:.4}/{:.4}",
                want_left[ch],
                want_right[ch]
            );
        }
    }
}

#[test]
fn a_full_scale_five_one_downmix_does_not_clip() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Full scale on every channel, in phase: the worst case for the sum.
    let input = make_asf(
        dir.path(),
        "5.1",
        "pcm_s16le",
        48_000,
        Some("0.999*sin(2*PI*250*t)"),
    );
    let (audio, mask) = play_to_wav_with_mask(&input);
    let stereo = downmix_to_stereo(&audio, mask);
    let peak = stereo.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    // LFE is dropped, so the five others sum to exactly full scale on each side.
    assert!((0.99..=1.0).contains(&peak), "peak {peak}");
    let level = tone_level(&channel(&stereo, 2, 0), 250.0, 48_000.0);
    assert!((level - 0.999).abs() < 0.002, "tone level {level}");
}

#[test]
fn cpal_plays_five_one_in_alsas_channel_order() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rate = 48_000;
    let input = make_asf(dir.path(), "5.1", "pcm_s16le", rate, None);
    let Some((captured, _)) = crate::cpal_output::play_on_captured_alsa_device(&input) else {
        return;
    };
    assert_eq!(
        (captured.rate, captured.channels),
        (rate, 6),
        "the device ran the stream's own format"
    );
    // On a loaded machine the device may run dry and play silence between our writes (an
    // underrun, counted; not wrong audio). Leave out runs of silent frames: the tones all
    // cross zero together only for single frames, so what is left is the stream, whole.
    let frames: Vec<&[f32]> = captured.samples.chunks_exact(6).collect();
    let silent = |i: usize| frames.get(i).is_some_and(|f| f.iter().all(|s| *s == 0.0));
    let samples: Vec<f32> = (0..frames.len())
        .filter(|&i| !(silent(i) && (silent(i + 1) || i == 0 || silent(i - 1))))
        .flat_map(|i| frames[i].iter().copied())
        .collect();
    assert!(
        samples.len() >= 6 * 24_000,
        "captured {} samples",
        samples.len()
    );
    // ALSA's 5.1 order is FL FR RL RR FC LFE; the stream's is FL FR FC LFE BL BR.
    let alsa_order = [0, 1, 4, 5, 2, 3];
    for (device_ch, stream_ch) in alsa_order.iter().enumerate() {
        let x = &channel(&samples, 6, device_ch)[..24_000];
        for (ch, (freq, amp)) in TONES.iter().enumerate() {
            let level = tone_level(x, *freq, f64::from(rate));
            let want = if ch == *stream_ch { *amp } else { 0.0 };
            assert!(
                (level - want).abs() < 0.02,
                "device channel {device_ch}: {freq} Hz at {level:.3}, want {want:.3}"
            );
        }
    }
}
