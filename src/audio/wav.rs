//! `wav:PATH`: 32-bit float WAV at the stream's own rate and channel count, exactly what the
//! decoder produced (no resampling, no volume, no padding).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use super::{AudioError, Sink};

pub struct WavSink {
    path: PathBuf,
    writer: Option<hound::WavWriter<BufWriter<File>>>,
}

impl WavSink {
    pub fn new(path: PathBuf) -> WavSink {
        WavSink { path, writer: None }
    }

    fn err(&self, e: impl std::fmt::Display) -> AudioError {
        AudioError::File {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }
}

impl Sink for WavSink {
    fn start(&mut self, sample_rate: u32, channels: u16) -> Result<(), AudioError> {
        if self.writer.is_some() {
            return Ok(());
        }
        let spec = hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        self.writer = Some(hound::WavWriter::create(&self.path, spec).map_err(|e| self.err(e))?);
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> Result<(), AudioError> {
        let Some(w) = self.writer.as_mut() else {
            return Err(AudioError::File {
                path: self.path.clone(),
                message: "not started".into(),
            });
        };
        for s in samples {
            if let Err(e) = w.write_sample(*s) {
                return Err(AudioError::File {
                    path: self.path.clone(),
                    message: e.to_string(),
                });
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        if let Some(w) = self.writer.take() {
            w.finalize().map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}
