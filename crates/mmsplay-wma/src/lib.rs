//! A pure-Rust decoder for Windows Media Audio v1 and v2 (format tags 0x0160 and 0x0161) as a
//! symphonia 0.6 [`AudioDecoder`].
//!
//! The behaviour follows FFmpeg's `wmav1`/`wmav2` decoder (the de-facto reference; see
//! `wma-decoder.md`), and the output is planar f32 like FFmpeg's `fltp`.
//!
//! * Codec parameters: `codec = CODEC_ID_WMA`, `profile = CodecProfile::new(wFormatTag)` and
//!   `extra_data` = the complete WAVEFORMATEX (18 bytes + cbSize bytes). See
//!   [`codec_params_from_waveformatex`].
//! * A packet holds one or more whole superframes of `nBlockAlign` bytes.
//! * Output is the decoder's raw output: FFmpeg's command-line tool additionally drops the
//!   first [`WmaDecoder::codec_delay`] samples, and emits one more frame at end of stream
//!   (see [`WmaDecoder::flush`]).
//!
//! Module map: `extradata` (WAVEFORMATEX and flags) → `setup` (derived parameters) with
//! `bands`; `superframe` (bit reservoir) → `frame` (blocks) → `exponents`/`lsp`,
//! `coefficients` (+ `noise`), `stereo`, `window` (IMDCT and overlap-add). Tables live in
//! `codebook_data`, `bands` and `lsp`, each with its provenance.

#![forbid(unsafe_code)]

mod bands;
mod bitreader;
mod codebook_data;
mod codebooks;
mod coefficients;
mod exponents;
mod extradata;
mod frame;
mod lsp;
mod noise;
mod setup;
mod stereo;
mod superframe;
mod window;

use symphonia_core::audio::{
    AsGenericAudioBufferRef, AudioBuffer, AudioMut, AudioSpec, Channels, GenericAudioBufferRef,
    Position,
};
use symphonia_core::codecs::audio::well_known::CODEC_ID_WMA;
use symphonia_core::codecs::audio::{
    AudioCodecParameters, AudioDecoder, AudioDecoderOptions, FinalizeResult,
};
use symphonia_core::codecs::registry::{RegisterableAudioDecoder, SupportedAudioCodec};
use symphonia_core::codecs::{CodecInfo, CodecProfile, CodecProfileInfo};
use symphonia_core::errors::{Result, decode_error, unsupported_error};
use symphonia_core::packet::PacketRef;
use symphonia_core::support_audio_codec;

use extradata::{
    Flags, TAG_WMALOSSLESS, TAG_WMAPRO, TAG_WMAV1, TAG_WMAV2, TAG_WMAVOICE, WaveFormatEx,
    check_supported_tag,
};
pub use frame::DecodeStats;
use frame::FrameDecoder;
use setup::Setup;
use superframe::SuperframeDecoder;

/// FFmpeg's short name for a WMA-family format tag.
pub fn codec_name(format_tag: u16) -> &'static str {
    match format_tag {
        TAG_WMAV1 => "wmav1",
        TAG_WMAV2 => "wmav2",
        TAG_WMAPRO => "wmapro",
        TAG_WMALOSSLESS => "wmalossless",
        TAG_WMAVOICE => "wmavoice",
        _ => "unknown",
    }
}

fn channels_for(count: u16) -> Channels {
    match count {
        1 => Channels::Positioned(Position::FRONT_CENTER),
        2 => Channels::Positioned(Position::FRONT_LEFT | Position::FRONT_RIGHT),
        n => Channels::Discrete(n),
    }
}

