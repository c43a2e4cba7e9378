//! The RTSP client's reading of the server's replies during connect ([MS-RTSP] 3.1.5),
//! sans-IO: which keep-alive OPTIONS allows, what DESCRIBE answered (a redirect, or the SDP
//! with the streams to SETUP and the aggregate control URL), and what a SETUP refusal means.
//! The async transport sends the requests and applies these answers.

use crate::error::{ErrorKind, NetError, Result};
use crate::rtsp::headers::LowerTransport;
use crate::rtsp::message::{Message, StartLine};
use crate::rtsp::sdp::{self, SdpMedia, WmsDescription};
use crate::url::StreamUrl;

/// What DESCRIBE answered.
#[derive(Debug)]
pub enum Described {
    /// The stream is elsewhere (an `rtsp://` URL).
    Redirect(StreamUrl),
    /// The SDP, its aggregate control URL and the media to SETUP.
    Stream {
        desc: Box<WmsDescription>,
        aggregate: String,
        chosen: Vec<SdpMedia>,
    },
}

/// The keep-alive method the OPTIONS reply allows: GET_PARAMETER (what WMS lists), else
/// OPTIONS.
pub fn on_options(reply: &Message) -> Result<&'static str> {
    expect_success(reply, "OPTIONS")?;
    Ok(match reply.header("Public") {
        Some(p) if !p.to_ascii_uppercase().contains("GET_PARAMETER") => "OPTIONS",
        _ => "GET_PARAMETER",
    })
}

/// DESCRIBE, asking for the SDP and saying which Windows Media features we take.
pub fn describe_request(url: &str) -> Message {
    Message::request("DESCRIBE", url)
        .with("Accept", "application/sdp")
        .with(
            "Supported",
            "com.microsoft.wm.sswitch, com.microsoft.wm.eosmsg",
        )
}

/// Reads the DESCRIBE reply for `request_url`; `wanted` are the stream numbers asked for
/// (empty: the audio streams).
pub fn on_describe(reply: &Message, request_url: &str, wanted: &[u16]) -> Result<Described> {
    if let (Some(300..=399), Some(loc)) = (reply.status(), reply.header("Location")) {
        let to = StreamUrl::parse(loc.trim())
            .ok()
            .filter(|u| u.scheme.starts_with("rtsp"))
            .ok_or_else(|| {
                NetError::protocol(format!("the server redirects to {loc:?}, not RTSP"))
            })?;
        return Ok(Described::Redirect(to));
    }
    expect_success(reply, "DESCRIBE")?;
    let desc = sdp::parse(&reply.body)?;
    let base = reply
        .header("Content-Base")
        .or(reply.header("Content-Location"))
        .unwrap_or(request_url)
        .to_string();
    let aggregate = match desc.control.as_deref() {
        Some(c) if c.contains("://") => c.to_string(),
        Some(c) if c != "*" && !c.is_empty() => sdp::resolve_control(&base, Some(c)),
        _ => base,
    };
    let chosen = choose_streams(&desc, wanted)?;
    Ok(Described::Stream {
        desc: Box::new(desc),
        aggregate,
        chosen,
    })
}

/// Reads a SETUP reply: 461 means the server does not allow this lower transport (a
/// rollover matter: the next step may use the other one).
pub fn on_setup(reply: &Message, lower: LowerTransport) -> Result<()> {
    if reply.status() == Some(461) {
        return Err(NetError::refused(match lower {
            LowerTransport::Udp => {
                "the server does not allow RTP over UDP (461 Unsupported Transport)"
            }
            LowerTransport::Tcp => {
                "the server does not allow RTP over TCP (461 Unsupported Transport)"
            }
        }));
    }
    expect_success(reply, "SETUP")
}

/// The error for a reply that is not 2xx, naming the request and the status.
pub fn expect_success(reply: &Message, what: &str) -> Result<()> {
    let status = reply.status().unwrap_or(0);
    if (200..300).contains(&status) {
        return Ok(());
    }
    let reason = match &reply.start {
        StartLine::Response { reason, .. } => reason.clone(),
        _ => String::new(),
    };
    let text = format!("the server answered {what} with {status} {reason}");
    let kind = match status {
        404 => ErrorKind::NotFound,
        401 => ErrorKind::Unauthorized,
        _ => ErrorKind::Refused,
    };
    let text = match (status, reply.header("Location")) {
        (300..=399, Some(loc)) => format!("{text} (to {loc})"),
        _ => text,
    };
    Err(NetError::new(kind, text.trim_end().to_string()))
}

