//! The connect machine against recorded conversations (testdata/README.md says how they were
//! made) and against hand-written refusals. No sockets: requests are compared byte for byte
//! with what the client sent in the recording, replies are fed from the recording.

use super::*;
use crate::rtsp::message::{Frame, Framer};

fn messages(wire: &[u8]) -> Vec<Message> {
    let mut f = Framer::new(MAX_SDP_LEN);
    f.push(wire);
    let mut out = Vec::new();
    while let Some(frame) = f.next_frame().unwrap() {
        if let Frame::Message(m) = frame {
            out.push(m);
        }
    }
    out
}

fn config(lower: LowerTransport, client_ports: Option<(u16, u16)>, ua: &str) -> ConnectConfig {
    ConnectConfig {
        url: "rtsp://127.0.0.1:28554/tone.asf".into(),
        lower,
        client_ports,
        streams: Vec::new(),
        choose: None,
        start_ms: 0,
        connect_timeout: Duration::from_secs(7),
        user_agent: ua.into(),
        extra_headers: Vec::new(),
        accelerate: None,
    }
}

/// Drives `machine` through a recorded conversation: each request it sends must equal the
/// recorded one, each recorded reply is fed back. `rtx_ports` answers an OpenRtx step.
fn replay(
    mut machine: Connect,
    requests: &[Message],
    replies: &[Message],
    rtx_ports: Option<(u16, u16)>,
) -> Established {
    assert_eq!(requests.len(), replies.len());
    let mut step = machine.start();
    let mut i = 0;
    loop {
        step = match step {
            Step::Send(req) => {
                assert!(i < requests.len(), "more requests than recorded");
                assert_eq!(
                    String::from_utf8_lossy(&req.message.to_bytes()),
                    String::from_utf8_lossy(&requests[i].to_bytes()),
                    "request {i}"
                );
                assert_eq!(req.timeout, REPLY_TIMEOUT);
                let want_limit = if req.message.method() == Some("DESCRIBE") {
                    MAX_SDP_LEN
                } else {
                    MAX_BODY
                };
                assert_eq!(req.body_limit, want_limit);
                i += 1;
                machine.on_reply(&replies[i - 1]).unwrap()
            }
            Step::OpenRtx => machine.rtx_opened(rtx_ports.expect("no rtx")).unwrap(),
            Step::Done(Outcome::Playing(est)) => {
                assert_eq!(i, requests.len(), "fewer requests than recorded");
                return *est;
            }
            Step::Done(other) => panic!("{other:?}"),
        }
    }
}

fn user_agent(requests: &[Message]) -> String {
    requests[0].header("User-Agent").unwrap().to_string()
}

#[test]
fn replays_our_servers_rtsp_over_tcp_connect() {
    let requests = messages(include_bytes!("../testdata/ours_rtspt.requests"));
    let replies = messages(include_bytes!("../testdata/ours_rtspt.replies"));
    assert_eq!(requests.len(), 4);
    let ua = user_agent(&requests);
    let est = replay(
        Connect::new(config(LowerTransport::Tcp, None, &ua)),
        &requests,
        &replies,
        None,
    );
    assert_eq!(est.aggregate, "rtsp://127.0.0.1:28554/tone.asf/");
    assert_eq!(est.keepalive_method, "GET_PARAMETER");
    assert_eq!(est.session_timeout, Duration::from_secs(60));
    assert_eq!(est.setup_tail.as_deref(), Some("/audio"));
    assert_eq!(est.desc.packet_size, 3200);
    assert!(est.rtx.is_none());
    let answer = est.media_answer.unwrap();
    assert_eq!(answer.interleaved, Some((0, Some(1))));
    assert!(est.first_seq.is_some());
    assert_eq!(est.first_media_timeout, Duration::from_secs(7));
    assert!(est.requester.session.is_some());
}

#[test]
fn replays_our_servers_rtsp_over_udp_connect_with_the_retransmission_stream() {
    let requests = messages(include_bytes!("../testdata/ours_rtspu.requests"));
    let replies = messages(include_bytes!("../testdata/ours_rtspu.replies"));
    assert_eq!(requests.len(), 5);
    // The ports the recorded client advertised: the retransmission pair, then the media pair.
    let ports = |m: &Message| {
        let spec = TransportSpec::parse(m.header("Transport").unwrap()).unwrap();
        let (a, b) = spec.client_port.unwrap();
        (a, b.unwrap())
    };
    let rtx_ports = ports(&requests[2]);
    let media_ports = ports(&requests[3]);
    let ua = user_agent(&requests);
    let est = replay(
        Connect::new(config(LowerTransport::Udp, Some(media_ports), &ua)),
        &requests,
        &replies,
        Some(rtx_ports),
    );
    let rtx = est.rtx.expect("the server took the retransmission stream");
    assert!(rtx.unwrap().server_port.is_some());
    assert!(est.media_answer.unwrap().server_port.is_some());
    assert_eq!(est.first_media_timeout, UDP_FIRST_MEDIA_TIMEOUT);
    assert_eq!(
        est.first_seq,
        replies[4]
            .header("RTP-Info")
            .and_then(|v| headers::rtp_info_seq(v, Some("/audio")))
    );
}

