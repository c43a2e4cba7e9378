//! WMA Pro parity with ffmpeg on synthetic streams: random valid syntax (see
//! `pro_support`), wrapped in ASF, decoded by ours and by ffmpeg. Covers the multichannel,
//! 24-bit, 96 kHz and no-length-prefix paths no reachable Microsoft-made file has.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;
mod pro_support;

use common::{demux, ffmpeg_pcm, require_ffmpeg};
use pro_support::*;

/// ((rate, channels, mask, bits, decode flags, block align), frames)
const CONFIGS: &[(StreamLayout, usize)] = &[
    ((48000, 6, 0x3F, 16, 0x58, 12000), 10), // 5.1, 8 subframes
    ((44100, 2, 0x3, 24, 0xE0, 4000), 14),   // stereo 24-bit, DRC, 16 subframes
    ((48000, 8, 0x63F, 24, 0x58, 16000), 8), // 7.1 24-bit
    ((96000, 6, 0x3F, 24, 0x50, 16000), 8),  // 96 kHz 5.1 (4096-sample frames)
    ((96000, 2, 0x3, 16, 0x60, 8000), 10),   // 96 kHz stereo, 16 subframes
    ((44100, 1, 0x4, 16, 0x48, 3000), 14),   // mono, 2 subframes
    ((32000, 4, 0x33, 16, 0x6A, 12000), 8),  // quad, 4096 frames, 32 subframes
    ((22050, 3, 0x7, 16, 0x5C, 3000), 14),   // 3 ch, 512 frames, 64-sample subframes
    ((44100, 2, 0x3, 16, 0x18, 3000), 14),   // no length prefix
    ((48000, 2, 0x3, 16, 0x40, 3000), 12),   // one subframe per frame
    ((44100, 6, 0x3F, 16, 0x20, 6000), 16),  // 5.1 without length prefix, 16 subframes
    ((44100, 5, 0x60F & !0x8, 16, 0xD8, 12000), 10), // 5 ch, side layout without LFE, DRC
];

fn run(spec: &StreamSpec, dir: &std::path::Path) -> f64 {
    let g = generate(spec);
    let objects = group_objects(&g.packets, spec.seed);
    let file = asf_file(spec, &objects);
    let path = dir.join(format!("gen_{}.wma", spec.seed));
    std::fs::write(&path, &file).unwrap();
    // Our decoder sees the same media objects, through the same ASF demuxing as the player.
    let asf = demux(&file, 0);
    assert_eq!(asf.objects, objects, "ASF round trip");
    let ours = decode_objects(&asf.wfx, &asf.objects);
    assert!(
        ours.results.iter().all(Result::is_ok),
        "{spec:?}: {:?}",
        ours.results
    );
    assert_eq!(ours.stats.length_errors, 0, "{spec:?}");
    // The generator's frames have several subframes and some fill bits.
    assert!(
        ours.stats.subframes > ours.stats.frames || spec.flags & 0x38 == 0,
        "{spec:?}"
    );
    assert!(!ours.planes[0].is_empty(), "{spec:?}: no output");
    let reference = ffmpeg_pcm(&path, 0, usize::from(spec.channels), false);
    let name = format!(
        "{} Hz {} ch mask {:#x} {}-bit flags {:#06x} seed {}",
        spec.rate, spec.channels, spec.mask, spec.bits, spec.flags, spec.seed
    );
    // 120 dB: float rounding of the IMDCT is all that may differ.
    assert_pro_parity(&name, &ours.planes, &reference, 120.0)
}

#[test]
fn synthetic_streams_match_ffmpeg() {
    if require_ffmpeg().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut worst = f64::INFINITY;
    let mut count = 0;
    for (i, &(layout, frames)) in CONFIGS.iter().enumerate() {
        for round in 0..2u64 {
            let spec = StreamSpec::new(layout, frames, 1 + i as u64 * 100 + round);
            worst = worst.min(run(&spec, dir.path()));
            count += 1;
        }
    }
    println!("{count} synthetic streams, worst channel {worst:.1} dB");
}
