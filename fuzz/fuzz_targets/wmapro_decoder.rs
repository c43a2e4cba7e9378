//! Fuzz target for the WMA Pro decoder: arbitrary stream parameters and packets must never
//! panic, hang or produce ragged channels.
//!
//! Input layout: 8 bytes choose the WAVEFORMATEX (sample rate, channel layout, bits per
//! sample, decode flags, block align, how packets are grouped and whether sequence numbers
//! are kept consecutive); the rest is cut into demuxer packets of 1 to 3 WMA packets, with an
//! occasional reset (seek).
//! Run: `cargo +nightly fuzz run wmapro_decoder` from the repository root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

const RATES: [u32; 8] = [8000, 16000, 22050, 32000, 44100, 48000, 96000, 192000];
/// (nChannels, channel mask)
const LAYOUTS: [(u16, u32); 8] = [
    (1, 0x4),
    (2, 0x3),
    (2, 0),
    (3, 0x7),
    (4, 0x33),
    (6, 0x3F),
    (8, 0x63F),
    (6, 0x60F),
];

fn waveformatex(head: &[u8; 8]) -> Vec<u8> {
    let rate = RATES[usize::from(head[0]) % RATES.len()];
    let (channels, mask) = LAYOUTS[usize::from(head[1]) % LAYOUTS.len()];
    let bits: u16 = if head[2] & 1 == 0 { 16 } else { 24 };
    let flags = u16::from_le_bytes([head[3], head[4]]);
    let block_align = u16::from_le_bytes([head[5], head[6]]) % 8192 + 1;
    let mut extra = [0u8; 18];
    extra[0..2].copy_from_slice(&bits.to_le_bytes());
    extra[2..6].copy_from_slice(&mask.to_le_bytes());
    extra[14..16].copy_from_slice(&flags.to_le_bytes());
    let mut w = Vec::new();
    w.extend_from_slice(&0x0162u16.to_le_bytes());
    w.extend_from_slice(&channels.to_le_bytes());
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&16000u32.to_le_bytes());
    w.extend_from_slice(&block_align.to_le_bytes());
    w.extend_from_slice(&bits.to_le_bytes());
    w.extend_from_slice(&18u16.to_le_bytes());
    w.extend_from_slice(&extra);
    w
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
    let ba = dec.block_align();
    let consecutive = head[7] & 0x80 != 0;
    let mut seq = 0u8;
    let mut rest = body;
    let mut i = 0usize;
    while !rest.is_empty() {
        let n = (ba * (1 + i % 3)).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let mut pkt = chunk.to_vec();
        if consecutive {
            // Keep the packet layer in sync so that frames get decoded.
            for p in pkt.chunks_mut(ba) {
                p[0] = (p[0] & 0x0F) | (seq << 4);
                seq = (seq + 1) & 15;
            }
        }
        let packet = Packet::new(0, Timestamp::new(0), Duration::new(0), pkt);
        if let Ok(buf) = dec.decode(&packet) {
            assert!(buf.frames() <= 1 << 20);
        }
        let every = usize::from(head[7] & 0x7F);
        if every != 0 && i % every == every - 1 {
            dec.reset();
        }
        i += 1;
    }
    assert_eq!(dec.flush().frames(), 0);
});
