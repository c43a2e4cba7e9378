//! Our client against hostile and foreign servers, each a scripted fake on 127.0.0.1. The
//! hostile ones answer OPTIONS and DESCRIBE (well or badly) and then misbehave: every case
//! must end in a clear error within the deadline, without buffering what the server throws at
//! it. The foreign ones are strict or disorderly in legal ways (short session timeout, UDP
//! reordering) and must play.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use mmsplay_net::{ErrorKind, NetError, Session, StreamUrl, Transport};

use super::support::options;

/// A minimal valid ASF header + Data Object prefix for the SDP (packet size 3200).
fn asf_header() -> Vec<u8> {
    use mmsplay_asf::{AudioStreamSpec, HeaderSpec, WaveFormatEx, write_header};
    let spec = HeaderSpec {
        packet_size: 3200,
        preroll_ms: 0,
        streams: vec![AudioStreamSpec {
            number: 1,
            format: WaveFormatEx {
                format_tag: 1,
                channels: 1,
                sample_rate: 8000,
                avg_bytes_per_sec: 16000,
                block_align: 2,
                bits_per_sample: 16,
                extra: vec![],
            },
            spread: None,
            bitrate: 128_000,
        }],
        ..Default::default()
    };
    write_header(&spec)
}

/// Standard base64 (RFC 4648 4), enough for a test fixture.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn sdp(with_header: bool) -> String {
    let mut s = String::from(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\n",
    );
    if with_header {
        let b64 = base64(&asf_header());
        s.push_str(&format!(
            "a=pgmpu:data:application/vnd.ms.wms-hdr.asfv1;base64,{b64}\r\n"
        ));
    }
    s.push_str(
        "m=audio 0 RTP/AVP 96\r\na=rtpmap:96 x-asf-pf/1000\r\na=control:audio\r\na=stream:1\r\n",
    );
    s
}

/// Reads one request head; returns its CSeq.
fn read_request(s: &mut TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).ok()? == 0 || buf.len() > 65536 {
            return None;
        }
        buf.push(b[0]);
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let method = text.split(' ').next().unwrap_or("").to_string();
    let cseq = text
        .lines()
        .find_map(|l| l.strip_prefix("CSeq: "))
        .unwrap_or("0")
        .trim()
        .to_string();
    Some((method, cseq))
}

fn ok(cseq: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nServer: WMServer/9.1.1.5001\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A fake server: answers OPTIONS; `describe` decides the DESCRIBE answer; after SETUP and
/// PLAY (answered normally) `after_play` writes what it wants. Returns the URL.
fn fake(describe: fn(&str) -> Vec<u8>, after_play: fn(&mut TcpStream)) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
        while let Some((method, cseq)) = read_request(&mut s) {
            let reply = match method.as_str() {
                "OPTIONS" => ok(
                    &cseq,
                    "Public: DESCRIBE, SETUP, PLAY, GET_PARAMETER\r\n",
                    "",
                ),
                "DESCRIBE" => describe(&cseq),
                "SETUP" => ok(
                    &cseq,
                    "Session: 12345;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n",
                    "",
                ),
                "PLAY" => {
                    let _ = s.write_all(&ok(
                        &cseq,
                        "Session: 12345\r\nRTP-Info: url=x;seq=1\r\n",
                        "",
                    ));
                    after_play(&mut s);
                    // Hold the connection open: the client must end it.
                    thread::sleep(Duration::from_secs(6));
                    return;
                }
                _ => ok(&cseq, "", ""),
            };
            if s.write_all(&reply).is_err() {
                return;
            }
        }
    });
    format!("rtsp://127.0.0.1:{port}/x.asf")
}

fn good_describe(cseq: &str) -> Vec<u8> {
    ok(cseq, "Content-Type: application/sdp\r\n", &sdp(true))
}

fn nothing(_: &mut TcpStream) {}

async fn fails(url: &str, connect_ms: u64) -> (NetError, Duration) {
    let url = StreamUrl::parse(url).unwrap();
    let started = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_millis(connect_ms + 2000),
        Session::open(&url, Transport::Rtspt, &options(connect_ms)),
    )
    .await
    .expect("Session::open keeps its own deadline");
    match r {
        Ok(_) => panic!("a hostile server must not give a session"),
        Err(e) => (e, started.elapsed()),
    }
}

