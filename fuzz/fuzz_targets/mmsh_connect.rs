//! The MMSH connect machine fed arbitrary answers: heads then body bytes in pieces. Every step
//! must end in a request, a read, an outcome or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::mmsh::client::{Connect, ConnectConfig, Step};
use mmsplay_net::mmsh::redirect::Target;
use mmsplay_net::mmsh::{HttpMode, parse_response_head};

fuzz_target!(|data: &[u8]| {
    let mut m = Connect::new(ConnectConfig {
        target: Target {
            host: "127.0.0.1".into(),
            port: 80,
            path: "/a.asf".into(),
        },
        client_guid: "{00000000-0000-0000-0000-000000000000}".into(),
        mode: HttpMode::NonPipelined,
        start_ms: 0,
        streams: Vec::new(),
        choose: None,
        extra_headers: Vec::new(),
        absolute_uri: false,
        accelerate: None,
        stats: Default::default(),
    });
    let mut rest = data;
    let mut step = m.start();
    for _ in 0..4096 {
        step = match step {
            Step::Send { .. } => {
                let Ok(Some((head, used))) = parse_response_head(rest) else {
                    return;
                };
                rest = &rest[used..];
                match m.on_head(&head) {
                    Ok(s) => s,
                    Err(_) => return,
                }
            }
            Step::ReadBody => {
                let n = rest.len().min(61);
                let (piece, tail) = rest.split_at(n);
                rest = tail;
                match m.on_body(piece, !rest.is_empty()) {
                    Ok(s) => s,
                    Err(_) => return,
                }
            }
            Step::Done(_) => return,
        };
    }
});
