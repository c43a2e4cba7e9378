//! Volume and pause, shared between the UI and the audio callback as atomics: no locks on the
//! real-time path.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

#[derive(Debug)]
pub struct AudioControl {
    paused: AtomicBool,
    /// f32 gain, stored as its bits.
    volume: AtomicU32,
    /// Device underruns, counted by the callback.
    pub underruns: AtomicU64,
    /// Bumped to ask the audio callback to drop what is queued (a seek): the callback keeps
    /// the last value it acted on.
    discards: AtomicU64,
}

impl Default for AudioControl {
    fn default() -> Self {
        AudioControl {
            paused: AtomicBool::new(false),
            volume: AtomicU32::new(1.0f32.to_bits()),
            underruns: AtomicU64::new(0),
            discards: AtomicU64::new(0),
        }
    }
}

impl AudioControl {
    pub fn set_paused(&self, p: bool) {
        self.paused.store(p, Ordering::Relaxed);
    }

    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Sets the gain, clamped to 0..=2.
    pub fn set_volume(&self, v: f32) {
        let v = if v.is_finite() {
            v.clamp(0.0, 2.0)
        } else {
            1.0
        };
        self.volume.store(v.to_bits(), Ordering::Relaxed);
    }

    /// Asks the output to drop the audio queued ahead of what is heard (after a seek, that
    /// audio is from before it).
    pub fn discard_queued(&self) {
        self.discards.fetch_add(1, Ordering::Relaxed);
    }

    /// How many discards were asked for so far; the callback compares it with the count it
    /// last acted on.
    pub fn discards(&self) -> u64 {
        self.discards.load(Ordering::Relaxed)
    }

    pub fn volume(&self) -> f32 {
        f32::from_bits(self.volume.load(Ordering::Relaxed))
    }
}
