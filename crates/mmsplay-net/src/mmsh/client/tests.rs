//! The MMSH connect machine against recorded conversations (testdata/README.md says how they
//! were made: our server on demand and live, VLC's MMSH output) and hand-written answers. No
//! sockets: requests are compared byte for byte with the recorded client's.

use super::*;
use crate::mmsh::parse_response_head;

/// A recorded response: its head and the (trimmed) body.
fn response(wire: &[u8]) -> (ResponseHead, &[u8]) {
    let (head, used) = parse_response_head(wire).unwrap().unwrap();
    (head, &wire[used..])
}

/// The client GUID a recorded request carries.
fn guid(request: &str) -> String {
    let at = request.find("xClientGUID=").unwrap() + "xClientGUID=".len();
    request[at..].lines().next().unwrap().trim().to_string()
}

fn config(port: u16, path: &str, guid: String) -> ConnectConfig {
    ConnectConfig {
        target: Target {
            host: "127.0.0.1".into(),
            port,
            path: path.into(),
        },
        client_guid: guid,
        mode: HttpMode::NonPipelined,
        start_ms: 0,
        streams: Vec::new(),
        choose: None,
        extra_headers: Vec::new(),
        absolute_uri: false,
        accelerate: None,
        stats: Default::default(),
    }
}

fn expect_send(step: Step) -> (Target, String, bool) {
    match step {
        Step::Send { to, request, reuse } => (to, request, reuse),
        other => panic!("{other:?}"),
    }
}

/// Replays a recorded Describe + Play: the requests must be the recorded ones, the Describe
/// body is fed in small pieces, and the Play body must give packets to a `BodyReader`.
fn replay(port: u16, path: &str, conv: [&[u8]; 4]) -> Ready {
    let [describe_req, describe_resp, play_req, play_resp] = conv;
    let describe_req = std::str::from_utf8(describe_req).unwrap();
    let mut m = Connect::new(config(port, path, guid(describe_req)));
    let (to, req, reuse) = expect_send(m.start());
    assert_eq!(req, describe_req);
    assert_eq!(to.authority(), format!("127.0.0.1:{port}"));
    assert!(!reuse);
    let (head, body) = response(describe_resp);
    assert!(matches!(m.on_head(&head).unwrap(), Step::ReadBody));
    let mut step = Step::ReadBody;
    for piece in body.chunks(5) {
        assert!(matches!(step, Step::ReadBody), "{step:?}");
        step = m.on_body(piece, true).unwrap();
    }
    let (_, req, reuse) = expect_send(step);
    assert_eq!(req, std::str::from_utf8(play_req).unwrap());
    assert!(!reuse);
    let (head, body) = response(play_resp);
    let ready = match m.on_head(&head).unwrap() {
        Step::Done(Outcome::Playing(r)) => *r,
        other => panic!("{other:?}"),
    };
    let mut reader = BodyReader::new();
    reader.seed_header(ready.header.clone()).unwrap();
    reader.push(body);
    let mut packets = 0;
    while let Some(ev) = reader.next_event().unwrap() {
        if let BodyEvent::Packet(p) = ev {
            assert!(p.len() <= ready.packet_size as usize);
            packets += 1;
        }
    }
    assert!(packets > 0, "the recorded Play body gave no packet");
    // These servers ignored the packet-pair experiment: no measurement, and no stall.
    assert_eq!(ready.link_bps, None);
    ready
}

