//! Data packets and media-object reassembly on arbitrary bytes, behind a fixed valid header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_asf::{AudioSpread, AudioStreamSpec, Demuxer, HeaderSpec, WaveFormatEx, write_header};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let packet_size = 64 + u32::from(sel) * 4;
    let spread = (sel & 1 == 1).then(|| AudioSpread {
        span: 2,
        virtual_packet_len: 8,
        virtual_chunk_len: 4,
        silence: vec![0],
    });
    let spec = HeaderSpec {
        packet_size,
        streams: vec![AudioStreamSpec {
            number: 1,
            format: WaveFormatEx::pcm(1, 8000, 16),
            spread,
            bitrate: 128_000,
        }],
        ..Default::default()
    };
    let Ok(header) = mmsplay_asf::parse_header(&write_header(&spec)) else {
        return;
    };
    let mut d = Demuxer::new(&header, 1);
    for chunk in rest.chunks(packet_size as usize) {
        let _ = d.push_packet(chunk);
        if chunk.first() == Some(&0) {
            d.note_gap();
        }
        while d.pop().is_some() {}
    }
    d.flush();
    while d.pop().is_some() {}
});
