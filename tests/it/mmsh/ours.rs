//! Our client against our server.

use std::time::{Duration, Instant};

use mmsplay_net::session::TransportStats;
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
    let mut s = open(&server.url("tone.asf"), &opts()).await.unwrap();
    let (events, err) = collect(&mut s, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(events.last(), Some(&AsfEvent::End));
    // 2 s of media after a 0.5 s preroll burst: at least ~1.3 s of wall time.
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(1300), "not paced: {took:?}");
    assert!(took < Duration::from_secs(5), "too slow: {took:?}");
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
    let (events, err) = collect(&mut s, n + 20).await;
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
    assert!(t0.elapsed() < Duration::from_secs(1));

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
    assert!(t0.elapsed() < Duration::from_millis(1500));

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
