//! MS-WMSP requests: building the client's Describe and Play ([MS-WMSP] 2.2.2.1, 2.2.2.6) the
//! way real players send them, and telling request types apart on the server side
//! ([MS-WMSP] 3.2.5).

use super::http::RequestHead;
use super::pragma::{Pragmas, StreamSwitch};

/// The User-Agent we send. VLC's: a version ≥ 7 gets HTTP redirects rather than script
/// redirects ([MS-WMSP] 3.2.5.1), and < 9 keeps servers from sending `$M`/`$P` we did not ask
/// for. Real servers still answer it today.
pub const USER_AGENT: &str = "NSPlayer/7.10.0.3059";

/// "Ignore this field" for `stream-offset` and `packet-num` ([MS-WMSP] 2.2.1.4.13, 2.2.1.4.25).
pub const IGNORE_U32: u64 = 0xFFFF_FFFF;

/// Which HTTP shape to use ([MS-WMSP] 1.3: non-pipelined = HTTP/1.0, one request per
/// connection; pipelined = HTTP/1.1 keep-alive, chunked Play body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMode {
    NonPipelined,
    Pipelined,
}

/// What every request of one client session carries.
#[derive(Clone, Debug)]
pub struct ClientRequest<'a> {
    /// Request target: path and query.
    pub path: &'a str,
    /// `Host:` value (`host:port`).
    pub host: &'a str,
    /// `{8-4-4-4-12}`, the same on every request of the session ([MS-WMSP] 2.2.1.4.33).
    pub client_guid: &'a str,
    /// 1 for the first request, then 2, 3… ([MS-WMSP] 2.2.1.4.23).
    pub request_context: u32,
    pub mode: HttpMode,
}

impl ClientRequest<'_> {
    fn start(&self, out: &mut String) {
        self.start_with("GET", out);
    }

    fn start_with(&self, method: &str, out: &mut String) {
        let version = match self.mode {
            HttpMode::NonPipelined => "1.0",
            HttpMode::Pipelined => "1.1",
        };
        out.push_str(&format!("{method} {} HTTP/{version}\r\n", self.path));
        out.push_str("Accept: */*\r\n");
        out.push_str(&format!("User-Agent: {USER_AGENT}\r\n"));
        out.push_str(&format!("Host: {}\r\n", self.host));
        if self.mode == HttpMode::Pipelined {
            out.push_str("Pragma: version11-enabled=1\r\n");
        }
    }

    fn end(&self, out: &mut String) {
        out.push_str(&format!("Pragma: xClientGUID={}\r\n", self.client_guid));
        out.push_str(match self.mode {
            HttpMode::NonPipelined => "Connection: Close\r\n\r\n",
            HttpMode::Pipelined => "Connection: Keep-Alive\r\n\r\n",
        });
    }

    /// The Describe request: asks for the ASF header only, and for a packet-pair experiment
    /// ([MS-WMSP] 2.2.1.4.14) on the same Pragma line, so a proxy that keeps only the first
    /// Pragma line keeps the request.
    pub fn describe(&self) -> String {
        let mut s = String::with_capacity(512);
        self.start(&mut s);
        s.push_str(&format!(
            "Pragma: no-cache,rate=1.000000,stream-time=0,stream-offset=0:0,request-context={},max-duration=0,packet-pair-experiment=1\r\n",
            self.request_context
        ));
        self.end(&mut s);
        s
    }

    /// The Play request. `start_ms`: position for on-demand content (`None` for a broadcast,
    /// where VLC leaves stream-time and stream-offset out). `streams`: (stream number,
    /// thinning) pairs for the stream-switch entries ([MS-WMSP] 2.2.1.4.26, 2.2.1.4.27).
    /// `accelerate`: fast start, as `AccelBW` and `AccelDuration` ([MS-WMSP] 2.2.1.4.1, 2.2.1.4.2).
    pub fn play(
        &self,
        start_ms: Option<u64>,
        streams: &[(u16, u8)],
        accelerate: Option<crate::stream::Acceleration>,
    ) -> String {
        let mut s = String::with_capacity(512);
        self.start(&mut s);
        match start_ms {
            Some(ms) => s.push_str(&format!(
                "Pragma: no-cache,rate=1.000000,stream-time={ms},stream-offset=4294967295:4294967295,packet-num=4294967295,request-context={},max-duration=0\r\n",
                self.request_context
            )),
            None => s.push_str(&format!(
                "Pragma: no-cache,rate=1.000000,request-context={}\r\n",
                self.request_context
            )),
        }
        s.push_str("Pragma: xPlayStrm=1\r\n");
        if let Some(a) = accelerate {
            s.push_str(&format!(
                "Pragma: AccelBW={},AccelDuration={}\r\n",
                a.bandwidth_bps, a.duration_ms
            ));
        }
        push_switches(&mut s, streams);
        self.end(&mut s);
        s
    }

    /// SelectStream in non-pipelined mode ([MS-WMSP] 2.2.2.8): an empty POST naming the Play
    /// by the `client-id` its response gave, with the streams that change (stream number,
    /// thinning: 0 on, 2 off).
    pub fn select_stream(&self, client_id: u64, streams: &[(u16, u8)]) -> String {
        let mut s = String::with_capacity(512);
        self.start_with("POST", &mut s);
        s.push_str(&format!(
            "Pragma: no-cache,request-context={},client-id={client_id}\r\n",
            self.request_context
        ));
        push_switches(&mut s, streams);
        s.push_str("Content-Length: 0\r\n");
        self.end(&mut s);
        s
    }
}