/// The OPTIONS and DESCRIBE replies kept as fuzz seeds read the same way.
#[test]
fn replays_recorded_options_and_describe() {
    let replies = messages(include_bytes!(
        "../../../../../fuzz/seeds/rtsp/options_describe_replies.bin"
    ));
    assert_eq!(replies.len(), 2);
    assert_eq!(on_options(&replies[0]).unwrap(), "GET_PARAMETER");
    match on_describe(&replies[1], "rtsp://127.0.0.1/c.asf", &[]).unwrap() {
        DescribeReply::Stream(d) => {
            assert_eq!(d.desc.packet_size, 3200);
            assert!(
                d.aggregate.starts_with("rtsp://127.0.0.1/c.asf"),
                "{}",
                d.aggregate
            );
            assert!(!d.chosen.is_empty());
            assert!(d.chosen.iter().all(SdpMedia::is_asf));
        }
        other => panic!("{other:?}"),
    }
    // Asking for a stream the SDP does not have is an error that says so.
    let e = on_describe(&replies[1], "rtsp://127.0.0.1/c.asf", &[99]).unwrap_err();
    assert_eq!(e, ClientError::NoRequestedStream);
    assert_eq!(NetError::from(e).kind, ErrorKind::Unsupported);
}

/// A machine past OPTIONS and DESCRIBE of the recorded TCP conversation, at its first SETUP.
fn at_first_setup() -> (Connect, Vec<Message>) {
    let replies = messages(include_bytes!("../testdata/ours_rtspt.replies"));
    let mut m = Connect::new(config(LowerTransport::Tcp, None, "ua"));
    m.start();
    m.on_reply(&replies[0]).unwrap();
    match m.on_reply(&replies[1]).unwrap() {
        Step::Send(r) => assert_eq!(r.message.method(), Some("SETUP")),
        other => panic!("{other:?}"),
    }
    (m, replies)
}

#[test]
fn redirects_refusals_and_unsupported_transports() {
    let mut m = Connect::new(config(LowerTransport::Tcp, None, "ua"));
    m.start();
    m.on_reply(&Message::response(200, "OK")).unwrap();
    let mut moved = Message::response(302, "Moved");
    moved.headers.push("Location", "rtsp://other/x.asf");
    match m.on_reply(&moved).unwrap() {
        Step::Done(Outcome::Redirect(u)) => assert_eq!(u.host, "other"),
        other => panic!("{other:?}"),
    }
    let mut away = Message::response(302, "Moved");
    away.headers.push("Location", "http://other/x.asf");
    assert_eq!(
        on_describe(&away, "rtsp://h/x", &[]).unwrap_err(),
        ClientError::RedirectNotRtsp("http://other/x.asf".into())
    );
    let e = NetError::from(
        on_describe(&Message::response(404, "Not Found"), "rtsp://h/x", &[]).unwrap_err(),
    );
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(
        e.to_string(),
        "the server answered DESCRIBE with 404 Not Found"
    );
    // 461 to SETUP: this lower transport is refused, which the rollover reads as Refused.
    let (mut m, _) = at_first_setup();
    let e = m
        .on_reply(&Message::response(461, "Unsupported Transport"))
        .unwrap_err();
    assert_eq!(e, ClientError::UnsupportedTransport(LowerTransport::Tcp));
    let e = NetError::from(e);
    assert_eq!(e.kind, ErrorKind::Refused);
    assert!(e.to_string().contains("RTP over TCP"), "{e}");
    let mut public = Message::response(200, "OK");
    public
        .headers
        .push("Public", "DESCRIBE, SETUP, PLAY, OPTIONS");
    assert_eq!(on_options(&public).unwrap(), "OPTIONS");
}

#[test]
fn setup_answers_are_checked() {
    // A SETUP answered without a Session leaves PLAY without one: an error, not a guess.
    let (mut m, _) = at_first_setup();
    match m.on_reply(&Message::response(200, "OK")).unwrap() {
        Step::Send(r) => assert_eq!(r.message.method(), Some("PLAY")),
        other => panic!("{other:?}"),
    }
    let e = m.on_reply(&Message::response(200, "OK")).unwrap_err();
    assert_eq!(e, ClientError::NoSession);
    // A UDP answer to a TCP SETUP.
    let (mut m, _) = at_first_setup();
    let udp = Message::response(200, "OK")
        .with("Session", "1")
        .with("Transport", "RTP/AVP/UDP;unicast;client_port=5000-5001");
    assert_eq!(
        m.on_reply(&udp).unwrap_err(),
        ClientError::TransportMismatch {
            asked: LowerTransport::Tcp,
            answered: LowerTransport::Udp
        }
    );
    // An absurd Session id.
    let (mut m, _) = at_first_setup();
    let long = Message::response(200, "OK").with("Session", "x".repeat(65));
    assert_eq!(m.on_reply(&long).unwrap_err(), ClientError::BadSession);
    // Feeding a reply before any request is a driver bug, said as such.
    let mut m = Connect::new(config(LowerTransport::Tcp, None, "ua"));
    assert!(matches!(
        m.on_reply(&Message::response(200, "OK")),
        Err(ClientError::OutOfOrder(_))
    ));
}

