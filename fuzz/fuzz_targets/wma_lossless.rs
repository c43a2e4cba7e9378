//! Fuzz target for the WMA Lossless decoder: arbitrary stream parameters and packets must
//! never panic, hang or allocate without bound, and every decode yields samples that are
//! exact integers of the stream's bit depth.
//!
//! Input layout: 8 bytes choose the WAVEFORMATEX (channels, sample rate, block align, bit
//! depth, decode flags); the rest is cut into demuxer packets of one block, or of one and a
//! half blocks (a short last piece), with an occasional reset; the stream is flushed at the
//! end. Run: `cargo +nightly fuzz run wma_lossless` from the repository root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::audio::GenericAudioBufferRef;
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

const RATES: [u32; 8] = [8000, 16000, 22050, 32000, 44100, 48000, 96000, 192000];

fn waveformatex(head: &[u8; 8]) -> Vec<u8> {
    let channels = u16::from(head[0] % 8) + 1;
    let rate = RATES[usize::from(head[1]) % RATES.len()];
    // Small packets keep each run short; the decoder's limits do not depend on them.
    let block_align = u16::from_le_bytes([head[2], head[3]]) % 2048 + 1;
    let bits: u16 = if head[4] & 1 == 0 { 16 } else { 24 };
    let flags = u16::from_le_bytes([head[5], head[6]]);
    let mut w = Vec::new();
    w.extend_from_slice(&0x0163u16.to_le_bytes());
    w.extend_from_slice(&channels.to_le_bytes());
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&(u32::from(block_align) * 8).to_le_bytes());
    w.extend_from_slice(&block_align.to_le_bytes());
    w.extend_from_slice(&bits.to_le_bytes());
    w.extend_from_slice(&18u16.to_le_bytes());
    let mut extra = [0u8; 18];
    extra[0..2].copy_from_slice(&bits.to_le_bytes());
    extra[14..16].copy_from_slice(&flags.to_le_bytes());
    w.extend_from_slice(&extra);
    w
}

fn check_exact(buf: &GenericAudioBufferRef<'_>, bits: u32) {
    let mut planes = vec![vec![0f32; buf.frames()]; buf.spec().channels().count()];
    let mut slices: Vec<&mut [f32]> = planes.iter_mut().map(|v| &mut v[..]).collect();
    buf.copy_to_slice_planar(&mut slices);
    let scale = (1u32 << (bits - 1)) as f32;
    for v in planes.iter().flatten() {
        let x = v * scale;
        assert!(x == x.trunc() && x.abs() <= scale, "{v} is not a {bits}-bit sample");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<8>() else {
        return;
    };
    let Ok(params) = codec_params_from_waveformatex(&waveformatex(head)) else {
        return;
    };
    let mut opts = AudioDecoderOptions::default();
    opts.gapless = false;
    let Ok(mut dec) = WmaDecoder::try_new(&params, &opts) else {
        return;
    };
    let bits = if head[4] & 1 == 0 { 16 } else { 24 };
    let ba = dec.block_align();
    let mut rest = body;
    let mut i = 0usize;
    while !rest.is_empty() {
        let n = if i % 3 == 2 { ba + ba / 2 } else { ba }.min(rest.len());
        let (pkt, tail) = rest.split_at(n);
        rest = tail;
        let packet = Packet::new(0, Timestamp::new(0), Duration::new(0), pkt.to_vec());
        match dec.decode(&packet) {
            Ok(buf) => check_exact(&buf, bits),
            Err(_) => assert_eq!(dec.last_decoded().frames(), 0),
        }
        if head[7] != 0 && i % usize::from(head[7]) == 0 {
            dec.reset();
        }
        i += 1;
    }
    let tail = dec.flush();
    check_exact(&tail, bits);
});
