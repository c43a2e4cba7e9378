//! `--output cpal` on a machine with no sound card: ALSA's `file` plugin as the default PCM
//! captures what cpal played, paced in real time by `tests/tools/alsa_pace.py` (the `null`
//! slave alone has no clock). See docs/oracles.md section 6.

use std::path::Path;
use std::time::Duration;

use crate::common::*;

/// Plays `input` with `--output cpal` on a default ALSA device that captures to a file;
/// returns what the device played (at the device's rate and channel count, from its first
/// sample, silence included) and the events. `None` (after a printed reason) when the tools
/// are missing outside CI.
pub fn play_on_captured_alsa_device(input: &Path) -> Option<(Audio, Vec<serde_json::Value>)> {
    if !have_tool("python3") {
        return None;
    }
    let pacer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/alsa_pace.py");
    assert!(pacer.exists(), "missing {}", pacer.display());
    let dir = tempfile::tempdir().unwrap();
    let captured = dir.path().join("captured.wav");
    let conf = dir.path().join("asound.conf");
    std::fs::write(
        &conf,
        format!(
            "</usr/share/alsa/alsa.conf>\npcm.!default {{ type file; slave.pcm \"null\"; format \"wav\"; file \"|python3 {} {}\" }}\n",
            pacer.display(),
            captured.display()
        ),
    )
    .unwrap();
    let out = run_with_deadline(
        mmsplay()
            .env("ALSA_CONFIG_PATH", &conf)
            .args(["--headless", "--events", "json", "--output", "cpal"])
            .arg(input),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The pacer may still be flushing: wait for the capture to stop growing.
    let mut last = 0;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        let n = std::fs::metadata(&captured).map(|m| m.len()).unwrap_or(0);
        if n > 0 && n == last {
            break;
        }
        last = n;
    }
    let bytes = std::fs::read(&captured).unwrap();
    assert!(bytes.len() > 44, "nothing captured");
    // The file plugin's WAV header says PCM 32-bit even for float, and its sizes are never
    // patched in pipe mode: read the rate and channels, treat the data as f32.
    let channels = u16::from_le_bytes([bytes[22], bytes[23]]);
    let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
    let samples = bytes[44..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let audio = Audio {
        rate,
        channels,
        samples,
    };
    Some((audio, events(&out.stdout)))
}

#[test]
fn cpal_plays_through_the_default_alsa_device() {
    if !have_tool("ffmpeg") {
        return;
    }
    let input = asset("pcm_s16_44k_stereo.asf");
    let Some((captured, ev)) = play_on_captured_alsa_device(&input) else {
        return;
    };
    assert!(ev.iter().any(|e| e["event"] == "first_audio"));
    assert_eq!(ev.last().unwrap()["event"], "end");
    let (rate, channels, samples) = (captured.rate, captured.channels, captured.samples);
    let reference = ffmpeg_decode(input.to_str().unwrap(), rate, channels);
    // Skip the silence the device played before the first samples arrived: find where the
    // decode's first samples start in the capture.
    let probe = &reference.samples[..64];
    let start = (0..samples.len().saturating_sub(64))
        .find(|&k| max_abs_diff(&samples[k..k + 64], probe) < 1e-6)
        .expect("the decoded audio does not appear in the capture");
    // On a loaded machine the device may run dry and play silence between our writes; that is
    // an underrun (counted), not wrong audio. Compare the sample sequences with exact zeros
    // left out of both, which removes the inserted silence and nothing else.
    let nonzero = |v: &[f32]| {
        v.iter()
            .copied()
            .filter(|s| *s != 0.0)
            .collect::<Vec<f32>>()
    };
    let want = nonzero(&reference.samples);
    let got = nonzero(&samples[start..]);
    let underruns: u64 = ev
        .iter()
        .filter_map(|e| e["underruns"].as_u64())
        .max()
        .unwrap_or(0);
    assert!(
        got.len() >= want.len(),
        "captured {} of {} samples ({underruns} underruns)",
        got.len(),
        want.len()
    );
    let snr = snr_db(&want, &got[..want.len()]);
    println!("cpal capture SNR {snr:.1} dB ({underruns} underruns)");
    assert!(
        snr > 90.0,
        "cpal output differs from the decode: {snr:.1} dB ({underruns} underruns)"
    );
}
