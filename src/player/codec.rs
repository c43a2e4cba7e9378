//! From an ASF audio stream to a symphonia decoder: codec names, the choice of stream, and the
//! mapping of WAVEFORMATEX to `AudioCodecParameters`.

use mmsplay_asf::{Header, StreamKind, WaveFormatEx};

use super::select::{Candidate, Selection, pick};
use symphonia::core::audio::Channels;
use symphonia::core::codecs::CodecProfile;
use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::registry::CodecRegistry;

/// WAVEFORMATEX format tags (RFC 2361 and the Windows SDK's mmreg.h).
pub mod tag {
    pub const PCM: u16 = 0x0001;
    pub const MS_ADPCM: u16 = 0x0002;
    pub const IEEE_FLOAT: u16 = 0x0003;
    pub const ALAW: u16 = 0x0006;
    pub const MULAW: u16 = 0x0007;
    pub const WMA_VOICE: u16 = 0x000A;
    pub const IMA_ADPCM: u16 = 0x0011;
    pub const MPEG: u16 = 0x0050;
    pub const MP3: u16 = 0x0055;
    pub const WMA_V1: u16 = 0x0160;
    pub const WMA_V2: u16 = 0x0161;
    pub const WMA_PRO: u16 = 0x0162;
    pub const WMA_LOSSLESS: u16 = 0x0163;
}

/// The codec's name in the `stream` event.
pub fn codec_name(format_tag: u16) -> &'static str {
    match format_tag {
        tag::PCM | tag::IEEE_FLOAT | tag::ALAW | tag::MULAW => "pcm",
        tag::MS_ADPCM => "adpcm_ms",
        tag::IMA_ADPCM => "adpcm_ima",
        tag::MP3 | tag::MPEG => "mp3",
        tag::WMA_V1 => "wmav1",
        tag::WMA_V2 => "wmav2",
        tag::WMA_PRO => "wmapro",
        tag::WMA_LOSSLESS => "wmalossless",
        tag::WMA_VOICE => "wmavoice",
        _ => "unknown",
    }
}

/// A longer name for errors and the TUI.
pub fn codec_long_name(format_tag: u16) -> String {
    match format_tag {
        tag::WMA_PRO => "WMA Pro".into(),
        tag::WMA_LOSSLESS => "WMA Lossless".into(),
        tag::WMA_VOICE => "WMA Voice".into(),
        tag::WMA_V1 => "WMA v1".into(),
        tag::WMA_V2 => "WMA v2".into(),
        t => match codec_name(t) {
            "unknown" => format!("format tag 0x{t:04X}"),
            n => n.to_string(),
        },
    }
}

/// How packets of a codec are cut before decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Whole blocks of `block_align` bytes, `frames_per_block` frames each (PCM, ADPCM).
    Blocks {
        block_align: usize,
        frames_per_block: u64,
    },
    /// MPEG audio: re-split into frames.
    Mpeg,
    /// One media object is one packet (WMA: N superframes).
    Object,
}

/// The stream chosen for playback and how to decode it.
#[derive(Clone, Debug)]
pub struct ChosenStream {
    pub number: u8,
    pub format: WaveFormatEx,
    pub codec: &'static str,
    pub params: AudioCodecParameters,
    pub framing: Framing,
    pub bitrate: u32,
    /// Lower-case BCP 47 tag, when the header says.
    pub language: Option<String>,
}

/// Why no stream can be played.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("the stream has no audio")]
    NoAudio,
    #[error("stream {0} does not exist or is not audio")]
    NoSuchStream(u16),
    #[error("unsupported codec: {0}")]
    Unsupported(String),
    #[error("the stream is DRM-protected, which is not supported")]
    Drm,
}

/// Largest number of frames handed to a block decoder at once.
pub const MAX_FRAMES_PER_PACKET: u64 = 16_384;

