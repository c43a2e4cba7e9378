//! Where decoded audio goes: the system's sound device (cpal), a WAV file, or nowhere.
//!
//! The decode thread writes interleaved f32 frames into a [`Sink`]. Only the cpal sink has a
//! real-time side: its callback reads a lock-free ring buffer and never allocates, locks, blocks
//! or prints.

mod control;
#[cfg(feature = "cpal")]
mod cpal_sink;
pub mod downmix;
pub mod layout;
mod null;
// Only the sound device resamples (to the rate it runs at); files keep the stream's rate.
#[cfg(feature = "cpal")]
mod resample;
mod wav;

pub use control::AudioControl;
pub use layout::ChannelLayout;
pub use null::NullSink;
pub use wav::WavSink;

use std::path::PathBuf;
use std::sync::Arc;

/// The audio layer's error.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("audio: {0}")]
    Device(String),
    #[error("audio: cannot write {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("audio: unknown output {0:?} (expected cpal, cpal:NAME, wav:PATH or null)")]
    UnknownOutput(String),
}

/// A destination for decoded audio.
/// Not `Send`: a device stream must stay on the thread that opened it, so sinks are opened
/// on the decode thread.
pub trait Sink {
    /// Called once, with the stream's format, before the first write. The layout names the
    /// speaker of each channel; a sink with fewer channels downmixes by it.
    fn start(&mut self, sample_rate: u32, layout: ChannelLayout) -> Result<(), AudioError>;
    /// Writes interleaved frames of the stream's channels. May block while the device's
    /// buffer is full.
    fn write(&mut self, samples: &[f32]) -> Result<(), AudioError>;
    /// Audio queued ahead of what is being heard, in milliseconds.
    fn buffered_ms(&self) -> u64 {
        0
    }
    /// How often the device ran dry.
    fn underruns(&self) -> u64 {
        0
    }
    /// Plays out what is queued and closes files.
    fn finish(&mut self) -> Result<(), AudioError>;
    /// A server-side playlist moved to its entry `n` (counting from 1): what is queued plays
    /// out, and the next `start` may bring another format. A file sink goes on in a file of
    /// its own.
    fn next_entry(&mut self, _n: usize) -> Result<(), AudioError> {
        self.finish()
    }
    /// A warning for the log, once (a device given up for silence, say).
    fn take_warning(&mut self) -> Option<String> {
        None
    }
}

/// The `--output` choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputSpec {
    /// The default device, or the device whose name contains the given text.
    Cpal(Option<String>),
    Wav(PathBuf),
    Null,
}

impl std::str::FromStr for OutputSpec {
    type Err = AudioError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cpal" => Ok(OutputSpec::Cpal(None)),
            "null" => Ok(OutputSpec::Null),
            _ => {
                if let Some(name) = s.strip_prefix("cpal:") {
                    Ok(OutputSpec::Cpal(Some(name.to_string())))
                } else if let Some(p) = s.strip_prefix("wav:").filter(|p| !p.is_empty()) {
                    Ok(OutputSpec::Wav(PathBuf::from(p)))
                } else {
                    Err(AudioError::UnknownOutput(s.to_string()))
                }
            }
        }
    }
}

/// Opens the sink an output spec names. Nothing touches a device or a file until `start`.
pub fn open_sink(
    spec: &OutputSpec,
    control: Arc<AudioControl>,
) -> Result<Box<dyn Sink>, AudioError> {
    match spec {
        OutputSpec::Null => Ok(Box::new(NullSink::default())),
        OutputSpec::Wav(p) => Ok(Box::new(WavSink::new(p.clone()))),
        #[cfg(feature = "cpal")]
        OutputSpec::Cpal(name) => Ok(Box::new(cpal_sink::CpalSink::new(name.clone(), control))),
        #[cfg(not(feature = "cpal"))]
        OutputSpec::Cpal(_) => {
            let _ = control;
            Err(AudioError::Device(
                "this build has no sound device support (feature cpal)".into(),
            ))
        }
    }
}

/// A sink that falls back to silence when the device cannot be opened, for `--demo` on machines
/// without a sound card: the rollover is still worth watching. The reason is kept for the log.
pub struct SilentFallback {
    inner: Box<dyn Sink>,
    warning: Option<String>,
}

impl SilentFallback {
    pub fn new(inner: Box<dyn Sink>) -> SilentFallback {
        SilentFallback {
            inner,
            warning: None,
        }
    }
}

impl Sink for SilentFallback {
    fn start(&mut self, sample_rate: u32, layout: ChannelLayout) -> Result<(), AudioError> {
        if let Err(e) = self.inner.start(sample_rate, layout) {
            self.warning = Some(format!("{e} (playing silently instead)"));
            self.inner = Box::new(NullSink::default());
            self.inner.start(sample_rate, layout)?;
        }
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> Result<(), AudioError> {
        self.inner.write(samples)
    }

    fn buffered_ms(&self) -> u64 {
        self.inner.buffered_ms()
    }

    fn underruns(&self) -> u64 {
        self.inner.underruns()
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        self.inner.finish()
    }

    fn next_entry(&mut self, n: usize) -> Result<(), AudioError> {
        self.inner.next_entry(n)
    }

    fn take_warning(&mut self) -> Option<String> {
        self.warning.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_specs_parse() {
        assert_eq!(
            "cpal".parse::<OutputSpec>().unwrap(),
            OutputSpec::Cpal(None)
        );
        assert_eq!(
            "cpal:USB".parse::<OutputSpec>().unwrap(),
            OutputSpec::Cpal(Some("USB".into()))
        );
        assert_eq!(
            "wav:/tmp/x.wav".parse::<OutputSpec>().unwrap(),
            OutputSpec::Wav("/tmp/x.wav".into())
        );
        assert_eq!("null".parse::<OutputSpec>().unwrap(), OutputSpec::Null);
        assert!("wav:".parse::<OutputSpec>().is_err());
        assert!("speaker".parse::<OutputSpec>().is_err());
    }
}