#[tokio::test]
async fn bad_status_line() {
    let url = fake(
        |_| b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
        nothing,
    );
    let (e, took) = fails(&url, 3000).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("start line"), "{e}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn gigabyte_content_length() {
    let url = fake(
        |c| {
            format!("RTSP/1.0 200 OK\r\nCSeq: {c}\r\nContent-Type: application/sdp\r\nContent-Length: 4000000000\r\n\r\nv=0\r\n").into_bytes()
        },
        nothing,
    );
    let (e, took) = fails(&url, 3000).await;
    assert_eq!(e.kind, ErrorKind::Limit, "{e}");
    assert!(e.to_string().contains("4000000000"), "{e}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn endless_header_line() {
    // 1 MiB of header without an end: refused at the header limit, not buffered.
    let url = fake(
        |c| {
            let mut v = format!("RTSP/1.0 200 OK\r\nCSeq: {c}\r\nX-Junk: ").into_bytes();
            v.extend(std::iter::repeat_n(b'a', 1 << 20));
            v
        },
        nothing,
    );
    let (e, _) = fails(&url, 3000).await;
    assert_eq!(e.kind, ErrorKind::Limit, "{e}");
}

#[tokio::test]
async fn sdp_without_asf_header() {
    let url = fake(
        |c| ok(c, "Content-Type: application/sdp\r\n", &sdp(false)),
        nothing,
    );
    let (e, took) = fails(&url, 3000).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("no ASF header"), "{e}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

fn rtp_frame(seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut rtp = vec![0x80, 0xE0];
    rtp.extend_from_slice(&seq.to_be_bytes());
    rtp.extend_from_slice(&[0, 0, 0, 0, 1, 2, 3, 4]);
    rtp.extend_from_slice(payload);
    let mut f = vec![b'$', 0];
    f.extend_from_slice(&(rtp.len() as u16).to_be_bytes());
    f.extend_from_slice(&rtp);
    f
}

#[tokio::test]
async fn payload_length_past_the_packet() {
    let url = fake(good_describe, |s| {
        for seq in 1..40u16 {
            // L=1, Length 0x00FFFF, but only 100 bytes follow.
            let mut payload = vec![0x40, 0x00, 0xFF, 0xFF, 0x82, 0, 0];
            payload.resize(104, 0);
            let _ = s.write_all(&rtp_frame(seq, &payload));
        }
    });
    let (e, took) = fails(&url, 3000).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("past the RTP packet"), "{e}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn interleaved_frames_too_short_for_rtp() {
    let url = fake(good_describe, |s| {
        for _ in 0..40 {
            let _ = s.write_all(&[b'$', 0, 0, 5, 0x80, 0xE0, 0, 1, 0]);
        }
    });
    let (e, took) = fails(&url, 3000).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("malformed RTP"), "{e}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn interleaved_frame_longer_than_what_follows() {
    // A frame announcing 65535 bytes, then silence: the deadline ends the wait.
    let url = fake(good_describe, |s| {
        let _ = s.write_all(&[b'$', 0, 0xFF, 0xFF, 0x80, 0xE0, 0, 1]);
    });
    let (e, took) = fails(&url, 1500).await;
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(took < Duration::from_millis(2500), "{took:?}");
}

#[tokio::test]
async fn garbage_instead_of_frames() {
    let url = fake(good_describe, |s| {
        let _ = s.write_all(&[0xFF; 4096]);
    });
    let (e, _) = fails(&url, 3000).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
}

#[tokio::test]
async fn server_closes_after_play() {
    let url = fake(good_describe, |s| {
        let _ = s.shutdown(std::net::Shutdown::Both);
    });
    let (e, took) = fails(&url, 3000).await;
    assert!(
        matches!(e.kind, ErrorKind::Closed | ErrorKind::Protocol),
        "{e}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// Not hostile, just strict: a server with a 2-second session timeout gets keep-alives
/// (GET_PARAMETER) and RTCP receiver reports on the interleaved RTCP channel in time.
#[tokio::test]
async fn keepalives_and_receiver_reports_within_the_session_timeout() {
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let log = seen.clone();
    thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        // Requests until PLAY, answered in line.
        while let Some((method, cseq)) = read_request(&mut s) {
            log.lock().unwrap().push(method.clone());
            let reply = match method.as_str() {
                "DESCRIBE" => good_describe(&cseq),
                "SETUP" => ok(
                    &cseq,
                    "Session: 777;timeout=2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n",
                    "",
                ),
                _ => ok(&cseq, "Session: 777\r\n", ""),
            };
            let _ = s.write_all(&reply);
            if method == "PLAY" {
                break;
            }
        }
        // Then media every 100 ms for 3 s while a reader notes what the client sends.
        let mut reader = s.try_clone().unwrap();
        let log2 = log.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).to_string();
                let mut l = log2.lock().unwrap();
                if text.contains("GET_PARAMETER") {
                    l.push("GET_PARAMETER".into());
                }
                if buf[..n].windows(2).any(|w| w == [b'$', 1]) && buf[..n].contains(&201) {
                    l.push("RR".into());
                }
            }
        });
        for seq in 1..=30u16 {
            let mut asf = vec![0x82, 0, 0, 0x08, 0x5D, 0];
            asf.extend_from_slice(&(u32::from(seq) * 100).to_le_bytes());
            asf.extend_from_slice(&100u16.to_le_bytes());
            asf.extend_from_slice(&[0x81, 1, 0, 0, 0, 0, 0]);
            asf.resize(200, 0x11);
            let mut payload = vec![0x40, 0, 0, (asf.len() + 4) as u8];
            payload.extend_from_slice(&asf);
            if s.write_all(&rtp_frame(seq, &payload)).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
        thread::sleep(Duration::from_secs(2));
    });
    let url = StreamUrl::parse(&format!("rtsp://127.0.0.1:{port}/x.asf")).unwrap();
    let mut session = Session::open(&url, Transport::Rtspt, &options(3000))
        .await
        .expect("opens");
    let started = Instant::now();
    let mut packets = 0;
    while started.elapsed() < Duration::from_millis(2500) {
        match tokio::time::timeout(Duration::from_secs(1), session.next_event()).await {
            Ok(Ok(mmsplay_net::AsfEvent::Packet(p))) => {
                assert_eq!(p.len(), 3200, "padded to the packet size");
                packets += 1;
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => break,
        }
    }
    session.close().await;
    assert!(packets >= 15, "{packets} packets");
    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().any(|m| m == "GET_PARAMETER"), "{seen:?}");
    assert!(seen.iter().any(|m| m == "RR"), "{seen:?}");
}