/// A Describe answered with the `$P` pair our server sends: the pair's second packet over the
/// gap between the arrivals is the link's bandwidth, recorded before the header's streams
/// are chosen and handed on with the header.
#[test]
fn the_describes_packet_pair_measures_the_link() {
    let describe_req = include_str!("../testdata/ours_ondemand.0.request");
    let mut cfg = config(28080, "/tone.asf", guid(describe_req));
    let stats = cfg.stats.clone();
    let seen_by_chooser = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = seen_by_chooser.clone();
    let link = stats.clone();
    cfg.choose = Some(crate::StreamChooser(Arc::new(move |_| {
        seen.store(
            link.link_bps().unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
        None
    })));
    let mut m = Connect::new(cfg);
    let (_, req, _) = expect_send(m.start());
    assert!(req.contains(",packet-pair-experiment=1\r\n"), "{req}");
    let wire = include_bytes!("../testdata/ours_ondemand.0.response");
    let (head, body) = response(wire);
    let head_len = wire.len() - body.len();
    let pairs = crate::mmsh::chunk::encode_packet_pair_chunks(head_len, 3);
    let (first, rest) = pairs.split_at(4 + 4 + 504 - head_len.min(504));
    let (second, third) = rest.split_at(512);
    assert!(matches!(m.on_head(&head).unwrap(), Step::ReadBody));
    let t0 = Instant::now();
    let ms = std::time::Duration::from_millis;
    assert!(matches!(
        m.on_body_at(first, true, t0).unwrap(),
        Step::ReadBody
    ));
    assert!(matches!(
        m.on_body_at(second, true, t0 + ms(4)).unwrap(),
        Step::ReadBody
    ));
    // 512 bytes in 4 ms: 1.024 Mb/s.
    assert_eq!(stats.link_bps(), Some(1_024_000));
    assert!(matches!(
        m.on_body_at(third, true, t0 + ms(5)).unwrap(),
        Step::ReadBody
    ));
    expect_send(m.on_body_at(body, true, t0 + ms(6)).unwrap());
    assert_eq!(
        seen_by_chooser.load(std::sync::atomic::Ordering::Relaxed),
        1_024_000
    );
    assert_eq!(stats.link_bps(), Some(1_024_000));
}

#[test]
fn replays_our_servers_on_demand_describe_and_play() {
    let ready = replay(
        28080,
        "/tone.asf",
        [
            include_bytes!("../testdata/ours_ondemand.0.request"),
            include_bytes!("../testdata/ours_ondemand.0.response"),
            include_bytes!("../testdata/ours_ondemand.1.request"),
            include_bytes!("../testdata/ours_ondemand.1.response"),
        ],
    );
    assert!(!ready.live);
    assert!(ready.expected_packets > 0);
    assert_eq!(ready.packet_size, 3200);
    assert_eq!(ready.target.path, "/tone.asf");
}

#[test]
fn replays_our_servers_live_describe_and_play() {
    let ready = replay(
        28081,
        "/tone.asf",
        [
            include_bytes!("../testdata/ours_live.0.request"),
            include_bytes!("../testdata/ours_live.0.response"),
            include_bytes!("../testdata/ours_live.1.request"),
            include_bytes!("../testdata/ours_live.1.response"),
        ],
    );
    assert!(ready.live);
    assert_eq!(ready.expected_packets, 0);
}

/// VLC's MMSH output: `Content-type: application/octet-stream`, one Pragma line per token,
/// a live stream with 4096-byte packets.
#[test]
fn replays_vlcs_mmsh_output() {
    let ready = replay(
        28082,
        "/",
        [
            include_bytes!("../testdata/vlc_live.0.request"),
            include_bytes!("../testdata/vlc_live.0.response"),
            include_bytes!("../testdata/vlc_live.1.request"),
            include_bytes!("../testdata/vlc_live.1.response"),
        ],
    );
    assert!(ready.live);
    assert_eq!(ready.packet_size, 4096);
}

fn head(wire: &str) -> ResponseHead {
    parse_response_head(wire.as_bytes()).unwrap().unwrap().0
}

/// Redirects are followed inside the machine (to the new place, same GUID); a loop ends it.
#[test]
fn redirects_are_followed_and_loops_end() {
    let mut m = Connect::new(config(80, "/a.asf", "{g}".into()));
    m.start();
    let (to, req, _) = expect_send(
        m.on_head(&head(
            "HTTP/1.0 302 Found\r\nLocation: http://other:81/b.asf\r\n\r\n",
        ))
        .unwrap(),
    );
    assert_eq!(to.authority(), "other:81");
    assert!(req.starts_with("GET /b.asf HTTP/1.0\r\n"), "{req}");
    assert!(req.contains("Host: other:81\r\n"));
    assert!(req.contains("xClientGUID={g}"));
    let e = m
        .on_head(&head(
            "HTTP/1.0 302 Found\r\nLocation: http://127.0.0.1:80/a.asf\r\n\r\n",
        ))
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Answer(AnswerError::Chain(_))),
        "{e:?}"
    );
    let e = NetError::from(e);
    assert_eq!(e.kind, ErrorKind::Protocol);
    assert!(e.to_string().contains("redirects"), "{e}");
}

