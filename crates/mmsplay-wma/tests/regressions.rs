//! The decoder's contract with the player: parameters, refusals, packet handling, error
//! recovery, end of stream, and never panicking on hostile bytes.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mmsplay_wma::{WmaDecoder, codec_name, codec_params_from_waveformatex};
use symphonia_core::audio::GenericAudioBufferRef;
use symphonia_core::codecs::CodecProfile;
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::errors::Error;
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

/// The raw decoder output, as FFmpeg's `-flags2 +skip_manual` gives it: no gapless trim.
fn raw() -> AudioDecoderOptions {
    let mut o = AudioDecoderOptions::default();
    o.gapless = false;
    o
}

fn wfx(
    tag: u16,
    channels: u16,
    rate: u32,
    avg_bytes: u32,
    block_align: u16,
    extra: &[u8],
) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&tag.to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&avg_bytes.to_le_bytes());
    v.extend_from_slice(&block_align.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(&(extra.len() as u16).to_le_bytes());
    v.extend_from_slice(extra);
    v
}

fn decoder(w: &[u8]) -> Result<WmaDecoder, Error> {
    let params = codec_params_from_waveformatex(w)?;
    WmaDecoder::try_new(&params, &raw())
}

fn packet(data: &[u8]) -> Packet {
    Packet::new(0, Timestamp::new(0), Duration::new(0), data.to_vec())
}

fn frames(r: &Result<GenericAudioBufferRef<'_>, Error>) -> Option<usize> {
    r.as_ref().ok().map(|b| b.frames())
}

/// The player's path: register, then build the decoder through the registry.
#[test]
fn registers_with_symphonia() {
    use symphonia_core::codecs::registry::CodecRegistry;
    let mut registry = CodecRegistry::new();
    registry.register_audio_decoder::<WmaDecoder>();
    let file = std::fs::read(data_path("wmav1_11025_1ch_24k_tone.wma")).unwrap();
    let asf = demux(&file, 0);
    let params = codec_params_from_waveformatex(&asf.wfx).unwrap();
    let mut dec = registry.make_audio_decoder(&params, &raw()).unwrap();
    assert_eq!(dec.codec_info().short_name, "wma");
    assert_eq!(frames(&dec.decode(&packet(&asf.objects[0]))), Some(512));
    let pro = wfx(0x0162, 2, 44100, 6000, 2230, &[0; 18]);
    let params = codec_params_from_waveformatex(&pro).unwrap();
    assert!(registry.make_audio_decoder(&params, &raw()).is_err());
}

#[test]
fn codec_names() {
    assert_eq!(codec_name(0x0160), "wmav1");
    assert_eq!(codec_name(0x0161), "wmav2");
    assert_eq!(codec_name(0x0162), "wmapro");
    assert_eq!(codec_name(0x0163), "wmalossless");
    assert_eq!(codec_name(0x000A), "wmavoice");
    assert_eq!(codec_name(0x0055), "unknown");
}

