//! What every member of the WMA family offers the dispatching [`crate::WmaDecoder`].
//!
//! symphonia's registry keeps one decoder per codec id, and all five WMA-family format tags
//! arrive as `CODEC_ID_WMA` with the tag as the profile, so one registered decoder picks an
//! engine by tag (see `make_engine` in `lib.rs`). Each engine owns its own modules; this trait
//! is the whole of what the dispatcher knows about them.

use crate::extradata::WaveFormatEx;

/// Why a packet could not be decoded. The message names the codec and the fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DecodeError(pub(crate) &'static str);

/// One codec of the WMA family, decoding to planar f32 (FFmpeg's `fltp`; integer formats are
/// scaled by 2^-(bits-1), which keeps every 16- and 24-bit value exact).
pub(crate) trait Engine: Send + Sync {
    /// Decodes one packet (the payload of one ASF media object) and appends its samples to
    /// `planes`, one `Vec` per channel. On error nothing is appended and the engine is ready
    /// for the next packet (resynchronising as the format allows).
    fn decode(&mut self, packet: &[u8], planes: &mut [Vec<f32>]) -> Result<(), DecodeError>;

    /// After a seek or a gap: forget what links one packet to the next (the bit reservoir).
    fn reset(&mut self);

    /// End of stream: append what is still held (the last frame's overlap), as FFmpeg does
    /// when drained. Called once per stream; `reset` re-arms it.
    fn flush(&mut self, planes: &mut [Vec<f32>]);

    /// Samples per channel at the start of the raw output that are not audio (the codec
    /// delay FFmpeg trims by default). With symphonia's `gapless` option the dispatcher drops
    /// them.
    fn codec_delay(&self) -> usize;

    /// The most samples per channel one packet can decode to.
    fn max_frames_per_packet(&self) -> usize;

    /// The v1/v2 engine, for its diagnostics; `None` for the others.
    fn classic(&self) -> Option<&crate::classic::ClassicEngine> {
        None
    }
}

/// The format facts every engine is built from: the parsed WAVEFORMATEX.
pub(crate) type Format = WaveFormatEx;
