//! Message bodies: decode as client and server messages, and re-encode what decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::mmsp::{FromClient, FromServer};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    // MID number from the input (6 bits: every defined one), direction from the next byte.
    let low = u32::from(u16::from_le_bytes([data[0], data[1]])) & 0x3F;
    let mid = if data[2] & 1 == 0 {
        0x0003_0000
    } else {
        0x0004_0000
    } | low;
    let body = &data[4..];
    if let Ok(m) = FromClient::decode(mid, body) {
        let _ = m.encode(0);
    }
    if let Ok(m) = FromServer::decode(mid, body) {
        let _ = m.encode(0);
    }
});
