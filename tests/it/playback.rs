//! Local playback: every codec we support, decoded by mmsplay and by ffmpeg, compared.

use std::time::Duration;

use crate::common::*;

/// Decodes an asset with both and checks SNR and length.
fn check(name: &str, min_snr: f64, frame_len: usize) {
    if !have_tool("ffmpeg") {
        return;
    }
    let path = asset(name);
    let (ours, events) = play_to_wav(path.to_str().unwrap(), &[]);
    let reference = ffmpeg_decode(path.to_str().unwrap(), ours.rate, ours.channels);
    let diff = ours.frames().abs_diff(reference.frames());
    assert!(
        diff <= frame_len,
        "{name}: length {} vs ffmpeg {} (more than one frame apart)",
        ours.frames(),
        reference.frames()
    );
    let snr = snr_db(&reference.samples, &ours.samples);
    println!(
        "{name}: SNR {snr:.1} dB, {} frames vs {}",
        ours.frames(),
        reference.frames()
    );
    assert!(
        snr >= min_snr,
        "{name}: SNR {snr:.1} dB is below {min_snr} dB"
    );
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    for want in [
        "attempt",
        "connected",
        "stream",
        "first_audio",
        "stats",
        "end",
    ] {
        assert!(
            kinds.contains(&want),
            "{name}: no {want} event in {kinds:?}"
        );
    }
    let end = events.iter().find(|e| e["event"] == "end").unwrap();
    assert_eq!(end["reason"], "eos");
    assert!(events.iter().all(|e| e["t_ms"].is_u64()));
}

#[test]
fn pcm_matches_ffmpeg() {
    check("pcm_s16_8k_mono.asf", 90.0, 1);
    check("pcm_s16_44k_stereo.asf", 90.0, 1);
    check("pcm_u8_11k_mono.asf", 90.0, 1);
}

#[test]
fn ms_adpcm_matches_ffmpeg() {
    check("adpcm_ms_22k_stereo.asf", 90.0, 2048);
    check("adpcm_ms_8k_mono.asf", 90.0, 2048);
}

#[test]
fn ima_adpcm_matches_ffmpeg() {
    check("adpcm_ima_16k_mono.asf", 90.0, 2048);
    check("adpcm_ima_44k_stereo.asf", 90.0, 2048);
}

#[test]
fn mp3_matches_ffmpeg() {
    check("mp3_44k_stereo.asf", 60.0, 1152);
    check("mp3_22k_mono.asf", 60.0, 1152);
}

#[test]
fn stream_event_describes_the_stream() {
    let (_, events) = play_to_wav(asset("adpcm_ms_22k_stereo.asf").to_str().unwrap(), &[]);
    let s = events.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(s["codec"], "adpcm_ms");
    assert_eq!(s["sample_rate"], 22050);
    assert_eq!(s["channels"], 2);
    assert_eq!(s["live"], false);
    assert!(s["bitrate"].as_u64().unwrap() > 0);
    assert!(s["duration_ms"].as_u64().unwrap() >= 1400);
    let c = events.iter().find(|e| e["event"] == "connected").unwrap();
    assert_eq!(c["transport"], "file");
}

#[test]
fn duration_stops_early() {
    let (audio, events) = play_to_wav(
        asset("pcm_s16_8k_mono.asf").to_str().unwrap(),
        &["--duration", "0.5"],
    );
    assert_eq!(audio.frames(), 4000);
    let end = events.iter().find(|e| e["event"] == "end").unwrap();
    assert_eq!(end["reason"], "duration");
}

#[test]
fn null_output_plays_to_the_end() {
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output", "null"])
            .arg(asset("mp3_22k_mono.asf")),
        Duration::from_secs(30),
    );
    assert!(out.status.success());
    let ev = events(&out.stdout);
    assert_eq!(ev.last().unwrap()["event"], "end");
}

