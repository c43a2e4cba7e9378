//! Every session has a bounded queue: a listener that stops reading is dropped once it is a
//! whole queue behind, on each TCP transport and for a file on demand (relays: see relay.rs),
//! while a listener that reads plays on at full rate.

use std::time::{Duration, Instant};

use mmsplay_net::{AsfEvent, Session, Transport};
use mmsplay_server::ServerOptions;

use super::{Running, client_options};
use crate::common::have_tool;

/// Seconds of the file: longer than the test needs, so that no stuck session ends by itself.
const FILE_SECONDS: u32 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_that_stop_reading_are_dropped_and_slow_nobody() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = super::pcm_file(dir.path(), FILE_SECONDS);
    let total_packets = mmsplay_server::Media::load(&file).unwrap().packets.len() as u64;
    let srv = Running::start(ServerOptions {
        files: vec![file],
        queue: 16,
        ..ServerOptions::default()
    })
    .await;

    // The reader, on a task of its own, counting packets.
    let url = srv.url(Transport::Mmsh, "pcm.asf");
    let (count_tx, count_rx) = tokio::sync::watch::channel(0usize);
    let reader = tokio::spawn(async move {
        let mut s = Session::open(&url, Transport::Mmsh, &client_options())
            .await
            .expect("the reader connects");
        let mut n = 0;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), s.next_event()).await {
                Ok(Ok(AsfEvent::Packet(_))) => {
                    n += 1;
                    count_tx.send_replace(n);
                }
                Ok(Ok(AsfEvent::End)) => return "end of stream".to_string(),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return e.to_string(),
                Err(_) => return "stalled".to_string(),
            }
        }
    });

    // Three listeners that never read: a raw MMSH Play with a small receive buffer, and MMS
    // over TCP and RTSP over TCP sessions that are opened and then never read from.
    let stuck_mmsh = super::stuck_mmsh_play(srv.server.bound.http, "/pcm.asf").await;
    let mut stuck = Vec::new();
    for t in [Transport::Mmst, Transport::Rtspt] {
        let s = Session::open(&srv.url(t, "pcm.asf"), t, &client_options())
            .await
            .unwrap_or_else(|e| panic!("{t:?}: {e}"));
        stuck.push(s);
    }
    let start = Instant::now();
    let counted = *count_rx.borrow();

    // All three are dropped, long before the file would have ended.
    let deadline = start + Duration::from_secs(20);
    let ends = loop {
        let ends = srv.session_ends();
        if ends.len() >= 3 {
            break ends;
        }
        assert!(
            Instant::now() < deadline,
            "only {} sessions ended: {ends:?}",
            ends.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut transports: Vec<&str> = ends
        .iter()
        .map(|e| e["transport"].as_str().unwrap())
        .collect();
    transports.sort_unstable();
    assert_eq!(transports, ["mmsh", "mmst", "rtspt"], "{ends:?}");
    for e in &ends {
        let sent = e["packets_sent"].as_u64().unwrap();
        assert!(sent > 0 && sent < total_packets, "{e}");
    }
    assert!(
        start.elapsed() < Duration::from_secs(u64::from(FILE_SECONDS) - 5),
        "dropped only after {:?}",
        start.elapsed()
    );

    // The reader was not held back: still playing, at (nearly) the stream's 44 packets/s.
    assert!(!reader.is_finished(), "{:?}", reader.await);
    let before = *count_rx.borrow();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = *count_rx.borrow() - before;
    assert!(got >= 60, "the reader got {got} packets in 2 s");
    assert!(*count_rx.borrow() > counted, "the reader stalled");
    reader.abort();
    drop((stuck, stuck_mmsh));
}
