//! The no-panic property of the MMSH parsers on stable: thousands of random and mutated
//! inputs through the same entry points as `fuzz/fuzz_targets/mmsh_*.rs`.

use mmsplay_net::mmsh::chunk::{
    ChunkKind, encode_header_chunks, encode_mms_chunk, encode_reason_chunk,
};
use mmsplay_net::mmsh::{
    BodyReader, Dechunker, Pragmas, ServerRequest, parse_request_head, parse_response_head,
};

use super::support::*;
use crate::common::Rng;

fn body_reader_all(data: &[u8], split: usize) {
    let mut r = BodyReader::new();
    for piece in data.chunks(split.max(1)) {
        r.push(piece);
        while let Ok(Some(_)) = r.next_event() {}
        assert!(r.buffered() <= data.len() + 8);
    }
}

fn http_all(data: &[u8]) {
    let _ = parse_response_head(data);
    if let Ok(Some((h, _))) = parse_request_head(data) {
        let r = ServerRequest::from_head(&h);
        let _ = r.start_at();
        let _ = r.stream_switches();
        let _ = Pragmas::from_headers(&h.headers).features();
    }
    let mut out = Vec::new();
    let _ = Dechunker::default().decode(data, &mut out);
    assert!(out.len() <= data.len());
}

#[test]
fn parsers_survive_random_and_mutated_input() {
    let dir = tempfile::tempdir().unwrap();
    let f = synthetic_asf(dir.path(), "x.asf", 1);
    let (h, p) = file_packets(&f);
    let mut valid = encode_header_chunks(&h);
    for (i, pk) in p.iter().take(4).enumerate() {
        valid.extend(encode_mms_chunk(ChunkKind::Data, i as u32, 0, i as u8, pk).unwrap());
    }
    valid.extend(encode_reason_chunk(ChunkKind::End, 0));
    let request = b"GET /x.asf HTTP/1.1\r\nPragma: no-cache,rate=1.000000,stream-time=0Connection: Close\r\nPragma: xPlayStrm=1\r\nPragma: stream-switch-entry=ffff:1:0 ffff:2:2 \r\nPragma: features=\"seekable,stridable\",client-id=5\r\n\r\n".to_vec();
    let mut rng = Rng(0x5eed_4d4d_5348);
    for round in 0..3000 {
        let base: &[u8] = if round % 2 == 0 { &valid } else { &request };
        let mut m = base.to_vec();
        for _ in 0..1 + rng.below(7) {
            match rng.below(4) {
                0 if !m.is_empty() => {
                    let i = rng.below(m.len());
                    m[i] = rng.byte();
                }
                1 if !m.is_empty() => {
                    let i = rng.below(m.len());
                    m.truncate(i);
                }
                2 => {
                    let i = rng.below(m.len() + 1);
                    let junk: Vec<u8> = (0..1 + rng.below(15)).map(|_| rng.byte()).collect();
                    m.splice(i..i, junk);
                }
                _ => {
                    let i = rng.below(m.len() + 1);
                    m.splice(i..i, b"$D\xff\xff".iter().copied());
                }
            }
        }
        body_reader_all(&m, 1 + rng.below(5000));
        http_all(&m);
        let noise: Vec<u8> = (0..rng.below(600)).map(|_| rng.byte()).collect();
        body_reader_all(&noise, 7);
        http_all(&noise);
    }
}
