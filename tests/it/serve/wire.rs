//! Minimal clients for asking each transport for a path: the status (MMSH, RTSP) or `hr`
//! (MMS) the server answers with. Every read has a deadline.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mmsplay_net::mmsp::{FromClient, FromServer, TcpDecoder, TcpItem};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(5);

/// Reads until `done` says the bytes so far are a whole answer, the peer closes, or 5 s pass.
async fn read_until(s: &mut TcpStream, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    while !done(&got) {
        match timeout(LIMIT, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    got
}

/// The status code of an HTTP or RTSP response's first line.
pub fn status_of(response: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(response);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A connection to `127.0.0.1:port` from the loopback address `from` (all of 127/8 is
/// loopback on Linux: several "clients" on one machine).
pub async fn connect_from(from: [u8; 4], port: u16) -> Option<TcpStream> {
    let sock = TcpSocket::new_v4().ok()?;
    sock.bind(SocketAddr::new(IpAddr::from(from), 0)).ok()?;
    timeout(
        LIMIT,
        sock.connect(SocketAddr::from(([127, 0, 0, 1], port))),
    )
    .await
    .ok()?
    .ok()
}

/// An MMSH Describe of `path` (sent as it is): the status.
pub async fn mmsh_describe(port: u16, path: &str) -> u16 {
    mmsh_describe_from([127, 0, 0, 1], port, path).await
}

/// [`mmsh_describe`] from another loopback address.
pub async fn mmsh_describe_from(from: [u8; 4], port: u16, path: &str) -> u16 {
    let Some(mut s) = connect_from(from, port).await else {
        return 0;
    };
    let req = format!(
        "GET {path} HTTP/1.0\r\nAccept: */*\r\nUser-Agent: NSPlayer/4.1.0.3856\r\nHost: 127.0.0.1\r\nPragma: no-cache,rate=1.000000,stream-time=0,stream-offset=0:0,request-context=1,max-duration=0\r\nPragma: xClientGUID={{c77e7400-738a-11d2-9add-0020af0a3278}}\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).await.is_err() {
        return 0;
    }
    status_of(&read_until(&mut s, |b| b.windows(4).any(|w| w == b"\r\n\r\n")).await)
}

/// An RTSP DESCRIBE of `path` (sent as it is, after the host): the status.
pub async fn rtsp_describe(port: u16, path: &str) -> u16 {
    let Some(mut s) = connect_from([127, 0, 0, 1], port).await else {
        return 0;
    };
    let req = format!(
        "DESCRIBE rtsp://127.0.0.1:{port}{path} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\nUser-Agent: WMPlayer/12.00.7601.23517 guid/3300AD50-2C39-46C0-AE0A-70D5C8D2F4A8\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).await.is_err() {
        return 0;
    }
    status_of(&read_until(&mut s, |b| b.windows(4).any(|w| w == b"\r\n\r\n")).await)
}

/// MMS commands up to OpenFile of `name` over a TCP funnel: the OpenFile report's `hr`, or
/// `None` if none came.
pub async fn mms_open(port: u16, name: &str) -> Option<u32> {
    mms_exchange(port, name, false).await
}

/// The `hr` of the server's answer to an MMS Connect (the busy answer comes here).
pub async fn mms_connect(port: u16) -> Option<u32> {
    mms_exchange(port, "", true).await
}

async fn mms_exchange(port: u16, name: &str, connect_only: bool) -> Option<u32> {
    let mut s = connect_from([127, 0, 0, 1], port).await?;
    let msgs = [
        FromClient::Connect {
            play_incarnation: 0xF0F0_F0EF,
            subscriber:
                "NSPlayer/7.0.0.1956; {7E667F5D-A661-495E-A512-F55686DDA178}; Host: 127.0.0.1"
                    .into(),
        },
        FromClient::ConnectFunnel {
            max_bit_rate: 0x0098_9680,
            funnel: "\\\\127.0.0.1\\TCP\\1037".into(),
        },
        FromClient::OpenFile {
            play_incarnation: 1,
            file_name: name.into(),
        },
    ];
    let mut decoder = TcpDecoder::new(true);
    let mut buf = [0u8; 8192];
    for (seq, m) in msgs.iter().enumerate() {
        s.write_all(&m.encode(seq as u32)).await.ok()?;
        // Read this command's reply.
        loop {
            match decoder.next_item() {
                Ok(Some(TcpItem::Command { mid, body })) => {
                    let reply = FromServer::decode(mid, &body).ok()?;
                    if let FromServer::ReportOpenFile(r) = reply {
                        return Some(r.hr);
                    }
                    if connect_only {
                        return reply.hr();
                    }
                    break;
                }
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(_) => return None,
            }
            let n = timeout(LIMIT, s.read(&mut buf)).await.ok()?.ok()?;
            if n == 0 {
                return None;
            }
            decoder.push(&buf[..n]);
        }
    }
    None
}