/// The x-asf-pf media to SETUP: the requested stream numbers, else the audio streams.
fn choose_streams(desc: &WmsDescription, wanted: &[u16]) -> Result<Vec<SdpMedia>> {
    let asf: Vec<&SdpMedia> = desc.media.iter().filter(|m| m.is_asf()).collect();
    if asf.is_empty() {
        return Err(NetError::unsupported(
            "the SDP has no ASF (x-asf-pf) stream",
        ));
    }
    let is_audio = |m: &SdpMedia| {
        let by_header = m
            .stream
            .and_then(|n| u8::try_from(n).ok())
            .and_then(|n| desc.header.stream(n))
            .map(|s| s.kind == mmsplay_asf::StreamKind::Audio);
        by_header.unwrap_or(m.kind == "audio")
    };
    let chosen: Vec<SdpMedia> = if wanted.is_empty() {
        asf.iter()
            .filter(|m| is_audio(m))
            .map(|m| (*m).clone())
            .collect()
    } else {
        asf.iter()
            .filter(|m| {
                m.stream
                    .is_some_and(|n| wanted.iter().any(|w| u32::from(*w) == n))
            })
            .map(|m| (*m).clone())
            .collect()
    };
    if chosen.is_empty() {
        return Err(NetError::unsupported(if wanted.is_empty() {
            "the stream has no audio"
        } else {
            "the stream has none of the requested streams"
        }));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtsp::message::{Frame, Framer};

    /// Replies recorded from our server (the fuzz seeds): OPTIONS, then DESCRIBE.
    fn recorded() -> Vec<Message> {
        let mut f = Framer::new(1 << 20);
        f.push(include_bytes!(
            "../../../../fuzz/seeds/rtsp/options_describe_replies.bin"
        ));
        let mut out = Vec::new();
        while let Some(frame) = f.next_frame().unwrap() {
            if let Frame::Message(m) = frame {
                out.push(m);
            }
        }
        out
    }

    #[test]
    fn replays_recorded_options_and_describe() {
        let replies = recorded();
        assert_eq!(replies.len(), 2);
        assert_eq!(on_options(&replies[0]).unwrap(), "GET_PARAMETER");
        match on_describe(&replies[1], "rtsp://127.0.0.1/c.asf", &[]).unwrap() {
            Described::Stream {
                desc,
                aggregate,
                chosen,
            } => {
                assert_eq!(desc.packet_size, 3200);
                assert!(
                    aggregate.starts_with("rtsp://127.0.0.1/c.asf"),
                    "{aggregate}"
                );
                assert!(!chosen.is_empty());
                assert!(chosen.iter().all(SdpMedia::is_asf));
            }
            other => panic!("{other:?}"),
        }
        // Asking for a stream the SDP does not have is an error that says so.
        let e = on_describe(&replies[1], "rtsp://127.0.0.1/c.asf", &[99]).unwrap_err();
        assert!(e.to_string().contains("none of the requested"), "{e}");
    }

    #[test]
    fn redirects_refusals_and_unsupported_transports() {
        let mut moved = Message::response(302, "Moved");
        moved.headers.push("Location", "rtsp://other/x.asf");
        match on_describe(&moved, "rtsp://h/x", &[]).unwrap() {
            Described::Redirect(u) => assert_eq!(u.host, "other"),
            other => panic!("{other:?}"),
        }
        let mut away = Message::response(302, "Moved");
        away.headers.push("Location", "http://other/x.asf");
        assert!(on_describe(&away, "rtsp://h/x", &[]).is_err());
        let e = on_describe(&Message::response(404, "Not Found"), "rtsp://h/x", &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(
            e.to_string(),
            "the server answered DESCRIBE with 404 Not Found"
        );
        let e = on_setup(
            &Message::response(461, "Unsupported Transport"),
            LowerTransport::Udp,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Refused);
        assert!(e.to_string().contains("RTP over UDP"), "{e}");
        let mut public = Message::response(200, "OK");
        public
            .headers
            .push("Public", "DESCRIBE, SETUP, PLAY, OPTIONS");
        assert_eq!(on_options(&public).unwrap(), "OPTIONS");
    }
}