/// Codec parameters for a WMA stream from its WAVEFORMATEX (ASF Stream Properties
/// type-specific data): codec, profile (= wFormatTag), sample rate, channels, and the whole
/// WAVEFORMATEX as `extra_data`.
pub fn codec_params_from_waveformatex(wfx: &[u8]) -> Result<AudioCodecParameters> {
    let w = WaveFormatEx::parse(wfx)?;
    let mut p = AudioCodecParameters::new();
    p.for_codec(CODEC_ID_WMA)
        .with_profile(CodecProfile::new(u32::from(w.format_tag)))
        .with_sample_rate(w.sample_rate)
        .with_channels(channels_for(w.channels))
        .with_extra_data(wfx.to_vec().into_boxed_slice());
    if let Ok(version) = check_supported_tag(w.format_tag) {
        let flags = Flags::from_extra(version, &w.extra);
        if let Ok(s) = Setup::new(
            version,
            usize::from(w.channels),
            w.sample_rate,
            u64::from(w.avg_bytes_per_sec) * 8,
            flags,
        ) {
            p.with_max_frames_per_packet(15 * s.frame_len as u64);
        }
    }
    Ok(p)
}

/// Most samples per channel one packet may decode to (about 24 s at 44.1 kHz).
const MAX_FRAMES_PER_PACKET: usize = 1 << 20;

const PROFILES: &[CodecProfileInfo] = &[
    CodecProfileInfo {
        profile: CodecProfile::new(TAG_WMAV1 as u32),
        short_name: "wmav1",
        long_name: "Windows Media Audio 1",
    },
    CodecProfileInfo {
        profile: CodecProfile::new(TAG_WMAV2 as u32),
        short_name: "wmav2",
        long_name: "Windows Media Audio 2",
    },
];

/// Windows Media Audio v1/v2 decoder.
pub struct WmaDecoder {
    params: AudioCodecParameters,
    block_align: usize,
    inner: SuperframeDecoder,
    /// Per-channel samples of the packet being decoded.
    planes: Vec<Vec<f32>>,
    buf: AudioBuffer<f32>,
    eof_done: bool,
}

impl WmaDecoder {
    pub fn try_new(params: &AudioCodecParameters, _opts: &AudioDecoderOptions) -> Result<Self> {
        if params.codec != CODEC_ID_WMA {
            return unsupported_error("wma: invalid codec");
        }
        let wfx = match &params.extra_data {
            Some(d) => WaveFormatEx::parse(d)?,
            None => return unsupported_error("wma: the WAVEFORMATEX is required as extra data"),
        };
        // The profile, when given, is the format tag; it must agree with the WAVEFORMATEX.
        let tag = match params.profile {
            Some(p) => match u16::try_from(p.get()) {
                Ok(t) => t,
                Err(_) => return unsupported_error("wma: unknown WMA format tag"),
            },
            None => wfx.format_tag,
        };
        let version = check_supported_tag(tag)?;
        if tag != wfx.format_tag {
            return unsupported_error("wma: profile and WAVEFORMATEX format tag disagree");
        }
        if wfx.block_align == 0 {
            return unsupported_error("wma: block align must not be zero");
        }
        let flags = Flags::from_extra(version, &wfx.extra);
        let setup = Setup::new(
            version,
            usize::from(wfx.channels),
            wfx.sample_rate,
            u64::from(wfx.avg_bytes_per_sec) * 8,
            flags,
        )?;
        let frame_len = setup.frame_len;
        let channels = setup.channels;
        let spec = AudioSpec::new(wfx.sample_rate, channels_for(wfx.channels));
        let mut params = params.clone();
        params
            .with_sample_rate(wfx.sample_rate)
            .with_channels(channels_for(wfx.channels))
            .with_max_frames_per_packet(15 * frame_len as u64);
        Ok(WmaDecoder {
            params,
            block_align: usize::from(wfx.block_align),
            inner: SuperframeDecoder::new(FrameDecoder::new(setup)),
            planes: vec![Vec::new(); channels],
            buf: AudioBuffer::new(spec, 15 * frame_len),
            eof_done: false,
        })
    }

    /// Samples per channel in one frame (512, 1024 or 2048).
    pub fn frame_len(&self) -> usize {
        self.inner.frames.s.frame_len
    }

    /// Start-up delay in samples (2·frame_len) that FFmpeg trims from the raw output by
    /// default; the first frame is only a half-overlapped window.
    pub fn codec_delay(&self) -> usize {
        2 * self.frame_len()
    }

