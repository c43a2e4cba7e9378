//! A pure-Rust decoder for the Windows Media Audio family as a symphonia 0.6
//! [`AudioDecoder`]: WMA v1 and v2 (format tags 0x0160 and 0x0161) today; WMA Pro (0x0162),
//! WMA Lossless (0x0163) and WMA Voice (0x000A) plug in as further engines.
//!
//! The behaviour follows FFmpeg's decoders (the de-facto reference; see `docs/` in the
//! repository), and the output is planar f32 like FFmpeg's `fltp`.
//!
//! * Codec parameters: `codec = CODEC_ID_WMA`, `profile = CodecProfile::new(wFormatTag)` and
//!   `extra_data` = the complete WAVEFORMATEX (18 bytes + cbSize bytes). See
//!   [`codec_params_from_waveformatex`].
//! * One registered decoder, [`WmaDecoder`], dispatches to an engine by format tag (`engine`).
//! * With symphonia's `gapless` option (the default) the codec delay is dropped at the start,
//!   as FFmpeg's command-line tool does; [`WmaDecoder::flush`] returns the last frame at end of
//!   stream. With `gapless: false` the output is the engine's raw output.
//!
//! Module map of the v1/v2 engine (`classic`): `extradata` (WAVEFORMATEX and flags) → `setup`
//! (derived parameters) with `bands`; `superframe` (bit reservoir) → `frame` (blocks) →
//! `exponents`/`lsp`, `coefficients` (+ `noise`), `stereo`, `window` (IMDCT and overlap-add).
//! Tables live in `codebook_data`, `bands` and `lsp`, each with its provenance (see
//! `TABLES.md` beside this crate's `Cargo.toml`).

#![forbid(unsafe_code)]

mod bands;
mod bitreader;
mod classic;
mod codebook_data;
mod codebooks;
mod coefficients;
mod engine;
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

use classic::ClassicEngine;
use engine::Engine;
use extradata::{TAG_WMALOSSLESS, TAG_WMAPRO, TAG_WMAV1, TAG_WMAV2, TAG_WMAVOICE, WaveFormatEx};
pub use frame::DecodeStats;

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

/// The engine for a format tag. Each WMA-family member lives in its own modules and is reached
/// only through this match and the [`Engine`] trait.
fn make_engine(w: &WaveFormatEx) -> Result<Box<dyn Engine>> {
    match w.format_tag {
        TAG_WMAV1 | TAG_WMAV2 => Ok(Box::new(ClassicEngine::new(w)?)),
        TAG_WMAPRO => unsupported_error("wma: WMA Pro is not supported yet"),
        TAG_WMALOSSLESS => unsupported_error("wma: WMA Lossless is not supported yet"),
        TAG_WMAVOICE => unsupported_error("wma: WMA Voice is not supported yet"),
        _ => unsupported_error("wma: unknown WMA format tag"),
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
    if let Ok(engine) = make_engine(&w) {
        p.with_max_frames_per_packet(engine.max_frames_per_packet() as u64);
    }
    Ok(p)
}

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
    CodecProfileInfo {
        profile: CodecProfile::new(TAG_WMAPRO as u32),
        short_name: "wmapro",
        long_name: "Windows Media Audio 9 Professional",
    },
    CodecProfileInfo {
        profile: CodecProfile::new(TAG_WMALOSSLESS as u32),
        short_name: "wmalossless",
        long_name: "Windows Media Audio 9 Lossless",
    },
    CodecProfileInfo {
        profile: CodecProfile::new(TAG_WMAVOICE as u32),
        short_name: "wmavoice",
        long_name: "Windows Media Audio 9 Voice",
    },
];

/// The Windows Media Audio decoder: one engine per format tag behind symphonia's
/// [`AudioDecoder`].
pub struct WmaDecoder {
    params: AudioCodecParameters,
    block_align: usize,
    engine: Box<dyn Engine>,
    /// Per-channel samples of the packet being decoded.
    planes: Vec<Vec<f32>>,
    buf: AudioBuffer<f32>,
    /// With `gapless`: raw samples per channel still to drop at the start.
    to_skip: usize,
}

