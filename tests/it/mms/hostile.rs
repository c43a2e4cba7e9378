//! Scripted fake servers. Hostile ones (wrong signature, huge or overlong lengths, endless
//! pings, silence) must give a clear error within the deadline with bounded memory: the codec
//! refuses a length before allocating (see mmsp::tests for the unit-level checks). Others check
//! the client keeps going: a Ping mid-stream, a lost UDP header asked for again.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use mmsplay_net::mmsp::{DISABLE_PACKET_PAIR, FromServer, OpenFileReport};
use mmsplay_net::{ConnectOptions, ErrorKind, NetError, Session, StreamUrl, Transport};

/// Reads one command packet from the client (bounded), returning its MID.
fn read_command(s: &mut TcpStream) -> Option<u32> {
    let mut head = [0u8; 16];
    s.read_exact(&mut head).ok()?;
    let len = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize;
    let mut rest = vec![0u8; len.min(65536)];
    s.read_exact(&mut rest).ok()?;
    Some(u32::from_le_bytes([rest[20], rest[21], rest[22], rest[23]]))
}

/// A server that runs `script` on the first connection, on a thread.
fn fake(script: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        if let Ok((s, _)) = l.accept() {
            s.set_read_timeout(Some(Duration::from_secs(5))).ok();
            s.set_write_timeout(Some(Duration::from_secs(5))).ok();
            script(s);
        }
    });
    port
}

async fn open(port: u16) -> (Result<Session, NetError>, Duration) {
    let url = StreamUrl::parse(&format!("mmst://127.0.0.1:{port}/x.asf")).unwrap();
    let o = ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(1),
        ..ConnectOptions::default()
    };
    let t0 = Instant::now();
    let r = Session::open(&url, Transport::Mmst, &o).await;
    (r, t0.elapsed())
}

fn reply(s: &mut TcpStream, seq: u32, m: FromServer) {
    let _ = s.write_all(&m.encode(seq));
}

/// Answers the exchange up to ReportStartedPlaying, with a valid 1-piece header.
fn handshake(s: &mut TcpStream) {
    let header = tiny_header();
    let mut seq = 0;
    while let Some(mid) = read_command(s) {
        let m = match mid {
            0x0003_0001 => FromServer::ReportConnectedEx {
                hr: 0,
                play_incarnation: DISABLE_PACKET_PAIR,
                server_version: "9.01.01.3814".into(),
                auth_package: String::new(),
            },
            0x0003_0018 => FromServer::ReportFunnelInfo {
                hr: 0,
                play_incarnation: DISABLE_PACKET_PAIR,
                client_id: 5,
            },
            0x0003_0002 => FromServer::ReportConnectedFunnel { hr: 0 },
            0x0003_0005 => FromServer::ReportOpenFile(OpenFileReport {
                hr: 0,
                play_incarnation: 9,
                open_file_id: 1,
                attributes: 0x0100_0000,
                duration_s: 1.0,
                packet_size: 800,
                packet_count: 10,
                bit_rate: 64000,
                header_size: header.len() as u32,
            }),
            0x0003_0015 => {
                reply(
                    s,
                    seq,
                    FromServer::ReportReadBlock {
                        hr: 0,
                        play_incarnation: 1,
                    },
                );
                seq += 1;
                let d = mmsplay_net::mmsp::data::encode_data(0, 1, 0x0C, &header);
                let _ = s.write_all(&d);
                continue;
            }
            0x0003_0033 => FromServer::ReportStreamSwitch { hr: 0 },
            0x0003_0007 => {
                reply(
                    s,
                    seq,
                    FromServer::ReportStartedPlaying {
                        hr: 0,
                        play_incarnation: 10,
                        tiger_file_id: 1,
                    },
                );
                return;
            }
            _ => continue,
        };
        reply(s, seq, m);
        seq += 1;
    }
}

/// A minimal valid ASF header (Header Object + Data Object prefix) from our writer.
fn tiny_header() -> Vec<u8> {
    let f = super::util::fixture();
    match f {
        Some(f) => super::util::media(f).header_bytes.to_vec(),
        None => Vec::new(),
    }
}

#[tokio::test]
async fn wrong_signature() {
    let port = fake(|mut s| {
        let _ = read_command(&mut s);
        let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\nServer: nope\r\n\r\n");
        thread::sleep(Duration::from_secs(3));
    });
    let (r, t) = open(port).await;
    let e = r.err().expect("error");
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("does not speak MMS"), "{e}");
    assert!(t < Duration::from_secs(1));
}

