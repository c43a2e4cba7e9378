//! Fuzz target for the WMA v1/v2 decoder: arbitrary stream parameters and packets must never
//! panic, and every successful decode yields whole frames.
//!
//! Input layout: 12 bytes choose the WAVEFORMATEX (version, channels, sample rate, bit rate,
//! block align, flags2); the rest is cut into packets of 1 or 2 superframes, with an
//! occasional reset, and the stream is flushed at the end.
//! Run: `cargo +nightly fuzz run wma_decoder` from the repository root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

/// The raw decoder output, as FFmpeg's `-flags2 +skip_manual` gives it: no gapless trim.
fn raw() -> AudioDecoderOptions {
    let mut o = AudioDecoderOptions::default();
    o.gapless = false;
    o
}

const RATES: [u32; 9] = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 6000, 50000];

fn waveformatex(head: &[u8; 12]) -> Vec<u8> {
    let version_v1 = head[0] & 1 == 0;
    let tag: u16 = if version_v1 { 0x0160 } else { 0x0161 };
    let channels = u16::from(head[0] >> 1 & 1) + 1;
    let rate = RATES[usize::from(head[1]) % RATES.len()];
    let avg_bytes = u32::from(u16::from_le_bytes([head[2], head[3]])) + 1;
    let block_align = u16::from_le_bytes([head[4], head[5]]) % 4096 + 1;
    let flags2 = u16::from_le_bytes([head[6], head[7]]);
    let extra_len = usize::from(head[8]) % 12;
    let mut extra = vec![0u8; extra_len];
    let at = if version_v1 { 2 } else { 4 };
    if extra_len >= at + 2 {
        extra[at..at + 2].copy_from_slice(&flags2.to_le_bytes());
    }
    let mut w = Vec::new();
    w.extend_from_slice(&tag.to_le_bytes());
    w.extend_from_slice(&channels.to_le_bytes());
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&avg_bytes.to_le_bytes());
    w.extend_from_slice(&block_align.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(&(extra.len() as u16).to_le_bytes());
    w.extend_from_slice(&extra);
    w
}

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<12>() else {
        return;
    };
    let Ok(params) = codec_params_from_waveformatex(&waveformatex(head)) else {
        return;
    };
    let Ok(mut dec) = WmaDecoder::try_new(&params, &raw()) else {
        return;
    };
    let ba = dec.block_align();
    let fl = dec.frame_len();
    let mut rest = body;
    let mut i = 0usize;
    while !rest.is_empty() {
        let n = (ba * (1 + i % 2)).min(rest.len());
        let (pkt, tail) = rest.split_at(n);
        rest = tail;
        let packet = Packet::new(0, Timestamp::new(0), Duration::new(0), pkt.to_vec());
        match dec.decode(&packet) {
            Ok(buf) => assert_eq!(buf.frames() % fl, 0),
            Err(_) => assert_eq!(dec.last_decoded().frames(), 0),
        }
        if head[9] != 0 && i % usize::from(head[9]) == 0 {
            dec.reset();
        }
        i += 1;
    }
    let _ = dec.flush();
});
