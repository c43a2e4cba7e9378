//! UDP input: Data packet datagrams, RequestPacketListResend packets and funnel names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::mmsp::data::{SequenceExtender, parse_datagram};
use mmsplay_net::mmsp::{Funnel, ResendRequest};

fuzz_target!(|data: &[u8]| {
    if let Ok((h, payload)) = parse_datagram(data) {
        assert!(usize::from(h.size) >= 8 && payload.len() + 8 == usize::from(h.size));
    }
    if let Ok(r) = ResendRequest::parse(data) {
        assert_eq!(ResendRequest::parse(&r.encode()), Ok(r));
    }
    let mut s = SequenceExtender::expecting(0);
    for b in data {
        let _ = s.extend(*b);
    }
    if let Ok(t) = std::str::from_utf8(data) {
        if let Some(f) = Funnel::parse(t) {
            let _ = f.format();
        }
    }
});