#[test]
fn params_from_waveformatex() {
    let w = wfx(
        0x0161,
        2,
        44100,
        16000,
        5945,
        &[0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
    );
    let p = codec_params_from_waveformatex(&w).unwrap();
    assert_eq!(p.profile, Some(CodecProfile::new(0x0161)));
    assert_eq!(p.sample_rate, Some(44100));
    assert_eq!(p.channels.as_ref().map(|c| c.count()), Some(2));
    assert_eq!(p.extra_data.as_deref(), Some(&w[..]));
    assert!(codec_params_from_waveformatex(&w[..17]).is_err());
}

#[test]
fn refuses_unknown_tags_by_name() {
    for (tag, want) in [(0x0164u16, "wma: unknown WMA format tag")] {
        match decoder(&wfx(tag, 2, 44100, 16000, 2000, &[0; 18])) {
            Err(Error::Unsupported(msg)) => assert_eq!(msg, want),
            other => panic!("tag {tag:#06x}: {:?}", other.err()),
        }
    }
}

/// WMA Lossless needs its 18 extra bytes with a bit depth of 16 or 24, at most 8 channels
/// and a packet size.
#[test]
fn lossless_refuses_impossible_stream_parameters() {
    let mut extra = [0u8; 18];
    extra[0] = 16;
    let dec = decoder(&wfx(0x0163, 2, 44100, 0, 13375, &extra)).unwrap();
    // The bit depth is in the codec parameters (lossless output is exact at that depth).
    assert_eq!(dec.codec_params().bits_per_sample, Some(16));
    extra[0] = 24;
    let p = codec_params_from_waveformatex(&wfx(0x0163, 1, 96000, 0, 9000, &extra)).unwrap();
    assert_eq!(p.bits_per_sample, Some(24));
    extra[0] = 16;
    let mut bits20 = extra;
    bits20[0] = 20;
    for w in [
        wfx(0x0163, 2, 44100, 0, 13375, &[0; 18]),
        wfx(0x0163, 2, 44100, 0, 13375, &bits20),
        wfx(0x0163, 2, 44100, 0, 13375, &extra[..10]),
        wfx(0x0163, 9, 44100, 0, 13375, &extra),
        wfx(0x0163, 2, 44100, 0, 0, &extra),
    ] {
        assert!(matches!(decoder(&w), Err(Error::Unsupported(_))), "{w:?}");
    }
}

/// WMA Voice is decoded, but only as the format allows: mono, 46 extradata bytes.
#[test]
fn refuses_impossible_voice_streams() {
    let mut extra = [0u8; 46];
    for w in [
        wfx(0x000A, 2, 22050, 2500, 1088, &extra),
        wfx(0x000A, 1, 22050, 2500, 1088, &[0; 18]),
        wfx(0x000A, 1, 44100, 2500, 1088, &extra),
    ] {
        assert!(matches!(decoder(&w), Err(Error::Unsupported(_))), "{w:?}");
    }
    // Denoise strength 12 does not exist.
    extra[18] = 12 << 2;
    assert!(decoder(&wfx(0x000A, 1, 22050, 2500, 1088, &extra)).is_err());
}

#[test]
fn refuses_impossible_stream_parameters() {
    let extra = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0];
    for w in [
        wfx(0x0161, 0, 44100, 16000, 743, &extra),
        wfx(0x0161, 3, 44100, 16000, 743, &extra),
        wfx(0x0161, 2, 0, 16000, 743, &extra),
        wfx(0x0161, 2, 96000, 16000, 743, &extra),
        wfx(0x0161, 2, 44100, 0, 743, &extra),
        wfx(0x0161, 2, 44100, 16000, 0, &extra),
        wfx(0x0161, 1, 8000, u32::MAX, 743, &extra),
    ] {
        assert!(matches!(decoder(&w), Err(Error::Unsupported(_))), "{w:?}");
    }
}

/// One packet of N superframes gives the samples of the N superframes decoded one by one.
#[test]
fn several_superframes_in_one_packet() {
    let file = std::fs::read(data_path("wmav2_44100_2ch_128k_music.wma")).unwrap();
    let asf = demux(&file, 0);
    let mut one = decoder(&asf.wfx).unwrap();
    let mut expected = vec![Vec::new(); 2];
    for o in &asf.objects[..3] {
        append_planes(&one.decode(&packet(o)).unwrap(), &mut expected);
    }
    let mut all = decoder(&asf.wfx).unwrap();
    let joined: Vec<u8> = asf.objects[..3].concat();
    let mut got = vec![Vec::new(); 2];
    append_planes(&all.decode(&packet(&joined)).unwrap(), &mut got);
    assert_eq!(got[0].len(), 3 * all.frame_len());
    assert_eq!(got, expected);
}

