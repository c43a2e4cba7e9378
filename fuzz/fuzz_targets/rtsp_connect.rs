//! The RTSP connect machine fed arbitrary replies: every step must end in a request, an
//! outcome or an error, never a panic, and the sequence is bounded.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mmsplay_net::rtsp::client::{Connect, ConnectConfig, Step};
use mmsplay_net::rtsp::headers::LowerTransport;
use mmsplay_net::rtsp::message::{Frame, Framer};

fuzz_target!(|data: &[u8]| {
    let Some((&first, wire)) = data.split_first() else {
        return;
    };
    let lower = if first & 1 == 0 {
        LowerTransport::Udp
    } else {
        LowerTransport::Tcp
    };
    let mut m = Connect::new(ConnectConfig {
        url: "rtsp://127.0.0.1:554/a.asf".into(),
        lower,
        client_ports: Some((5000, 5001)),
        streams: if first & 2 == 0 { Vec::new() } else { vec![1, 2] },
        choose: None,
        start_ms: 0,
        connect_timeout: Duration::from_secs(1),
        user_agent: "fuzz".into(),
        extra_headers: Vec::new(),
        accelerate: None,
    });
    let mut f = Framer::new(1 << 20);
    f.push(wire);
    let mut step = m.start();
    // OPTIONS, DESCRIBE, rtx SETUP and a few SETUPs and PLAY: a bounded number of replies.
    for _ in 0..64 {
        step = match step {
            Step::Send(_) => match f.next_frame() {
                Ok(Some(Frame::Message(reply))) => match m.on_reply(&reply) {
                    Ok(s) => s,
                    Err(_) => return,
                },
                _ => return,
            },
            Step::OpenRtx => match m.rtx_opened((5002, 5003)) {
                Ok(s) => s,
                Err(_) => return,
            },
            Step::Done(_) => return,
        };
    }
});
