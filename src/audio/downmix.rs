//! From a stream's channels to a device's: a gain matrix built once when the sink starts, by
//! speaker position rather than by channel index, and applied on the decode thread.
//!
//! A channel whose position the device has goes there unchanged. Otherwise it is folded the
//! way ITU-R BS.775 downmixes 5.1 to stereo: centre into left and right at 1/√2 (−3 dB), a
//! surround into the front of its side at 1/√2, a back centre into both sides at 1/√2. The
//! LFE channel is dropped unless the device has one: BS.775 leaves it out, as ffmpeg does by
//! default, because bass-management of a small speaker pair would turn it into boom. A mono
//! device gets the stereo fold, its two halves at 1/√2 each.
//!
//! No clipping by construction: when some output's gains add up to more than 1 (5.1 to
//! stereo gives 1 + 0.707 + 0.707), every gain is divided by the largest such sum, so a
//! full-scale signal on every channel stays within ±1 and the balance between outputs is
//! kept. A layout the device plays as it is keeps gains of exactly 1.

use super::layout::{ChannelLayout, speaker::*};

const MINUS_3DB: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// How many times one position may be folded further (top → floor → front → centre…).
const MAX_FOLDS: usize = 4;

/// A gain matrix from `inputs` channels to `outputs` channels.
#[derive(Clone, Debug, PartialEq)]
pub struct Downmix {
    inputs: usize,
    outputs: usize,
    /// `gains[o * inputs + i]`: how much of input `i` goes to output `o`.
    gains: Vec<f32>,
    /// The outputs are the inputs, in the same order, unchanged.
    identity: bool,
}

/// Where a position goes when the device lacks it, with the gain for each destination. The
/// destinations may themselves be folded further.
fn fold(pos: u32, has: impl Fn(u32) -> bool) -> &'static [(u32, f32)] {
    match pos {
        FC => &[(FL, MINUS_3DB), (FR, MINUS_3DB)],
        // A mono device: both front channels into the centre.
        FL => &[(FC, MINUS_3DB)],
        FR => &[(FC, MINUS_3DB)],
        BL if has(SL) => &[(SL, 1.0)],
        BR if has(SR) => &[(SR, 1.0)],
        SL if has(BL) => &[(BL, 1.0)],
        SR if has(BR) => &[(BR, 1.0)],
        BL | SL => &[(FL, MINUS_3DB)],
        BR | SR => &[(FR, MINUS_3DB)],
        BC if has(BL) && has(BR) => &[(BL, MINUS_3DB), (BR, MINUS_3DB)],
        BC if has(SL) && has(SR) => &[(SL, MINUS_3DB), (SR, MINUS_3DB)],
        BC => &[(FL, MINUS_3DB), (FR, MINUS_3DB)],
        FLC if has(FL) => &[(FL, 1.0)],
        FRC if has(FR) => &[(FR, 1.0)],
        FLC | FRC => &[(FC, MINUS_3DB)],
        // Height channels play on the floor speaker below them.
        TFL => &[(FL, 1.0)],
        TFR => &[(FR, 1.0)],
        TFC | TC => &[(FC, 1.0)],
        TBL => &[(BL, 1.0)],
        TBR => &[(BR, 1.0)],
        TBC => &[(BC, 1.0)],
        // LFE, and anything unknown, is left out.
        _ => &[],
    }
}

/// Adds `gain` of input `i` at position `pos` to the outputs, folding where needed.
fn route(
    gains: &mut [f32],
    inputs: usize,
    device: &[Option<u32>],
    (i, pos, gain): (usize, u32, f32),
    depth: usize,
) {
    if let Some(o) = device.iter().position(|d| *d == Some(pos)) {
        gains[o * inputs + i] += gain;
        return;
    }
    if depth >= MAX_FOLDS {
        return;
    }
    let has = |p: u32| device.contains(&Some(p));
    for &(to, g) in fold(pos, has) {
        route(gains, inputs, device, (i, to, gain * g), depth + 1);
    }
}

