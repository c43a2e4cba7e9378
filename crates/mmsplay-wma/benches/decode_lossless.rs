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

#[path = "support/mod.rs"]
mod support;
#[path = "../tests/common/mod.rs"]
mod tests_common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mmsplay_wma::codec_params_from_waveformatex;
use support::{ffmpeg_null, report, time_decoder};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration as Dur, Timestamp};
use tests_common::demux;
use tests_common::lossless::wav_wrap;

const REPEAT: usize = 60;

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
    let asf = demux(&file, 0);
    let (wfx, one) = (asf.wfx, asf.objects);
    let packets = repeat(&one, REPEAT);
    let dir = tempfile::tempdir().expect("temp dir");
    let long = dir.path().join("lossless_long.wav");
    let short = dir.path().join("lossless_once.wav");
    std::fs::write(&long, wav_wrap(&wfx, &packets)).expect("write");
    std::fs::write(&short, wav_wrap(&wfx, &one)).expect("write");

    let params = codec_params_from_waveformatex(&wfx).expect("params");
    let pkts: Vec<Packet> = packets
        .iter()
        .map(|p| Packet::new(0, Timestamp::new(0), Dur::new(0), p.clone()))
        .collect();
    let (ours, samples) = time_decoder(&params, &pkts);
    let ffmpeg = ffmpeg_null(&long);
    let once = ffmpeg_null(&short);
    println!(
        "file: wma92-lossless.wma ×{REPEAT} (WMA Lossless 44.1 kHz stereo 16-bit, MCLMS + \
         CDLMS 64/16), {} packets, {:.1} s",
        pkts.len(),
        samples as f64 / 44100.0
    );
    // Start-up S and per-repetition decode time D from once = S + D, long = S + REPEAT·D.
    let r = REPEAT as f64;
    let startup_s = (r * once.as_secs_f64() - ffmpeg.as_secs_f64()) / (r - 1.0);
    let startup = Duration::from_secs_f64(startup_s.max(0.0));
    let audio_s = samples as f64 / 44100.0;
    report(
        ours,
        audio_s,
        samples,
        ffmpeg,
        startup,
        "one repetition (estimated)",
    );
}