/// A damaged superframe is a decode error with an empty buffer; the next packet decodes.
#[test]
fn damaged_packet_then_recovery() {
    let file = std::fs::read(data_path("wmav2_44100_2ch_128k_music.wma")).unwrap();
    let asf = demux(&file, 0);
    let mut dec = decoder(&asf.wfx).unwrap();
    let fl = dec.frame_len();
    assert_eq!(frames(&dec.decode(&packet(&asf.objects[0]))), Some(fl));

    // All ones: coded channels whose total gain runs past the end of the superframe.
    let bad = vec![0xFFu8; asf.objects[1].len()];
    assert!(matches!(
        dec.decode(&packet(&bad)),
        Err(Error::DecodeError(_))
    ));
    assert_eq!(dec.last_decoded().frames(), 0);

    // Not a whole number of superframes.
    let short = &asf.objects[1][..10];
    assert!(matches!(
        dec.decode(&packet(short)),
        Err(Error::DecodeError(_))
    ));
    assert_eq!(dec.last_decoded().frames(), 0);

    // A good superframe followed by a bad one in one packet fails as a whole.
    let mixed = [asf.objects[1].clone(), bad].concat();
    assert!(dec.decode(&packet(&mixed)).is_err());

    assert_eq!(frames(&dec.decode(&packet(&asf.objects[2]))), Some(fl));
    assert_eq!(dec.last_decoded().frames(), fl);
    assert_eq!(frames(&dec.decode(&packet(&[]))), Some(0));
}

/// End of stream gives the pending overlap once; reset re-arms it.
#[test]
fn flush_once_and_reset() {
    let file = std::fs::read(data_path("wmav2_8000_1ch_24k_tone.wma")).unwrap();
    let asf = demux(&file, 0);
    let mut dec = decoder(&asf.wfx).unwrap();
    for o in &asf.objects {
        dec.decode(&packet(o)).unwrap();
    }
    let fl = dec.frame_len();
    let tail = dec.flush();
    assert_eq!(tail.frames(), fl);
    assert_eq!(dec.flush().frames(), 0);
    dec.reset();
    assert_eq!(dec.codec_delay(), 2 * fl);
    assert_eq!(dec.flush().frames(), fl);
}

/// After `reset` a reservoir stream resynchronises: the first superframe loses only the
/// frame that began before it.
#[test]
fn reservoir_resync_after_reset() {
    let Some(path) = ms_file("issue_29.wma") else {
        return;
    };
    let file = std::fs::read(path).unwrap();
    let asf = demux(&file, 0);
    let mut dec = decoder(&asf.wfx).unwrap();
    let ba = dec.block_align();
    let fl = dec.frame_len();
    let sfs: Vec<&[u8]> = asf
        .objects
        .iter()
        .flat_map(|o| o.chunks_exact(ba))
        .collect();
    assert!(sfs.len() >= 3);
    let n0 = frames(&dec.decode(&packet(sfs[0]))).unwrap();
    let n1 = frames(&dec.decode(&packet(sfs[1]))).unwrap();
    dec.reset();
    let again = frames(&dec.decode(&packet(sfs[1]))).unwrap();
    assert_eq!(
        again + fl,
        n1,
        "first superframe after reset: one frame fewer"
    );
    assert!(n0 > 0);
    assert!(frames(&dec.decode(&packet(sfs[2]))).unwrap() > 0);
}

/// xorshift64* byte source.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 56) as u8).collect()
    }
}

