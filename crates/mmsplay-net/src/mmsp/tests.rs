//! Golden byte fixtures (testdata/, written from the spec tables by an independent script)
//! pin every encoder, and decoders read the same bytes back. Plus a no-panic sweep over
//! random and mutated input, since cargo-fuzz needs nightly.

use super::data::{SequenceExtender, encode_data, parse_datagram};
use super::framing::CodecError;
use super::message::mid;
use super::*;

fn fixture(text: &str) -> Vec<u8> {
    let mut hex = String::new();
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or("");
        hex.extend(code.chars().filter(|c| !c.is_whitespace()));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

macro_rules! fx {
    ($name:literal) => {
        fixture(include_str!(concat!("testdata/", $name)))
    };
}

fn decode_client(bytes: &[u8]) -> FromClient {
    let mut d = TcpDecoder::new(false);
    d.push(bytes);
    match d.next_item().unwrap().unwrap() {
        TcpItem::Command { mid, body } => FromClient::decode(mid, &body).unwrap(),
        other => panic!("not a command: {other:?}"),
    }
}

fn decode_server(bytes: &[u8]) -> FromServer {
    let mut d = TcpDecoder::new(false);
    d.push(bytes);
    let item = d.next_item().unwrap().unwrap();
    assert_eq!(d.buffered(), 0);
    match item {
        TcpItem::Command { mid, body } => FromServer::decode(mid, &body).unwrap(),
        other => panic!("not a command: {other:?}"),
    }
}

const FFMPEG_NAME: &str =
    "NSPlayer/7.0.0.1956; {7E667F5D-A661-495E-A512-F55686DDA178}; Host: 127.0.0.1";

fn client_cases() -> Vec<(Vec<u8>, u32, FromClient)> {
    vec![
        (
            fx!("connect.hex"),
            0,
            FromClient::Connect {
                play_incarnation: 0,
                subscriber: FFMPEG_NAME.into(),
            },
        ),
        (
            fx!("funnel_info.hex"),
            1,
            FromClient::FunnelInfo {
                play_incarnation: DISABLE_PACKET_PAIR,
            },
        ),
        (
            fx!("connect_funnel_udp.hex"),
            2,
            FromClient::ConnectFunnel {
                max_bit_rate: 0x0098_9680,
                funnel: "\\\\127.0.0.1\\UDP\\7000".into(),
            },
        ),
        (
            fx!("open_file.hex"),
            3,
            FromClient::OpenFile {
                play_incarnation: 9,
                file_name: "test.asf".into(),
            },
        ),
        (
            fx!("read_block.hex"),
            4,
            FromClient::ReadBlock {
                open_file_id: 1,
                play_incarnation: 1,
            },
        ),
        (
            fx!("stream_switch.hex"),
            5,
            FromClient::StreamSwitch {
                entries: vec![StreamSwitchEntry {
                    src: 0xFFFF,
                    dst: 1,
                    thinning: 0,
                }],
            },
        ),
        (
            fx!("start_playing.hex"),
            6,
            FromClient::StartPlaying {
                open_file_id: 1,
                position: 2.5,
                asf_offset: 0xFFFF_FFFF,
                location_id: 0xFFFF_FFFF,
                play_incarnation: 10,
                accelerate: None,
            },
        ),
        (fx!("pong.hex"), 7, FromClient::Pong),
        (
            fx!("close_file.hex"),
            8,
            FromClient::CloseFile { open_file_id: 1 },
        ),
    ]
}

fn server_cases() -> Vec<(Vec<u8>, u32, FromServer)> {
    vec![
        (
            fx!("report_connected_ex.hex"),
            0,
            FromServer::ReportConnectedEx {
                hr: 0,
                play_incarnation: DISABLE_PACKET_PAIR,
                server_version: "9.01.01.3814".into(),
                auth_package: String::new(),
            },
        ),
        (
            fx!("report_funnel_info.hex"),
            1,
            FromServer::ReportFunnelInfo {
                hr: 0,
                play_incarnation: DISABLE_PACKET_PAIR,
                client_id: 0x1234,
            },
        ),
        (
            fx!("report_connected_funnel.hex"),
            2,
            FromServer::ReportConnectedFunnel { hr: 0 },
        ),
        (
            fx!("report_disconnected_funnel.hex"),
            2,
            FromServer::ReportDisconnectedFunnel { hr: 0x8007_0005 },
        ),
        (
            fx!("report_open_file.hex"),
            3,
            FromServer::ReportOpenFile(OpenFileReport {
                hr: 0,
                play_incarnation: 9,
                open_file_id: 1,
                attributes: ATTR_CANSEEK | ATTR_CANSTRIDE,
                duration_s: 10.03,
                packet_size: 3200,
                packet_count: 54,
                bit_rate: 128_000,
                header_size: 544,
            }),
        ),
        (
            fx!("report_read_block.hex"),
            4,
            FromServer::ReportReadBlock {
                hr: 0,
                play_incarnation: 1,
            },
        ),
        (
            fx!("report_stream_switch.hex"),
            5,
            FromServer::ReportStreamSwitch { hr: 0 },
        ),
        (
            fx!("report_started_playing.hex"),
            6,
            FromServer::ReportStartedPlaying {
                hr: 0,
                play_incarnation: 10,
                tiger_file_id: 1,
            },
        ),
        (fx!("ping.hex"), 7, FromServer::Ping),
        (
            fx!("report_end_of_stream.hex"),
            8,
            FromServer::ReportEndOfStream {
                hr: 0,
                play_incarnation: 10,
            },
        ),
    ]
}

#[test]
fn start_playing_asks_for_fast_start_in_its_optional_fields() {
    let accelerate = Some(crate::Acceleration {
        bandwidth_bps: 10_000_000,
        duration_ms: 10_000,
    });
    let m = FromClient::StartPlaying {
        open_file_id: 1,
        position: 0.0,
        asf_offset: u32::MAX,
        location_id: u32::MAX,
        play_incarnation: 10,
        accelerate,
    };
    let bytes = m.encode(6);
    assert_eq!(decode_client(&bytes), m);
    // Without them the message is the fixed 2.2.4.25 layout, and asks for nothing.
    let plain = FromClient::StartPlaying {
        open_file_id: 1,
        position: 0.0,
        asf_offset: u32::MAX,
        location_id: u32::MAX,
        play_incarnation: 10,
        accelerate: None,
    };
    assert!(plain.encode(6).len() < bytes.len());
    assert_eq!(decode_client(&plain.encode(6)), plain);
}

#[test]
fn stream_change_carries_the_next_entry_sizes() {
    let m = FromServer::ReportStreamChange {
        hr: 0,
        packet_size: 3200,
        header_size: 5000,
        bit_rate: 64_000,
    };
    let bytes = m.encode(3);
    // hr, dwTcpHdrIncarnation 0xFF, sizes, bit rate, dwStreamId 0 after the 40-byte head.
    assert_eq!(&bytes[40..48], &[0, 0, 0, 0, 0xFF, 0, 0, 0]);
    assert_eq!(&bytes[60..64], &[0, 0, 0, 0]);
    assert_eq!(decode_server(&bytes), m);
}

#[test]
fn client_encoders_match_fixtures() {
    for (bytes, seq, msg) in client_cases() {
        assert_eq!(msg.encode(seq), bytes, "{msg:?}");
        assert_eq!(decode_client(&bytes), msg);
    }
}

#[test]
fn server_encoders_match_fixtures() {
    for (bytes, seq, msg) in server_cases() {
        assert_eq!(msg.encode(seq), bytes, "{msg:?}");
        assert_eq!(decode_server(&bytes), msg);
    }
}

#[test]
fn connect_header_matches_ffmpeg_capture() {
    // protocols.md 2.1: the first 40 bytes of ffmpeg's captured Connect.
    let want = fixture(
        "01000000 cefa0bb0 c0000000 4d4d5320 18000000 00000000 00000000 00000000 16000000 01000300",
    );
    let got = FromClient::Connect {
        play_incarnation: 0,
        subscriber: FFMPEG_NAME.into(),
    }
    .encode(0);
    assert_eq!(got.len(), 208);
    assert_eq!(&got[..40], &want[..]);
}

#[test]
fn report_open_file_offsets_vlc_reads() {
    // VLC reads openFileId@48, attributes@60, packet size@92, count@96, bitrate@104,
    // header size@108 of the whole packet (protocols.md 6.1).
    let b = fx!("report_open_file.hex");
    assert_eq!(b.len(), 152);
    let at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    assert_eq!(at(48), 1);
    assert_eq!(at(60), 0x0180_0000);
    assert_eq!(at(92), 3200);
    assert_eq!(at(96), 54);
    assert_eq!(at(104), 128_000);
    assert_eq!(at(108), 544);
}

#[test]
fn data_and_resend_fixtures() {
    let b = fx!("data_header_last.hex");
    assert_eq!(encode_data(0, 2, 0x0C, &[0x30, 0x26, 0xb2, 0x75]), b);
    let (h, p) = parse_datagram(&b).unwrap();
    assert_eq!(h.kind(2, 10), DataKind::HeaderPiece { last: true });
    assert_eq!(p, &[0x30, 0x26, 0xb2, 0x75]);

    let b = fx!("data_packet.hex");
    assert_eq!(encode_data(300, 10, 7, &[0x82, 0, 0, 0x08, 0x5d]), b);
    let mut d = TcpDecoder::new(true);
    d.push(&b);
    match d.next_item().unwrap().unwrap() {
        TcpItem::Data { header, payload } => {
            assert_eq!(header.location_id, 300);
            assert_eq!(header.af_flags, 7);
            assert_eq!(header.kind(2, 10), DataKind::AsfPacket);
            assert_eq!(payload.len(), 5);
        }
        other => panic!("{other:?}"),
    }

    let b = fx!("resend.hex");
    let r = ResendRequest {
        client_id: 0x1234,
        source_id: 1,
        sequences: vec![5, 260],
    };
    assert_eq!(r.encode(), b);
    assert_eq!(ResendRequest::parse(&b).unwrap(), r);
}

#[test]
fn decoder_handles_split_and_joined_frames() {
    let mut all = fx!("report_read_block.hex");
    all.extend(fx!("data_header_last.hex"));
    all.extend(fx!("ping.hex"));
    let mut d = TcpDecoder::new(true);
    let mut items = Vec::new();
    for b in all.chunks(3) {
        d.push(b);
        while let Some(i) = d.next_item().unwrap() {
            items.push(i);
        }
    }
    assert_eq!(items.len(), 3);
    assert!(matches!(items[1], TcpItem::Data { .. }));
    assert!(matches!(&items[2], TcpItem::Command { mid: m, .. } if *m == mid::PING));
}

#[test]
fn decoder_rejects_hostile_frames() {
    // Not MMS at all (an HTTP reply).
    let mut d = TcpDecoder::new(false);
    d.push(b"HTTP/1.0 400 Bad Request\r\n\r\n");
    assert_eq!(d.next_item(), Err(CodecError::BadSignature));
    // A command claiming gigabytes: refused from its first 12 bytes.
    let mut b = fx!("ping.hex");
    b[8..12].copy_from_slice(&0xF000_0000u32.to_le_bytes());
    let mut d = TcpDecoder::new(false);
    d.push(&b[..12]);
    assert!(matches!(d.next_item(), Ok(None)));
    d.push(&b[12..16]);
    assert!(matches!(d.next_item(), Err(CodecError::TooLong { .. })));
    // Wrong seal.
    let mut b = fx!("ping.hex");
    b[12] = b'X';
    let mut d = TcpDecoder::new(false);
    d.push(&b);
    assert_eq!(d.next_item(), Err(CodecError::BadSignature));
    // A data packet shorter than its own header.
    let mut d = TcpDecoder::new(true);
    d.push(&[0, 0, 0, 0, 1, 0, 3, 0]);
    assert!(d.next_item().is_err());
}

#[test]
fn hr_reasons_are_readable() {
    assert_eq!(
        hresult::describe(0xC00D_001A),
        "the file was not found (hr 0xC00D001A)"
    );
    assert!(hresult::is_not_found(0x8007_0002));
    assert!(hresult::describe(0x8007_0005).starts_with("access was denied"));
}

#[test]
fn funnel_names() {
    let f = Funnel::parse("\\\\127.0.0.1\\UDP\\7000").unwrap();
    assert!(f.udp);
    assert_eq!(f.port, 7000);
    assert_eq!(f.format(), "\\\\127.0.0.1\\UDP\\7000");
    assert!(!Funnel::parse("\\\\192.168.0.129\\TCP\\1037").unwrap().udp);
    assert!(Funnel::parse("nonsense").is_none());
}

#[test]
fn sequence_extender_wraps_and_sees_resends() {
    let mut s = SequenceExtender::expecting(0);
    let seqs: Vec<u32> = (0..600u32).map(|i| s.extend(i as u8)).collect();
    assert_eq!(seqs, (0..600).collect::<Vec<_>>());
    // A late resend of 598 after 599 maps back, and does not move the head.
    assert_eq!(s.extend(598u32 as u8), 598);
    assert_eq!(s.extend(600u32 as u8), 600);
    // Lost first packet is visible.
    let mut s = SequenceExtender::expecting(0);
    assert_eq!(s.extend(2), 2);
}

/// Deterministic xorshift, so the sweep is reproducible without a dev-dependency.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn no_panic_on_random_and_mutated_input() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut corpus: Vec<Vec<u8>> = client_cases().into_iter().map(|c| c.0).collect();
    corpus.extend(server_cases().into_iter().map(|c| c.0));
    for i in 0..5000 {
        let mut b = if i % 4 == 0 {
            let n = (rng(&mut seed) % 300) as usize;
            (0..n).map(|_| rng(&mut seed) as u8).collect()
        } else {
            corpus[(rng(&mut seed) as usize) % corpus.len()].clone()
        };
        for _ in 0..(rng(&mut seed) % 8) {
            if b.is_empty() {
                break;
            }
            let at = (rng(&mut seed) as usize) % b.len();
            match rng(&mut seed) % 3 {
                0 => b[at] = rng(&mut seed) as u8,
                1 => b.truncate(at),
                _ => b.insert(at, rng(&mut seed) as u8),
            }
        }
        fuzz_one(&b);
    }
}

