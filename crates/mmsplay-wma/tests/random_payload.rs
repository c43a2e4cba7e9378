//! Random-payload parity (wma-decoder.md §8.3): ffmpeg-made files whose payload bytes are
//! replaced by seeded random bytes and whose flags2 (and optionally bit rate) are patched.
//! ffmpeg decodes a good share of such superframes; we must produce the same samples and
//! reject exactly the same superframes. This reaches LSP exponents in v1 and v2, noise
//! substitution with its gain code, variable block lengths with noise, and many error paths
//! that no encoder produces.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

/// xorshift64*: a small deterministic generator for the payload bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
    }
}

/// Writes a patched copy of fixture `base` into `dir` and returns its path.
fn make_file(
    dir: &std::path::Path,
    base: &str,
    flags2: u16,
    avg_bytes_per_sec: Option<u32>,
    seed: u64,
) -> std::path::PathBuf {
    let mut file = std::fs::read(data_path(base)).unwrap();
    let layout = mmsplay_asf::FileLayout::parse(&file, file.len() as u64).unwrap();
    let stream = layout
        .header
        .streams
        .iter()
        .find(|s| s.audio.is_some())
        .unwrap();
    let wfx = stream.type_specific.clone();
    let at = file
        .windows(wfx.len())
        .position(|w| w == wfx.as_slice())
        .unwrap();
    let version_offset = if wfx[0] == 0x60 { 2 } else { 4 };
    file[at + 18 + version_offset..at + 20 + version_offset].copy_from_slice(&flags2.to_le_bytes());
    if let Some(b) = avg_bytes_per_sec {
        file[at + 8..at + 12].copy_from_slice(&b.to_le_bytes());
    }
    // Payload byte ranges, found by parsing every data packet.
    let mut ranges = Vec::new();
    let base_ptr = file.as_ptr() as usize;
    for p in layout.packets(&file) {
        let mut payloads = Vec::new();
        mmsplay_asf::parse_packet(p, layout.packet_size, &mut payloads).unwrap();
        for pl in payloads {
            if let mmsplay_asf::PayloadData::Fragment { data, .. } = pl.data {
                ranges.push((data.as_ptr() as usize - base_ptr, data.len()));
            }
        }
    }
    assert!(!ranges.is_empty());
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    for (start, len) in ranges {
        for b in &mut file[start..start + len] {
            *b = rng.next();
        }
    }
    let path = dir.join(format!("fuzz_{base}_{flags2:04x}_{seed}.wma"));
    std::fs::write(&path, &file).unwrap();
    path
}

fn check(base: &str, flags2: u16, avg_bytes_per_sec: Option<u32>) {
    if require_ffmpeg().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut decoded_any = false;
    for seed in 1..=4 {
        let path = make_file(dir.path(), base, flags2, avg_bytes_per_sec, seed);
        let ours = decode_file(&path);
        let ok = ours.superframes.iter().filter(|s| s.is_ok()).count();
        let reference = ffmpeg_reference(&path, ours.planes.len());
        let name = format!("{base} flags2 {flags2:#06x} seed {seed} ({ok} superframes decoded)");
        assert_eq!(
            ours.planes[0].len(),
            reference[0].len(),
            "{name}: output length"
        );
        assert_parity(&name, &ours, &reference);
        decoded_any |= ok > 0;
    }
    assert!(
        decoded_any,
        "{base} {flags2:#06x}: no superframe decoded, nothing compared"
    );
}

#[test]
fn v1_stereo_lsp() {
    check("wmav1_22050_2ch_64k_noise.wma", 0x0000, None);
}

#[test]
fn v1_stereo_lsp_variable_blocks_noise() {
    check("wmav1_22050_2ch_64k_noise.wma", 0x001C, None);
}

#[test]
fn v1_mono_lsp_noise_variable_blocks() {
    check("wmav1_44100_1ch_24k_noise.wma", 0x0004, None);
}

#[test]
fn v2_mono_lsp_noise() {
    check("wmav2_44100_1ch_24k_music.wma", 0x0000, None);
}

#[test]
fn v2_mono_vlc_noise() {
    check("wmav2_44100_1ch_24k_music.wma", 0x0001, None);
}

#[test]
fn v2_mono_vlc_noise_variable_blocks() {
    check("wmav2_44100_1ch_24k_music.wma", 0x0005, None);
}

#[test]
fn v2_stereo_lsp_variable_blocks() {
    check("wmav2_44100_2ch_128k_music.wma", 0x001C, None);
}

#[test]
fn v2_stereo_vlc_variable_blocks() {
    check("wmav2_44100_2ch_128k_music.wma", 0x001D, None);
}

#[test]
fn v2_quirk_000d_fixed_blocks() {
    check("wmav2_22050_1ch_24k_noise.wma", 0x000D, None);
}

/// 8 kHz mono at 5.6 kb/s: the ×0.65 noise row, below the encoder's minimum bit rate.
#[test]
fn v2_8k_low_rate_noise_row() {
    check("wmav2_8000_1ch_24k_tone.wma", 0x0001, Some(700));
}

/// 22.05 kHz mono at 12 kb/s: the ×0.6 noise row, LSP exponents.
#[test]
fn v2_22k_low_rate_lsp() {
    check("wmav2_22050_1ch_24k_noise.wma", 0x0000, Some(1500));
}
