//! MMSH's HTTP side: response and request heads, Pragma tokens, the chunked coding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::mmsh::{Dechunker, ServerRequest, parse_request_head, parse_response_head};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((h, _))) = parse_response_head(data) {
        let _ = h.content_length();
        let _ = mmsplay_net::mmsh::Pragmas::from_headers(&h.headers).features();
    }
    if let Ok(Some((h, _))) = parse_request_head(data) {
        let r = ServerRequest::from_head(&h);
        let _ = r.start_at();
        let _ = r.stream_switches();
    }
    let mut out = Vec::new();
    let _ = Dechunker::default().decode(data, &mut out);
    assert!(out.len() <= data.len());
});
