//! Our client against our server.

use std::time::{Duration, Instant};

use mmsplay_net::TransportStats;
use mmsplay_net::{AsfEvent, ConnectOptions, ErrorKind};
use mmsplay_server::Faults;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_demand_delivers_every_packet_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 4);
    let (header, want) = file_packets(&file);
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let o = opts();
    let mut s = open(&server.url("tone.asf"), &o).await.unwrap();
    assert_eq!(s.transport(), mmsplay_net::Transport::Mmsh);
    let (events, err) = collect(&mut s, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(events.first(), Some(&AsfEvent::Header(header.into())));
    assert_eq!(events.last(), Some(&AsfEvent::End));
    let got = packets(&events);
    assert_eq!(got.len(), want.len());
    assert!(got == want, "packets differ from the file's");
    assert_eq!(
        TransportStats::get(&o.stats.packets_received),
        want.len() as u64
    );
    assert_eq!(TransportStats::get(&o.stats.packets_lost), 0);
    assert!(TransportStats::get(&o.stats.bytes_received) >= (want.len() * 1000) as u64);
    let ends = server.wait_session_ends(1).await;
    assert_eq!(ends[0]["transport"], "mmsh");
    assert_eq!(ends[0]["packets_sent"], want.len() as u64);
    assert_eq!(ends[0]["packets_dropped"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_ms_resumes_on_demand_stream() {
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 4);
    let (_, want) = file_packets(&file);
    let media = mmsplay_server::Media::load(&file).unwrap();
    let first = media.packet_at_ms(2000);
    assert!(first > 0 && first < want.len());
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let o = ConnectOptions {
        start_ms: 2000,
        ..opts()
    };
    let mut s = open(&server.url("tone.asf"), &o).await.unwrap();
    let (events, err) = collect(&mut s, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    let got = packets(&events);
    assert_eq!(got, want[first..].to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_demand_is_paced_in_real_time_without_fast() {
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 2);
    let server = TestServer::start(vec![file], false, false, Faults::default()).await;
    let t0 = Instant::now();
    let real_time = ConnectOptions {
        accelerate: None,
        ..opts()
    };
    let mut s = open(&server.url("tone.asf"), &real_time).await.unwrap();
    let (events, err) = collect(&mut s, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(events.last(), Some(&AsfEvent::End));
    // 2 s of media without fast start: real time from the first packet, batched (a packet
    // goes out at most the preroll, 0.5 s, early): the last one, due at 1.95 s, not before
    // 1.45 s.
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(1400), "not paced: {took:?}");
    assert!(took < Duration::from_secs(5), "too slow: {took:?}");
    // With fast start (10 s at 10 Mb/s asked for) the same 2 s come at the link's pace.
    let t0 = Instant::now();
    let mut s = open(&server.url("tone.asf"), &opts()).await.unwrap();
    let (events, err) = collect(&mut s, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(events.last(), Some(&AsfEvent::End));
    let took = t0.elapsed();
    assert!(
        took < Duration::from_millis(1200),
        "fast start not honoured: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_joins_mid_stream_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "radio.asf", 2);
    let (_, want) = file_packets(&file);
    let server = TestServer::start(vec![file], true, false, Faults::default()).await;
    // Let the broadcast run a while so that a client joins in the middle.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut s = open(&server.url("radio.asf"), &opts()).await.unwrap();
    let AsfEvent::Header(h) = s.next_event().await.unwrap() else {
        panic!("first event is not the header");
    };
    let h = mmsplay_asf::parse_header(&h).unwrap();
    assert!(h.file.broadcast, "live header must say broadcast");
    // Receive past the loop point: the packets continue the file cyclically, without gaps.
    let n = want.len();
    let t0 = Instant::now();
    let (events, err) = collect(&mut s, n + 20).await;
    // A broadcast is paced: a whole loop (2 s) less the preroll burst (0.5 s) takes time.
    assert!(
        t0.elapsed() >= Duration::from_millis(1200),
        "live is not paced"
    );
    assert!(err.is_none(), "{err:?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AsfEvent::Gap { .. } | AsfEvent::End))
    );
    let got = packets(&events);
    let start = want
        .iter()
        .position(|p| *p == got[0])
        .expect("first packet is from the file");
    assert!(
        start > 0,
        "a live client must join mid-stream, not at packet 0"
    );
    for (k, p) in got.iter().enumerate() {
        assert!(*p == want[(start + k) % n], "packet {k} out of sequence");
    }
    assert!(got.len() > n - start, "did not loop");
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_blackholed_fail_fast_and_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 1);
    let mut faults = Faults::default();
    faults.refuse.insert(mmsplay_net::Transport::Mmsh);
    let refused = TestServer::start(vec![file.clone()], false, true, faults).await;
    let t0 = Instant::now();
    let e = open(&refused.url("tone.asf"), &opts()).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Refused, "{e}");
    assert!(e.to_string().contains("503"), "{e}");
    // At once: well before any deadline (generous for loaded CI machines).
    assert!(t0.elapsed() < Duration::from_secs(3));

    let mut faults = Faults::default();
    faults.blackhole.insert(mmsplay_net::Transport::Mmsh);
    let hole = TestServer::start(vec![file.clone()], false, true, faults).await;
    let o = ConnectOptions {
        connect_timeout: Duration::from_millis(800),
        ..opts()
    };
    let t0 = Instant::now();
    let e = open(&hole.url("tone.asf"), &o).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(t0.elapsed() < Duration::from_secs(3));

    let ok = TestServer::start(vec![file], false, true, Faults::default()).await;
    let e = open(&ok.url("missing.asf"), &opts()).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_dying_mid_stream_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 4);
    let (header, want) = file_packets(&file);
    // A server that plays 5 packets and then drops the connection.
    let url = super::hostile::scripted_server(move |req| {
        if req.contains("xPlayStrm=1") {
            let mut b = super::hostile::play_head();
            b.extend(super::hostile::h_chunk(&header));
            for (i, p) in want.iter().take(5).enumerate() {
                b.extend(super::hostile::d_chunk(i as u32, p));
            }
            b
        } else {
            super::hostile::describe_response(&header)
        }
    });
    let mut s = open(&url, &opts()).await.unwrap();
    let t0 = Instant::now();
    let (events, err) = collect(&mut s, 1000).await;
    let err = err.expect("a dying server must give an error, not End");
    assert_eq!(err.kind, ErrorKind::Closed, "{err}");
    assert!(err.to_string().contains("middle of the stream"), "{err}");
    assert_eq!(packets(&events).len(), 5);
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_mode_uses_one_connection_and_chunked_body() {
    use mmsplay_net::mmsh::HttpMode;
    use mmsplay_net::transport::mmsh::MmshSession;
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 2);
    let (header, want) = file_packets(&file);
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let url = mmsplay_net::StreamUrl::parse(&server.url("tone.asf")).unwrap();
    let o = opts();
    let mut s = MmshSession::connect_with(&url, &o, HttpMode::Pipelined)
        .await
        .unwrap();
    assert!(
        s.pipelined(),
        "the server kept the connection and sent a chunked Play body"
    );
    let mut events = Vec::new();
    loop {
        let e = s.next_event().await.unwrap();
        let end = e == AsfEvent::End;
        events.push(e);
        if end {
            break;
        }
    }
    assert_eq!(events[0], AsfEvent::Header(header.into()));
    assert!(packets(&events) == want);
    let ends = server.wait_session_ends(1).await;
    assert_eq!(ends[0]["packets_sent"], want.len() as u64);
    // The default mode still works on the same server (HTTP/1.0, two connections).
    let mut s = MmshSession::connect(&url, &o).await.unwrap();
    assert!(!s.pipelined());
    assert!(matches!(s.next_event().await.unwrap(), AsfEvent::Header(_)));
}

/// Sends one raw request to our server and returns the response (read to the close).
async fn raw_exchange(port: u16, request: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    out
}

/// Our server (on demand, fast) with a one-second `tone.asf` in `dir`, and its HTTP port.
async fn one_second_tone_server(dir: &std::path::Path) -> (TestServer, u16) {
    let file = synthetic_asf(dir, "tone.asf", 1);
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let port = server.bound.http.port();
    (server, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_only_for_version_9_clients() {
    use mmsplay_net::mmsh::{BodyEvent, BodyReader, parse_response_head};
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = one_second_tone_server(dir.path()).await;
    for (agent, play) in [
        ("NSPlayer/12.0.7680.0", false),
        ("NSPlayer/12.0.7680.0", true),
        ("NSPlayer/4.1.0.3856", false),
        ("NSPlayer/7.10.0.3059", true),
    ] {
        let extra = if play { "Pragma: xPlayStrm=1\r\n" } else { "" };
        let req = format!(
            "GET /tone.asf HTTP/1.0\r\nUser-Agent: {agent}\r\n{extra}Pragma: xClientGUID={{0xbabac001-0x1170-0x5ef8-0xaf1c29bf45a70f47}}\r\n\r\n"
        );
        let resp = raw_exchange(port, &req).await;
        let (head, used) = parse_response_head(&resp).unwrap().unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.headers.get("server"), Some("Cougar/9.01.01.3814"));
        let want_type = if play {
            "application/x-mms-framed"
        } else {
            "application/vnd.ms.wms-hdr.asfv1"
        };
        assert_eq!(head.content_type(), Some(want_type));
        let mut r = BodyReader::new();
        r.push(&resp[used..]);
        let first = r.next_event().unwrap().unwrap();
        let v9 = agent.contains("/12.");
        match first {
            BodyEvent::Meta(text) => {
                assert!(v9, "{agent} must not get $M");
                assert!(text.contains("features=\"seekable,stridable\""), "{text}");
                assert!(matches!(
                    r.next_event().unwrap(),
                    Some(BodyEvent::Header(_))
                ));
            }
            BodyEvent::Header(_) => assert!(!v9, "{agent} must get $M first"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A Describe asking for a packet-pair experiment gets three `$P` before the header, sized as
/// [MS-WMSP] 2.2.3.7 says: Reason is the head's length (at most 504); the head and the first
/// `$P` fill 512 bytes, the second `$P` is 512 bytes and the third 1056 + Reason; the payloads
/// differ. Without the pragma, none. Then our client measures the link from them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_describe_asking_for_packet_pair_gets_three_p_chunks() {
    use mmsplay_net::mmsh::chunk::{ChunkDecoder, ChunkKind};
    use mmsplay_net::mmsh::parse_response_head;
    let dir = tempfile::tempdir().unwrap();
    let (server, port) = one_second_tone_server(dir.path()).await;
    for asked in [true, false] {
        let pragma = if asked {
            ",packet-pair-experiment=1"
        } else {
            ""
        };
        let req = format!(
            "GET /tone.asf HTTP/1.0\r\nUser-Agent: NSPlayer/7.10.0.3059\r\nPragma: no-cache{pragma}\r\nPragma: xClientGUID={{c77e7400-738a-11d2-9add-0020af0a3278}}\r\n\r\n"
        );
        let resp = raw_exchange(port, &req).await;
        let (head, used) = parse_response_head(&resp).unwrap().unwrap();
        assert_eq!(head.status, 200);
        let mut d = ChunkDecoder::new();
        d.push(&resp[used..]);
        let mut pairs = Vec::new();
        while let Some(c) = d.next_chunk().unwrap() {
            if c.kind != ChunkKind::PacketPair {
                assert_eq!(c.kind, ChunkKind::Header, "the header follows the probe");
                break;
            }
            pairs.push(c);
        }
        if !asked {
            assert!(pairs.is_empty());
            continue;
        }
        assert_eq!(pairs.len(), 3);
        let reason = used.min(504);
        assert!(pairs.iter().all(|c| c.reason() as usize == reason));
        let wire: Vec<usize> = pairs.iter().map(|c| 4 + c.body.len()).collect();
        assert_eq!(used + wire[0], 512.max(used + 8));
        assert_eq!(wire[1], 512);
        assert_eq!(wire[2], 1056 + reason);
        assert_ne!(pairs[1].body[4..], pairs[2].body[4..508]);
    }
    let url = mmsplay_net::StreamUrl::parse(&server.url("tone.asf")).unwrap();
    let o = opts();
    let _s = mmsplay_net::transport::mmsh::MmshSession::connect(&url, &o)
        .await
        .unwrap();
    assert!(
        o.stats.link_bps().is_some_and(|b| b > 64_000),
        "{:?}",
        o.stats.link_bps()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_start_by_packet_number_and_byte_offset() {
    use mmsplay_net::mmsh::{BodyEvent, BodyReader, parse_response_head};
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 2);
    let (header, want) = file_packets(&file);
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let port = server.bound.http.port();
    // packet-num, a file offset (spec) and a data offset (VLC) all land on packet 7.
    let file_offset = header.len() as u64 + 7 * 1000;
    for pragma in [
        "packet-num=7".to_string(),
        format!("stream-offset=0:{file_offset}"),
        "stream-offset=0:7000".to_string(),
    ] {
        let req = format!(
            "GET /tone.asf HTTP/1.0\r\nUser-Agent: NSPlayer/7.10.0.3059\r\nPragma: no-cache,rate=1.000000,{pragma},request-context=2\r\nPragma: xPlayStrm=1\r\n\r\n"
        );
        let resp = raw_exchange(port, &req).await;
        let (_, used) = parse_response_head(&resp).unwrap().unwrap();
        let mut r = BodyReader::new();
        r.push(&resp[used..]);
        let mut got = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            if let BodyEvent::Packet(p) = e {
                got.push(p.to_vec());
            }
        }
        assert!(got == want[7..].to_vec(), "{pragma}: wrong start");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 1);
    let (_, want) = file_packets(&file);
    let Ok(server) = TestServer::start_on("::1", vec![file], false, true, Faults::default()).await
    else {
        eprintln!("skipping: no IPv6 loopback here");
        return;
    };
    let url = format!("mmsh://[::1]:{}/tone.asf", server.bound.http.port());
    let mut s = open(&url, &opts()).await.unwrap();
    let (events, err) = collect(&mut s, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    assert!(packets(&events) == want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_and_log_requests_are_acknowledged() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 1);
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let port = server.bound.http.port();
    // Non-pipelined KeepAlive ([MS-WMSP] 2.2.2.3.1) and a Log POST with a body.
    let ka = raw_exchange(port, "POST /tone.asf HTTP/1.0\r\nPragma: xKeepAliveInPause=1,client-id=5\r\nContent-Length: 0\r\n\r\n").await;
    assert!(
        ka.starts_with(b"HTTP/1.0 200 OK\r\n"),
        "{}",
        String::from_utf8_lossy(&ka)
    );
    let log = raw_exchange(port, "POST /tone.asf HTTP/1.0\r\nContent-Type: application/x-wms-LogStats\r\nContent-Length: 11\r\n\r\nlog-line=1\n").await;
    assert!(log.starts_with(b"HTTP/1.0 200 OK\r\n"));
    // Pipelined KeepAlive (`OPTIONS *`) keeps the connection for the next request.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(b"OPTIONS * HTTP/1.1\r\nPragma: client-id=5\r\n\r\nPOST /tone.asf HTTP/1.1\r\nPragma: xStopStrm=1\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("200 OK").count(), 2, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_clients_do_not_take_the_server_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 1);
    let (_, want) = file_packets(&file);
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let port = server.bound.http.port();
    let status = |resp: &[u8]| String::from_utf8_lossy(&resp[..resp.len().min(12)]).to_string();
    // Garbage instead of a request line.
    let r = raw_exchange(port, "\u{1}\u{2}garbage without spaces\r\n\r\n").await;
    assert_eq!(status(&r), "HTTP/1.0 400");
    // A head that never ends.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(b"GET /tone.asf HTTP/1.0\r\n").await.unwrap();
    let line =
        b"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    for _ in 0..400 {
        if s.write_all(line).await.is_err() {
            break;
        }
    }
    let mut r = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut r)).await;
    assert!(
        r.starts_with(b"HTTP/1.0 4"),
        "{}",
        String::from_utf8_lossy(&r)
    );
    // A request body claiming 10 MB.
    let r = raw_exchange(
        port,
        "POST /tone.asf HTTP/1.0\r\nContent-Length: 10000000\r\n\r\n",
    )
    .await;
    assert_eq!(status(&r), "HTTP/1.0 413");
    // A client that connects and goes away half-way through a head, or mid-stream.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(b"GET /tone.asf HTT").await.unwrap();
    drop(s);
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(b"GET /tone.asf HTTP/1.0\r\nPragma: xPlayStrm=1\r\n\r\n")
        .await
        .unwrap();
    let mut some = [0u8; 100];
    let _ = s.read(&mut some).await;
    drop(s);
    // And the server still serves.
    let mut ok = open(&server.url("tone.asf"), &opts()).await.unwrap();
    let (events, err) = collect(&mut ok, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    assert!(packets(&events) == want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_larger_than_one_chunk_goes_in_pieces() {
    // A 150 KB header (big tags, as album art makes them) needs three `$H` pieces
    // ([MS-WMSP] 2.2.3.5).
    let dir = tempfile::tempdir().unwrap();
    let tags = vec![("WM/Lyrics".to_string(), "la ".repeat(25_000))];
    let file = synthetic_asf_tagged(dir.path(), "big.asf", 1, 1000, tags);
    let (header, want) = file_packets(&file);
    assert!(header.len() > 2 * 65_535);
    let server = TestServer::start(vec![file], false, true, Faults::default()).await;
    let mut s = open(&server.url("big.asf"), &opts()).await.unwrap();
    let (events, err) = collect(&mut s, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(events[0], AsfEvent::Header(header.into()));
    assert!(packets(&events) == want);
}