/// Over UDP, from a server that is not ours (no retransmission stream): packets out of order,
/// one duplicated, one missing. A reordered packet is put back in place and counted late, a
/// duplicate is late and dropped, the missing one is lost; the EndOfStream notice with its
/// RTP-Info ends the stream.
#[tokio::test]
async fn udp_reordering_is_counted_late_and_gaps_lost() {
    use std::net::UdpSocket;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let server_port = udp.local_addr().unwrap().port();
        let mut client_port = 0u16;
        loop {
            // Read one request head, keeping the Transport line for the client port.
            let mut head = Vec::new();
            let mut b = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if s.read(&mut b).unwrap_or(0) == 0 {
                    return;
                }
                head.push(b[0]);
            }
            let text = String::from_utf8_lossy(&head).to_string();
            let method = text.split(' ').next().unwrap_or("").to_string();
            let cseq = text
                .lines()
                .find_map(|l| l.strip_prefix("CSeq: "))
                .unwrap_or("0")
                .trim()
                .to_string();
            if let Some(t) = text.lines().find(|l| l.starts_with("Transport:")) {
                let p = t.split("client_port=").nth(1).unwrap_or("0");
                client_port = p.split(['-', ';']).next().unwrap().trim().parse().unwrap();
            }
            let reply = match method.as_str() {
                "DESCRIBE" => good_describe(&cseq),
                "SETUP" => ok(
                    &cseq,
                    &format!(
                        "Session: 9;timeout=60\r\nTransport: RTP/AVP/UDP;unicast;client_port={client_port};server_port={server_port}-{}\r\n",
                        server_port + 1
                    ),
                    "",
                ),
                "PLAY" => ok(&cseq, "Session: 9\r\nRTP-Info: url=x;seq=100\r\n", ""),
                _ => ok(&cseq, "Session: 9\r\n", ""),
            };
            let _ = s.write_all(&reply);
            if method == "PLAY" {
                break;
            }
        }
        let to = format!("127.0.0.1:{client_port}");
        for seq in [100u16, 101, 103, 102, 104, 104, 106] {
            let mut asf = vec![0x82, 0, 0, 0x08, 0x5D, 0];
            asf.extend_from_slice(&(u32::from(seq) * 100).to_le_bytes());
            asf.extend_from_slice(&100u16.to_le_bytes());
            asf.extend_from_slice(&[0x81, 1, 0, 0, 0, 0, 0]);
            asf.resize(300, 0x22);
            let mut payload = vec![0x40, 0, 0x01, 0x30];
            payload.extend_from_slice(&asf);
            let frame = rtp_frame(seq, &payload);
            let _ = udp.send_to(&frame[4..], &to);
            thread::sleep(Duration::from_millis(20));
        }
        // The end: the next sequence number would be 107.
        let eos = "SET_PARAMETER rtsp://127.0.0.1/x.asf RTSP/1.0\r\nCSeq: 1\r\nSession: 9\r\nX-Notice: 2101 \"End-of-Stream Reached\"\r\nRTP-Info: url=x;seq=107\r\nContent-Type: application/x-wms-extension-cmd\r\nContent-Length: 11\r\n\r\nEOF: true\r\n";
        let _ = s.write_all(eos.as_bytes());
        thread::sleep(Duration::from_secs(3));
    });
    let opts = options(3000);
    let r = super::support::receive(
        &format!("rtsp://127.0.0.1:{port}/x.asf"),
        Transport::Rtspu,
        &opts,
        usize::MAX,
        Duration::from_secs(5),
    )
    .await;
    use mmsplay_net::TransportStats as S;
    assert!(r.ended, "the EndOfStream notice ends the stream");
    // 102 comes after 103: put back in order, counted late. The second 104: late, dropped.
    // 105 never comes: lost once its hold time (or the end) is over.
    assert_eq!(r.packets.len(), 6);
    assert_eq!(r.gaps, 1);
    assert_eq!(S::get(&opts.stats.packets_lost), 1);
    assert_eq!(S::get(&opts.stats.packets_late), 2);
    assert_eq!(S::get(&opts.stats.packets_received), 6);
}