/// The `stream-switch-count` and `stream-switch-entry` Pragma lines, the entries on a line of
/// their own ([MS-WMSP] 2.2.1.4.26, 2.2.1.4.27).
fn push_switches(s: &mut String, streams: &[(u16, u8)]) {
    if streams.is_empty() {
        return;
    }
    s.push_str(&format!(
        "Pragma: stream-switch-count={}\r\n",
        streams.len()
    ));
    let entries: Vec<String> = streams
        .iter()
        .map(|(n, thin)| format!("ffff:{n:x}:{thin}"))
        .collect();
    s.push_str(&format!(
        "Pragma: stream-switch-entry={}\r\n",
        entries.join(" ")
    ));
}

/// The stream-switch entries of a Play ([MS-WMSP] 2.2.1.4.27): `(stream, thinning)`, with
/// thinning 0 for streams we want and 2 ("off") for the others. `wanted` empty means every
/// audio and command (script) stream, video off: we only play audio. A header without audio
/// gets everything, so that the player can say what it found.
pub fn select_streams(header: &mmsplay_asf::Header, wanted: &[u16]) -> Vec<(u16, u8)> {
    use mmsplay_asf::StreamKind;
    let has_audio = header.streams.iter().any(|s| s.kind == StreamKind::Audio);
    header
        .streams
        .iter()
        .map(|s| {
            let n = u16::from(s.number);
            let on = if !wanted.is_empty() {
                wanted.contains(&n)
            } else {
                !has_audio || matches!(s.kind, StreamKind::Audio | StreamKind::Command)
            };
            (n, if on { 0 } else { 2 })
        })
        .collect()
}

/// A random client GUID in the spec's syntax: in braces, lower-case hex.
pub fn random_client_guid() -> String {
    let g = mmsplay_asf::Guid(rand::random());
    format!("{{{}}}", g.to_string().to_ascii_lowercase())
}

/// The request types a server tells apart ([MS-WMSP] 2.2.2, protocols.md 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Describe,
    Play,
    /// `POST` with `xKeepAliveInPause=1`, or `OPTIONS *`.
    KeepAlive,
    /// `POST` with `xStopStrm=1`.
    Stop,
    /// Log, GetContentInfo, SendEvent and other POSTs: acknowledged and ignored.
    OtherPost,
    /// A method we do not serve.
    Unsupported,
}

/// Where a Play asks to start ([MS-WMSP] 3.2.5.6 precedence: stream-time, packet-num,
/// stream-offset, else the beginning).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    TimeMs(u64),
    Packet(u64),
    /// A byte offset; VLC counts it from the first data packet (protocols.md 6.3).
    Offset(u64),
}

