//! Parity with FFmpeg on files made by Microsoft's encoders (fetched by .ci/run into
//! target/third-party; provenance in tests/data/SOURCES.md). Unlike ffmpeg's encoder, these
//! use the bit reservoir, variable block lengths, exponent reuse, LSP exponents and noise
//! substitution; each test also checks that the features it is meant to cover were met.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

fn check(name: &str, audio_index: usize) -> Option<Decoded> {
    let path = ms_file(name)?;
    let ours = decode_stream(&path, audio_index);
    assert!(
        ours.superframes.iter().all(|s| s.is_ok()),
        "{name}: {:?}",
        ours.superframes
    );
    if require_ffmpeg().is_some() {
        let reference = ffmpeg_reference_stream(&path, audio_index, ours.planes.len());
        assert_parity(name, &ours, &reference);
    }
    println!(
        "{name}#{audio_index}: flags2 {:#06x} {:?}",
        ours.flags2, ours.stats
    );
    Some(ours)
}

/// 44.1 kHz stereo 128 kb/s (mutagen's issue_29.wma): reservoir, all five block sizes, M/S.
#[test]
fn issue_29_reservoir_and_five_block_sizes() {
    let Some(d) = check("issue_29.wma", 0) else {
        return;
    };
    assert_eq!(d.flags2, 0x000F);
    assert!(d.stats.reservoir_frames > 0);
    assert!(
        d.stats.blocks_per_size.iter().all(|&n| n > 0),
        "{:?}",
        d.stats.blocks_per_size
    );
    assert!(d.stats.mid_side_blocks > 0);
}

/// 22.05 kHz stereo 32 kb/s: reservoir, variable blocks, exponent reuse.
#[test]
fn wma92_32k_exponent_reuse() {
    let Some(d) = check("wma92-32k.wma", 0) else {
        return;
    };
    assert!(d.stats.reservoir_frames > 0);
    assert!(d.stats.exponents_reused > 0);
    assert!(d.stats.blocks_per_size[1..].iter().any(|&n| n > 0));
}

/// 44.1 kHz stereo VBR 48 kb/s: reservoir, five block sizes, exponent reuse.
#[test]
fn wma92_vbr() {
    let Some(d) = check("wma92-vbr.wma", 0) else {
        return;
    };
    assert!(d.stats.reservoir_frames > 0);
    assert!(d.stats.exponents_reused > 0);
    assert!(d.stats.blocks_per_size[4] > 0);
}

/// Multiple-bit-rate file, 16 kHz mono 10 kb/s stream: LSP exponents with noise substitution.
#[test]
fn wma92_mbr_16k_lsp_and_noise() {
    let Some(d) = check("wma92-mbr.wma", 0) else {
        return;
    };
    assert!(d.stats.exponents_lsp > 0 && d.stats.exponents_vlc == 0);
    assert!(d.stats.noise_bands > 0);
    assert!(d.stats.reservoir_frames > 0);
    assert!(d.stats.exponents_reused > 0);
}

/// The same file's 8 kHz mono 8 kb/s stream: LSP exponents, short blocks.
#[test]
fn wma92_mbr_8k_lsp() {
    let Some(d) = check("wma92-mbr.wma", 1) else {
        return;
    };
    assert!(d.stats.exponents_lsp > 0);
    assert!(d.stats.blocks_per_size[1] > 0);
}

/// The audio of a WMV, 32 kHz stereo 32 kb/s: Huffman exponents with noise substitution,
/// M/S, reservoir, five block sizes.
#[test]
fn wmv92_audio_noise_substitution() {
    let Some(d) = check("wmv92-with-audio.wmv", 0) else {
        return;
    };
    assert!(d.stats.exponents_vlc > 0);
    assert!(d.stats.noise_bands > 0);
    assert!(d.stats.mid_side_blocks > 0);
    assert!(d.stats.reservoir_frames > 0);
}
