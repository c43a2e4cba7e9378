//! `wav:PATH`: 32-bit float WAV at the stream's own rate and channel count, exactly what the
//! decoder produced (no resampling, no volume, no padding, no downmix).
//!
//! hound writes 32-bit samples as WAVE_FORMAT_EXTENSIBLE with the first N speaker positions
//! as its `dwChannelMask`; that is right for stereo and for WAVE's 5.1 but not for mono (FL
//! instead of FC) or a 5.1 with side surrounds. So the stream's own mask is written over
//! hound's once the header is on disk.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{AudioError, ChannelLayout, Sink};

/// Where hound's WAVE_FORMAT_EXTENSIBLE header keeps what we check and patch: RIFF, size,
/// WAVE, "fmt ", chunk size (20 bytes), then wFormatTag at 20, cbSize at 36, dwChannelMask
/// at 40.
const FORMAT_TAG_AT: usize = 20;
const CB_SIZE_AT: usize = 36;
const CHANNEL_MASK_AT: u64 = 40;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;

pub struct WavSink {
    path: PathBuf,
    /// The path given; a server-side playlist's later entries go to numbered files beside it.
    first: PathBuf,
    writer: Option<hound::WavWriter<BufWriter<File>>>,
}

impl WavSink {
    pub fn new(path: PathBuf) -> WavSink {
        WavSink {
            first: path.clone(),
            path,
            writer: None,
        }
    }

    fn err(&self, e: impl std::fmt::Display) -> AudioError {
        AudioError::File {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }
}

/// Writes `mask` as the `dwChannelMask` of the WAVE_FORMAT_EXTENSIBLE header at the start of
/// the file, after checking that the header is one. hound never rewrites that field: later it
/// only updates the RIFF and data sizes.
fn patch_channel_mask(path: &Path, mask: u32) -> std::io::Result<()> {
    let mut f = OpenOptions::new().read(true).write(true).open(path)?;
    let mut head = [0u8; 44];
    f.read_exact(&mut head)?;
    let at = |i: usize| u16::from_le_bytes([head[i], head[i + 1]]);
    if at(FORMAT_TAG_AT) != WAVE_FORMAT_EXTENSIBLE || at(CB_SIZE_AT) < 22 {
        return Err(std::io::Error::other(
            "unexpected WAV header: no WAVE_FORMAT_EXTENSIBLE to carry the channel mask",
        ));
    }
    f.seek(SeekFrom::Start(CHANNEL_MASK_AT))?;
    f.write_all(&mask.to_le_bytes())?;
    f.flush()
}

impl Sink for WavSink {
    fn start(&mut self, sample_rate: u32, layout: ChannelLayout) -> Result<(), AudioError> {
        if self.writer.is_some() {
            return Ok(());
        }
        let spec = hound::WavSpec {
            channels: layout.channels(),
            sample_rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(&self.path, spec).map_err(|e| self.err(e))?;
        // Put the header on disk, then give it the stream's speaker positions.
        writer.flush().map_err(|e| self.err(e))?;
        patch_channel_mask(&self.path, layout.mask()).map_err(|e| self.err(e))?;
        self.writer = Some(writer);
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

    /// Entry `n` goes on in its own file (`out.2.wav`), in its own format.
    fn next_entry(&mut self, n: usize) -> Result<(), AudioError> {
        self.finish()?;
        self.path = crate::playlist::numbered_path(&self.first, n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of(layout: ChannelLayout) -> (Vec<u8>, hound::WavSpec, Vec<f32>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        let mut sink = WavSink::new(path.clone());
        sink.start(48_000, layout).unwrap();
        let n = usize::from(layout.channels());
        let frames: Vec<f32> = (0..n * 3).map(|i| i as f32 / 100.0).collect();
        sink.write(&frames).unwrap();
        sink.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let mut r = hound::WavReader::open(&path).unwrap();
        let spec = r.spec();
        let samples = r.samples::<f32>().map(Result::unwrap).collect();
        (bytes, spec, samples)
    }

    fn mask_of(bytes: &[u8]) -> u32 {
        u32::from_le_bytes(bytes[40..44].try_into().unwrap())
    }

    #[test]
    fn the_stream_channel_mask_is_written() {
        let side = ChannelLayout::new(6, 0x60F);
        let (bytes, spec, samples) = header_of(side);
        assert_eq!(mask_of(&bytes), 0x60F);
        assert_eq!(spec.channels, 6);
        assert_eq!(samples.len(), 18, "every channel kept");
        assert_eq!(samples[7], 0.07);
        let (bytes, spec, _) = header_of(ChannelLayout::new(1, 0));
        assert_eq!(
            (mask_of(&bytes), spec.channels),
            (0x4, 1),
            "mono is front centre"
        );
        let (bytes, _, _) = header_of(ChannelLayout::new(8, 0));
        assert_eq!(mask_of(&bytes), 0x63F, "7.1");
    }
}