/// A request as the server sees it.
#[derive(Clone, Debug)]
pub struct ServerRequest {
    pub kind: RequestKind,
    pub path: String,
    pub pragmas: Pragmas,
    pub user_agent: String,
    /// HTTP/1.1 with `version11-enabled=1`: answer a Play with a chunked body and keep the
    /// connection.
    pub pipelined: bool,
}

impl ServerRequest {
    pub fn from_head(head: &RequestHead) -> ServerRequest {
        let pragmas = Pragmas::from_headers(&head.headers);
        let kind = match head.method.to_ascii_uppercase().as_str() {
            "GET" if pragmas.flag("xPlayStrm") => RequestKind::Play,
            "GET" => RequestKind::Describe,
            "POST" if pragmas.flag("xStopStrm") => RequestKind::Stop,
            "POST" if pragmas.flag("xKeepAliveInPause") => RequestKind::KeepAlive,
            "POST" => RequestKind::OtherPost,
            "OPTIONS" => RequestKind::KeepAlive,
            _ => RequestKind::Unsupported,
        };
        let pipelined = head.minor == 1 && pragmas.flag("version11-enabled");
        ServerRequest {
            kind,
            path: head.target.clone(),
            user_agent: head.headers.get("user-agent").unwrap_or("").to_string(),
            pragmas,
            pipelined,
        }
    }

    /// The fast-start request of a Play: `AccelBW` (bits per second) and `AccelDuration` (ms)
    /// pragmas ([MS-WMSP] 2.2.1.4.1, 2.2.1.4.2), both needed and non-zero.
    pub fn acceleration(&self) -> Option<crate::stream::Acceleration> {
        let p = &self.pragmas;
        let figure = |name| {
            p.number(name)
                .filter(|n| *n > 0)
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        Some(crate::stream::Acceleration {
            bandwidth_bps: figure("AccelBW")?,
            duration_ms: figure("AccelDuration")?,
        })
    }

    pub fn start_at(&self) -> StartAt {
        let p = &self.pragmas;
        if let Some(t) = p
            .number("stream-time")
            .filter(|t| *t != 0 && *t != IGNORE_U32)
        {
            return StartAt::TimeMs(t);
        }
        if let Some(n) = p.number("packet-num").filter(|n| *n != IGNORE_U32) {
            return StartAt::Packet(n);
        }
        if let Some(v) = p.get("stream-offset")
            && let Some((hi, lo)) = v.split_once(':')
        {
            let hi = hi.trim().parse::<u64>().unwrap_or(IGNORE_U32);
            // Leading digits only: ffmpeg may glue the next header onto the value.
            let lo = lo
                .trim()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse::<u64>().ok())
                .unwrap_or(IGNORE_U32);
            let ignore = hi == IGNORE_U32 && lo == IGNORE_U32;
            let off = (hi.min(IGNORE_U32) << 32) | lo.min(IGNORE_U32);
            if !ignore && off != 0 {
                return StartAt::Offset(off);
            }
        }
        StartAt::Beginning
    }

    /// The client's major version from `NSPlayer/<major>.<minor>…` (or NSServer, WMCacheProxy:
    /// [MS-WMSP] 2.2.1.8). `None` for anything else (browsers, ffmpeg's http layer).
    pub fn client_major_version(&self) -> Option<u32> {
        let (product, version) = self.user_agent.split_once('/')?;
        if !matches!(
            product.trim().to_ascii_lowercase().as_str(),
            "nsplayer" | "nsserver" | "wmcacheproxy"
        ) {
            return None;
        }
        version.split('.').next()?.trim().parse().ok()
    }

    /// A Cougar server sends `$M` before `$H` to clients of version 9 and later
    /// ([MS-WMSP] 3.2.5.1). Older ones (ffmpeg and libmms say 4.1, VLC 7.10) abort on it.
    pub fn wants_metadata(&self) -> bool {
        self.client_major_version().is_some_and(|v| v >= 9)
    }

    pub fn stream_switches(&self) -> Vec<StreamSwitch> {
        self.pragmas.stream_switch_entries()
    }
}

#[cfg(test)]
mod tests {
    use super::super::http::parse_request_head;
    use super::*;

