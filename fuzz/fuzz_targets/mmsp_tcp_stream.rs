//! The MMS TCP stream decoder (commands and Data packets) and every message decoder it feeds,
//! on arbitrary bytes pushed in arbitrary chunks: no panic, bounded buffering. Seeds:
//! `fuzz/seeds/mmsp/` (the golden fixtures, first byte = chunk size).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::mmsp::{FromClient, FromServer, MAX_COMMAND_LEN, TcpDecoder, TcpItem};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(split).max(1);
    for accept_data in [false, true] {
        let mut d = TcpDecoder::new(accept_data);
        'outer: for part in rest.chunks(chunk) {
            d.push(part);
            loop {
                match d.next_item() {
                    Ok(Some(TcpItem::Command { mid, body })) => {
                        let _ = FromClient::decode(mid, &body);
                        let _ = FromServer::decode(mid, &body);
                    }
                    Ok(Some(TcpItem::Data { .. })) => {}
                    Ok(None) => break,
                    Err(_) => break 'outer,
                }
            }
            assert!(d.buffered() <= MAX_COMMAND_LEN + chunk);
        }
    }
});