/// A server that answers DESCRIBE with `302` and a Location; `connections` connections.
fn redirector(to: String, connections: usize) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let to = if to.is_empty() {
        format!("rtsp://127.0.0.1:{port}/loop.asf")
    } else {
        to
    };
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut s, _)) = l.accept() else { return };
            while let Some((method, cseq)) = read_request(&mut s) {
                let reply = if method == "DESCRIBE" {
                    format!(
                        "RTSP/1.0 302 Moved Temporarily\r\nCSeq: {cseq}\r\nLocation: {to}\r\n\r\n"
                    )
                    .into_bytes()
                } else {
                    ok(&cseq, "", "")
                };
                if s.write_all(&reply).is_err() {
                    break;
                }
            }
        }
    });
    format!("rtsp://127.0.0.1:{port}/x.asf")
}

/// A 302 to DESCRIBE is followed to the new location (here our own server), a loop of them is
/// an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_and_loops_end() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = super::support::chirp_asf(dir.path(), "moved.asf", 3) else {
        return;
    };
    let server = super::support::Server::start(&file, Default::default(), false, true).await;
    let url = redirector(server.url("rtsp", "moved.asf"), 1);
    let r = super::support::receive(
        &url,
        Transport::Rtspt,
        &options(5000),
        usize::MAX,
        Duration::from_secs(10),
    )
    .await;
    assert!(r.ended && !r.packets.is_empty());

    let url = redirector(String::new(), 10);
    let (e, _) = fails(&url, 3000).await;
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("redirected"), "{e}");
}

