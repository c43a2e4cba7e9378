//! Decoding speed against ffmpeg, in the same run (a plain `harness = false` bench).
//!
//! WMA v2: generates a 60 s 128 kb/s stereo file with ffmpeg in a temporary directory, decodes
//! it with `WmaDecoder` (demuxing done beforehand, not timed) and times
//! `ffmpeg -i FILE -f null -` on the same file. Prints both times and their ratio.
//!
//! WMA Voice: ffmpeg has no Voice encoder, so the bench uses the Microsoft-encoded
//! `wma92-voice.wma` (fetched by `.ci/run` into target/third-party), played 60 times over:
//! `ffmpeg -stream_loop 59` on our side is 60 passes with a `reset` between them (ffmpeg's loop
//! flushes its decoder the same way).
//! Run: `cargo bench -p mmsplay-wma --bench decode` (`MMSPLAY_BENCH=voice` or `=wmav2` for one).

#[path = "support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Duration;

use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use support::{best_of, ffmpeg_null, report, time_decoder};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration as Dur, Timestamp};

/// The raw decoder output, as FFmpeg's `-flags2 +skip_manual` gives it: no gapless trim.
fn raw() -> AudioDecoderOptions {
    let mut o = AudioDecoderOptions::default();
    o.gapless = false;
    o
}

fn main() {
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("decode bench skipped: ffmpeg not found");
        return;
    }
    // MMSPLAY_BENCH=wmav2 or =voice runs one of the two (e.g. under `perf stat`).
    let only = std::env::var("MMSPLAY_BENCH").unwrap_or_default();
    if only.is_empty() || only == "wmav2" {
        wmav2_bench();
    }
    if only.is_empty() || only == "voice" {
        voice_bench();
    }
}

/// The media objects and WAVEFORMATEX of the first audio stream of an ASF file.
fn demux_audio(file: &[u8]) -> (Vec<u8>, Vec<Packet>) {
    let layout = mmsplay_asf::FileLayout::parse(file, file.len() as u64).expect("ASF");
    let stream = layout
        .header
        .streams
        .iter()
        .find(|s| s.audio.is_some())
        .expect("audio");
    let mut demuxer = mmsplay_asf::Demuxer::new(&layout.header, stream.number);
    let mut packets = Vec::new();
    for p in layout.packets(file) {
        let _ = demuxer.push_packet(p);
        while let Some(o) = demuxer.pop() {
            packets.push(Packet::new(0, Timestamp::new(0), Dur::new(0), o.data));
        }
    }
    demuxer.flush();
    while let Some(o) = demuxer.pop() {
        packets.push(Packet::new(0, Timestamp::new(0), Dur::new(0), o.data));
    }
    (stream.type_specific.clone(), packets)
}

fn voice_bench() {
    const PASSES: usize = 60;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/third-party/Audio-Scan-1.01/t/asf/wma92-voice.wma");
    let Ok(file) = std::fs::read(&path) else {
        println!(
            "voice bench skipped: {} not found (bash .ci/run fetches it)",
            path.display()
        );
        return;
    };
    let (wfx, packets) = demux_audio(&file);
    let params = codec_params_from_waveformatex(&wfx).expect("params");
    let mut samples = 0usize;
    let ours = best_of(5, || {
        let mut dec = WmaDecoder::try_new(&params, &raw()).expect("dec");
        samples = 0;
        for _ in 0..PASSES {
            for p in &packets {
                if let Ok(buf) = dec.decode(p) {
                    samples += buf.frames();
                }
            }
            samples += dec.flush().frames();
            dec.reset();
        }
    });
    let ffmpeg = best_of(5, || {
        let ok = Command::new("ffmpeg")
            // -v fatal: the null muxer complains (harmlessly) about the looped timestamps.
            .args(["-v", "fatal", "-threads", "1", "-stream_loop"])
            .arg((PASSES - 1).to_string())
            .arg("-i")
            .arg(&path)
            .args(["-f", "null", "-"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ffmpeg decode failed");
    });
    // ffmpeg's fixed start-up cost: the same file decoded once.
    let once = best_of(5, || {
        let _ = Command::new("ffmpeg")
            .args(["-v", "error", "-threads", "1", "-i"])
            .arg(&path)
            .args(["-f", "null", "-"])
            .status();
    });
    let audio_s = samples as f64 / 22050.0;
    println!(
        "file: wma92-voice.wma (WMA 9 Voice, 22.05 kHz mono 20 kb/s, postfilter on) x {PASSES} = {audio_s:.1} s"
    );
    println!(
        "mmsplay-wma: {:8.2} ms ({:.0}x real time, {samples} samples)",
        ours.as_secs_f64() * 1e3,
        audio_s / ours.as_secs_f64()
    );
    println!(
        "ffmpeg -stream_loop {} -i FILE -f null -: {:8.2} ms (whole process)",
        PASSES - 1,
        ffmpeg.as_secs_f64() * 1e3
    );
    println!(
        "ratio mmsplay/ffmpeg: {:.3} (best of 5 each)",
        ours.as_secs_f64() / ffmpeg.as_secs_f64()
    );
    // One pass costs ffmpeg its start-up plus 1/60 of the decoding, so the difference of the
    // two runs is 59/60 of its decode time.
    let ff_decode = ffmpeg
        .saturating_sub(once)
        .mul_f64(PASSES as f64 / (PASSES - 1) as f64);
    if !ff_decode.is_zero() {
        println!(
            "ffmpeg single pass: {:.2} ms; ffmpeg decode-only estimate {:.2} ms; ratio against that: {:.3}",
            once.as_secs_f64() * 1e3,
            ff_decode.as_secs_f64() * 1e3,
            ours.as_secs_f64() / ff_decode.as_secs_f64()
        );
    }
}

fn wmav2_bench() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench_60s_wmav2_128k.wma");
    let music = "aevalsrc=exprs='0.3*exp(-2*mod(t\\,0.5))*(sin(2*PI*261.6*t+2*sin(2*PI*5*t))\
                 +0.7*sin(2*PI*329.6*t)+0.5*sin(2*PI*392*t))+0.1*(2*random(0)-1)\
                 |0.25*exp(-3*mod(t+0.2\\,0.4))*(sin(2*PI*196*t)+0.6*sin(2*PI*293.7*t))\
                 +0.1*(2*random(1)-1)':s=44100:d=60";
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", music])
        .args(["-ac", "2", "-c:a", "wmav2", "-b:a", "128k"])
        .arg(&path)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg could not make the bench file");

    let file = std::fs::read(&path).expect("read bench file");
    let (wfx, packets) = demux_audio(&file);
    let params = codec_params_from_waveformatex(&wfx).expect("params");

    let (ours, samples) = time_decoder(&params, &packets);
    let ffmpeg = ffmpeg_null(&path);
    // ffmpeg's fixed start-up cost, measured on a 0.1 s file, to estimate its decode time.
    let short = dir.path().join("short.wma");
    let made = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=d=0.1:r=44100",
        ])
        .args(["-ac", "2", "-c:a", "wmav2", "-b:a", "128k"])
        .arg(&short)
        .status()
        .is_ok_and(|s| s.success());
    let startup = if made {
        ffmpeg_null(&short)
    } else {
        Duration::ZERO
    };
    let audio_s = samples as f64 / 44100.0;
    println!(
        "file: 60 s WMA v2 128 kb/s stereo 44.1 kHz, {} packets",
        packets.len()
    );
    report(ours, audio_s, samples, ffmpeg, startup, "a 0.1 s file");
}
