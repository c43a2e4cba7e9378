//! Operations: the session record, several listening addresses, graceful shutdown.

use std::time::Duration;

use mmsplay_net::{AsfEvent, Session, Transport};
use mmsplay_server::ServerOptions;

use super::{FILE, Running, TRANSPORTS, client_options, next_event, packets};
use crate::common::asset;

fn on_demand() -> ServerOptions {
    ServerOptions {
        files: vec![asset(FILE)],
        fast: true,
        ..ServerOptions::default()
    }
}

fn live() -> ServerOptions {
    ServerOptions {
        files: vec![asset(FILE)],
        live: true,
        ..ServerOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_end_says_who_what_and_how_much() {
    let srv = Running::start(on_demand()).await;
    let media = mmsplay_server::Media::load(&asset(FILE)).unwrap();
    for (i, t) in [Transport::Mmst, Transport::Mmsh, Transport::Rtspt]
        .into_iter()
        .enumerate()
    {
        let mut s = Session::open(&srv.url(t, FILE), t, &client_options())
            .await
            .unwrap();
        while !matches!(next_event(&mut s).await, AsfEvent::End) {}
        s.close().await;
        let end = srv.wait_session_ends(i + 1).await.remove(i);
        assert_eq!(end["transport"], t.as_str(), "{end}");
        assert_eq!(end["packets_sent"], media.packets.len() as u64, "{end}");
        let bytes = end["bytes_sent"].as_u64().unwrap();
        // RTSP sends packets without their padding; MMS and MMSH whole.
        let whole = media.packets.iter().map(|p| p.len() as u64).sum::<u64>();
        assert!(bytes > 0 && bytes <= whole, "{end}");
        if t != Transport::Rtspt {
            assert_eq!(bytes, whole, "{end}");
        }
        assert_eq!(end["streams"], serde_json::json!([1]), "{end}");
        assert_eq!(end["start_ms"], 0, "{end}");
        assert!(end["duration_ms"].is_u64(), "{end}");
        let client = end["client"].as_str().unwrap();
        assert!(client.starts_with("127.0.0.1:"), "{end}");
        assert!(!end["user_agent"].as_str().unwrap().is_empty(), "{end}");
    }
}

/// IPv6 loopback, where the machine has it.
fn have_ipv6() -> bool {
    let ok = std::net::TcpListener::bind("[::1]:0").is_ok();
    if !ok {
        eprintln!("skipping the IPv6 part: no ::1 here");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listens_on_several_addresses_with_the_same_ports() {
    let v6 = have_ipv6();
    let bind = if v6 { "127.0.0.1,::1" } else { "127.0.0.1" };
    let srv = Running::start(ServerOptions {
        bind: bind.into(),
        ..on_demand()
    })
    .await;
    let http = srv.server.bound.http.port();
    let mut hosts = vec!["127.0.0.1".to_string()];
    if v6 {
        hosts.push("[::1]".into());
    }
    for host in hosts {
        let url = mmsplay_net::StreamUrl::parse(&format!("mmsh://{host}:{http}/{FILE}")).unwrap();
        let mut s = Session::open(&url, Transport::Mmsh, &client_options())
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        packets(&mut s, 1).await;
        s.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_every_transport_with_its_end_of_stream() {
    let srv = Running::start(live()).await;
    let mut sessions = Vec::new();
    for t in TRANSPORTS {
        sessions.push((t, srv.listen(t, FILE, 2).await));
    }
    let listeners = tokio::spawn(async move {
        let mut ended = Vec::new();
        for (t, mut s) in sessions {
            // Each ends with its protocol's end-of-stream message: an End, not an error.
            loop {
                match next_event(&mut s).await {
                    AsfEvent::End => break,
                    AsfEvent::Packet(_) | AsfEvent::Header(_) => {}
                    other => panic!("{t:?}: {other:?}"),
                }
            }
            ended.push(t);
        }
        ended
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    srv.server.shutdown(Duration::from_secs(5)).await;
    let ended = tokio::time::timeout(Duration::from_secs(10), listeners)
        .await
        .expect("listeners see the end")
        .unwrap();
    assert_eq!(ended.len(), 5);
    assert_eq!(srv.server.connections(), 0, "sessions are all closed");
    let ends = srv.wait_session_ends(5).await;
    for t in TRANSPORTS {
        assert!(
            ends.iter().any(|e| e["transport"] == t.as_str()),
            "no session_end for {t:?}: {ends:?}"
        );
    }
    // Nobody new gets in.
    let late = Session::open(
        &srv.url(Transport::Mmsh, FILE),
        Transport::Mmsh,
        &client_options(),
    )
    .await;
    assert!(late.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_sessions_and_exits_cleanly() {
    let file = asset(FILE);
    let (server, mut out) =
        crate::common::ServeProcess::start_reading(&[file.as_path()], &["--live"]);
    let url =
        mmsplay_net::StreamUrl::parse(&format!("mmsh://127.0.0.1:{}/{FILE}", server.http)).unwrap();
    let mut s = Session::open(&url, Transport::Mmsh, &client_options())
        .await
        .unwrap();
    packets(&mut s, 2).await;
    let st = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    loop {
        match next_event(&mut s).await {
            AsfEvent::End => break,
            AsfEvent::Packet(_) => {}
            other => panic!("{other:?}"),
        }
    }
    let lines = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = Vec::new();
        let mut l = String::new();
        while out.read_line(&mut l).is_ok_and(|n| n > 0) {
            lines.push(std::mem::take(&mut l));
        }
        lines
    });
    let lines = tokio::time::timeout(Duration::from_secs(10), lines)
        .await
        .expect("the server exits")
        .unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"session_end\"") && l.contains("\"mmsh\"")),
        "{lines:?}"
    );
    assert_eq!(server.wait_exit(Duration::from_secs(5)), Some(0));
}