/// A server-side playlist ([MS-RTSP] 3.1.5.13, 3.1.5.15): EndOfStream with
/// `End-Of-Playlist-Entry: true` does not end the stream; the Announce that follows brings
/// the next entry's header, the client PLAYs again, and the final EndOfStream ends it.
#[tokio::test]
async fn server_side_playlist_moves_to_the_next_entry() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let media = |s: &mut TcpStream, from: u16| {
            for seq in from..from + 2 {
                let mut asf = vec![0x82, 0, 0, 0x08, 0x5D, 0];
                asf.extend_from_slice(&(u32::from(seq) * 100).to_le_bytes());
                asf.extend_from_slice(&100u16.to_le_bytes());
                asf.extend_from_slice(&[0x81, 1, 0, 0, 0, 0, 0]);
                asf.resize(200, 0x33);
                let mut payload = vec![0x40, 0, 0, 204];
                payload.extend_from_slice(&asf);
                let _ = s.write_all(&rtp_frame(seq, &payload));
            }
        };
        let eos = |seq: u16, entry: bool| {
            let body = format!(
                "Session: 5\r\nEOF: true\r\n{}",
                if entry {
                    "End-Of-Playlist-Entry: true\r\n"
                } else {
                    ""
                }
            );
            format!(
                "SET_PARAMETER rtsp://127.0.0.1/x.asf RTSP/1.0\r\nCSeq: {}\r\nSession: 5\r\nX-Notice: 2101 \"End-of-Stream Reached\"\r\nRTP-Info: url=rtsp://127.0.0.1/x.asf/audio;Seq={seq}\r\nContent-Type: application/x-wms-extension-cmd\r\nContent-Length: {}\r\n\r\n{body}",
                if entry { 1 } else { 3 },
                body.len()
            )
        };
        let mut plays = 0;
        while let Some((method, cseq)) = read_request(&mut s) {
            let reply = match method.as_str() {
                "DESCRIBE" => good_describe(&cseq),
                "SETUP" => ok(
                    &cseq,
                    "Session: 5;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n",
                    "",
                ),
                "PLAY" => ok(&cseq, "Session: 5\r\n", ""),
                // Replies from the client to our requests come here too; nothing to answer.
                "RTSP/1.0" => continue,
                _ => ok(&cseq, "", ""),
            };
            let _ = s.write_all(&reply);
            if method != "PLAY" {
                continue;
            }
            plays += 1;
            if plays == 1 {
                media(&mut s, 1);
                let _ = s.write_all(eos(3, true).as_bytes());
                let sdp = sdp(true);
                let announce = format!(
                    "ANNOUNCE rtsp://127.0.0.1/x.asf RTSP/1.0\r\nCSeq: 2\r\nSession: 5\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                    sdp.len()
                );
                let _ = s.write_all(announce.as_bytes());
            } else {
                media(&mut s, 3);
                let _ = s.write_all(eos(5, false).as_bytes());
                thread::sleep(Duration::from_secs(2));
                return;
            }
        }
    });
    let url = StreamUrl::parse(&format!("rtsp://127.0.0.1:{port}/x.asf")).unwrap();
    let mut session = Session::open(&url, Transport::Rtspt, &options(3000))
        .await
        .expect("opens");
    let mut kinds = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(3), session.next_event())
            .await
            .expect("in time")
            .expect("no error");
        let k = match ev {
            mmsplay_net::AsfEvent::Header(_) => "header",
            mmsplay_net::AsfEvent::Packet(_) => "packet",
            mmsplay_net::AsfEvent::Gap { .. } => "gap",
            mmsplay_net::AsfEvent::Script { .. } => "script",
            mmsplay_net::AsfEvent::End => "end",
        };
        kinds.push(k);
        if k == "end" {
            break;
        }
    }
    assert_eq!(
        kinds,
        [
            "header", "packet", "packet", "header", "packet", "packet", "end"
        ]
    );
}