#[test]
fn bad_inputs_give_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(asset("pcm_s16_8k_mono.asf")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("text", b"hello, this is not ASF at all\n".to_vec()),
        ("truncated header", good[..200].to_vec()),
        ("header only", good[..good.len().min(5000)].to_vec()),
        ("zero packet size", {
            let mut g = good.clone();
            // File Properties is the first header child: min and max packet size at 92..100.
            g[30 + 92..30 + 100].copy_from_slice(&[0; 8]);
            g
        }),
        ("absurd header size", {
            let mut g = good.clone();
            g[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
            g
        }),
    ];
    for (what, bytes) in cases {
        let p = dir.path().join(format!("{}.asf", what.replace(' ', "_")));
        std::fs::write(&p, &bytes).unwrap();
        let out = run_with_deadline(
            mmsplay().args(["--headless", "--output", "null"]).arg(&p),
            Duration::from_secs(20),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        if what == "header only" {
            // A file whose packets are cut short plays what it has.
            assert!(out.status.code().is_some(), "{what}: killed by a signal");
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        let last = stderr.lines().last().unwrap_or("");
        assert!(last.starts_with("mmsplay: "), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = run_with_deadline(mmsplay().args(["--bogus-flag"]), Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_option_values_are_usage_errors() {
    for args in [
        &["--headless", "--transports", "rtspu,ftp", "x.asf"][..],
        &["--headless", "--port", "gopher=70", "x.asf"],
        &["--headless", "--output", "speaker", "x.asf"],
        &["--headless", "--duration", "0", "x.asf"],
        &["--headless"],
        &["serve", "--udp-loss", "3", "x.asf"],
    ] {
        let out = run_with_deadline(mmsplay().args(args), Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.lines().count(),
            1,
            "{args:?}: one clear line, got {stderr}"
        );
    }
}

/// A file with two PCM audio streams: stream 1 at 8 kHz (low bitrate) holds a ramp up, stream 2
/// at 16 kHz (higher bitrate) a ramp down.
fn two_stream_file(dir: &std::path::Path) -> std::path::PathBuf {
    use mmsplay_asf::{AudioStreamSpec, HeaderSpec, Packetizer, WaveFormatEx, write_header};
    let mut p = Packetizer::new(2000);
    for i in 0..20u32 {
        let up: Vec<u8> = (0..800u32)
            .flat_map(|k| ((k * 40) as i16).to_le_bytes())
            .collect();
        let down: Vec<u8> = (0..1600u32)
            .flat_map(|k| (-((k * 20) as i16)).to_le_bytes())
            .collect();
        p.push_object(1, 100 + i * 100, true, &up);
        p.push_object(2, 100 + i * 100, true, &down);
    }
    p.flush();
    let packets = p.take_packets();
    let stream = |number, rate| AudioStreamSpec {
        number,
        format: WaveFormatEx::pcm(1, rate, 16),
        spread: None,
        bitrate: rate * 16,
    };
    let spec = HeaderSpec {
        packet_size: 2000,
        data_packets: packets.len() as u64,
        play_duration: 21_000_000 + 1_000_000,
        preroll_ms: 100,
        streams: vec![stream(1, 8000), stream(2, 16000)],
        ..Default::default()
    };
    let mut file = write_header(&spec);
    for pk in packets {
        file.extend_from_slice(&pk);
    }
    let path = dir.join("two_streams.asf");
    std::fs::write(&path, file).unwrap();
    path
}

#[test]
fn the_best_stream_is_chosen_unless_one_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_stream_file(dir.path());
    let (audio, ev) = play_to_wav(path.to_str().unwrap(), &[]);
    let s = ev.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(s["stream_number"], 2, "the higher bitrate stream");
    assert_eq!(audio.rate, 16000);
    assert!(audio.samples[10] < 0.0);
    let (audio, ev) = play_to_wav(path.to_str().unwrap(), &["--stream", "1"]);
    let s = ev.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(s["stream_number"], 1);
    assert_eq!((audio.rate, audio.frames()), (8000, 16000));
    assert!(audio.samples[10] > 0.0);
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--output", "null", "--stream", "7"])
            .arg(&path),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stream 7"));
}
