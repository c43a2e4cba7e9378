//! Hostile and broken servers: each gives a clear error within the deadline, with bounded
//! memory. Each server is a std thread on 127.0.0.1:0 writing scripted bytes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use mmsplay_net::mmsh::chunk::{ChunkKind, encode_mms_chunk, encode_reason_chunk};
use mmsplay_net::{AsfEvent, ConnectOptions, ErrorKind};

use super::support::*;

/// Connections a scripted server answers before its thread ends.
const MAX_CONNECTIONS: usize = 8;

/// Starts a server that reads each request head and hands it, with the socket, to `script`.
/// Returns an `mmsh://` URL for it.
pub fn scripted(script: impl Fn(&str, &mut TcpStream) + Send + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in l.incoming().take(MAX_CONNECTIONS) {
            let Ok(mut sock) = conn else { continue };
            let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
            let mut req = Vec::new();
            let mut b = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 65536 {
                match sock.read(&mut b) {
                    Ok(n) if n > 0 => req.extend_from_slice(&b[..n]),
                    _ => break,
                }
            }
            script(&String::from_utf8_lossy(&req), &mut sock);
        }
    });
    format!("mmsh://127.0.0.1:{port}/x.asf")
}

/// A server answering each request with fixed bytes, then closing.
pub fn scripted_server(reply: impl Fn(&str) -> Vec<u8> + Send + 'static) -> String {
    scripted(move |req, sock| {
        let _ = sock.write_all(&reply(req));
    })
}

pub fn h_chunk(header: &[u8]) -> Vec<u8> {
    encode_mms_chunk(ChunkKind::Header, 0, 0, 0x0C, header).unwrap()
}

pub fn d_chunk(loc: u32, packet: &[u8]) -> Vec<u8> {
    encode_mms_chunk(ChunkKind::Data, loc, 0, loc as u8, packet).unwrap()
}

pub fn play_head() -> Vec<u8> {
    b"HTTP/1.0 200 OK\r\nServer: Cougar/9.01.01.3814\r\nContent-Type: application/x-mms-framed\r\nPragma: no-cache,client-id=1,features=\"seekable,stridable\"\r\n\r\n".to_vec()
}

pub fn describe_response(header: &[u8]) -> Vec<u8> {
    let body = h_chunk(header);
    let mut r = format!(
        "HTTP/1.0 200 OK\r\nServer: Cougar/9.01.01.3814\r\nContent-Type: application/vnd.ms.wms-hdr.asfv1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend(body);
    r
}

fn fixture() -> (Vec<u8>, Vec<Vec<u8>>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let f = synthetic_asf(dir.path(), "x.asf", 1);
    let (h, p) = file_packets(&f);
    (h, p, dir)
}

fn short_opts() -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Duration::from_millis(1500),
        idle_timeout: Duration::from_millis(1000),
        ..opts()
    }
}

/// Resident memory of this process in KiB (Linux), 0 elsewhere.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Opens and plays to the end; returns the first error and how long it took.
async fn play_error(url: &str, o: &ConnectOptions) -> (mmsplay_net::NetError, Duration) {
    let t0 = Instant::now();
    let e = match open(url, o).await {
        Err(e) => e,
        Ok(mut s) => collect(&mut s, 100_000).await.1.expect("expected an error"),
    };
    (e, t0.elapsed())
}

