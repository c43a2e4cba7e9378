//! The DESCRIBE body parser: SDP, the base64 ASF header in `a=pgmpu`, and the header itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = mmsplay_net::rtsp::sdp::parse(data) {
        assert!(d.packet_size > 0);
        let _ = mmsplay_asf::parse_header(&d.header_bytes);
    }
});
