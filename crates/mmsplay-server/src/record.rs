//! The access record of one client session: what the `session_end` line reports.

use std::net::SocketAddr;
use std::time::Instant;

use mmsplay_net::Transport;

use crate::media::Media;

/// Longest user agent kept (a client may send any length within the request head bound).
const MAX_USER_AGENT: usize = 256;

/// What a session did, filled in as it goes and printed once when it ends.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub transport: Transport,
    pub client: Option<SocketAddr>,
    pub user_agent: String,
    /// The request path as the client sent it (empty before one arrived).
    pub path: String,
    /// ASF data packets sent, and withheld by `--udp-loss`.
    pub packets_sent: u64,
    pub packets_dropped: u64,
    /// Media bytes sent (ASF data packets as they went out, without framing).
    pub bytes_sent: u64,
    /// The ASF stream numbers sent.
    pub streams: Vec<u8>,
    /// The media position playback started from, in milliseconds.
    pub start_ms: u64,
    pub started: Instant,
}

impl SessionRecord {
    pub fn new(transport: Transport, client: Option<SocketAddr>) -> SessionRecord {
        SessionRecord {
            transport,
            client,
            user_agent: String::new(),
            path: String::new(),
            packets_sent: 0,
            packets_dropped: 0,
            bytes_sent: 0,
            streams: Vec::new(),
            start_ms: 0,
            started: Instant::now(),
        }
    }

    pub fn set_user_agent(&mut self, ua: &str) {
        let mut end = ua.len().min(MAX_USER_AGENT);
        while !ua.is_char_boundary(end) {
            end -= 1;
        }
        self.user_agent = ua[..end].to_string();
    }

    /// Playback of `media` starts at packet `index`: the streams and the start position.
    pub fn playing(&mut self, media: &Media, index: usize) {
        self.streams = media.header.streams.iter().map(|s| s.number).collect();
        let first = media.send_times_ms.first().copied().unwrap_or(0);
        self.start_ms = media
            .send_times_ms
            .get(index)
            .map_or(0, |t| u64::from(t.saturating_sub(first)));
    }

    /// One data packet of `len` bytes went out.
    pub fn sent(&mut self, len: usize) {
        self.packets_sent += 1;
        self.bytes_sent += len as u64;
    }

    /// The `session_end` line.
    pub fn line(&self) -> String {
        serde_json::json!({
            "event": "session_end",
            "transport": self.transport.as_str(),
            "packets_sent": self.packets_sent,
            "packets_dropped": self.packets_dropped,
            "bytes_sent": self.bytes_sent,
            "streams": self.streams,
            "start_ms": self.start_ms,
            "duration_ms": self.started.elapsed().as_millis() as u64,
            "client": self.client.map(|c| c.to_string()),
            "user_agent": self.user_agent,
            "path": self.path,
        })
        .to_string()
    }
}

/// The product token of an MMS subscriber name (`NSPlayer/7.0.0.1956; {GUID}; Host: h`).
pub fn mms_user_agent(subscriber: &str) -> &str {
    subscriber.split(';').next().unwrap_or("").trim()
}
