//! The MMSH `$` chunk decoder and body reader: any bytes, pushed in any split, never panic and
//! never hold more than what was pushed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::mmsh::{BodyReader, ChunkDecoder};

fuzz_target!(|data: &[u8]| {
    // The first byte picks how the input is split into pushes.
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let step = usize::from(split).max(1);
    let mut d = ChunkDecoder::new();
    let mut r = BodyReader::new();
    for piece in data.chunks(step) {
        d.push(piece);
        while let Ok(Some(c)) = d.next_chunk() {
            let _ = c.mms_packet();
            let _ = c.reason();
        }
        r.push(piece);
        while let Ok(Some(_)) = r.next_event() {}
        assert!(r.buffered() <= data.len() + 8);
    }
});