fn channels(n: u16) -> Channels {
    match n {
        1 => symphonia::core::audio::layouts::CHANNEL_LAYOUT_MONO,
        2 => symphonia::core::audio::layouts::CHANNEL_LAYOUT_STEREO,
        n => Channels::Discrete(n),
    }
}

/// Maps one audio stream to decoder parameters, or says why it cannot be decoded.
pub fn stream_params(w: &WaveFormatEx) -> Result<(AudioCodecParameters, Framing), CodecError> {
    let unsupported = || CodecError::Unsupported(codec_long_name(w.format_tag));
    if w.channels == 0 || w.sample_rate == 0 || w.sample_rate > 384_000 || w.channels > 8 {
        return Err(CodecError::Unsupported(format!(
            "{} with {} channels at {} Hz",
            codec_long_name(w.format_tag),
            w.channels,
            w.sample_rate
        )));
    }
    let mut p = AudioCodecParameters::new();
    p.with_sample_rate(w.sample_rate)
        .with_channels(channels(w.channels));
    let block_align = usize::from(w.block_align);
    let ch = usize::from(w.channels);
    let framing = match w.format_tag {
        tag::PCM | tag::IEEE_FLOAT | tag::ALAW | tag::MULAW => {
            let codec = match (w.format_tag, w.bits_per_sample) {
                (tag::PCM, 8) => CODEC_ID_PCM_U8,
                (tag::PCM, 16) => CODEC_ID_PCM_S16LE,
                (tag::PCM, 24) => CODEC_ID_PCM_S24LE,
                (tag::PCM, 32) => CODEC_ID_PCM_S32LE,
                (tag::IEEE_FLOAT, 32) => CODEC_ID_PCM_F32LE,
                (tag::IEEE_FLOAT, 64) => CODEC_ID_PCM_F64LE,
                (tag::ALAW, _) => CODEC_ID_PCM_ALAW,
                (tag::MULAW, _) => CODEC_ID_PCM_MULAW,
                _ => return Err(unsupported()),
            };
            let bytes = match w.format_tag {
                tag::ALAW | tag::MULAW => 1,
                _ => usize::from(w.bits_per_sample / 8),
            };
            p.for_codec(codec)
                .with_max_frames_per_packet(MAX_FRAMES_PER_PACKET);
            if !matches!(w.format_tag, tag::ALAW | tag::MULAW) {
                p.with_bits_per_sample(u32::from(w.bits_per_sample))
                    .with_bits_per_coded_sample(u32::from(w.bits_per_sample));
            }
            Framing::Blocks {
                block_align: bytes * ch,
                frames_per_block: 1,
            }
        }
        tag::MS_ADPCM | tag::IMA_ADPCM => {
            if block_align < 8 * ch {
                return Err(unsupported());
            }
            let from_extra = (w.extra.len() >= 2)
                .then(|| u64::from(u16::from_le_bytes([w.extra[0], w.extra[1]])));
            let computed = if w.format_tag == tag::MS_ADPCM {
                ((block_align - 7 * ch) * 2 / ch + 2) as u64
            } else {
                ((block_align - 4 * ch) * 8 / (4 * ch) + 1) as u64
            };
            let fpb = from_extra.filter(|v| *v > 0).unwrap_or(computed);
            let codec = if w.format_tag == tag::MS_ADPCM {
                CODEC_ID_ADPCM_MS
            } else {
                CODEC_ID_ADPCM_IMA_WAV
            };
            let blocks = (MAX_FRAMES_PER_PACKET / fpb).max(1);
            p.for_codec(codec)
                .with_frames_per_block(fpb)
                .with_max_frames_per_packet(blocks * fpb)
                .with_bits_per_coded_sample(4);
            Framing::Blocks {
                block_align,
                frames_per_block: fpb,
            }
        }
        tag::MP3 | tag::MPEG => {
            p.for_codec(if w.format_tag == tag::MP3 {
                CODEC_ID_MP3
            } else {
                CODEC_ID_MP2
            });
            Framing::Mpeg
        }
        tag::WMA_V1 | tag::WMA_V2 => {
            if block_align == 0 {
                return Err(unsupported());
            }
            p.for_codec(CODEC_ID_WMA)
                .with_profile(CodecProfile::new(u32::from(w.format_tag)))
                .with_extra_data(w.to_bytes().into_boxed_slice());
            Framing::Object
        }
        _ => return Err(unsupported()),
    };
    Ok((p, framing))
}

