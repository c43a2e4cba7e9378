//! The x-asf-pf depacketizer, padding restoration and the RTP/RTCP codecs. The first byte
//! chooses the marker bit and splits the input into RTP payloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::rtsp::asfpf::Depacketizer;
use mmsplay_asf::padding;
use mmsplay_net::rtsp::rtp;

const PACKET_SIZE: u32 = 3200;

fuzz_target!(|data: &[u8]| {
    let mut d = Depacketizer::new(PACKET_SIZE as usize);
    let mut out = Vec::new();
    for (i, chunk) in data.split(|b| *b == 0xA5).enumerate() {
        let _ = rtp::parse_rtp(chunk);
        let _ = rtp::parse_rtcp(chunk);
        let _ = d.push(chunk, i % 2 == 0, &mut out);
        for p in out.drain(..) {
            assert!(p.len() <= PACKET_SIZE as usize);
            if let Ok(full) = padding::restore(&p, PACKET_SIZE) {
                assert_eq!(full.len(), PACKET_SIZE as usize);
            }
        }
        let _ = padding::strip(chunk, PACKET_SIZE);
    }
});