impl Downmix {
    /// The matrix from a stream's layout to a device whose channels are at `device` positions
    /// (`None`: a channel of unknown position, which stays silent).
    pub fn new(source: &ChannelLayout, device: &[Option<u32>]) -> Downmix {
        let inputs = usize::from(source.channels());
        let outputs = device.len();
        let mut gains = vec![0.0f32; inputs * outputs];
        let mono_source = source.channels() == 1;
        let positions: Vec<Option<u32>> = source.positions().collect();
        for (i, pos) in positions.iter().enumerate() {
            match pos {
                // Mono on a stereo device: the same signal on both speakers at full level, as
                // every player does, rather than BS.775's centre at −3 dB.
                Some(FC) if mono_source && !device.contains(&Some(FC)) => {
                    for (o, d) in device.iter().enumerate() {
                        if matches!(d, Some(FL | FR)) {
                            gains[o * inputs + i] = 1.0;
                        }
                    }
                }
                Some(p) => route(&mut gains, inputs, device, (i, *p, 1.0), 0),
                // A channel with no position goes, by index, to a device channel with none.
                None => {
                    if device.get(i) == Some(&None) {
                        gains[i * inputs + i] = 1.0;
                    }
                }
            }
        }
        // Scale so the loudest output's gains add up to at most 1.
        let worst = (0..outputs)
            .map(|o| {
                gains[o * inputs..(o + 1) * inputs]
                    .iter()
                    .map(|g| g.abs())
                    .sum()
            })
            .fold(0.0f32, f32::max);
        if worst > 1.0 {
            for g in &mut gains {
                *g /= worst;
            }
        }
        let identity = inputs == outputs
            && (0..outputs).all(|o| {
                (0..inputs).all(|i| gains[o * inputs + i] == if i == o { 1.0 } else { 0.0 })
            });
        Downmix {
            inputs,
            outputs,
            gains,
            identity,
        }
    }

