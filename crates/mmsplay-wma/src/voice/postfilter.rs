//! The "averaged projection" postfilter, run on each half frame (80 samples) when the
//! extradata enables it: the synthesised speech is turned back into its residual, smoothed
//! towards its best-matching pitch period (a Kalman-style blend), re-synthesised, passed
//! through a Wiener-style denoiser built in the frequency domain from the LPC spectrum,
//! brought back to the speech's level, and optionally DC-filtered.
//!
//! Every step follows the reference decoder's (FFmpeg 5.1.9) order of f32/f64 operations; the
//! denoiser's transforms are in `transforms`.

use super::frame_types::Fcb;
use super::lsp::MAX_LSPS;
use super::params::Params;
use super::synth;
use super::tables;
use super::transforms;

/// Samples per postfilter call.
pub(crate) const SIZE: usize = 80;
/// Length of the denoiser's impulse response (and of the tail carried to the next call).
const REMAINDER: usize = 47; // min(127 - SIZE, SIZE - 1)

/// The phase lookup: sine and cosine of (idx − 255 ± ½)·π/512, i.e. over [−π/2, π/2] in 511
/// steps, built from a 256-point sine window as the reference decoder does.
struct PhaseTables {
    sin: [f32; 511],
    cos: [f32; 511],
}

fn phase_tables() -> &'static PhaseTables {
    static T: std::sync::OnceLock<PhaseTables> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        // A quarter-wave sine window of 256 points, mirrored into both tables.
        let mut win = [0f32; 256];
        for (i, w) in win.iter_mut().enumerate() {
            *w = (((i as f64 + 0.5) * (std::f64::consts::PI / 512.0)) as f32).sin();
        }
        let mut sin = [0f32; 511];
        let mut cos = [0f32; 511];
        cos[..256].copy_from_slice(&win);
        sin[255..].copy_from_slice(&win);
        for n in 0..255 {
            sin[n] = -sin[510 - n];
            cos[510 - n] = cos[n];
        }
        PhaseTables { sin, cos }
    })
}

/// What the postfilter carries from one call to the next.
#[derive(Clone)]
pub(crate) struct PostfilterState {
    /// Gain-control memory.
    agc: f32,
    /// DC filter memory.
    dcf: [f32; 2],
    /// The last `lsps` outputs of the re-synthesis filter.
    resynth_mem: [f32; MAX_LSPS],
    /// The denoiser's output beyond the current half frame, added to the next one.
    cache: [f32; REMAINDER],
    /// How much of `cache` is live. A flush clears the contents but keeps this (as the
    /// reference decoder does).
    cache_len: usize,
}

impl PostfilterState {
    pub(crate) fn new() -> PostfilterState {
        PostfilterState {
            agc: 0.0,
            dcf: [0.0; 2],
            resynth_mem: [0.0; MAX_LSPS],
            cache: [0.0; REMAINDER],
            cache_len: 0,
        }
    }

