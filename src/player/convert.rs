//! Keeps the sink's format when a stream switch changes it: a bitrate variant or a language
//! may come at another sample rate or channel count, and a sink (a WAV file above all) cannot
//! change format mid-stream. Linear interpolation is enough for the rare variant that differs.

/// Converts interleaved frames from one rate and channel count to another, keeping the
/// fractional read position across calls so that chunk boundaries leave no seams.
#[derive(Clone, Debug)]
pub struct Converter {
    from: (u32, usize),
    to: (u32, usize),
    /// Read position in input frames, relative to the first frame of the next call.
    pos: f64,
    /// The last input frame of the previous call, to interpolate across the boundary.
    last: Vec<f32>,
}

impl Converter {
    pub fn new(from: (u32, u16), to: (u32, u16)) -> Converter {
        let from = (from.0.max(1), usize::from(from.1.max(1)));
        Converter {
            from,
            to: (to.0.max(1), usize::from(to.1.max(1))),
            pos: 0.0,
            last: vec![0.0; from.1],
        }
    }

    /// Whether converting `from` to `to` is sensible: rates within a factor of 16 of each
    /// other, so that output stays within a small multiple of the input whatever a header
    /// declares.
    pub fn reasonable(from: (u32, u16), to: (u32, u16)) -> bool {
        let (a, b) = (u64::from(from.0.max(1)), u64::from(to.0.max(1)));
        from.1 > 0 && to.1 > 0 && a <= b * 16 && b <= a * 16
    }

    /// The format it converts from.
    pub fn input(&self) -> (u32, u16) {
        (self.from.0, self.from.1 as u16)
    }

    /// Appends the converted frames of `input` to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        let (ci, co) = (self.from.1, self.to.1);
        let frames = input.len() / ci;
        if frames == 0 {
            return;
        }
        let step = f64::from(self.from.0) / f64::from(self.to.0);
        // Frame -1 is the previous call's last frame.
        let frame = |i: isize| -> &[f32] {
            if i < 0 {
                &self.last
            } else {
                &input[i as usize * ci..(i as usize + 1) * ci]
            }
        };
        let mut pos = self.pos;
        while pos < (frames - 1) as f64 + 1e-9 {
            let i = pos.floor() as isize;
            let t = (pos - i as f64) as f32;
            let (a, b) = (frame(i), frame((i + 1).min(frames as isize - 1)));
            for c in 0..co {
                // Mono goes to every channel; extra input channels are dropped.
                let src = if ci == 1 { 0 } else { c };
                let s = if src < ci {
                    a[src] + (b[src] - a[src]) * t
                } else {
                    0.0
                };
                out.push(s);
            }
            pos += step;
        }
        self.pos = pos - frames as f64;
        self.last = input[(frames - 1) * ci..].to_vec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_the_rate_keeps_the_duration_and_the_signal() {
        let mut c = Converter::new((16000, 1), (8000, 1));
        let ramp: Vec<f32> = (0..1600).map(|i| i as f32 / 1600.0).collect();
        let mut out = Vec::new();
        for chunk in ramp.chunks(333) {
            c.process(chunk, &mut out);
        }
        assert!((out.len() as i64 - 800).abs() <= 1, "{}", out.len());
        assert!((out[400] - 0.5).abs() < 0.01, "{}", out[400]);
        // Monotone across chunk boundaries: no seams.
        assert!(out.windows(2).all(|w| w[1] >= w[0]));
    }

    #[test]
    fn only_moderate_rate_changes_are_reasonable() {
        assert!(Converter::reasonable((8000, 1), (44100, 2)));
        assert!(!Converter::reasonable((1, 1), (384_000, 2)));
        assert!(!Converter::reasonable((48000, 0), (48000, 2)));
    }

    #[test]
    fn channels_are_mapped() {
        let mut up = Converter::new((8000, 1), (16000, 2));
        let mut out = Vec::new();
        up.process(&[0.5; 100], &mut out);
        assert!((out.len() as i64 - 400).abs() <= 4);
        assert!(out.iter().all(|s| (*s - 0.5).abs() < 1e-6));
        let mut down = Converter::new((8000, 2), (8000, 1));
        out.clear();
        down.process(&[0.25, -1.0, 0.25, -1.0], &mut out);
        assert_eq!(out, vec![0.25, 0.25]);
    }
}