#[tokio::test]
async fn message_length_of_gigabytes() {
    let port = fake(|mut s| {
        let _ = read_command(&mut s);
        let mut b = FromServer::Ping.encode(0);
        b[8..12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        let _ = s.write_all(&b[..16]);
        thread::sleep(Duration::from_secs(3));
    });
    let (r, t) = open(port).await;
    let e = r.err().expect("error");
    assert_eq!(e.kind, ErrorKind::Limit, "{e}");
    assert!(t < Duration::from_secs(1), "refused from the length alone");
}

#[tokio::test]
async fn length_far_past_what_was_sent() {
    let port = fake(|mut s| {
        let _ = read_command(&mut s);
        let mut b = FromServer::Ping.encode(0);
        b[8..12].copy_from_slice(&60_000u32.to_le_bytes());
        let _ = s.write_all(&b);
        thread::sleep(Duration::from_secs(3));
    });
    let (r, t) = open(port).await;
    let e = r.err().expect("error");
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("middle of a message"), "{e}");
    assert!(t < Duration::from_millis(2500));
}

#[tokio::test]
async fn silence() {
    let port = fake(|_s| thread::sleep(Duration::from_secs(3)));
    let (r, t) = open(port).await;
    let e = r.err().expect("error");
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("did not answer"), "{e}");
    assert!(t < Duration::from_millis(2500));
}

#[tokio::test]
async fn endless_pings_after_play() {
    if super::util::fixture().is_none() {
        return;
    }
    let port = fake(|mut s| {
        handshake(&mut s);
        // Pings, forever (bounded by the test), and never a data packet.
        let ping = FromServer::Ping.encode(0);
        let t0 = Instant::now();
        let mut buf = [0u8; 4096];
        s.set_nonblocking(true).ok();
        while t0.elapsed() < Duration::from_secs(4) {
            if s.write_all(&ping).is_err() && t0.elapsed() > Duration::from_secs(3) {
                break;
            }
            let _ = s.read(&mut buf);
            thread::sleep(Duration::from_millis(2));
        }
    });
    let (r, t) = open(port).await;
    let e = r.err().expect("error");
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(t < Duration::from_millis(2500));
}

#[tokio::test]
async fn pings_mid_stream_are_answered_and_play_goes_on() {
    let Some(f) = super::util::fixture() else {
        return;
    };
    let m = super::util::media(f);
    let packets: Vec<Vec<u8>> = m.packets.iter().take(6).map(|p| p.to_vec()).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    let port = fake(move |mut s| {
        handshake(&mut s);
        let data =
            |i: usize| mmsplay_net::mmsp::data::encode_data(i as u32, 10, i as u8, &packets[i]);
        for i in 0..3 {
            let _ = s.write_all(&data(i));
        }
        reply(&mut s, 7, FromServer::Ping);
        // The next command from the client must be a Pong.
        let _ = tx.send(read_command(&mut s));
        for i in 3..6 {
            let _ = s.write_all(&data(i));
        }
        reply(
            &mut s,
            8,
            FromServer::ReportEndOfStream {
                hr: 0,
                play_incarnation: 10,
            },
        );
        let _ = read_command(&mut s);
    });
    let (r, _) = open(port).await;
    let mut s = r.unwrap_or_else(|e| panic!("{e}"));
    let mut n = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(3), s.next_event()).await {
            Ok(Ok(mmsplay_net::AsfEvent::Packet(p))) => {
                assert_eq!(p, m.packets[n]);
                n += 1;
            }
            Ok(Ok(mmsplay_net::AsfEvent::End)) => break,
            Ok(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(n, 6);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(1)).unwrap(),
        Some(0x0003_001B)
    );
}

/// Reads one command, returning its MID and body (bytes after the MID).
fn read_command_body(s: &mut TcpStream) -> Option<(u32, Vec<u8>)> {
    let mut head = [0u8; 16];
    s.read_exact(&mut head).ok()?;
    let len = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize;
    let mut rest = vec![0u8; len.min(65536)];
    s.read_exact(&mut rest).ok()?;
    let mid = u32::from_le_bytes([rest[20], rest[21], rest[22], rest[23]]);
    Some((mid, rest[24..].to_vec()))
}