fn within(d: Duration, o: &ConnectOptions) {
    let bound = o.connect_timeout + o.idle_timeout + Duration::from_millis(500);
    assert!(d < bound, "took {d:?}, over the deadline {bound:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_sends_nothing() {
    let url = scripted(|_, _sock| thread::sleep(Duration::from_secs(4)));
    let o = short_opts();
    let (e, took) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    within(took, &o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_stalls_after_a_few_packets() {
    let (h, p, _d) = fixture();
    let url = scripted(move |req, sock| {
        if req.contains("xPlayStrm=1") {
            let mut b = play_head();
            b.extend(h_chunk(&h));
            b.extend(d_chunk(0, &p[0]));
            b.extend(d_chunk(1, &p[1]));
            let _ = sock.write_all(&b);
            thread::sleep(Duration::from_secs(4));
        } else {
            let _ = sock.write_all(&describe_response(&h));
        }
    });
    let o = short_opts();
    let (e, took) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("no data"), "{e}");
    within(took, &o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_instead_of_dollar() {
    let (h, p, _d) = fixture();
    let url = scripted_server(move |req| {
        if req.contains("xPlayStrm=1") {
            let mut b = play_head();
            b.extend(h_chunk(&h));
            b.extend(d_chunk(0, &p[0]));
            b.extend(b"<html>oops</html>".repeat(50));
            b
        } else {
            describe_response(&h)
        }
    });
    let o = short_opts();
    let (e, took) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("expected a '$' chunk"), "{e}");
    within(took, &o);
    // Garbage from the very first byte of the Describe body: not MS-WMSP at all.
    let url = scripted_server(|_| {
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hello</html>".to_vec()
    });
    let (e, _) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    // Not even HTTP.
    let url = scripted_server(|_| b"SSH-2.0-OpenSSH_9.2\r\n".to_vec());
    let (e, _) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_chunk_lengths() {
    let (h, p, _d) = fixture();
    // PacketLength says 100 but a whole packet follows: the framing desynchronises.
    let hh = h.clone();
    let pp = p.clone();
    let url = scripted_server(move |req| {
        if req.contains("xPlayStrm=1") {
            let mut b = play_head();
            b.extend(h_chunk(&hh));
            let mut d = d_chunk(0, &pp[0]);
            d[2..4].copy_from_slice(&100u16.to_le_bytes());
            b.extend(d);
            b
        } else {
            describe_response(&hh)
        }
    });
    let o = short_opts();
    let (e, took) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    within(took, &o);
    // A $D whose inner PacketSize claims more than its chunk.
    let hh = h.clone();
    let pp = p.clone();
    let url = scripted_server(move |req| {
        if req.contains("xPlayStrm=1") {
            let mut b = play_head();
            b.extend(h_chunk(&hh));
            let mut d = d_chunk(0, &pp[0]);
            d[10..12].copy_from_slice(&60000u16.to_le_bytes());
            b.extend(d);
            b
        } else {
            describe_response(&hh)
        }
    });
    let (e, _) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("packet size"), "{e}");
    // A $D chunk longer than the ASF packet size is skipped and counted, not fatal.
    let url = scripted_server(move |req| {
        if req.contains("xPlayStrm=1") {
            let mut b = play_head();
            b.extend(h_chunk(&h));
            b.extend(d_chunk(0, &p[0]));
            let mut long = p[1].clone();
            long.extend_from_slice(&[0; 10]);
            b.extend(d_chunk(1, &long));
            b.extend(d_chunk(2, &p[2]));
            b.extend(encode_reason_chunk(ChunkKind::End, 0));
            b
        } else {
            describe_response(&h)
        }
    });
    let o2 = opts();
    let mut s = open(&url, &o2).await.unwrap();
    let (events, err) = collect(&mut s, 100).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(packets(&events).len(), 2);
    assert_eq!(mmsplay_net::TransportStats::get(&o2.stats.packets_lost), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_length_of_gigabytes() {
    let (h, _p, _d) = fixture();
    let before = rss_kib();
    // A Header Object claiming 4 GiB, behind a Content-Length of 50 GB.
    let mut big = h.clone();
    big[16..24].copy_from_slice(&(4u64 << 30).to_le_bytes());
    let url = scripted_server(move |_| {
        let mut r = b"HTTP/1.0 200 OK\r\nContent-Type: application/vnd.ms.wms-hdr.asfv1\r\nContent-Length: 50000000000\r\n\r\n".to_vec();
        r.extend(encode_mms_chunk(ChunkKind::Header, 0, 0, 0x04, &big).unwrap());
        r
    });
    let o = short_opts();
    let (e, took) = play_error(&url, &o).await;
    assert!(
        matches!(e.kind, ErrorKind::Limit | ErrorKind::Protocol),
        "{e}"
    );
    within(took, &o);
    // A chunked body whose chunk size is absurd: only what arrives is held.
    let url = scripted_server(|_| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ms.wms-hdr.asfv1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFF\r\n".to_vec();
        r.extend(b"$H\x10\x00");
        r
    });
    let (e, took) = play_error(&url, &o).await;
    assert!(
        matches!(e.kind, ErrorKind::Closed | ErrorKind::Protocol),
        "{e}"
    );
    within(took, &o);
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 200 * 1024, "memory grew by {grown} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_that_never_ends() {
    // An HTTP response head that goes on for ever.
    let url = scripted(|_, sock| {
        let _ = sock.write_all(b"HTTP/1.0 200 OK\r\n");
        for _ in 0..10_000 {
            if sock
                .write_all(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
                .is_err()
            {
                break;
            }
        }
    });
    let o = short_opts();
    let (e, took) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("longer than"), "{e}");
    within(took, &o);
    // An ASF header sent in `$H` pieces that never complete (1 MiB declared, pieces trickle).
    let (h, _p, _d) = fixture();
    let url = scripted(move |_, sock| {
        let mut head = h.clone();
        head[16..24].copy_from_slice(&(1u64 << 20).to_le_bytes());
        let _ = sock.write_all(
            b"HTTP/1.0 200 OK\r\nContent-Type: application/vnd.ms.wms-hdr.asfv1\r\n\r\n",
        );
        let _ = sock.write_all(&encode_mms_chunk(ChunkKind::Header, 0, 0, 0x04, &head).unwrap());
        for i in 1..40u32 {
            let piece = encode_mms_chunk(ChunkKind::Header, i, 0, 0, &[0u8; 1000]).unwrap();
            if sock.write_all(&piece).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let (e, took) = play_error(&url, &o).await;
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    within(took, &o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 1);
    let (_, want) = file_packets(&file);
    let server =
        TestServer::start(vec![file], false, true, mmsplay_server::Faults::default()).await;
    let target = server.url("tone.asf").replace("mmsh://", "http://");
    let url = scripted_server(move |_| {
        format!("HTTP/1.0 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n")
            .into_bytes()
    });
    let mut s = open(&url, &opts()).await.unwrap();
    let (events, err) = collect(&mut s, 10_000).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(packets(&events).len(), want.len());
    // A server redirecting to itself for ever.
    let url = scripted_server(|_| {
        b"HTTP/1.0 302 Found\r\nLocation: /again.asf\r\nContent-Length: 0\r\n\r\n".to_vec()
    });
    let (e, _) = play_error(&url, &short_opts()).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("redirects"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metafile_over_http_is_named() {
    let url = scripted_server(|_| {
        b"HTTP/1.0 200 OK\r\nContent-Type: video/x-ms-asf\r\n\r\n<ASX version=\"3.0\"><Entry><Ref href=\"mms://h/x\"/></Entry></ASX>".to_vec()
    });
    let (e, _) = play_error(&url.replace("mmsh://", "http://"), &short_opts()).await;
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("metafile"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_header_mid_stream_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (h1, p1) = file_packets(&synthetic_asf_sized(dir.path(), "a.asf", 1, 1000));
    let (h2, p2) = file_packets(&synthetic_asf_sized(dir.path(), "b.asf", 1, 1400));
    assert_ne!(h1, h2);
    let (hh1, hh2) = (h1.clone(), h2.clone());
    let (pp1, pp2) = (p1.clone(), p2.clone());
    let url = scripted_server(move |req| {
        if !req.contains("xPlayStrm=1") {
            return describe_response(&hh1);
        }
        let mut b = play_head();
        b.extend(h_chunk(&hh1));
        b.extend(d_chunk(0, &pp1[0]));
        b.extend(d_chunk(1, &pp1[1]));
        // VLC's looping server: the same header again, LocationId counter running on.
        b.extend(encode_mms_chunk(ChunkKind::Header, 2, 0, 0x0C, &hh1).unwrap());
        b.extend(d_chunk(3, &pp1[2]));
        // A server-side playlist moves on: $E(1), $C, the next entry's header and data,
        // with the padding stripped.
        b.extend(encode_reason_chunk(ChunkKind::End, 1));
        b.extend(encode_reason_chunk(ChunkKind::Change, 0));
        b.extend(h_chunk(&hh2));
        b.extend(d_chunk(0, &pp2[0][..700]));
        b.extend(d_chunk(1, &pp2[1]));
        b.extend(encode_reason_chunk(ChunkKind::End, 0));
        b
    });
    let o = opts();
    let mut s = open(&url, &o).await.unwrap();
    let (events, err) = collect(&mut s, 100).await;
    assert!(err.is_none(), "{err:?}");
    let headers: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            AsfEvent::Header(h) => Some(h.to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(headers, vec![h1, h2], "one Header per distinct header");
    let got = packets(&events);
    assert_eq!(got.len(), 5);
    assert_eq!(&got[..3], &p1[..3]);
    // Packets after the change are padded to the new packet size.
    assert_eq!(got[3].len(), 1400);
    assert_eq!(&got[3][..700], &p2[0][..700]);
    assert!(got[3][700..].iter().all(|b| *b == 0));
    assert_eq!(got[4], p2[1]);
    assert_eq!(events.last(), Some(&AsfEvent::End));
    assert_eq!(mmsplay_net::TransportStats::get(&o.stats.packets_lost), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn location_gaps_are_counted_and_reported() {
    let (h, p, _d) = fixture();
    let url = scripted_server(move |req| {
        if !req.contains("xPlayStrm=1") {
            return describe_response(&h);
        }
        let mut b = play_head();
        b.extend(h_chunk(&h));
        b.extend(d_chunk(0, &p[0]));
        b.extend(d_chunk(3, &p[3]));
        b.extend(d_chunk(4, &p[4]));
        b.extend(d_chunk(9, &p[9]));
        b.extend(encode_reason_chunk(ChunkKind::End, 0));
        b
    });
    let o = opts();
    let mut s = open(&url, &o).await.unwrap();
    let (events, err) = collect(&mut s, 100).await;
    assert!(err.is_none(), "{err:?}");
    let gaps: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            AsfEvent::Gap { lost } => Some(*lost),
            _ => None,
        })
        .collect();
    assert_eq!(gaps, vec![2, 4]);
    assert_eq!(mmsplay_net::TransportStats::get(&o.stats.packets_lost), 6);
    assert_eq!(
        mmsplay_net::TransportStats::get(&o.stats.packets_received),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vlc_style_answers_in_small_pieces_are_fine() {
    // VLC's server: octet-stream, `Cougar 4.1` with a space, one Pragma line per token; here
    // also written a few bytes at a time, so that classification sees a 1-byte first read.
    let (h, p, _d) = fixture();
    let want = p.clone();
    let url = scripted(move |req, sock| {
        let mut b = b"HTTP/1.0 200 OK\r\nContent-type: application/octet-stream\r\nServer: Cougar 4.1.0.3921\r\nPragma: no-cache\r\nPragma: client-id=22383\r\nPragma: features=\"broadcast\"\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n".to_vec();
        let head_len = b.len();
        b.extend(h_chunk(&h));
        if req.contains("xPlayStrm=1") {
            for (i, pk) in p.iter().enumerate() {
                b.extend(d_chunk(i as u32 + 1, pk));
            }
            b.extend(encode_reason_chunk(ChunkKind::End, 0));
        }
        let _ = sock.write_all(&b[..head_len + 1]);
        let _ = sock.flush();
        thread::sleep(Duration::from_millis(50));
        for piece in b[head_len + 1..].chunks(333) {
            let _ = sock.write_all(piece);
            let _ = sock.flush();
        }
    });
    let o = opts();
    let mut s = open(&url, &o).await.unwrap();
    let (events, err) = collect(&mut s, 1000).await;
    assert!(err.is_none(), "{err:?}");
    assert!(packets(&events) == want);
    assert_eq!(events.last(), Some(&AsfEvent::End));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_after_the_last_declared_packet_is_an_end() {
    // Old servers close without `$E`: when every packet the header declares has come, that is
    // the end of the stream, not a failure; one packet short is a failure.
    for short in [false, true] {
        let (h, p, _d) = fixture();
        let n = p.len() - usize::from(short);
        let url = scripted_server(move |req| {
            if !req.contains("xPlayStrm=1") {
                return describe_response(&h);
            }
            let mut b = play_head();
            b.extend(h_chunk(&h));
            for (i, pk) in p.iter().take(n).enumerate() {
                b.extend(d_chunk(i as u32, pk));
            }
            b
        });
        let mut s = open(&url, &opts()).await.unwrap();
        let (events, err) = collect(&mut s, 1000).await;
        if short {
            assert_eq!(err.map(|e| e.kind), Some(ErrorKind::Closed));
        } else {
            assert!(err.is_none(), "{err:?}");
            assert_eq!(events.last(), Some(&AsfEvent::End));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_tells_streams_from_metafiles() {
    use mmsplay_net::mmsh::HttpContent;
    use mmsplay_net::transport::mmsh::probe;
    let asx = "<ASX version=\"3.0\"><Entry><Ref href=\"mms://h/x\"/></Entry></ASX>";
    let web = scripted_server(move |_| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: video/x-ms-asf\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{asx}",
            asx.len()
        )
        .into_bytes()
    });
    let web_http = web.replace("mmsh://", "http://");
    let redirect = scripted_server(move |_| {
        format!("HTTP/1.0 302 Found\r\nLocation: {web_http}\r\n\r\n").into_bytes()
    });
    let url = mmsplay_net::StreamUrl::parse(&redirect.replace("mmsh://", "http://")).unwrap();
    let p = probe(&url, &opts(), 64 * 1024).await.unwrap();
    assert_eq!(p.content, HttpContent::Metafile);
    assert_eq!(p.body, asx.as_bytes());
    assert_eq!(p.url, web.replace("mmsh://", "http://"));

    let dir = tempfile::tempdir().unwrap();
    let file = synthetic_asf(dir.path(), "tone.asf", 1);
    let server =
        TestServer::start(vec![file], true, false, mmsplay_server::Faults::default()).await;
    let url = mmsplay_net::StreamUrl::parse(&server.url("tone.asf")).unwrap();
    let p = probe(&url, &opts(), 64 * 1024).await.unwrap();
    assert_eq!(p.content, HttpContent::Wmsp);
    // The probe is a Describe, which asks for a packet pair: our server's `$P` come first.
    assert!(p.body.starts_with(b"$P"));
}