/// The decoders we have: symphonia's PCM, ADPCM and MPEG audio, and our WMA.
pub fn registry() -> CodecRegistry {
    let mut r = CodecRegistry::new();
    r.register_audio_decoder::<symphonia::default::codecs::PcmDecoder>();
    r.register_audio_decoder::<symphonia::default::codecs::AdpcmDecoder>();
    r.register_audio_decoder::<symphonia::default::codecs::MpaDecoder>();
    register_wma(&mut r);
    r
}

fn register_wma(r: &mut CodecRegistry) {
    r.register_audio_decoder::<mmsplay_wma::WmaDecoder>();
}

/// The decodable audio streams of a header, as the choice sees them, and why the first
/// undecodable one cannot be played (for the error when none can).
pub fn candidates(h: &Header, registry: &CodecRegistry) -> (Vec<Candidate>, Option<CodecError>) {
    let mut out = Vec::new();
    let mut first_err = None;
    for s in h.streams.iter().filter(|s| s.kind == StreamKind::Audio) {
        let Some(w) = s.audio.as_ref() else { continue };
        if s.encrypted || h.drm {
            first_err.get_or_insert(CodecError::Drm);
            continue;
        }
        match stream_params(w) {
            Ok((params, _)) if registry.get_audio_decoder(params.codec).is_some() => {
                out.push(Candidate {
                    number: s.number,
                    bitrate: h.stream_bitrate(s.number),
                    language: h.stream_language(s.number).map(str::to_string),
                });
            }
            Ok(_) => {
                first_err.get_or_insert(CodecError::Unsupported(codec_long_name(w.format_tag)));
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    (out, first_err)
}

/// How to decode stream `number`, which [`candidates`] listed.
pub fn chosen(h: &Header, number: u8) -> Result<ChosenStream, CodecError> {
    let s = h
        .stream(number)
        .filter(|s| s.kind == StreamKind::Audio)
        .ok_or(CodecError::NoSuchStream(u16::from(number)))?;
    let w = s
        .audio
        .as_ref()
        .ok_or(CodecError::NoSuchStream(u16::from(number)))?;
    let (params, framing) = stream_params(w)?;
    Ok(ChosenStream {
        number,
        format: w.clone(),
        codec: codec_name(w.format_tag),
        params,
        framing,
        bitrate: h.stream_bitrate(number),
        language: h.stream_language(number).map(str::to_string),
    })
}

/// Picks the stream to play by the rules of [`super::select`]: the one asked for, else the
/// preferred language's highest bitrate within the cap. When nothing is decodable the error
/// names the first audio codec.
pub fn choose_stream(
    h: &Header,
    sel: &Selection,
    registry: &CodecRegistry,
) -> Result<ChosenStream, CodecError> {
    if let Some(n) = sel.stream {
        let is_audio = h
            .streams
            .iter()
            .any(|s| u16::from(s.number) == n && s.kind == StreamKind::Audio);
        if !is_audio {
            return Err(CodecError::NoSuchStream(n));
        }
    } else if !h.streams.iter().any(|s| s.kind == StreamKind::Audio) {
        return Err(CodecError::NoAudio);
    }
    let (cands, first_err) = candidates(h, registry);
    match pick(&cands, sel) {
        Some(i) => chosen(h, cands[i].number),
        // --stream named an audio stream that cannot be decoded: say why.
        None => Err(first_err.unwrap_or(CodecError::NoAudio)),
    }
}