/// Random superframes under every flag combination, version, channel count and a spread of
/// rates never panic, and every packet either decodes whole frames or fails cleanly.
#[test]
fn random_superframes_never_panic() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    for version in [0x0160u16, 0x0161] {
        for channels in [1u16, 2] {
            for (rate, avg_bytes) in [
                (8000u32, 700u32),
                (22050, 4000),
                (32000, 6000),
                (44100, 16000),
            ] {
                for flags2 in 0u16..32 {
                    let mut extra = vec![0u8; if version == 0x0160 { 4 } else { 10 }];
                    let at = if version == 0x0160 { 2 } else { 4 };
                    extra[at..at + 2].copy_from_slice(&flags2.to_le_bytes());
                    let block_align = 64 + (rng.next_u64() % 700) as u16;
                    let w = wfx(version, channels, rate, avg_bytes, block_align, &extra);
                    let mut dec = decoder(&w).unwrap();
                    let fl = dec.frame_len();
                    for i in 0..12 {
                        let n = usize::from(block_align) * (1 + i % 2);
                        let data = rng.bytes(n);
                        if let Ok(buf) = dec.decode(&packet(&data)) {
                            assert_eq!(buf.frames() % fl, 0);
                        } else {
                            assert_eq!(dec.last_decoded().frames(), 0);
                        }
                    }
                    dec.reset();
                    let _ = dec.decode(&packet(&rng.bytes(usize::from(block_align))));
                    let _ = dec.flush();
                }
            }
        }
    }
}

/// Tiny superframes can each yield many silent frames; a huge packet of them is refused
/// rather than expanded without bound.
#[test]
fn packet_expansion_is_bounded() {
    let w = wfx(
        0x0161,
        2,
        44100,
        16000,
        8,
        &[0, 0, 0, 0, 0x03, 0, 0, 0, 0, 0],
    );
    let mut dec = decoder(&w).unwrap();
    // Superframe: index 0, 15 frames, bit offset 0, then zero bits (blocks with no coded
    // channel decode as silence).
    let sf = [0x0F, 0, 0, 0, 0, 0, 0, 0];
    let n = frames(&dec.decode(&packet(&sf)));
    assert_eq!(n, Some(14 * dec.frame_len()));
    let huge: Vec<u8> = sf.iter().copied().cycle().take(8 * 100_000).collect();
    assert!(matches!(
        dec.decode(&packet(&huge)),
        Err(Error::DecodeError(_))
    ));
}

/// Random WAVEFORMATEX bytes never panic the constructor.
#[test]
fn random_waveformatex_never_panics() {
    let mut rng = Rng(42);
    for i in 0..5000 {
        let mut w = rng.bytes(18 + i % 16);
        // Keep the tag a WMA v1/v2 one half of the time so set-up is reached.
        if i % 2 == 0 {
            w[0] = 0x60 + (i % 4 == 0) as u8;
            w[1] = 0x01;
            w[2] = 1 + (i % 3) as u8;
            w[3] = 0;
        }
        let _ = decoder(&w);
    }
}

/// symphonia's `gapless` option (the default) drops exactly the codec delay at the start and
/// changes nothing else; the end-of-stream frame still comes from `flush`.
#[test]
fn gapless_drops_the_codec_delay() {
    let file = std::fs::read(data_path("wmav2_22050_2ch_32k_music.wma")).unwrap();
    let asf = demux(&file, 0);
    let params = codec_params_from_waveformatex(&asf.wfx).unwrap();
    let collect = |opts: &AudioDecoderOptions| {
        let mut dec = WmaDecoder::try_new(&params, opts).unwrap();
        let mut left: Vec<f32> = Vec::new();
        for o in &asf.objects {
            let buf = dec.decode(&packet(o)).unwrap();
            let mut v: Vec<f32> = Vec::new();
            buf.copy_to_vec_interleaved::<f32>(&mut v);
            left.extend(v.iter().step_by(2).copied());
        }
        let delay = dec.codec_delay();
        let mut v: Vec<f32> = Vec::new();
        dec.flush().copy_to_vec_interleaved::<f32>(&mut v);
        left.extend(v.iter().step_by(2).copied());
        (left, delay)
    };
    let (raw_out, delay) = collect(&raw());
    let (gapless_out, _) = collect(&AudioDecoderOptions::default());
    assert!(delay > 0 && raw_out.len() > delay);
    assert_eq!(gapless_out.len(), raw_out.len() - delay);
    assert_eq!(gapless_out[..], raw_out[delay..]);
}
