//! WMA Pro decoding speed against ffmpeg, in the same run (a plain `harness = false` bench).
//!
//! The input is the Microsoft-encoded `wma92-48k-pro.wma` (fetched by .ci/run into
//! target/third-party; 44.1 kHz stereo, 1 s): its WMA packets are repeated 600 times with
//! consecutive sequence numbers and written as one ASF file, so both decoders work through
//! the same ~10 min of real WMA Pro frames (long enough that ffmpeg's start-up hardly
//! counts). Prints our decode time (demuxing done beforehand, not timed) beside
//! `ffmpeg -i FILE -f null -` on that file, and their ratio.
//!
//! Where our time goes (perf, this file): the IMDCT (symphonia-core's, with rustfft) about a
//! third, coefficient decoding (Huffman lookups, signs, run-level) under a third, the
//! windowed overlap about an eighth, the rest frame and scale-factor logic, band gains
//! (`exp2`) and copying.
//! Run: `cargo bench -p mmsplay-wma --bench decode_pro`.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use mmsplay_asf::{AudioStreamSpec, HeaderSpec, Packetizer, write_header};
use mmsplay_wma::codec_params_from_waveformatex;
use support::{ffmpeg_null, report, time_decoder};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration as Dur, Timestamp};

const REPEATS: usize = 600;

fn main() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/third-party/Audio-Scan-1.01/t/asf/wma92-48k-pro.wma");
    let Ok(file) = std::fs::read(&src) else {
        println!(
            "decode_pro bench skipped: {} not found (bash .ci/run fetches it)",
            src.display()
        );
        return;
    };
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("decode_pro bench skipped: ffmpeg not found");
        return;
    }
    let layout = mmsplay_asf::FileLayout::parse(&file, file.len() as u64).expect("ASF");
    let stream = layout
        .header
        .streams
        .iter()
        .find(|s| s.audio.is_some())
        .expect("audio");
    let format = stream.audio.clone().expect("audio format");
    let ba = usize::from(format.block_align);
    let mut demuxer = mmsplay_asf::Demuxer::new(&layout.header, stream.number);
    let mut data = Vec::new();
    for p in layout.packets(&file) {
        let _ = demuxer.push_packet(p);
        while let Some(o) = demuxer.pop() {
            data.extend_from_slice(&o.data);
        }
    }
    // The WMA packets, repeated, with the 4-bit sequence numbers made consecutive.
    let one: Vec<&[u8]> = data.chunks_exact(ba).collect();
    let mut wma_packets = Vec::new();
    for k in 0..REPEATS * one.len() {
        let mut p = one[k % one.len()].to_vec();
        p[0] = (p[0] & 0x0F) | (((k & 15) as u8) << 4);
        wma_packets.push(p);
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench_pro.wma");
    let packet_size = 16_000u32;
    let mut pz = Packetizer::new(packet_size);
    for (i, p) in wma_packets.iter().enumerate() {
        pz.push_object(stream.number, 100 + (i * 250) as u32, true, p);
    }
    pz.flush();
    let asf_packets = pz.take_packets();
    let mut out = write_header(&HeaderSpec {
        packet_size,
        data_packets: asf_packets.len() as u64,
        play_duration: (REPEATS as u64 * 1000 + 100) * 10_000,
        preroll_ms: 100,
        streams: vec![AudioStreamSpec {
            number: stream.number,
            format: format.clone(),
            spread: None,
            bitrate: 48_000,
        }],
        ..Default::default()
    });
    for p in asf_packets {
        out.extend_from_slice(&p);
    }
    std::fs::write(&path, &out).expect("write bench file");

    let params = codec_params_from_waveformatex(&stream.type_specific).expect("params");
    let packets: Vec<Packet> = wma_packets
        .iter()
        .map(|p| Packet::new(0, Timestamp::new(0), Dur::new(0), p.clone()))
        .collect();
    let (ours, samples) = time_decoder(&params, &packets);
    let ffmpeg = ffmpeg_null(&path);
    // ffmpeg's fixed start-up cost: the same stream with one repetition.
    let short = dir.path().join("short.wma");
    std::fs::copy(&src, &short).expect("copy");
    let startup = ffmpeg_null(&short);
    let audio_s = samples as f64 / f64::from(format.sample_rate);
    println!(
        "file: wma92-48k-pro.wma × {REPEATS} (WMA 10 Pro LBR, 44.1 kHz stereo), {} WMA packets",
        packets.len()
    );
    report(ours, audio_s, samples, ffmpeg, startup, "the 1 s original");
}