    fn server_view(req: &str) -> ServerRequest {
        let (h, _) = parse_request_head(req.as_bytes()).unwrap().unwrap();
        ServerRequest::from_head(&h)
    }

    #[test]
    fn client_guids_are_braced_lower_case_and_fresh() {
        let g = random_client_guid();
        let inner = g
            .strip_prefix('{')
            .and_then(|g| g.strip_suffix('}'))
            .unwrap();
        let groups: Vec<usize> = inner.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(
            inner
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_lowercase())
        );
        assert_ne!(g, random_client_guid());
    }

    #[test]
    fn verify_our_requests_round_trip() {
        let guid = random_client_guid();
        let c = ClientRequest {
            path: "/a.asf",
            host: "h:80",
            client_guid: &guid,
            request_context: 1,
            mode: HttpMode::NonPipelined,
        };
        let d = server_view(&c.describe());
        assert_eq!(d.kind, RequestKind::Describe);
        assert_eq!(d.pragmas.get("xClientGUID"), Some(guid.as_str()));
        let c = ClientRequest {
            request_context: 2,
            ..c
        };
        let p = server_view(&c.play(Some(2500), &[(1, 0), (0x1a, 2)], None));
        assert_eq!(p.kind, RequestKind::Play);
        assert_eq!(p.start_at(), StartAt::TimeMs(2500));
        assert_eq!(p.stream_switches().len(), 2);
        assert_eq!(p.stream_switches()[1].dst, 0x1a);
        assert!(!p.pipelined);
        let live = server_view(&c.play(None, &[], None));
        assert_eq!(live.start_at(), StartAt::Beginning);
        let c = ClientRequest {
            mode: HttpMode::Pipelined,
            ..c
        };
        let fast = crate::stream::Acceleration::CLIENT;
        let asked = server_view(&c.play(Some(0), &[], Some(fast)));
        assert!(asked.pipelined);
        // Fast start as the server reads it back.
        assert_eq!(asked.acceleration(), Some(fast));
    }

    #[test]
    fn verify_peer_requests() {
        // ffmpeg's Play (protocols.md 4.2), glued last line included.
        let ff = "GET /t.asf HTTP/1.1\r\nRange: bytes=0-\r\nIcy-MetaData: 1\r\nAccept: */*\r\nUser-Agent: NSPlayer/4.1.0.3856\r\nHost: 127.0.0.1:8080\r\nPragma: no-cache,rate=1.000000,request-context=2\r\nPragma: xPlayStrm=1\r\nPragma: xClientGUID={c77e7400-738a-11d2-9add-0020af0a3278}\r\nPragma: stream-switch-count=1\r\nPragma: stream-switch-entry=ffff:1:0 \r\nConnection: close\r\nPragma: no-cache,rate=1.000000,stream-time=0Connection: Close\r\n\r\n";
        let r = server_view(ff);
        assert_eq!(r.kind, RequestKind::Play);
        assert_eq!(r.start_at(), StartAt::Beginning);
        // VLC seeks with a data-relative stream-offset.
        let vlc = "GET /t.asf HTTP/1.0\r\nPragma: no-cache,rate=1.000000,stream-time=0,stream-offset=0:6400,request-context=3,max-duration=0\r\nPragma: xPlayStrm=1\r\n\r\n";
        assert_eq!(server_view(vlc).start_at(), StartAt::Offset(6400));
        let pn = "GET /t.asf HTTP/1.0\r\nPragma: packet-num=12,stream-offset=4294967295:4294967295\r\nPragma: xPlayStrm=1\r\n\r\n";
        assert_eq!(server_view(pn).start_at(), StartAt::Packet(12));
        assert!(!server_view(vlc).wants_metadata());
        let wmp = "GET /t.asf HTTP/1.1\r\nUser-Agent: NSPlayer/12.0.7680.0\r\n\r\n";
        assert_eq!(server_view(wmp).client_major_version(), Some(12));
        assert!(server_view(wmp).wants_metadata());
        assert!(!server_view(ff).wants_metadata());
        let ka = "POST /t.asf HTTP/1.0\r\nPragma: xKeepAliveInPause=1\r\n\r\n";
        assert_eq!(server_view(ka).kind, RequestKind::KeepAlive);
    }
}

