//! Our client against our server, over MMST and MMSU: what arrives is the file.

use std::time::{Duration, Instant};

use mmsplay_net::{AsfEvent, ConnectOptions, ErrorKind, Session, Transport, TransportStats};

use super::util::{TestServer, faults, fixture, media, opts};

/// Plays a session to its end: the header and, per file position, the packet that arrived
/// (`None` where a gap was reported).
async fn play_all(mut s: Session) -> (bytes::Bytes, Vec<Option<bytes::Bytes>>) {
    let mut header = None;
    let mut packets = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), s.next_event()).await {
            Ok(Ok(AsfEvent::Header(h))) => header = Some(h),
            Ok(Ok(AsfEvent::Packet(p))) => packets.push(Some(p)),
            Ok(Ok(AsfEvent::Gap { lost })) => packets.extend((0..lost).map(|_| None)),
            Ok(Ok(AsfEvent::End)) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("stream failed: {e}"),
            Err(_) => panic!("stream stalled"),
        }
    }
    s.close().await;
    (header.expect("a header"), packets)
}

async fn on_demand_equals_file(t: Transport, scheme: &str) {
    let Some(f) = fixture() else { return };
    let m = media(f);
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), false, true).await;
    let o = opts();
    let s = Session::open(&srv.url(scheme, f.name), t, &o)
        .await
        .unwrap();
    assert_eq!(s.transport(), t);
    let (header, packets) = play_all(s).await;
    assert_eq!(header, m.header_bytes, "the header is the file's");
    assert_eq!(packets.len(), m.packets.len());
    for (i, (got, want)) in packets.iter().zip(&m.packets).enumerate() {
        assert_eq!(got.as_ref(), Some(want), "packet {i}");
    }
    assert_eq!(
        TransportStats::get(&o.stats.packets_received),
        m.packets.len() as u64
    );
    assert_eq!(TransportStats::get(&o.stats.packets_lost), 0);
    let ends = srv.wait_session_ends(1).await;
    assert_eq!(ends[0]["transport"], t.as_str());
    assert_eq!(ends[0]["packets_sent"], m.packets.len() as u64);
    assert_eq!(ends[0]["packets_dropped"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mmst_on_demand_delivers_the_file() {
    on_demand_equals_file(Transport::Mmst, "mmst").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mmsu_on_demand_delivers_the_file() {
    on_demand_equals_file(Transport::Mmsu, "mmsu").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mmsu_loss_is_recovered_or_counted_exactly() {
    let Some(f) = fixture() else { return };
    let m = media(f);
    let srv = TestServer::start(f, faults(&[], &[], 0.1, 7), false, true).await;
    let o = opts();
    let s = Session::open(&srv.url("mmsu", f.name), Transport::Mmsu, &o)
        .await
        .unwrap();
    let (_, packets) = play_all(s).await;
    let ends = srv.wait_session_ends(1).await;
    let dropped = ends[0]["packets_dropped"].as_u64().unwrap();
    assert!(dropped > 0, "the seed drops something: {ends:?}");
    let lost = TransportStats::get(&o.stats.packets_lost);
    let recovered = TransportStats::get(&o.stats.packets_recovered);
    assert_eq!(
        lost + recovered,
        dropped,
        "lost {lost} + recovered {recovered}"
    );
    assert!(recovered > 0, "resends deliver withheld packets");
    // Playback went through: every position is accounted for, and what arrived is the file.
    assert_eq!(packets.len(), m.packets.len());
    for (i, p) in packets.iter().enumerate() {
        if let Some(p) = p {
            assert_eq!(p, &m.packets[i], "packet {i}");
        }
    }
    assert_eq!(packets.iter().filter(|p| p.is_none()).count() as u64, lost);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_ms_resumes_on_demand() {
    let Some(f) = fixture() else { return };
    let m = media(f);
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), false, true).await;
    let o = ConnectOptions {
        start_ms: 3000,
        ..opts()
    };
    let s = Session::open(&srv.url("mmst", f.name), Transport::Mmst, &o)
        .await
        .unwrap();
    let (_, packets) = play_all(s).await;
    // Send times run on the content clock (ffmpeg: first packet at 0, no preroll).
    let first = m.send_times_ms.partition_point(|t| *t < 3000);
    assert!(first > 0);
    assert_eq!(packets.len(), m.packets.len() - first);
    assert_eq!(packets[0].as_ref(), Some(&m.packets[first]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_refused_with_a_reason() {
    let Some(f) = fixture() else { return };
    let srv = TestServer::start(
        f,
        faults(&[Transport::Mmst, Transport::Mmsu], &[], 0.0, 0),
        false,
        true,
    )
    .await;
    for (t, scheme) in [(Transport::Mmst, "mmst"), (Transport::Mmsu, "mmsu")] {
        let t0 = Instant::now();
        let e = Session::open(&srv.url(scheme, f.name), t, &opts())
            .await
            .err()
            .expect("refused");
        assert_eq!(e.kind, ErrorKind::Refused, "{e}");
        assert!(e.to_string().contains("access was denied"), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(1));
    }
    // Refusing only TCP leaves UDP working, and the refusal names the data path.
    let srv = TestServer::start(f, faults(&[Transport::Mmst], &[], 0.0, 0), false, true).await;
    let e = Session::open(&srv.url("mmst", f.name), Transport::Mmst, &opts())
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("data over TCP"), "{e}");
    let s = Session::open(&srv.url("mmsu", f.name), Transport::Mmsu, &opts()).await;
    assert!(s.is_ok(), "{:?}", s.err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_file_is_not_found() {
    let Some(f) = fixture() else { return };
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), false, true).await;
    let e = Session::open(&srv.url("mmst", "nope.asf"), Transport::Mmst, &opts())
        .await
        .err()
        .expect("not found");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.to_string().contains("not found"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackholed_udp_fails_fast() {
    let Some(f) = fixture() else { return };
    let srv = TestServer::start(f, faults(&[], &[Transport::Mmsu], 0.0, 0), false, true).await;
    let t0 = Instant::now();
    let e = Session::open(&srv.url("mmsu", f.name), Transport::Mmsu, &opts())
        .await
        .err()
        .expect("no UDP");
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert!(e.to_string().contains("UDP"), "{e}");
    // UDP_FIRST_DATA_TIMEOUT (1 s) after the server accepted, plus the handshake.
    assert!(
        t0.elapsed() < Duration::from_millis(1800),
        "{:?}",
        t0.elapsed()
    );
    // TCP on the same server still works.
    assert!(
        Session::open(&srv.url("mmst", f.name), Transport::Mmst, &opts())
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackholed_tcp_times_out() {
    let Some(f) = fixture() else { return };
    let srv = TestServer::start(f, faults(&[], &[Transport::Mmst], 0.0, 0), false, true).await;
    let o = ConnectOptions {
        connect_timeout: Duration::from_millis(800),
        ..opts()
    };
    let t0 = Instant::now();
    let e = Session::open(&srv.url("mmst", f.name), Transport::Mmst, &o)
        .await
        .err()
        .expect("silence");
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(t0.elapsed() < Duration::from_millis(1500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_joins_a_broadcast_on_one_timeline() {
    let Some(f) = fixture() else { return };
    let m = media(f);
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), true, false).await;
    for (t, scheme, count) in [
        (Transport::Mmsu, "mmsu", 5),
        // More packets than one loop holds: the stream wraps around at least once.
        (Transport::Mmst, "mmst", m.packets.len() + 2),
    ] {
        let o = opts();
        let mut s = Session::open(&srv.url(scheme, f.name), t, &o)
            .await
            .unwrap();
        let AsfEvent::Header(h) = s.next_event().await.unwrap() else {
            panic!("header first")
        };
        let hdr = mmsplay_asf::parse_header(&h).unwrap();
        assert!(hdr.file.broadcast, "a live header says broadcast");
        let mut n = 0;
        let mut last_send = 0u32;
        while n < count {
            match s.next_event().await.unwrap() {
                AsfEvent::Packet(p) => {
                    assert_eq!(p.len(), m.packet_size as usize);
                    let mut payloads = Vec::new();
                    let info = mmsplay_asf::parse_packet(&p, m.packet_size, &mut payloads)
                        .expect("a valid ASF packet");
                    assert!(info.send_time_ms >= last_send, "{scheme}: time went back");
                    last_send = info.send_time_ms;
                    n += 1;
                }
                AsfEvent::End => panic!("a broadcast does not end"),
                _ => {}
            }
        }
        s.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_clients_do_not_take_the_server_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(f) = fixture() else { return };
    let srv = TestServer::start(f, faults(&[], &[], 0.0, 0), false, true).await;
    let addr = srv.bound.mms;
    // Garbage, a command claiming gigabytes, a data packet from a client, a cut-off command.
    let mut huge = mmsplay_net::mmsp::FromClient::Pong.encode(0);
    huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    let cut = mmsplay_net::mmsp::FromClient::Pong.encode(0)[..20].to_vec();
    let inputs: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        huge,
        vec![0, 0, 0, 0, 1, 0, 12, 0, 1, 2, 3, 4],
        cut,
    ];
    for bytes in inputs {
        let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
        c.write_all(&bytes).await.unwrap();
        let _ = c.shutdown().await;
        // The server closes on us (or has nothing to say), within a bound.
        let mut buf = vec![0u8; 1024];
        let r = tokio::time::timeout(Duration::from_secs(3), c.read(&mut buf)).await;
        assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "{r:?}");
    }
    // A well-behaved client still plays.
    let s = Session::open(&srv.url("mmst", f.name), Transport::Mmst, &opts()).await;
    assert!(s.is_ok(), "{:?}", s.err());
    let ends = srv.wait_session_ends(4).await;
    assert!(ends.len() >= 4);
}
