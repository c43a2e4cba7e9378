//! Stream thinning on arbitrary packets: never a panic, and a rebuilt packet parses, holding
//! only kept streams.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_asf::padding::pad;
use mmsplay_asf::thin::{Thinned, keep_streams};

fuzz_target!(|data: &[u8]| {
    let Some((&mask, packet)) = data.split_first() else {
        return;
    };
    let keep = |s: u8| mask & (1 << (s % 8)) != 0;
    let packet_size = packet.len().max(16) as u32;
    if let Ok(Thinned::Rebuilt(p)) = keep_streams(packet, packet_size, keep) {
        assert!(p.len() <= packet_size as usize);
        let full = pad(p, packet_size);
        let mut out = Vec::new();
        mmsplay_asf::parse_packet(&full, packet_size, &mut out).expect("a rebuilt packet parses");
        assert!(!out.is_empty() && out.iter().all(|p| keep(p.stream)));
    }
});