#[cfg(test)]
mod selection_tests {
    use super::*;
    use mmsplay_asf::{Header, StreamKind, StreamProperties};

    fn stream(number: u8, kind: StreamKind) -> StreamProperties {
        StreamProperties {
            number,
            kind,
            time_offset: 0,
            encrypted: false,
            type_specific: Vec::new(),
            error_correction_type: mmsplay_asf::Guid::default(),
            error_correction: Vec::new(),
            audio: None,
            spread: None,
        }
    }

    #[test]
    fn verify_stream_selection() {
        let h = Header {
            streams: vec![
                stream(1, StreamKind::Audio),
                stream(2, StreamKind::Video),
                stream(3, StreamKind::Command),
            ],
            ..Default::default()
        };
        assert_eq!(select_streams(&h, &[]), vec![(1, 0), (2, 2), (3, 0)]);
        assert_eq!(select_streams(&h, &[2]), vec![(1, 2), (2, 0), (3, 2)]);
        let video_only = Header {
            streams: vec![stream(1, StreamKind::Video)],
            ..Default::default()
        };
        assert_eq!(select_streams(&video_only, &[]), vec![(1, 0)]);
    }
}

#[cfg(test)]
mod libmms_tests {
    use super::super::http::parse_request_head;
    use super::*;

    #[test]
    fn verify_libmms_play_starts_at_beginning() {
        let req = "GET /x.asf HTTP/1.0\r\nAccept: */*\r\nUser-Agent: NSPlayer/4.1.0.3856\r\nHost: 127.0.0.1:37427\r\nPragma: no-cache,rate=1.000000,stream-time=0,stream-offset=0:0,request-context=2,max-duration=0\r\nPragma: xClientGUID={c77e7400-738a-11d2-9add-0020af0a3278}\r\nPragma: xPlayStrm=1\r\nPragma: stream-switch-count=1\r\nPragma: stream-switch-entry=ffff:1:0 \r\nConnection: Close\r\n\r\n";
        let (h, _) = parse_request_head(req.as_bytes()).unwrap().unwrap();
        let r = ServerRequest::from_head(&h);
        assert_eq!(r.kind, RequestKind::Play);
        assert_eq!(r.start_at(), StartAt::Beginning);
    }

    #[test]
    fn a_play_asks_for_fast_start_with_accel_pragmas() {
        let play = "GET /t.asf HTTP/1.0\r\nPragma: xPlayStrm=1\r\nPragma: AccelBW=10000000, AccelDuration=10000\r\n\r\n";
        assert_eq!(
            ServerRequest::from_head(&parse_request_head(play.as_bytes()).unwrap().unwrap().0)
                .acceleration(),
            Some(crate::stream::Acceleration {
                bandwidth_bps: 10_000_000,
                duration_ms: 10_000
            })
        );
        let half = "GET /t.asf HTTP/1.0\r\nPragma: xPlayStrm=1,AccelBW=10000000\r\n\r\n";
        let half =
            ServerRequest::from_head(&parse_request_head(half.as_bytes()).unwrap().unwrap().0);
        assert_eq!(half.acceleration(), None);
    }

    /// Our SelectStream is what the server side reads as one: a POST with the client-id and
    /// the stream-switch entries.
    #[test]
    fn select_stream_round_trips_through_the_server_view() {
        let req = ClientRequest {
            path: "/a.asf",
            host: "h:80",
            client_guid: "{00000000-0000-0000-0000-000000000001}",
            request_context: 3,
            mode: HttpMode::NonPipelined,
        }
        .select_stream(297_067_864, &[(1, 2), (0x1a, 0)]);
        let (head, used) = super::super::parse_request_head(req.as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(used, req.len());
        let r = ServerRequest::from_head(&head);
        assert_eq!(r.kind, RequestKind::OtherPost);
        assert_eq!(r.pragmas.number("client-id"), Some(297_067_864));
        let e: Vec<(u16, u8)> = r
            .stream_switches()
            .iter()
            .map(|s| (s.dst, s.thinning))
            .collect();
        assert_eq!(e, vec![(1, 2), (0x1a, 0)]);
        assert_eq!(head.headers.get("content-length"), Some("0"));
    }
}
