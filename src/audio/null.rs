//! A sink that discards audio (for recording only, and for benchmarks).

use super::{AudioError, ChannelLayout, Sink};

#[derive(Default)]
pub struct NullSink {
    pub frames: u64,
    channels: u16,
}

impl Sink for NullSink {
    fn start(&mut self, _rate: u32, layout: ChannelLayout) -> Result<(), AudioError> {
        self.channels = layout.channels().max(1);
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> Result<(), AudioError> {
        self.frames += (samples.len() / usize::from(self.channels.max(1))) as u64;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        Ok(())
    }
}
