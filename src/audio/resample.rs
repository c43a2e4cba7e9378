//! Sample-rate conversion for a device that cannot run at the stream's rate (rubato's FFT
//! resampler). Runs on the decode thread, never in the audio callback.

use rubato::{FftFixedInOut, Resampler as _};

pub struct Resampler {
    inner: FftFixedInOut<f32>,
    channels: usize,
    /// Planar input waiting for a whole chunk.
    pending: Vec<Vec<f32>>,
    output: Vec<Vec<f32>>,
}

impl Resampler {
    pub fn new(from: u32, to: u32, channels: usize) -> Result<Resampler, String> {
        let inner = FftFixedInOut::<f32>::new(from as usize, to as usize, 1024, channels.max(1))
            .map_err(|e| e.to_string())?;
        let output = inner.output_buffer_allocate(true);
        Ok(Resampler {
            inner,
            channels: channels.max(1),
            pending: vec![Vec::new(); channels.max(1)],
            output,
        })
    }

    /// Feeds interleaved frames; appends resampled interleaved frames to `out`.
    pub fn process(&mut self, interleaved: &[f32], out: &mut Vec<f32>) {
        for frame in interleaved.chunks_exact(self.channels) {
            for (c, s) in frame.iter().enumerate() {
                self.pending[c].push(*s);
            }
        }
        loop {
            let need = self.inner.input_frames_next();
            if self.pending[0].len() < need {
                break;
            }
            let input: Vec<&[f32]> = self.pending.iter().map(|p| &p[..need]).collect();
            let Ok((_, produced)) = self
                .inner
                .process_into_buffer(&input, &mut self.output, None)
            else {
                break;
            };
            for i in 0..produced {
                for c in 0..self.channels {
                    out.push(self.output[c][i]);
                }
            }
            for p in &mut self.pending {
                p.drain(..need);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_duration_and_tone() {
        let mut r = Resampler::new(22_050, 48_000, 1).unwrap();
        let input: Vec<f32> = (0..22_050)
            .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 22_050.0).sin())
            .collect();
        let mut out = Vec::new();
        r.process(&input, &mut out);
        // One second in, about one second out (less the chunk still pending).
        assert!(out.len() > 44_000 && out.len() <= 48_000, "{}", out.len());
        let peak = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!((0.9..1.1).contains(&peak), "peak {peak}");
    }
}
