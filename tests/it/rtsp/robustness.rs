//! The no-panic property of the RTSP parsers on random and mutated input, checked on stable
//! (the fuzz targets in fuzz/ do the same under libFuzzer where nightly is available).

use mmsplay_asf::padding;
use mmsplay_net::rtsp::asfpf::Depacketizer;
use mmsplay_net::rtsp::message::Framer;
use mmsplay_net::rtsp::{headers, rtp, sdp};

use crate::common::Rng;

const SDP_SEED: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\na=maxps:3200\r\na=control:rtsp://h/a.asf/\r\na=pgmpu:data:application/vnd.ms.wms-hdr.asfv1;base64,MCaydY5mzxGm2QCqAGLObB4AAAAAAAAAAAAAAAEC\r\nm=audio 0 RTP/AVP 96\r\na=rtpmap:96 x-asf-pf/1000\r\na=control:audio\r\na=stream:1\r\n";

#[test]
fn sdp_and_asf_header_parser_never_panic() {
    let mut rng = Rng(0x5EED_0001);
    for _ in 0..3000 {
        let input = rng.mutate(SDP_SEED.as_bytes());
        let _ = sdp::parse(&input);
    }
    for _ in 0..1000 {
        let _ = sdp::parse(&rng.bytes(512));
    }
}

#[test]
fn message_framer_never_panics_and_stays_bounded() {
    let seed = b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nSession: 1;timeout=60\r\nContent-Length: 5\r\n\r\nhello$\x00\x00\x04\x80\xe0\x00\x01SET_PARAMETER rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\n\r\n";
    let mut rng = Rng(0x5EED_0002);
    for _ in 0..3000 {
        let input = rng.mutate(seed);
        let mut f = Framer::new(1024);
        // Feed in random chunk sizes.
        let mut pos = 0;
        'feed: while pos < input.len() {
            let n = 1 + rng.below(64);
            let end = (pos + n).min(input.len());
            f.push(&input[pos..end]);
            pos = end;
            loop {
                match f.next_frame() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
            assert!(f.buffered() <= 64 * 1024 + 1024 + 64);
        }
    }
}

#[test]
fn header_values_never_panic() {
    let mut rng = Rng(0x5EED_0003);
    let seeds = [
        "RTP/AVP/UDP;unicast;client_port=5000-5001;server_port=1-2;ssrc=ab;interleaved=0-1",
        "12345;timeout=60",
        "npt=1:02:03.5-10",
        "url=rtsp://h/a;seq=5;rtptime=1, url=x;seq=9",
    ];
    for _ in 0..3000 {
        let s = seeds[rng.below(seeds.len())];
        let m = rng.mutate(s.as_bytes());
        let v = String::from_utf8_lossy(&m);
        let _ = headers::TransportSpec::parse(&v);
        let _ = headers::parse_session(&v);
        let _ = headers::parse_npt_start(&v);
        let _ = headers::parse_npt_end(&v);
        let _ = headers::rtp_info_seq(&v, Some("/audio"));
    }
}

#[test]
fn payload_format_and_padding_never_panic() {
    let mut packet = vec![0x82, 0, 0, 0x09, 0x5D, 0x53, 0, 0, 0, 0, 0x45, 0x01];
    packet.resize(3117, 7);
    let whole = mmsplay_net::rtsp::asfpf::packetize(&packet, true, 65000);
    let frags = mmsplay_net::rtsp::asfpf::packetize(&packet, false, 1400);
    let mut rng = Rng(0x5EED_0004);
    let mut d = Depacketizer::new(3200);
    let mut out = Vec::new();
    for i in 0..5000 {
        let seed = match i % 3 {
            0 => &whole[0].0,
            1 => &frags[rng.below(frags.len())].0,
            _ => &packet,
        };
        let input = if i % 7 == 0 {
            rng.bytes(4000)
        } else {
            rng.mutate(seed)
        };
        out.clear();
        let _ = d.push(&input, rng.below(2) == 0, &mut out);
        for p in &out {
            assert!(p.len() <= 3200);
        }
        if let Ok(r) = padding::restore(&input, 3200) {
            assert_eq!(r.len(), 3200);
        }
        let _ = padding::strip(&input, 3200);
        let _ = rtp::parse_rtp(&input);
        let _ = rtp::parse_rtcp(&input);
    }
}

/// The fuzz seeds stay meaningful: each parses as what it is.
#[test]
fn fuzz_seeds_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/rtsp");
    let sdp_bytes = std::fs::read(dir.join("wms.sdp")).unwrap();
    let d = sdp::parse(&sdp_bytes).unwrap();
    assert_eq!(d.packet_size, 3200);
    let replies = std::fs::read(dir.join("options_describe_replies.bin")).unwrap();
    let mut f = Framer::new(1 << 20);
    f.push(&replies);
    let mut n = 0;
    while f.next_frame().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 2);
    let whole = std::fs::read(dir.join("payload_whole.bin")).unwrap();
    let mut out = Vec::new();
    Depacketizer::new(3200)
        .push(&whole, true, &mut out)
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(padding::restore(&out[0], 3200).unwrap().len(), 3200);
}