    /// Counts of the coding tools met since the decoder was made (diagnostics).
    pub fn stats(&self) -> &DecodeStats {
        &self.inner.frames.stats
    }

    /// The extradata flags word (`flags2`) in use.
    pub fn flags2(&self) -> u16 {
        self.inner.frames.s.flags.flags2
    }

    /// The superframe size (nBlockAlign).
    pub fn block_align(&self) -> usize {
        self.block_align
    }

    /// End of stream: returns, once, the last frame's pending overlap (frame_len samples), as
    /// FFmpeg does when drained. Later calls return an empty buffer until the next `reset`.
    pub fn flush(&mut self) -> GenericAudioBufferRef<'_> {
        self.buf.clear();
        if !self.eof_done {
            self.eof_done = true;
            self.inner.clear_reservoir();
            let fl = self.frame_len();
            self.buf.render_uninit(Some(fl));
            for (ch, tail) in self.inner.frames.tail().enumerate() {
                if let Some(p) = self.buf.plane_mut(ch) {
                    p.copy_from_slice(tail);
                }
            }
        }
        self.buf.as_generic_audio_buffer_ref()
    }

    fn decode_inner(&mut self, data: &[u8]) -> Result<()> {
        for p in &mut self.planes {
            p.clear();
        }
        if data.is_empty() {
            return Ok(());
        }
        if !data.len().is_multiple_of(self.block_align) {
            return decode_error("wma: packet is not a whole number of superframes");
        }
        for sf in data.chunks_exact(self.block_align) {
            if let Err(msg) = self.inner.decode(sf, &mut self.planes) {
                return decode_error(msg);
            }
            // A superframe of a few bytes can legally yield up to 15 silent frames, so bound
            // what one packet may expand to.
            if self.planes.first().map_or(0, Vec::len) > MAX_FRAMES_PER_PACKET {
                return decode_error("wma: packet expands to too many samples");
            }
        }
        let frames = self.planes.first().map_or(0, Vec::len);
        self.buf.grow_capacity(frames);
        self.buf.render_uninit(Some(frames));
        for (ch, src) in self.planes.iter().enumerate() {
            if let Some(p) = self.buf.plane_mut(ch) {
                p.copy_from_slice(src);
            }
        }
        Ok(())
    }
}

impl AudioDecoder for WmaDecoder {
    /// After a seek: forget the bit reservoir. Like FFmpeg's flush, the overlap buffers and
    /// the noise generator position are kept.
    fn reset(&mut self) {
        self.inner.clear_reservoir();
        self.eof_done = false;
        self.buf.clear();
    }

    fn codec_info(&self) -> &CodecInfo {
        &Self::supported_codecs()[0].info
    }

    fn codec_params(&self) -> &AudioCodecParameters {
        &self.params
    }

    fn decode_ref(&mut self, packet: &PacketRef<'_>) -> Result<GenericAudioBufferRef<'_>> {
        self.buf.clear();
        if let Err(e) = self.decode_inner(packet.data) {
            self.buf.clear();
            return Err(e);
        }
        Ok(self.buf.as_generic_audio_buffer_ref())
    }

    fn finalize(&mut self) -> FinalizeResult {
        Default::default()
    }

    fn last_decoded(&self) -> GenericAudioBufferRef<'_> {
        self.buf.as_generic_audio_buffer_ref()
    }
}

impl RegisterableAudioDecoder for WmaDecoder {
    fn try_registry_new(
        params: &AudioCodecParameters,
        opts: &AudioDecoderOptions,
    ) -> Result<Box<dyn AudioDecoder>>
    where
        Self: Sized,
    {
        Ok(Box::new(WmaDecoder::try_new(params, opts)?))
    }

    fn supported_codecs() -> &'static [SupportedAudioCodec] {
        &[support_audio_codec!(
            CODEC_ID_WMA,
            "wma",
            "Windows Media Audio 1/2",
            PROFILES
        )]
    }
}