#[test]
fn refusals_and_what_is_not_a_stream() {
    // 401: an outcome with the challenges; without credentials it ends as a refusal.
    let mut m = Connect::new(config(80, "/a.asf", "{g}".into()));
    m.start();
    let denied = head("HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\"\r\n\r\n");
    let u = match m.on_head(&denied).unwrap() {
        Step::Done(Outcome::Unauthorized(u)) => u,
        other => panic!("{other:?}"),
    };
    assert_eq!(u.challenges, ["Basic realm=\"r\""]);
    let e = NetError::from(m.answer_challenge(&u, None).unwrap_err());
    assert_eq!(e.kind, ErrorKind::Unauthorized);
    assert!(e.to_string().contains("--user"), "{e}");
    let e = NetError::from(u.clone().into_error());
    assert_eq!(e.kind, ErrorKind::Unauthorized);
    assert_eq!(
        e.to_string(),
        "the server answered HTTP 401 Unauthorized: the user name or password was refused"
    );
    // With credentials: the same Describe again, signed; a second 401 means they are wrong.
    let mut m = Connect::new(config(80, "/a.asf", "{g}".into()));
    m.start();
    let Step::Done(Outcome::Unauthorized(u)) = m.on_head(&denied).unwrap() else {
        panic!("no challenge")
    };
    let creds = crate::auth::Credentials::from_spec("Aladdin:open sesame");
    match m.answer_challenge(&u, Some(creds.clone())).unwrap() {
        Step::Send { request, .. } => {
            assert!(request.starts_with("GET /a.asf HTTP/1.0\r\n"), "{request}");
            assert!(
                request.contains("\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"),
                "{request}"
            );
        }
        other => panic!("{other:?}"),
    }
    let Step::Done(Outcome::Unauthorized(u)) = m.on_head(&denied).unwrap() else {
        panic!("no challenge")
    };
    let e = m.answer_challenge(&u, Some(creds)).unwrap_err();
    assert_eq!(e, ClientError::Auth(crate::auth::AuthError::Rejected));
    // A metafile where a stream was expected.
    let mut m = Connect::new(config(80, "/a.asf", "{g}".into()));
    m.start();
    m.on_head(&head(
        "HTTP/1.0 200 OK\r\nContent-Type: video/x-ms-asf\r\n\r\n",
    ))
    .unwrap();
    let e = m
        .on_body(b"<ASX version=\"3.0\"><Entry>", true)
        .unwrap_err();
    assert_eq!(e, ClientError::Metafile);
    assert_eq!(NetError::from(e).kind, ErrorKind::Unsupported);
    // An empty answer: closed before the header.
    let mut m = Connect::new(config(80, "/a.asf", "{g}".into()));
    m.start();
    m.on_head(&head("HTTP/1.0 200 OK\r\n\r\n")).unwrap();
    let e = m.on_body(b"", false).unwrap_err();
    assert_eq!(e, ClientError::ClosedBeforeHeader);
    assert_eq!(NetError::from(e).kind, ErrorKind::Closed);
    // A refused Play.
    let recorded = include_bytes!("../testdata/ours_ondemand.0.response");
    let mut m = Connect::new(config(80, "/a.asf", "{g}".into()));
    m.start();
    let (h, body) = response(recorded);
    m.on_head(&h).unwrap();
    expect_send(m.on_body(body, true).unwrap());
    let e = NetError::from(m.on_head(&head("HTTP/1.0 503 Busy\r\n\r\n")).unwrap_err());
    assert_eq!(e.kind, ErrorKind::Refused);
    // Out of order: a body before any head.
    let mut m = Connect::new(config(80, "/a.asf", "{g}".into()));
    assert!(matches!(
        m.on_body(b"$H", true),
        Err(ClientError::OutOfOrder(_))
    ));
}

/// The seams for what comes next: extra headers on every request, an absolute request URI
/// for proxies, a start position, pipelined reuse, a subset of streams.
#[test]
fn requests_carry_extra_headers_start_and_stream_choice() {
    let recorded = include_bytes!("../testdata/ours_ondemand.0.response");
    let mut cfg = config(8080, "/a.asf", "{g}".into());
    cfg.extra_headers = vec![("Authorization".into(), "Basic dTpw".into())];
    cfg.absolute_uri = true;
    cfg.start_ms = 4_000;
    cfg.mode = HttpMode::Pipelined;
    cfg.streams = vec![1];
    let mut m = Connect::new(cfg);
    let (_, req, _) = expect_send(m.start());
    assert!(
        req.starts_with("GET http://127.0.0.1:8080/a.asf HTTP/1.1\r\n"),
        "{req}"
    );
    assert!(req.ends_with("Authorization: Basic dTpw\r\n\r\n"), "{req}");
    let (h, body) = response(recorded);
    m.on_head(&h).unwrap();
    let (_, play, reuse) = expect_send(m.on_body(body, true).unwrap());
    assert!(reuse);
    assert!(play.contains("stream-time=4000,"), "{play}");
    assert!(play.contains("stream-switch-entry=ffff:1:0\r\n"), "{play}");
    assert!(play.contains("Authorization: Basic dTpw\r\n"), "{play}");
}