#[tokio::test]
async fn lost_udp_header_is_asked_for_again() {
    let Some(f) = super::util::fixture() else {
        return;
    };
    let m = super::util::media(f);
    let header = m.header_bytes.to_vec();
    let packets: Vec<Vec<u8>> = m.packets.iter().take(3).map(|p| p.to_vec()).collect();
    let packet_size = m.packet_size;
    let (tx, rx) = std::sync::mpsc::channel();
    let port = fake(move |mut s| {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut to = None;
        let mut seq = 0;
        let mut mids = Vec::new();
        let mut read_blocks = 0;
        while let Some((mid, body)) = read_command_body(&mut s) {
            mids.push(mid);
            let m = match mid {
                0x0003_0001 => FromServer::ReportConnectedEx {
                    hr: 0,
                    play_incarnation: DISABLE_PACKET_PAIR,
                    server_version: "9.01.01.3814".into(),
                    auth_package: String::new(),
                },
                0x0003_0018 => FromServer::ReportFunnelInfo {
                    hr: 0,
                    play_incarnation: DISABLE_PACKET_PAIR,
                    client_id: 5,
                },
                0x0003_0002 => {
                    let units: Vec<u16> = body[20..]
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .take_while(|u| *u != 0)
                        .collect();
                    let name = String::from_utf16_lossy(&units);
                    let f = mmsplay_net::mmsp::Funnel::parse(&name).unwrap();
                    assert!(f.udp);
                    to = Some(format!("127.0.0.1:{}", f.port));
                    FromServer::ReportConnectedFunnel { hr: 0 }
                }
                0x0003_0005 => FromServer::ReportOpenFile(OpenFileReport {
                    hr: 0,
                    play_incarnation: 9,
                    open_file_id: 1,
                    attributes: 0x0100_0000,
                    duration_s: 6.0,
                    packet_size,
                    packet_count: 3,
                    bit_rate: 64000,
                    header_size: header.len() as u32,
                }),
                0x0003_0015 => {
                    read_blocks += 1;
                    let inc = body[40];
                    reply(
                        &mut s,
                        seq,
                        FromServer::ReportReadBlock {
                            hr: 0,
                            play_incarnation: u32::from(inc),
                        },
                    );
                    seq += 1;
                    // The first header "gets lost": only the second request is answered.
                    if read_blocks == 2 {
                        let d = mmsplay_net::mmsp::data::encode_data(0, inc, 0x0C, &header);
                        udp.send_to(&d, to.as_deref().unwrap()).unwrap();
                    }
                    continue;
                }
                0x0003_0033 => FromServer::ReportStreamSwitch { hr: 0 },
                0x0003_0007 => {
                    reply(
                        &mut s,
                        seq,
                        FromServer::ReportStartedPlaying {
                            hr: 0,
                            play_incarnation: 10,
                            tiger_file_id: 1,
                        },
                    );
                    seq += 1;
                    for (i, p) in packets.iter().enumerate() {
                        let d = mmsplay_net::mmsp::data::encode_data(i as u32, 10, i as u8, p);
                        udp.send_to(&d, to.as_deref().unwrap()).unwrap();
                    }
                    thread::sleep(Duration::from_millis(50));
                    reply(
                        &mut s,
                        seq,
                        FromServer::ReportEndOfStream {
                            hr: 0,
                            play_incarnation: 10,
                        },
                    );
                    continue;
                }
                0x0003_000D => break,
                _ => continue,
            };
            reply(&mut s, seq, m);
            seq += 1;
        }
        let _ = tx.send(mids);
    });
    let url = StreamUrl::parse(&format!("mmsu://127.0.0.1:{port}/x.asf")).unwrap();
    let o = ConnectOptions {
        connect_timeout: Duration::from_secs(3),
        ..ConnectOptions::default()
    };
    let mut s = Session::open(&url, Transport::Mmsu, &o)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut n = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(3), s.next_event()).await {
            Ok(Ok(mmsplay_net::AsfEvent::Header(h))) => assert_eq!(h, m.header_bytes),
            Ok(Ok(mmsplay_net::AsfEvent::Packet(p))) => {
                assert_eq!(p, m.packets[n]);
                n += 1;
            }
            Ok(Ok(mmsplay_net::AsfEvent::End)) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(n, 3);
    s.close().await;
    let mids = rx.recv_timeout(Duration::from_secs(2)).unwrap();
    let rb: Vec<u32> = mids
        .iter()
        .copied()
        .filter(|m| *m == 0x0003_0015 || *m == 0x0003_0025)
        .collect();
    assert_eq!(
        rb,
        vec![0x0003_0015, 0x0003_0025, 0x0003_0015],
        "ReadBlock, CancelReadBlock, ReadBlock"
    );
}
