//! The RTSP framer: messages, `$` interleaved frames and their limits, fed in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::rtsp::headers;
use mmsplay_net::rtsp::message::{Frame, Framer};

fuzz_target!(|data: &[u8]| {
    let mut f = Framer::new(4096);
    for chunk in data.chunks(97) {
        f.push(chunk);
        loop {
            match f.next_frame() {
                Ok(Some(Frame::Message(m))) => {
                    if let Some(t) = m.header("Transport") {
                        let _ = headers::TransportSpec::parse(t);
                    }
                    if let Some(r) = m.header("Range") {
                        let _ = headers::parse_npt_start(r);
                    }
                    if let Some(r) = m.header("RTP-Info") {
                        let _ = headers::rtp_info_seq(r, Some("/audio"));
                    }
                    let _ = m.to_bytes();
                }
                Ok(Some(Frame::Interleaved { .. })) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