    /// Whether samples pass through unchanged.
    pub fn is_identity(&self) -> bool {
        self.identity
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The gain from input `i` to output `o`.
    pub fn gain(&self, o: usize, i: usize) -> f32 {
        self.gains[o * self.inputs + i]
    }

    /// Mixes interleaved input frames and appends the interleaved output frames to `out`.
    /// A trailing partial frame is ignored.
    pub fn apply(&self, input: &[f32], out: &mut Vec<f32>) {
        if self.inputs == 0 {
            return;
        }
        let frames = input.len() / self.inputs;
        if self.identity {
            out.extend_from_slice(&input[..frames * self.inputs]);
            return;
        }
        out.reserve(frames * self.outputs);
        for frame in input.chunks_exact(self.inputs) {
            for row in self.gains.chunks_exact(self.inputs) {
                out.push(row.iter().zip(frame).map(|(g, s)| g * s).sum());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::layout::{DeviceOrder, device_positions};
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-6
    }

    const STEREO: [Option<u32>; 2] = [Some(FL), Some(FR)];

    #[test]
    fn five_one_to_stereo_follows_bs775_normalised() {
        let m = Downmix::new(&ChannelLayout::new(6, 0), &STEREO);
        // Inputs in WAVE order: FL FR FC LFE BL BR.
        let norm = 1.0 + 2.0 * MINUS_3DB;
        let left = [1.0, 0.0, MINUS_3DB, 0.0, MINUS_3DB, 0.0].map(|g| g / norm);
        let right = [0.0, 1.0, MINUS_3DB, 0.0, 0.0, MINUS_3DB].map(|g| g / norm);
        for i in 0..6 {
            assert!(close(m.gain(0, i), left[i]), "L from {i}: {}", m.gain(0, i));
            assert!(
                close(m.gain(1, i), right[i]),
                "R from {i}: {}",
                m.gain(1, i)
            );
        }
        // A full-scale signal on every channel (LFE too) does not clip.
        let mut out = Vec::new();
        m.apply(&[1.0; 6], &mut out);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|s| s.abs() <= 1.0 + 1e-6), "{out:?}");
        assert!(close(out[0], 1.0), "full scale reaches full scale: {out:?}");
        let mut out = Vec::new();
        m.apply(&[-1.0; 6], &mut out);
        assert!(out.iter().all(|s| *s >= -1.0 - 1e-6), "{out:?}");
    }

    #[test]
    fn side_surrounds_fold_like_back_ones() {
        let side = ChannelLayout::new(6, FL | FR | FC | LFE | SL | SR);
        let m = Downmix::new(&side, &STEREO);
        // Inputs: FL FR FC LFE SL SR.
        assert!(close(m.gain(0, 4), m.gain(0, 2)));
        assert!(close(m.gain(1, 5), m.gain(0, 4)));
        assert_eq!(m.gain(0, 5), 0.0);
        assert_eq!(m.gain(0, 3), 0.0, "LFE dropped");
    }

    #[test]
    fn seven_one_to_stereo_does_not_clip() {
        let m = Downmix::new(&ChannelLayout::new(8, 0), &STEREO);
        let mut out = Vec::new();
        m.apply(&[1.0; 8], &mut out);
        assert!(close(out[0], 1.0) && close(out[1], 1.0), "{out:?}");
        // FL FR FC LFE BL BR SL SR: left takes FL, FC, BL and SL.
        for i in [0, 4, 6] {
            assert!(m.gain(0, i) > 0.0 && m.gain(1, i) == 0.0, "{i}");
            assert!(m.gain(1, i + 1) > 0.0 && m.gain(0, i + 1) == 0.0, "{i}");
        }
        assert!(m.gain(0, 2) > 0.0 && close(m.gain(0, 2), m.gain(1, 2)));
    }

    #[test]
    fn to_a_mono_device() {
        let m = Downmix::new(&ChannelLayout::new(2, 0), &[Some(FC)]);
        assert!(close(m.gain(0, 0), 0.5) && close(m.gain(0, 1), 0.5));
        let m = Downmix::new(&ChannelLayout::new(6, 0), &[Some(FC)]);
        let mut out = Vec::new();
        m.apply(&[1.0; 6], &mut out);
        assert!(close(out[0], 1.0), "{out:?}");
        assert!(m.gain(0, 2) > m.gain(0, 0), "the centre is loudest");
        assert_eq!(m.gain(0, 3), 0.0);
    }

    #[test]
    fn mono_to_stereo_is_full_level_on_both() {
        let m = Downmix::new(&ChannelLayout::new(1, 0), &STEREO);
        let mut out = Vec::new();
        m.apply(&[0.5, -0.25], &mut out);
        assert_eq!(out, vec![0.5, 0.5, -0.25, -0.25]);
    }

    #[test]
    fn same_layout_is_passed_through() {
        let m = Downmix::new(&ChannelLayout::new(2, 0), &STEREO);
        assert!(m.is_identity());
        let m = Downmix::new(
            &ChannelLayout::new(6, 0),
            &device_positions(6, DeviceOrder::Wave),
        );
        assert!(m.is_identity());
    }

    #[test]
    fn five_one_on_an_alsa_six_channel_device_is_reordered() {
        let m = Downmix::new(
            &ChannelLayout::new(6, 0),
            &device_positions(6, DeviceOrder::Alsa),
        );
        assert!(!m.is_identity());
        // Stream FL FR FC LFE BL BR, device FL FR BL BR FC LFE.
        let mut out = Vec::new();
        m.apply(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut out);
        assert_eq!(out, vec![1.0, 2.0, 5.0, 6.0, 3.0, 4.0]);
        // 7.1 on an 8-channel ALSA device: FL FR BL BR FC LFE SL SR.
        let m = Downmix::new(
            &ChannelLayout::new(8, 0),
            &device_positions(8, DeviceOrder::Alsa),
        );
        let mut out = Vec::new();
        m.apply(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &mut out);
        assert_eq!(out, vec![1.0, 2.0, 5.0, 6.0, 3.0, 4.0, 7.0, 8.0]);
    }

    #[test]
    fn a_device_channel_of_unknown_position_stays_silent() {
        // 3.0 on a 3-channel device whose order we do not know: centre folds into the pair.
        let m = Downmix::new(
            &ChannelLayout::new(3, 0),
            &device_positions(3, DeviceOrder::Alsa),
        );
        let mut out = Vec::new();
        m.apply(&[0.0, 0.0, 1.0], &mut out);
        assert_eq!(out[2], 0.0);
        assert!(close(out[0], out[1]) && out[0] > 0.0, "{out:?}");
    }

    #[test]
    fn partial_frames_are_ignored() {
        let m = Downmix::new(&ChannelLayout::new(6, 0), &STEREO);
        let mut out = Vec::new();
        m.apply(&[1.0; 9], &mut out);
        assert_eq!(out.len(), 2);
        let m = Downmix::new(&ChannelLayout::new(2, 0), &STEREO);
        out.clear();
        m.apply(&[1.0; 5], &mut out);
        assert_eq!(out.len(), 4, "also when passing through");
    }
}
