//! WMA Pro's Huffman decoders, built once from the transcribed tables (see `tables`).

use std::sync::LazyLock;

use crate::codebooks::Vlc;
use crate::pro::tables::*;

/// Every prefix code of WMA Pro.
pub(crate) struct Codes {
    /// Scale-factor DPCM deltas (symbol − 60).
    pub(crate) scale: Vlc,
    /// Scale-factor run-level deltas (0 = escape, 1 = end).
    pub(crate) scale_rl: Vlc,
    /// Coefficient run-level codes, tables 0 and 1 (0 = escape, 1 = end of block).
    pub(crate) coef: [Vlc; 2],
    /// Four, two and one coefficient magnitudes; the last symbol of each escapes.
    pub(crate) vec4: Vlc,
    pub(crate) vec2: Vlc,
    pub(crate) vec1: Vlc,
    /// The magnitudes of each vec4 / vec2 symbol, as f32.
    pub(crate) vec4_values: Vec<[f32; 4]>,
    pub(crate) vec2_values: Vec<[f32; 2]>,
}

pub(crate) static CODES: LazyLock<Codes> = LazyLock::new(|| Codes {
    scale: Vlc::new(&SCALE_CODES, &SCALE_BITS),
    scale_rl: Vlc::new(&SCALE_RL_CODES, &SCALE_RL_BITS),
    coef: [
        Vlc::new(&COEF0_CODES, &COEF0_BITS),
        Vlc::new(&COEF1_CODES, &COEF1_BITS),
    ],
    vec4: Vlc::new(&VEC4_CODES, &VEC4_BITS),
    vec2: Vlc::new(&VEC2_CODES, &VEC2_BITS),
    vec1: Vlc::new(&VEC1_CODES, &VEC1_BITS),
    vec4_values: vec4_values().iter().map(|v| v.map(f32::from)).collect(),
    vec2_values: vec2_values().iter().map(|v| v.map(f32::from)).collect(),
});
