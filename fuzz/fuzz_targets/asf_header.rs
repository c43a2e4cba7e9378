//! The ASF header parser on arbitrary bytes: never a panic, never an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = mmsplay_asf::parse_header(data) {
        // Whatever parsed must be usable.
        let _ = h.file.duration_ms();
        for s in &h.streams {
            let _ = h.stream_bitrate(s.number);
        }
    }
    let _ = mmsplay_asf::FileLayout::parse(data, data.len() as u64);
});
