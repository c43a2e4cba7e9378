//! WMA Lossless decoding speed against ffmpeg, in the same run (a plain `harness = false`
//! bench).
//!
//! ffmpeg cannot encode WMA Lossless, so the bench builds a long stream from the real
//! Microsoft-encoded sample (Audio::Scan's `wma92-lossless.wma`, fetched by `.ci/run` into
//! `target/third-party/`): its packets repeated 60 times with renumbered sequence numbers.
//! Every repetition starts with a seekable tile and its first packet finishes no earlier
//! frame, so the result is a valid stream. It is written as a WAV file (ffmpeg decodes WMA
//! Lossless in WAV exactly as in ASF). We decode the packets with `WmaDecoder` (no I/O) and
//! time `ffmpeg -i FILE -f null -` on the same file; ffmpeg's start-up is estimated on a
//! one-repetition file and subtracted for a second ratio.
//! Run: `cargo bench -p mmsplay-wma --bench decode_lossless`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration as Dur, Timestamp};

const REPEAT: usize = 60;

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

/// The WAVEFORMATEX and packets of the file's audio stream.
fn demux(file: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
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
            packets.push(o.data);
        }
    }
    (stream.type_specific.clone(), packets)
}

/// `packets` repeated `times` times, with sequence numbers (the top 4 bits) counting on.
fn repeat(packets: &[Vec<u8>], times: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for _ in 0..times {
        for p in packets {
            let mut p = p.clone();
            p[0] = ((out.len() & 15) as u8) << 4 | (p[0] & 0x0F);
            out.push(p);
        }
    }
    out
}

fn wav(wfx: &[u8], packets: &[Vec<u8>]) -> Vec<u8> {
    let data = packets.concat();
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&((4 + 8 + wfx.len() + 8 + data.len()) as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&(wfx.len() as u32).to_le_bytes());
    w.extend_from_slice(wfx);
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(data.len() as u32).to_le_bytes());
    w.extend_from_slice(&data);
    w
}

fn ffmpeg_time(path: &Path) -> Duration {
    best_of(5, || {
        let ok = Command::new("ffmpeg")
            .args(["-v", "error", "-threads", "1", "-i"])
            .arg(path)
            .args(["-f", "null", "-"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ffmpeg decode failed");
    })
}

fn main() {
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("lossless bench skipped: ffmpeg not found");
        return;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/third-party/Audio-Scan-1.01/t/asf/wma92-lossless.wma");
    let Ok(file) = std::fs::read(&src) else {
        println!(
            "lossless bench skipped: {} missing (bash .ci/run fetches it)",
            src.display()
        );
        return;
    };
    let (wfx, one) = demux(&file);
    let packets = repeat(&one, REPEAT);
    let dir = tempfile::tempdir().expect("temp dir");
    let long = dir.path().join("lossless_long.wav");
    let short = dir.path().join("lossless_once.wav");
    std::fs::write(&long, wav(&wfx, &packets)).expect("write");
    std::fs::write(&short, wav(&wfx, &one)).expect("write");

    let params = codec_params_from_waveformatex(&wfx).expect("params");
    let mut opts = AudioDecoderOptions::default();
    opts.gapless = false;
    let pkts: Vec<Packet> = packets
        .iter()
        .map(|p| Packet::new(0, Timestamp::new(0), Dur::new(0), p.clone()))
        .collect();
    let mut samples = 0usize;
    let ours = best_of(5, || {
        let mut dec = WmaDecoder::try_new(&params, &opts).expect("decoder");
        samples = 0;
        for p in &pkts {
            if let Ok(buf) = dec.decode(p) {
                samples += buf.frames();
            }
        }
        samples += dec.flush().frames();
    });
    let ffmpeg = ffmpeg_time(&long);
    let startup = ffmpeg_time(&short);
    let audio_s = samples as f64 / 44100.0;
    println!(
        "file: wma92-lossless.wma ×{REPEAT} (WMA Lossless 44.1 kHz stereo 16-bit, MCLMS + \
         CDLMS 64/16), {} packets, {audio_s:.1} s",
        pkts.len()
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
    let once = startup.as_secs_f64() * (REPEAT as f64) / (REPEAT as f64 - 1.0)
        - ffmpeg.as_secs_f64() / (REPEAT as f64 - 1.0);
    let ff_decode = ffmpeg.as_secs_f64() - once;
    if ff_decode > 0.0 {
        println!(
            "ffmpeg start-up (from the one-repetition file): {:.2} ms; ffmpeg decode-only \
             estimate {:.2} ms; ratio against that: {:.3}",
            once * 1e3,
            ff_decode * 1e3,
            ours.as_secs_f64() / ff_decode
        );
    }
}
