//! Our client against our server.

use std::time::{Duration, Instant};

use mmsplay_net::{ErrorKind, Session, StreamUrl, Transport, TransportStats};
use mmsplay_server::Faults;

use super::support::*;

/// The whole on-demand file arrives, each packet equal to the file's (padding restored).
async fn whole_file(t: Transport) {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "whole.asf", 3) else {
        return;
    };
    let (header, packets, _) = file_packets(&file);
    let server = Server::start(&file, Faults::default(), false, true).await;
    let opts = options(5000);
    let r = receive(
        &server.url("rtsp", "whole.asf"),
        t,
        &opts,
        usize::MAX,
        Duration::from_secs(10),
    )
    .await;
    assert!(r.ended, "the stream ends with End");
    assert_eq!(
        r.header, header,
        "the header is the file's header and Data Object prefix"
    );
    assert_eq!(r.packets.len(), packets.len());
    for (i, (got, want)) in r.packets.iter().zip(&packets).enumerate() {
        assert_eq!(got, want, "packet {i} differs");
    }
    assert_eq!(r.gaps, 0);
    let stats = &opts.stats;
    assert_eq!(
        TransportStats::get(&stats.packets_received),
        packets.len() as u64
    );
    assert_eq!(TransportStats::get(&stats.packets_lost), 0);
    assert!(TransportStats::get(&stats.bytes_received) > 0);
    let end = server.session_end().await;
    assert_eq!(end["transport"], t.as_str());
    assert_eq!(end["packets_sent"], packets.len() as u64);
    assert_eq!(end["packets_dropped"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_receives_the_whole_file_over_rtspt() {
    whole_file(Transport::Rtspt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_receives_the_whole_file_over_rtspu() {
    whole_file(Transport::Rtspu).await;
}

/// PLAY with a Range from `start_ms` resumes at the packet for that time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_resumes_from_start_ms() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "resume.asf", 4) else {
        return;
    };
    let (_, packets, times) = file_packets(&file);
    let server = Server::start(&file, Faults::default(), false, true).await;
    let mut opts = options(5000);
    opts.start_ms = 2000;
    let r = receive(
        &server.url("rtsp", "resume.asf"),
        Transport::Rtspt,
        &opts,
        usize::MAX,
        Duration::from_secs(10),
    )
    .await;
    let first = times.partition_point(|t| u64::from(*t) < u64::from(times[0]) + 2000);
    assert!(first > 0 && first < packets.len());
    assert_eq!(r.packets.len(), packets.len() - first);
    assert_eq!(r.packets[0], packets[first]);
    assert_eq!(r.packets.last(), packets.last());
}

/// `--udp-loss`: the client asks for each withheld packet again on the retransmission stream
/// (NACK), gets it resent, and counts it recovered; the file arrives whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_loss_is_recovered_by_resends() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "lossy.asf", 5) else {
        return;
    };
    let (_, packets, _) = file_packets(&file);
    let faults = Faults {
        udp_loss: 0.3,
        seed: 7,
        ..Default::default()
    };
    let server = Server::start(&file, faults, false, true).await;
    let opts = options(5000);
    let r = receive(
        &server.url("rtsp", "lossy.asf"),
        Transport::Rtspu,
        &opts,
        usize::MAX,
        Duration::from_secs(10),
    )
    .await;
    assert!(r.ended);
    let end = server.session_end().await;
    let dropped = end["packets_dropped"].as_u64().unwrap();
    assert!(dropped > 0, "the seed drops something");
    let stats = &opts.stats;
    assert_eq!(TransportStats::get(&stats.packets_recovered), dropped);
    assert_eq!(TransportStats::get(&stats.packets_lost), 0);
    assert_eq!(r.gaps, 0);
    assert_eq!(r.packets, packets, "every packet, in order");
}

async fn open_err(url: &str, t: Transport, connect_ms: u64) -> (mmsplay_net::NetError, Duration) {
    let url = StreamUrl::parse(url).unwrap();
    let started = Instant::now();
    let r = Session::open(&url, t, &options(connect_ms)).await;
    let e = match r {
        Ok(_) => panic!("{t:?} should fail"),
        Err(e) => e,
    };
    (e, started.elapsed())
}

/// `--refuse rtspu`: 461 to the UDP SETUP fails `rtspu` at once; `rtspt` still plays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_udp_fails_fast_and_tcp_still_plays() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "r.asf", 3) else {
        return;
    };
    let faults = Faults {
        refuse: [Transport::Rtspu].into_iter().collect(),
        ..Default::default()
    };
    let server = Server::start(&file, faults, false, true).await;
    let (e, took) = open_err(&server.url("rtsp", "r.asf"), Transport::Rtspu, 5000).await;
    assert_eq!(e.kind, ErrorKind::Refused, "{e}");
    assert!(e.to_string().contains("461"), "{e}");
    assert_eq!(e.transport, Some(Transport::Rtspu));
    assert!(took < Duration::from_secs(1), "{took:?}");
    let r = receive(
        &server.url("rtsp", "r.asf"),
        Transport::Rtspt,
        &options(5000),
        usize::MAX,
        Duration::from_secs(10),
    )
    .await;
    assert!(r.ended && !r.packets.is_empty());
}

