//! Decoding speed against ffmpeg, in the same run (a plain `harness = false` bench).
//!
//! Generates a 60 s WMA v2 128 kb/s stereo file with ffmpeg in a temporary directory, decodes
//! it with `WmaDecoder` (demuxing done beforehand, not timed) and times
//! `ffmpeg -i FILE -f null -` on the same file. Prints both times and their ratio.
//! Run: `cargo bench -p mmsplay-wma --bench decode`.

use std::process::Command;
use std::time::{Duration, Instant};

use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration as Dur, Timestamp};

/// The raw decoder output, as FFmpeg's `-flags2 +skip_manual` gives it: no gapless trim.
fn raw() -> AudioDecoderOptions {
    let mut o = AudioDecoderOptions::default();
    o.gapless = false;
    o
}

fn best_of<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("decode bench skipped: ffmpeg not found");
        return;
    }
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
    let layout = mmsplay_asf::FileLayout::parse(&file, file.len() as u64).expect("ASF");
    let stream = layout
        .header
        .streams
        .iter()
        .find(|s| s.audio.is_some())
        .expect("audio");
    let mut demuxer = mmsplay_asf::Demuxer::new(&layout.header, stream.number);
    let mut packets = Vec::new();
    for p in layout.packets(&file) {
        let _ = demuxer.push_packet(p);
        while let Some(o) = demuxer.pop() {
            packets.push(Packet::new(0, Timestamp::new(0), Dur::new(0), o.data));
        }
    }
    let params = codec_params_from_waveformatex(&stream.type_specific).expect("params");

    let mut samples = 0usize;
    let ours = best_of(5, || {
        let mut dec = WmaDecoder::try_new(&params, &raw()).expect("dec");
        samples = 0;
        for p in &packets {
            if let Ok(buf) = dec.decode(p) {
                samples += buf.frames();
            }
        }
    });
    let ffmpeg = best_of(5, || {
        let ok = Command::new("ffmpeg")
            .args(["-v", "error", "-threads", "1", "-i"])
            .arg(&path)
            .args(["-f", "null", "-"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ffmpeg decode failed");
    });
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
        best_of(5, || {
            let _ = Command::new("ffmpeg")
                .args(["-v", "error", "-threads", "1", "-i"])
                .arg(&short)
                .args(["-f", "null", "-"])
                .status();
        })
    } else {
        Duration::ZERO
    };
    let audio_s = samples as f64 / 44100.0;
    println!(
        "file: 60 s WMA v2 128 kb/s stereo 44.1 kHz, {} packets",
        packets.len()
    );
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
            "ffmpeg start-up on a 0.1 s file: {:.2} ms; ffmpeg decode-only estimate {:.2} ms; \
             ratio against that: {:.3}",
            startup.as_secs_f64() * 1e3,
            ff_decode.as_secs_f64() * 1e3,
            ours.as_secs_f64() / ff_decode.as_secs_f64()
        );
    }
}