    pub(crate) fn flush(&mut self) {
        self.agc = 0.0;
        self.dcf = [0.0; 2];
        self.resynth_mem = [0.0; MAX_LSPS];
        self.cache = [0.0; REMAINDER];
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut p = 0f32;
    for (x, y) in a.iter().zip(b) {
        p += x * y;
    }
    p
}

/// (x_0 + Σ x_i x_{i+1}) / (1 + Σ x_i²): the first normalised autocorrelation of 1, x.
fn tilt_factor(x: &[f32]) -> f32 {
    let n = x.len();
    let rh0 = (1.0 + f64::from(dot(x, x))) as f32;
    let rh1 = x[0] + dot(x, &x[1..n]);
    rh1 / rh0
}

/// x[i] -= k·x[i−1] for i = n−1 down to 1 (a first-order tilt with zero memory).
fn tilt(x: &mut [f32], k: f32) {
    for i in (1..x.len()).rev() {
        x[i] -= k * x[i - 1];
    }
}

/// Blends the residual towards its best-correlated past period near `pitch`. Returns false
/// when no period correlates positively (the residual is then used as it is).
fn pitch_smooth(p: &Params, pitch: i32, z: &[f32], at: usize, out: &mut [f32; SIZE]) -> bool {
    let cur = &z[at..at + SIZE];
    let first = p.min_pitch.max(pitch - 3);
    let last = p.max_pitch.min(pitch + 3);
    // The candidate lags (the reference tries the first even when the range is empty), at
    // most seven; their correlations are summed side by side, each in its own order.
    let mut lags = [0usize; 7];
    let mut n_lags = 0;
    let mut lag = first;
    loop {
        if lag >= 1 && lag as usize <= at && n_lags < lags.len() {
            lags[n_lags] = lag as usize;
            n_lags += 1;
        }
        lag += 1;
        if lag > last {
            break;
        }
    }
    let mut dots = [0f32; 7];
    for n in 0..SIZE {
        let x = cur[n];
        for (d, &l) in dots[..n_lags].iter_mut().zip(&lags) {
            *d += x * z[at + n - l];
        }
    }
    let mut best_gain = 0f32;
    let mut best: Option<usize> = None;
    for (&d, &l) in dots[..n_lags].iter().zip(&lags) {
        if d > best_gain {
            best_gain = d;
            best = Some(l);
        }
    }
    let Some(lag) = best else { return false };
    let past = &z[at - lag..][..SIZE];
    let energy = dot(past, past);
    if energy <= 0.0 {
        return false;
    }
    let g = if best_gain <= energy {
        (f64::from(energy) / (f64::from(energy) + 0.6 * f64::from(best_gain))) as f32
    } else {
        0.625
    };
    for n in 0..SIZE {
        out[n] = past[n] + g * (cur[n] - past[n]);
    }
    true
}

/// The denoiser's impulse response (`REMAINDER` taps) for the LPC spectrum in `t` (the tilted
/// LPCs, zero-padded to 128; overwritten).
fn denoise_response(p: &Params, t: &mut [f32; 128], fcb: Fcb, coeffs: &mut [f32; 128]) {
    transforms::rdft(t);
    let mut mx = -15f32;
    let mut mn = 15f32;
    let mut range_of = |v: f32| {
        let l = v.log10();
        mx = mx.max(l);
        mn = mn.min(l);
        l
    };
    let nyquist = range_of(t[1] * t[1]);
    for n in 1..64 {
        t[n] = range_of(t[2 * n] * t[2 * n] + t[2 * n + 1] * t[2 * n + 1]);
    }
    t[0] = range_of(t[0] * t[0]);
    t[64] = nyquist;
    let range = mx - mn;
    let irange = (64.0 / f64::from(range)) as f32;
    let gain_mul = (f64::from(range)
        * if fcb == Fcb::Hardcoded {
            5.0 / 13.0
        } else {
            5.0 / 14.7
        }) as f32;
    let angle_mul =
        (f64::from(gain_mul) * (8.0 * std::f64::consts::LN_10 / std::f64::consts::PI)) as f32;
    let power = &tables::DENOISE_POWER_TABLE[p.denoise_strength];
    for n in 0..=64 {
        let k = f64::from((mx - t[n]) * irange - 1.0).round_ties_even();
        let k = (k as i64).clamp(0, 63) as usize;
        let pwr = power[k];
        t[n] = angle_mul * pwr;
        let e = (((f64::from(pwr * gain_mul) - 0.0295) * 70.570526123) as f32)
            .clamp(0.0, (i32::MAX / 2) as f32) as i32;
        coeffs[n] = if e > 127 {
            tables::ENERGY_TABLE[127] * (1.0331663_f64 as f32).powf((e - 127) as f32)
        } else {
            tables::ENERGY_TABLE[e.max(0) as usize]
        };
    }
    // The phase of a minimum-phase-like response from the log gains (a Hilbert transform
    // done with a DCT and a DST).
    transforms::dct1(&mut t[..65]);
    transforms::dst1(&mut t[..65]);
    let tab = phase_tables();
    let ang = |v: f32| (255 + (v as i32).clamp(-255, 255)) as usize;
    coeffs[0] *= tab.cos[ang(t[64])];
    let last = coeffs[64] * tab.cos[ang(t[64] - 2.0 * t[63])];
    let mut n = 63;
    loop {
        let i = ang(-t[64] - 2.0 * t[n - 1]);
        coeffs[2 * n + 1] = coeffs[n] * tab.sin[i];
        coeffs[2 * n] = coeffs[n] * tab.cos[i];
        n -= 1;
        if n == 0 {
            break;
        }
        let i = ang(t[64] - 2.0 * t[n - 1]);
        coeffs[2 * n + 1] = coeffs[n] * tab.sin[i];
        coeffs[2 * n] = coeffs[n] * tab.cos[i];
        n -= 1;
    }
    coeffs[1] = last;
    transforms::irdft(coeffs);
    coeffs[REMAINDER..].fill(0.0);
    if p.denoise_tilt_corr {
        coeffs[REMAINDER - 1] = 0.0;
        let k = (-1.8 * f64::from(tilt_factor(&coeffs[..REMAINDER - 1]))) as f32;
        tilt(&mut coeffs[..REMAINDER], k);
    }
    let sq = ((1.0 / 64.0)
        * f64::from((1.0 / dot(&coeffs[..REMAINDER], &coeffs[..REMAINDER])).sqrt()))
        as f32;
    for c in &mut coeffs[..REMAINDER] {
        *c *= sq;
    }
}

impl PostfilterState {
    /// The denoiser on `x[..SIZE]` (x is the 128-sample work buffer); its output beyond the
    /// half frame is carried to the next call. Silence frames only receive the carried tail.
    fn denoise(&mut self, p: &Params, fcb: Fcb, x: &mut [f32; 128], lpc: &[f32]) {
        if fcb != Fcb::Silence {
            let l = lpc.len();
            let mut t = [0f32; 128];
            t[0] = 1.0;
            t[1..=l].copy_from_slice(lpc);
            let k = (0.7 * f64::from(tilt_factor(lpc))) as f32;
            tilt(&mut t[..l + 2], k);
            let mut coeffs = [0f32; 128];
            denoise_response(p, &mut t, fcb, &mut coeffs);
            x[SIZE..].fill(0.0);
            transforms::rdft(x);
            transforms::rdft(&mut coeffs);
            x[0] *= coeffs[0];
            x[1] *= coeffs[1];
            for n in 1..64 {
                let (v1, v2) = (x[2 * n], x[2 * n + 1]);
                x[2 * n] = v1 * coeffs[2 * n] - v2 * coeffs[2 * n + 1];
                x[2 * n + 1] = v2 * coeffs[2 * n] + v1 * coeffs[2 * n + 1];
            }
            transforms::irdft(x);
        }
        // The previous tail (it never exceeds a half frame, so it is used up here).
        let lim = self.cache_len.min(SIZE);
        for (x, c) in x[..lim].iter_mut().zip(&self.cache) {
            *x += c;
        }
        self.cache_len -= lim;
        if fcb != Fcb::Silence {
            self.cache.copy_from_slice(&x[SIZE..SIZE + REMAINDER]);
            self.cache_len = REMAINDER;
        }
    }