/// A 401 is an outcome the caller can answer: retrying sends the same request again with the
/// new header, which then rides on every later request too.
#[test]
fn unauthorized_is_an_outcome_the_caller_can_retry() {
    let mut m = Connect::new(config(LowerTransport::Tcp, None, "ua"));
    m.start();
    m.on_reply(&Message::response(200, "OK")).unwrap();
    let mut denied = Message::response(401, "Unauthorized");
    denied.headers.push("WWW-Authenticate", "Basic realm=\"x\"");
    denied
        .headers
        .push("WWW-Authenticate", "Digest realm=\"x\", nonce=\"n\"");
    let u = match m.on_reply(&denied).unwrap() {
        Step::Done(Outcome::Unauthorized(u)) => u,
        other => panic!("{other:?}"),
    };
    assert_eq!(u.method, "DESCRIBE");
    assert_eq!(u.challenges.len(), 2);
    assert!(u.challenges[1].starts_with("Digest"));
    let e = NetError::from(u.clone().into_error());
    assert_eq!(e.kind, ErrorKind::Unauthorized);
    assert_eq!(
        e.to_string(),
        "the server answered DESCRIBE with 401 Unauthorized"
    );
    let req = match m.retry_with("Authorization", "Basic dTpw".into()).unwrap() {
        Step::Send(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(req.message.method(), Some("DESCRIBE"));
    assert_eq!(req.cseq, 3);
    assert_eq!(req.message.header("Authorization"), Some("Basic dTpw"));
    assert_eq!(req.body_limit, MAX_SDP_LEN);
}

/// A Digest challenge answered with credentials: every later request is signed for its own
/// method and URL (our server's check accepts each), and the session keeps signing.
#[test]
fn answered_challenges_sign_every_request() {
    use crate::auth::{Credentials, ServerAuth, Verdict};
    let server = ServerAuth::new("u", "p", [3; 32]);
    let replies = messages(include_bytes!("../testdata/ours_rtspt.replies"));
    let mut m = Connect::new(config(LowerTransport::Tcp, None, "ua"));
    m.start();
    m.on_reply(&replies[0]).unwrap();
    let mut denied = Message::response(401, "Unauthorized");
    for c in server.challenges(1_000, false) {
        denied.headers.push("WWW-Authenticate", c);
    }
    let Step::Done(Outcome::Unauthorized(u)) = m.on_reply(&denied).unwrap() else {
        panic!("no challenge")
    };
    let checked = |step: Step, method: &str| match step {
        Step::Send(r) => {
            let StartLine::Request { uri, .. } = &r.message.start else {
                panic!("not a request")
            };
            assert_eq!(r.message.method(), Some(method));
            let auth = r.message.header("Authorization");
            assert!(auth.is_some_and(|a| a.contains("SHA-256")), "{auth:?}");
            assert_eq!(server.check(method, uri, auth, 1_001), Verdict::Allowed);
        }
        other => panic!("{other:?}"),
    };
    let again = m.answer_challenge(&u, Some(Credentials::from_spec("u:p")));
    checked(again.unwrap(), "DESCRIBE");
    checked(m.on_reply(&replies[1]).unwrap(), "SETUP");
    // The refused credentials: a second plain 401 ends the connect.
    let Step::Done(Outcome::Unauthorized(u)) = m.on_reply(&denied).unwrap() else {
        panic!("no challenge")
    };
    let e = NetError::from(m.answer_challenge(&u, None).unwrap_err());
    assert_eq!(e.kind, ErrorKind::Unauthorized);
    assert!(e.to_string().contains("rejected"), "{e}");
}

/// PLAY starts where asked; the later requests of a session use the same builders.
#[test]
fn play_carries_the_start_and_pause_exists() {
    let (mut m, replies) = at_first_setup();
    m.cfg.start_ms = 12_500;
    match m.on_reply(&replies[2]).unwrap() {
        Step::Send(r) => {
            assert_eq!(r.message.method(), Some("PLAY"));
            assert_eq!(r.message.header("Range"), Some("npt=12.500-"));
            assert!(r.message.header("Session").is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(play_request("rtsp://h/a/", None).header("Range"), None);
    assert_eq!(pause_request("rtsp://h/a/").method(), Some("PAUSE"));
}
