//! From an ASF audio stream to a symphonia decoder: codec names, the choice of stream, and the
//! mapping of WAVEFORMATEX to `AudioCodecParameters`.

use mmsplay_asf::{Header, StreamKind, WaveFormatEx};
use symphonia::core::audio::{Channels, Position};
use symphonia::core::codecs::CodecProfile;
use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::registry::CodecRegistry;

use crate::audio::ChannelLayout;

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
    /// WAVEFORMATEXTENSIBLE: the real format is the SubFormat GUID's first two bytes.
    pub const EXTENSIBLE: u16 = 0xFFFE;
}

/// The KSDATAFORMAT_SUBTYPE_* GUIDs are `XXXXXXXX-0000-0010-8000-00aa00389b71` with the format
/// tag in the first field; these are the last 12 bytes as stored (little-endian fields).
const SUBFORMAT_BASE_TAIL: [u8; 12] = [
    0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// A WAVEFORMATEXTENSIBLE stated as the plain WAVEFORMATEX of its SubFormat (the extra bytes,
/// with the channel mask, are kept); any other format as it is. An unknown SubFormat keeps
/// the 0xFFFE tag and is reported as unsupported.
pub fn resolve_extensible(w: &WaveFormatEx) -> WaveFormatEx {
    let mut w = w.clone();
    if w.format_tag == tag::EXTENSIBLE
        && w.extra.len() >= 22
        && w.extra[8..10] == [0, 0]
        && w.extra[10..22] == SUBFORMAT_BASE_TAIL
    {
        w.format_tag = u16::from_le_bytes([w.extra[6], w.extra[7]]);
    }
    w
}

/// The speaker positions a stream declares: the `dwChannelMask` of a WAVEFORMATEXTENSIBLE, or
/// the one WMA Pro and WMA Lossless keep at the same place in their extra bytes; else (or
/// when the mask does not name as many positions as there are channels) WAVEFORMATEX's
/// default for the channel count.
pub fn declared_layout(w: &WaveFormatEx) -> ChannelLayout {
    let carries_mask = match w.format_tag {
        tag::EXTENSIBLE => w.extra.len() >= 22,
        tag::WMA_PRO | tag::WMA_LOSSLESS => w.extra.len() >= 6,
        _ => {
            // Resolved from an extensible header: the mask is still in the extra bytes.
            w.extra.len() >= 22 && w.extra[10..22] == SUBFORMAT_BASE_TAIL
        }
    };
    let mask = if carries_mask {
        u32::from_le_bytes([w.extra[2], w.extra[3], w.extra[4], w.extra[5]])
    } else {
        0
    };
    ChannelLayout::new(w.channels, mask)
}

/// The sample depth the stream delivers, for the `stream` event: the WAVEFORMATEX's
/// wBitsPerSample where it means that (PCM, WMA Pro and WMA Lossless, whose output depth it
/// declares); lossy v1/v2, ADPCM and MPEG state a coding detail or nothing there.
pub fn bits_per_sample(w: &WaveFormatEx) -> Option<u16> {
    let meaningful = matches!(
        w.format_tag,
        tag::PCM | tag::IEEE_FLOAT | tag::WMA_PRO | tag::WMA_LOSSLESS
    );
    (meaningful && w.bits_per_sample > 0).then_some(w.bits_per_sample)
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

/// The decoder's channels: the declared positions where the stream names them.
fn channels(w: &WaveFormatEx) -> Channels {
    let layout = declared_layout(w);
    match Position::from_wave_channel_mask(layout.mask()) {
        Some(p) if p.bits().count_ones() == u32::from(w.channels) => Channels::Positioned(p),
        _ => Channels::Discrete(w.channels),
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
    p.with_sample_rate(w.sample_rate).with_channels(channels(w));
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
        tag::WMA_V1 | tag::WMA_V2 | tag::WMA_PRO | tag::WMA_LOSSLESS | tag::WMA_VOICE => {
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

/// Picks the stream to play: the one asked for, else the decodable audio stream with the
/// highest bitrate. When nothing is decodable the error names the first audio codec.
pub fn choose_stream(
    h: &Header,
    wanted: Option<u16>,
    registry: &CodecRegistry,
) -> Result<ChosenStream, CodecError> {
    let audio: Vec<_> = h
        .streams
        .iter()
        .filter(|s| s.kind == StreamKind::Audio && s.audio.is_some())
        .filter(|s| wanted.is_none_or(|w| u16::from(s.number) == w))
        .collect();
    if audio.is_empty() {
        return Err(match wanted {
            Some(w) => CodecError::NoSuchStream(w),
            None => CodecError::NoAudio,
        });
    }
    let mut best: Option<ChosenStream> = None;
    let mut first_err = None;
    for s in audio {
        let Some(w) = s.audio.as_ref().map(resolve_extensible) else {
            continue;
        };
        if s.encrypted || h.drm {
            first_err.get_or_insert(CodecError::Drm);
            continue;
        }
        match stream_params(&w) {
            Ok((params, framing)) if decodable(registry, &params, framing) => {
                let bitrate = h.stream_bitrate(s.number);
                if best.as_ref().is_none_or(|b| bitrate > b.bitrate) {
                    best = Some(ChosenStream {
                        number: s.number,
                        codec: codec_name(w.format_tag),
                        format: w,
                        params,
                        framing,
                        bitrate,
                    });
                }
            }
            Ok(_) => {
                first_err.get_or_insert(CodecError::Unsupported(codec_long_name(w.format_tag)));
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    best.ok_or_else(|| first_err.unwrap_or(CodecError::NoAudio))
}

/// Whether we have a decoder for these parameters. The WMA decoder takes every WMA-family
/// tag but has an engine for only some of them, so it is asked directly.
fn decodable(registry: &CodecRegistry, params: &AudioCodecParameters, framing: Framing) -> bool {
    if framing == Framing::Object {
        let opts = symphonia::core::codecs::audio::AudioDecoderOptions::default();
        return mmsplay_wma::WmaDecoder::try_new(params, &opts).is_ok();
    }
    registry.get_audio_decoder(params.codec).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAVEFORMATEXTENSIBLE for integer PCM with `mask`.
    fn extensible(channels: u16, bits: u16, mask: u32) -> WaveFormatEx {
        let mut w = WaveFormatEx::pcm(channels, 48_000, bits);
        w.format_tag = tag::EXTENSIBLE;
        w.extra.extend_from_slice(&bits.to_le_bytes());
        w.extra.extend_from_slice(&mask.to_le_bytes());
        w.extra.extend_from_slice(&tag::PCM.to_le_bytes());
        w.extra.extend_from_slice(&[0, 0]);
        w.extra.extend_from_slice(&SUBFORMAT_BASE_TAIL);
        w
    }

    #[test]
    fn extensible_pcm_is_pcm_with_its_channel_mask() {
        let w = resolve_extensible(&extensible(6, 24, 0x60F));
        assert_eq!(w.format_tag, tag::PCM);
        assert_eq!(codec_name(w.format_tag), "pcm");
        assert_eq!(bits_per_sample(&w), Some(24));
        let layout = declared_layout(&w);
        assert_eq!(
            (layout.mask(), layout.name().as_str()),
            (0x60F, "5.1(side)")
        );
        let (p, framing) = stream_params(&w).unwrap();
        assert_eq!(p.codec, CODEC_ID_PCM_S24LE);
        assert_eq!(p.channels.as_ref().map(Channels::count), Some(6));
        assert!(matches!(
            p.channels,
            Some(Channels::Positioned(pos)) if pos.bits() == 0x60F
        ));
        assert_eq!(
            framing,
            Framing::Blocks {
                block_align: 18,
                frames_per_block: 1
            }
        );
    }

    #[test]
    fn a_mask_that_disagrees_with_the_count_gives_the_default_layout() {
        let w = resolve_extensible(&extensible(6, 16, 0x3));
        assert_eq!(declared_layout(&w).name(), "5.1");
        // An unknown SubFormat stays unresolved, and is not decodable.
        let mut w = extensible(2, 16, 0x3);
        w.extra[10] = 0xFF;
        let w = resolve_extensible(&w);
        assert_eq!(w.format_tag, tag::EXTENSIBLE);
        assert!(stream_params(&w).is_err());
    }

    #[test]
    fn wma_pro_and_lossless_declare_mask_and_depth() {
        // WMA Pro's 18 extra bytes: bits per sample, channel mask, then codec fields.
        let mut w = WaveFormatEx {
            format_tag: tag::WMA_PRO,
            channels: 6,
            sample_rate: 48_000,
            avg_bytes_per_sec: 48_000,
            block_align: 8_192,
            bits_per_sample: 24,
            extra: vec![0; 18],
        };
        w.extra[0..2].copy_from_slice(&24u16.to_le_bytes());
        w.extra[2..6].copy_from_slice(&0x3Fu32.to_le_bytes());
        assert_eq!(declared_layout(&w).name(), "5.1");
        assert_eq!(bits_per_sample(&w), Some(24));
        let (p, framing) = stream_params(&w).unwrap();
        assert_eq!(framing, Framing::Object);
        assert_eq!(p.codec, CODEC_ID_WMA);
        w.format_tag = tag::WMA_LOSSLESS;
        assert_eq!(bits_per_sample(&w), Some(24));
        // Lossy v2 states 16 there, which says nothing about the output.
        w.format_tag = tag::WMA_V2;
        assert_eq!(bits_per_sample(&w), None);
    }
}