impl WmaDecoder {
    pub fn try_new(params: &AudioCodecParameters, opts: &AudioDecoderOptions) -> Result<Self> {
        if params.codec != CODEC_ID_WMA {
            return unsupported_error("wma: invalid codec");
        }
        let wfx = match &params.extra_data {
            Some(d) => WaveFormatEx::parse(d)?,
            None => return unsupported_error("wma: the WAVEFORMATEX is required as extra data"),
        };
        // The profile, when given, is the format tag; it must agree with the WAVEFORMATEX.
        if let Some(p) = params.profile
            && u32::from(wfx.format_tag) != p.get()
        {
            return unsupported_error("wma: profile and WAVEFORMATEX format tag disagree");
        }
        if wfx.channels == 0 {
            return unsupported_error("wma: the stream declares no channels");
        }
        let engine = make_engine(&wfx)?;
        let max_frames = engine.max_frames_per_packet();
        let spec = AudioSpec::new(wfx.sample_rate, channels_for(wfx.channels));
        let mut params = params.clone();
        params
            .with_sample_rate(wfx.sample_rate)
            .with_channels(channels_for(wfx.channels))
            .with_max_frames_per_packet(max_frames as u64);
        Ok(WmaDecoder {
            params,
            block_align: usize::from(wfx.block_align),
            to_skip: if opts.gapless {
                engine.codec_delay()
            } else {
                0
            },
            engine,
            planes: vec![Vec::new(); usize::from(wfx.channels)],
            buf: AudioBuffer::new(spec, max_frames),
        })
    }

    fn classic(&self) -> &ClassicEngine {
        self.engine
            .classic()
            .expect("a v1/v2 accessor called on another WMA engine")
    }

    /// Samples per channel in one frame (512, 1024 or 2048). WMA v1/v2 only.
    pub fn frame_len(&self) -> usize {
        self.classic().frame_len()
    }

    /// Start-up delay in samples of the raw output (for v1/v2, 2·frame_len: the first frame
    /// is only a half-overlapped window). With the `gapless` option it is already dropped.
    pub fn codec_delay(&self) -> usize {
        self.engine.codec_delay()
    }

    /// Counts of the coding tools met since the decoder was made (diagnostics). WMA v1/v2
    /// only.
    pub fn stats(&self) -> &DecodeStats {
        self.classic().stats()
    }

    /// The extradata flags word (`flags2`) in use. WMA v1/v2 only.
    pub fn flags2(&self) -> u16 {
        self.classic().flags2()
    }

    /// The packet size the stream declares (nBlockAlign).
    pub fn block_align(&self) -> usize {
        self.block_align
    }

    /// End of stream: returns, once, what the engine still holds (the last frame's pending
    /// overlap), as FFmpeg does when drained. Later calls return an empty buffer until the
    /// next `reset`.
    pub fn flush(&mut self) -> GenericAudioBufferRef<'_> {
        for p in &mut self.planes {
            p.clear();
        }
        self.engine.flush(&mut self.planes);
        self.emit_planes();
        self.buf.as_generic_audio_buffer_ref()
    }

    /// Copies the decoded planes into the output buffer, dropping what gapless still skips.
    fn emit_planes(&mut self) {
        self.buf.clear();
        let frames = self.planes.first().map_or(0, Vec::len);
        let skip = self.to_skip.min(frames);
        self.to_skip -= skip;
        let n = frames - skip;
        self.buf.grow_capacity(n);
        self.buf.render_uninit(Some(n));
        for (ch, src) in self.planes.iter().enumerate() {
            if let Some(p) = self.buf.plane_mut(ch) {
                p.copy_from_slice(&src[skip..]);
            }
        }
    }

    fn decode_inner(&mut self, data: &[u8]) -> Result<()> {
        for p in &mut self.planes {
            p.clear();
        }
        if data.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.engine.decode(data, &mut self.planes) {
            return decode_error(e.0);
        }
        self.emit_planes();
        Ok(())
    }
}

impl AudioDecoder for WmaDecoder {
    /// After a seek: the engine forgets what links packets. The start-up delay is not dropped
    /// again: the overlap state that made it is kept, as in FFmpeg.
    fn reset(&mut self) {
        self.engine.reset();
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
            "Windows Media Audio",
            PROFILES
        )]
    }
}
