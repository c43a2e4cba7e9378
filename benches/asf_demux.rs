//! ASF demux throughput on a large generated file, beside ffmpeg demuxing the same file
//! (`ffmpeg -i FILE -c copy -f null -`) in the same run. Prints MB/s and the ratio.
//!
//! Run: `cargo bench --bench asf_demux`

use std::process::Command;
use std::time::Instant;

use mmsplay_asf::{
    AudioStreamSpec, Demuxer, FileLayout, HeaderSpec, Packetizer, WaveFormatEx, write_header,
};

/// About 128 MiB of 3200-byte packets carrying 743-byte objects (a WMA v2 128 kb/s shape).
fn generate() -> Vec<u8> {
    let packet_size = 3200;
    let mut p = Packetizer::new(packet_size);
    let object: Vec<u8> = (0..743u32).map(|i| (i * 31) as u8).collect();
    let objects = 128 * 1024 * 1024 / 743;
    for i in 0..objects {
        p.push_object(1, 3100 + (i as u32) * 46, true, &object);
    }
    p.flush();
    let packets = p.take_packets();
    let spec = HeaderSpec {
        packet_size,
        data_packets: packets.len() as u64,
        play_duration: objects as u64 * 46 * 10_000,
        preroll_ms: 3100,
        streams: vec![AudioStreamSpec {
            number: 1,
            format: WaveFormatEx {
                format_tag: 0x0161,
                channels: 2,
                sample_rate: 44_100,
                avg_bytes_per_sec: 16_000,
                block_align: 743,
                bits_per_sample: 16,
                extra: vec![0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            },
            spread: None,
            bitrate: 128_000,
        }],
        ..Default::default()
    };
    let mut file = write_header(&spec);
    for pk in packets {
        file.extend_from_slice(&pk);
    }
    file
}

fn demux(file: &[u8]) -> (u64, u64) {
    let layout = FileLayout::parse(file, file.len() as u64).expect("layout");
    let mut d = Demuxer::new(&layout.header, 1);
    let (mut objects, mut bytes) = (0u64, 0u64);
    for pk in layout.packets(file) {
        let _ = d.push_packet(pk);
        while let Some(o) = d.pop() {
            objects += 1;
            bytes += o.data.len() as u64;
        }
    }
    (objects, bytes)
}

fn main() {
    let file = generate();
    let mb = file.len() as f64 / 1e6;
    let mut best = f64::MAX;
    let mut objects = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let (o, _) = demux(&file);
        best = best.min(t.elapsed().as_secs_f64());
        objects = o;
    }
    println!(
        "mmsplay-asf: {mb:.0} MB, {objects} objects in {best:.3} s = {:.0} MB/s",
        mb / best
    );

    let dir = std::env::temp_dir().join(format!("mmsplay-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("big.asf");
    if std::fs::write(&path, &file).is_err() {
        return;
    }
    let mut ff = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let ok = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-i"])
            .arg(&path)
            .args(["-c", "copy", "-f", "null", "-"])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            println!("ffmpeg: not available, no ratio");
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        ff = ff.min(t.elapsed().as_secs_f64());
    }
    println!("ffmpeg -c copy: {ff:.3} s = {:.0} MB/s", mb / ff);
    println!("ratio (mmsplay time / ffmpeg time): {:.2}", best / ff);
    let _ = std::fs::remove_dir_all(&dir);
}