/// `--refuse rtspu,rtspt`: DESCRIBE already fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_both_fails_at_describe() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "b.asf", 3) else {
        return;
    };
    let faults = Faults {
        refuse: [Transport::Rtspu, Transport::Rtspt].into_iter().collect(),
        ..Default::default()
    };
    let server = Server::start(&file, faults, false, true).await;
    for t in [Transport::Rtspu, Transport::Rtspt] {
        let (e, _) = open_err(&server.url("rtsp", "b.asf"), t, 5000).await;
        assert_eq!(e.kind, ErrorKind::Refused, "{e}");
        assert!(e.to_string().contains("DESCRIBE"), "{e}");
    }
}

/// `--blackhole rtspu`: no RTP ever; `rtspu` gives up about a second after PLAY, not at the
/// connect timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackholed_udp_fails_within_about_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "h.asf", 3) else {
        return;
    };
    let faults = Faults {
        blackhole: [Transport::Rtspu].into_iter().collect(),
        ..Default::default()
    };
    let server = Server::start(&file, faults, false, true).await;
    let (e, took) = open_err(&server.url("rtsp", "h.asf"), Transport::Rtspu, 10_000).await;
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("UDP"), "{e}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // The session still ends on the server, with nothing sent.
    let end = server.session_end().await;
    assert_eq!(end["transport"], "rtspu");
    assert_eq!(end["packets_sent"], 0);
}

/// `--blackhole rtspt`: the TCP SETUP is never answered; the connect deadline ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackholed_tcp_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "t.asf", 3) else {
        return;
    };
    let faults = Faults {
        blackhole: [Transport::Rtspt].into_iter().collect(),
        ..Default::default()
    };
    let server = Server::start(&file, faults, false, true).await;
    let (e, took) = open_err(&server.url("rtsp", "t.asf"), Transport::Rtspt, 1500).await;
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // UDP is unaffected.
    let r = receive(
        &server.url("rtsp", "t.asf"),
        Transport::Rtspu,
        &options(5000),
        usize::MAX,
        Duration::from_secs(10),
    )
    .await;
    assert!(r.ended && !r.packets.is_empty());
}

/// `--live`: a client joins a looping broadcast; the header says broadcast, and the timeline
/// moves forward across the loop point.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_broadcast_is_joined_mid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "live.asf", 3) else {
        return;
    };
    let (_, packets, _) = file_packets(&file);
    let server = Server::start(&file, Faults::default(), true, false).await;
    let r = receive(
        &server.url("rtsp", "live.asf"),
        Transport::Rtspt,
        &options(5000),
        // More than the file has: the session crosses the loop point.
        packets.len() + 3,
        Duration::from_secs(10),
    )
    .await;
    let h = mmsplay_asf::parse_header(&r.header).unwrap();
    assert!(h.file.broadcast, "the live header has the broadcast flag");
    assert_eq!(r.packets.len(), packets.len() + 3);
    // The file's packets, moved on the timeline by whole loops: same payload bytes, send times
    // going forward.
    let size = h.packet_size();
    let data = |p: &[u8]| -> (u32, Vec<Vec<u8>>) {
        let mut pl = Vec::new();
        let info = mmsplay_asf::parse_packet(p, size, &mut pl).unwrap();
        let bytes = pl
            .iter()
            .map(|x| match &x.data {
                mmsplay_asf::PayloadData::Fragment { data, .. }
                | mmsplay_asf::PayloadData::Compressed { data, .. }
                | mmsplay_asf::PayloadData::Bare { data, .. } => data.to_vec(),
            })
            .collect();
        (info.send_time_ms, bytes)
    };
    let file_data: Vec<Vec<Vec<u8>>> = packets.iter().map(|p| data(p).1).collect();
    let mut last = 0;
    for p in &r.packets {
        let (t, d) = data(p);
        assert!(file_data.contains(&d), "a packet of the file");
        assert!(t >= last, "send times go forward");
        last = t;
    }
    let end = server.session_end().await;
    assert_eq!(end["transport"], "rtspt");
}

/// A URL naming no file: 404 becomes a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_path_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "n.asf", 3) else {
        return;
    };
    let server = Server::start(&file, Faults::default(), false, true).await;
    let (e, _) = open_err(&server.url("rtsp", "missing.asf"), Transport::Rtspt, 3000).await;
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("404"), "{e}");
}

/// Misbehaving clients get a 400 and a closed connection; the server keeps serving others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_clients_do_not_take_the_server_down() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "m.asf", 3) else {
        return;
    };
    let server = Server::start(&file, Faults::default(), false, true).await;
    let addr = server.bound.rtsp;
    let bad: [&[u8]; 3] = [
        b"\x00\x01\x02 binary junk\r\n\r\n",
        b"DESCRIBE rtsp://h/m.asf RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 1000000000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
    ];
    for input in bad {
        let got = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            s.write_all(input).unwrap();
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
            String::from_utf8_lossy(&out).to_string()
        })
        .await
        .unwrap();
        assert!(got.starts_with("RTSP/1.0 400"), "{got:?}");
    }
    // A header that never ends is cut off at the limit.
    let got = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let _ = s.write_all(b"OPTIONS * RTSP/1.0\r\nX: ");
        let _ = s.write_all(&vec![b'a'; 200 * 1024]);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).to_string()
    })
    .await
    .unwrap();
    assert!(got.starts_with("RTSP/1.0 400"), "{got:?}");
    let r = receive(
        &server.url("rtsp", "m.asf"),
        Transport::Rtspt,
        &options(5000),
        usize::MAX,
        Duration::from_secs(10),
    )
    .await;
    assert!(r.ended && !r.packets.is_empty());
}
