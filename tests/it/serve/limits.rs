//! Limits: --max-clients and --max-clients-per-ip with each protocol's busy answer, and the
//! handshake timeout against a slow-loris crowd.

use std::time::Duration;

use mmsplay_net::{Session, Transport};
use mmsplay_server::{Limits, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::wire::{connect_from, mms_connect, mmsh_describe, mmsh_describe_from, rtsp_describe};
use super::{FILE, Running, client_options};
use crate::common::asset;

/// "The server session limit was exceeded".
const NS_E_TOO_MANY_SESS: u32 = 0xC00D_000F;

fn limited(max_clients: Option<usize>, per_ip: Option<usize>) -> ServerOptions {
    ServerOptions {
        files: vec![asset(FILE)],
        live: true,
        limits: Limits {
            max_clients,
            max_clients_per_ip: per_ip,
        },
        ..ServerOptions::default()
    }
}

/// Waits (bounded) until the server has `n` connections.
async fn until_connections(srv: &Running, n: usize) {
    for _ in 0..200 {
        if srv.server.connections() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{} connections, not {n}", srv.server.connections());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_answers_busy_on_every_protocol() {
    let srv = Running::start(limited(Some(1), None)).await;
    let b = srv.server.bound;
    let s = srv.listen(Transport::Mmsh, FILE, 1).await;
    assert_eq!(mmsh_describe(b.http.port(), &format!("/{FILE}")).await, 503);
    assert_eq!(rtsp_describe(b.rtsp.port(), &format!("/{FILE}")).await, 503);
    assert_eq!(mms_connect(b.mms.port()).await, Some(NS_E_TOO_MANY_SESS));
    // Our own client says why.
    let e = Session::open(
        &srv.url(Transport::Mmst, FILE),
        Transport::Mmst,
        &client_options(),
    )
    .await
    .err()
    .expect("refused");
    assert!(e.to_string().contains("0xC00D000F"), "{e}");
    s.close().await;
    until_connections(&srv, 0).await;
    // One at a time: each answer's connection holds the one place until it closes.
    assert_eq!(mmsh_describe(b.http.port(), &format!("/{FILE}")).await, 200);
    until_connections(&srv, 0).await;
    assert_eq!(rtsp_describe(b.rtsp.port(), &format!("/{FILE}")).await, 200);
    until_connections(&srv, 0).await;
    assert_eq!(mms_connect(b.mms.port()).await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_place() {
    let srv = Running::start(limited(None, Some(1))).await;
    let http = srv.server.bound.http.port();
    let s = srv.listen(Transport::Mmsh, FILE, 1).await;
    assert_eq!(
        mmsh_describe_from([127, 0, 0, 1], http, &format!("/{FILE}")).await,
        503
    );
    assert_eq!(
        mmsh_describe_from([127, 0, 0, 2], http, &format!("/{FILE}")).await,
        200
    );
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_loris_crowd_does_not_keep_a_listener_out() {
    let srv = Running::start(ServerOptions {
        handshake_timeout: Duration::from_millis(1500),
        ..limited(Some(4), Some(10))
    })
    .await;
    let b = srv.server.bound;
    // 60 connections from five other addresses, each sending a request that never ends.
    let mut crowd = Vec::new();
    for i in 0..60u8 {
        let from = [127, 0, 0, 2 + i % 5];
        let (port, start): (u16, &[u8]) = match i % 3 {
            0 => (b.http.port(), b"GET /x HTTP/1.0\r\nUser-Agent: NSPl"),
            1 => (
                b.rtsp.port(),
                b"DESCRIBE rtsp://127.0.0.1/x RTSP/1.0\r\nCSe",
            ),
            _ => (b.mms.port(), &[0x01, 0, 0, 0, 0xCE, 0xFA]),
        };
        let mut c = connect_from(from, port).await.expect("connects");
        c.write_all(start).await.unwrap();
        crowd.push(c);
    }
    until_connections(&srv, 60).await;
    // A real listener on each protocol gets in and plays.
    for t in [Transport::Mmsh, Transport::Rtspt, Transport::Mmst] {
        srv.listen(t, FILE, 2).await.close().await;
    }
    // And the crowd is sent away once the handshake time is up.
    for mut c in crowd {
        let mut b = [0u8; 256];
        let gone = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match c.read(&mut b).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(gone.is_ok(), "a slow connection was kept");
    }
    until_connections(&srv, 0).await;
}