/// What the fuzz targets run: every parser on arbitrary bytes.
pub(crate) fn fuzz_one(b: &[u8]) {
    for accept in [false, true] {
        let mut d = TcpDecoder::new(accept);
        d.push(b);
        while let Ok(Some(item)) = d.next_item() {
            if let TcpItem::Command { mid, body } = item {
                let _ = FromClient::decode(mid, &body);
                let _ = FromServer::decode(mid, &body);
            }
        }
    }
    if b.len() >= 4 {
        let mid = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let _ = FromClient::decode(mid, &b[4..]);
        let _ = FromServer::decode(mid, &b[4..]);
    }
    let _ = parse_datagram(b);
    let _ = ResendRequest::parse(b);
    if let Ok(s) = std::str::from_utf8(b) {
        let _ = Funnel::parse(s);
    }
}

/// The server's replies from the fixtures, replayed against the client's handshake: each one
/// moves it to the request the spec says comes next, up to playing.
#[test]
fn handshake_replays_the_fixture_conversation() {
    use super::client::{Handshake, Step};
    let funnel = Funnel {
        ip: "127.0.0.1".into(),
        udp: false,
        port: 1755,
    };
    let (mut hs, connect) = Handshake::new("127.0.0.1", funnel, "demo.wma".into());
    assert_eq!(connect.mid(), mid::CONNECT);
    let next = |hs: &mut Handshake, reply: Vec<u8>| hs.on_reply(decode_server(&reply)).unwrap();
    let sent = |step: Step| match step {
        Step::Send(m) => m.mid(),
        Step::Opened { read_block, .. } => read_block.mid(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        sent(next(&mut hs, fx!("report_connected_ex.hex"))),
        mid::FUNNEL_INFO
    );
    assert_eq!(
        sent(next(&mut hs, fx!("report_funnel_info.hex"))),
        mid::CONNECT_FUNNEL
    );
    assert!(hs.client_id().is_some());
    assert_eq!(
        sent(next(&mut hs, fx!("report_connected_funnel.hex"))),
        mid::OPEN_FILE
    );
    assert_eq!(
        sent(next(&mut hs, fx!("report_open_file.hex"))),
        mid::READ_BLOCK
    );
    assert!(matches!(
        next(&mut hs, fx!("report_read_block.hex")),
        Step::ReadHeader { .. }
    ));
    assert_eq!(
        hs.on_header(Vec::new(), 0.0).unwrap().mid(),
        mid::STREAM_SWITCH
    );
    assert_eq!(
        sent(next(&mut hs, fx!("report_stream_switch.hex"))),
        mid::START_PLAYING
    );
    assert_eq!(
        next(&mut hs, fx!("report_started_playing.hex")),
        Step::Playing
    );
    // The other way a funnel reply can go ends it, with the server's reason.
    let funnel = Funnel {
        ip: "127.0.0.1".into(),
        udp: true,
        port: 7000,
    };
    let (mut hs, _) = Handshake::new("127.0.0.1", funnel, "demo.wma".into());
    next(&mut hs, fx!("report_connected_ex.hex"));
    next(&mut hs, fx!("report_funnel_info.hex"));
    let e = hs
        .on_reply(decode_server(&fx!("report_disconnected_funnel.hex")))
        .unwrap_err();
    assert!(e.to_string().contains("data over UDP"), "{e}");
}

/// A redirect report in answer to OpenFile ([MS-MMSP] 2.2.4.9, 3.1.5.7) sends the client to
/// the URL it carries; the report round-trips through our encoder and decoder.
#[test]
fn handshake_follows_a_redirect_report() {
    use super::client::{Handshake, Step};
    let funnel = Funnel {
        ip: "127.0.0.1".into(),
        udp: false,
        port: 1755,
    };
    let (mut hs, _) = Handshake::new("127.0.0.1", funnel, "old".into());
    let next = |hs: &mut Handshake, reply: Vec<u8>| hs.on_reply(decode_server(&reply)).unwrap();
    next(&mut hs, fx!("report_connected_ex.hex"));
    next(&mut hs, fx!("report_funnel_info.hex"));
    next(&mut hs, fx!("report_connected_funnel.hex"));
    let report = FromServer::ReportRedirect {
        hr: 0,
        location: "mms://other:1756/new.asf".into(),
    };
    assert_eq!(
        next(&mut hs, report.encode(3)),
        Step::Redirect("mms://other:1756/new.asf".into())
    );
}