    /// Postfilters one half frame. `synth_buf[at..at + SIZE]` is the synthesised speech (with
    /// its `lsps` predecessors before it); `z` holds the residual history and receives this
    /// half frame's residual at `z_at`; `out` gets the result.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &mut self,
        p: &Params,
        synth_buf: &[f32],
        at: usize,
        lpc: &[f32],
        z: &mut [f32],
        z_at: usize,
        fcb: Fcb,
        pitch: i32,
        out: &mut [f32],
    ) {
        let l = lpc.len();
        synth::residual(synth_buf, at, SIZE, lpc, &mut z[z_at..z_at + SIZE]);
        let mut smoothed = [0f32; SIZE];
        let use_smoothed = fcb >= Fcb::AwPulses && pitch_smooth(p, pitch, z, z_at, &mut smoothed);
        let input: &[f32] = if use_smoothed {
            &smoothed
        } else {
            &z[z_at..z_at + SIZE]
        };
        // Re-synthesis with its own memory, kept before the denoiser changes the buffer.
        let mut work = [0f32; MAX_LSPS + 128];
        work[MAX_LSPS - l..MAX_LSPS].copy_from_slice(&self.resynth_mem[..l]);
        synth::synthesis(&mut work, MAX_LSPS, input, lpc);
        self.resynth_mem[..l].copy_from_slice(&work[MAX_LSPS + SIZE - l..MAX_LSPS + SIZE]);
        let mut x = [0f32; 128];
        x[..SIZE].copy_from_slice(&work[MAX_LSPS..MAX_LSPS + SIZE]);
        self.denoise(p, fcb, &mut x, lpc);
        // Bring the level back to the unfiltered speech's.
        let speech = &synth_buf[at..at + SIZE];
        let mut speech_energy = 0f32;
        let mut pf_energy = 0f32;
        for n in 0..SIZE {
            speech_energy += speech[n].abs();
            pf_energy += x[n].abs();
        }
        const ALPHA: f32 = 0.99_f64 as f32;
        let scale = if pf_energy == 0.0 {
            0.0
        } else {
            ((1.0 - f64::from(ALPHA)) * f64::from(speech_energy) / f64::from(pf_energy)) as f32
        };
        let mut mem = self.agc;
        for n in 0..SIZE {
            mem = ALPHA * mem + scale;
            out[n] = x[n] * mem;
        }
        self.agc = mem;
        if p.dc_level > 8 {
            // A second-order high-pass notch at DC.
            const GAIN: f32 = 0.93980580475_f64 as f32;
            const POLE: [f32; 2] = [-1.9330735188_f64 as f32, 0.93589198496_f64 as f32];
            const ZERO: [f32; 2] = [-1.99997_f64 as f32, 1.0];
            for o in out[..SIZE].iter_mut() {
                let t = GAIN * *o - POLE[0] * self.dcf[0] - POLE[1] * self.dcf[1];
                *o = t + ZERO[0] * self.dcf[0] + ZERO[1] * self.dcf[1];
                self.dcf[1] = self.dcf[0];
                self.dcf[0] = t;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_tables_cover_minus_pi_to_pi() {
        let t = phase_tables();
        for idx in 0..511usize {
            let m = idx as f64 - 255.0;
            let c = (((255.5 - m.abs()) * std::f64::consts::PI / 512.0) as f32).sin();
            let s = (((m.abs() + 0.5) * std::f64::consts::PI / 512.0) as f32).sin();
            assert_eq!(t.cos[idx], c, "cos {idx}");
            assert_eq!(t.sin[idx], if m < 0.0 { -s } else { s }, "sin {idx}");
        }
        // Roughly cos/sin of (idx − 255)·π/512.
        assert!((t.cos[255] - 1.0).abs() < 1e-4 && t.sin[255].abs() < 1e-2);
        assert!(t.cos[0].abs() < 1e-2 && (t.sin[0] + 1.0).abs() < 1e-4);
        assert!((t.sin[510] - 1.0).abs() < 1e-4);
    }

    #[test]
    fn tilt_factor_of_a_known_vector() {
        let x = [0.5f32, -0.25, 0.125];
        let want = (0.5 + 0.5 * -0.25 + -0.25 * 0.125) / (1.0 + 0.25 + 0.0625 + 0.015625);
        assert!((tilt_factor(&x) - want).abs() < 1e-7);
        let mut y = [1.0f32, 2.0, 3.0];
        tilt(&mut y, 0.5);
        assert_eq!(y, [1.0, 1.5, 2.0]);
    }

    #[test]
    fn pitch_smoothing_finds_the_period() {
        let p = super::super::params::Params::new(&super::super::params::tests::wfx(
            22050,
            1088,
            0,
            &super::super::params::tests::REAL_GROUPS,
        ))
        .unwrap();
        let mut z = vec![0f32; 500];
        for i in (3..500).step_by(45) {
            z[i] = 1.0;
        }
        // Lags 55..=61 (pitch 58 ± 3) miss the period 45 and its multiples: no positive
        // correlation, no smoothing.
        let mut out = [0f32; SIZE];
        assert!(!pitch_smooth(&p, 58, &z, 300, &mut out));
        let mut zz = vec![0f32; 500];
        for i in (3..500).step_by(57) {
            zz[i] = 1.0;
        }
        let mut out2 = [0f32; SIZE];
        assert!(pitch_smooth(&p, 58, &zz, 300, &mut out2));
        // A period-57 train: lag 57 matches exactly, equal energies give the gain
        // E / (E + 0.6·E) = 0.625, and the blend of two equal signals is the signal.
        for n in 0..SIZE {
            assert!((out2[n] - zz[300 + n]).abs() < 1e-6);
        }
        let flat = vec![0f32; 500];
        assert!(!pitch_smooth(&p, 58, &flat, 300, &mut out2));
    }
}
