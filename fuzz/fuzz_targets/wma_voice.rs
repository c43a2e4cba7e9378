//! Fuzz target for the WMA 9 Voice decoder: arbitrary stream parameters and packets must never
//! panic, and no packet may decode to more than the decoder declared.
//!
//! Input layout: 16 bytes choose the WAVEFORMATEX (sample rate, block align, the extradata
//! flags word and the 17 three-bit frame-type groups, the reset period); the rest is cut into
//! packets of one or two `block_align` blocks (and a short one now and then), with an
//! occasional reset, and the stream is flushed at the end.
//! Run: `cargo +nightly fuzz run wma_voice` from the repository root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

const RATES: [u32; 7] = [8000, 11025, 16000, 22050, 22097, 7999, 12000];

fn waveformatex(head: &[u8; 16]) -> Vec<u8> {
    let rate = RATES[usize::from(head[0]) % RATES.len()];
    // Small packets, so that short inputs already hold several of them.
    let block_align = u16::from_le_bytes([head[1], head[2]]) % 192 + 1;
    let mut extra = [0u8; 46];
    extra[18..22].copy_from_slice(&head[3..7]);
    // 17 × 3 bits of frame-type groups: 51 bits from 7 bytes.
    extra[22..29].copy_from_slice(&head[7..14]);
    extra[28] &= 0xE0;
    let mut w = Vec::new();
    w.extend_from_slice(&0x000Au16.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&2500u32.to_le_bytes());
    w.extend_from_slice(&block_align.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(&46u16.to_le_bytes());
    w.extend_from_slice(&extra);
    w
}

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<16>() else {
        return;
    };
    let Ok(params) = codec_params_from_waveformatex(&waveformatex(head)) else {
        return;
    };
    let mut opts = AudioDecoderOptions::default();
    opts.gapless = head[15] & 1 == 0;
    let Ok(mut dec) = WmaDecoder::try_new(&params, &opts) else {
        return;
    };
    let ba = dec.block_align();
    let max = params.max_frames_per_packet.unwrap_or(0) as usize;
    let mut rest = body;
    let mut i = 0usize;
    while !rest.is_empty() {
        let blocks = 1 + i % 2;
        let n = if i % 7 == 6 { ba / 2 + 1 } else { ba * blocks }.min(rest.len());
        let (pkt, tail) = rest.split_at(n);
        rest = tail;
        let packet = Packet::new(0, Timestamp::new(0), Duration::new(0), pkt.to_vec());
        match dec.decode(&packet) {
            Ok(buf) => assert!(buf.frames() <= max * blocks),
            Err(_) => assert_eq!(dec.last_decoded().frames(), 0),
        }
        if head[14] != 0 && i % usize::from(head[14]) == 0 {
            dec.reset();
        }
        i += 1;
    }
    assert!(dec.flush().frames() <= 480);
});
