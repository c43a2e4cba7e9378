//! Live relays (`--relay NAME=SOURCE`): one source (an ASF stream on standard input, or a URL
//! played with mmsplay's own client transports) fanned out to every listener on every
//! transport.
//!
//! The source task paces the packets by their send times (a source on standard input may
//! come faster than real time) and moves their times onto one forward-running timeline, so
//! that a source that drops and comes back shows listeners a gap, not a jump back. Each packet
//! is copied once into a [`Bytes`] and shared by all listeners through a bounded broadcast
//! queue; a listener that falls a whole queue behind is dropped (it reads too slowly) and never
//! holds the others back.
//!
//! A relay is served under `/NAME` (not found until its source has sent a header) as a
//! [`Media`] with no packets whose `relay` points here:
//! the protocols' handshakes work as for a file; their streaming loops take packets from
//! [`Relay::subscribe`] instead.

mod stdin;
mod timeline;
mod upstream;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{broadcast, watch};

use crate::error::ServerError;
use crate::media::Media;
use crate::pacing::Pacer;
pub use timeline::Timeline;

pub use crate::outbox::QUEUE_PACKETS;

/// Where a relay's stream comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An ASF byte stream on standard input: header, Data Object prefix, packets.
    Stdin,
    /// A URL mmsplay can play (mms://, mmsh://, rtsp://, http://...).
    Url(String),
}

/// Parses `NAME=SOURCE`.
pub fn parse_spec(s: &str) -> Result<(String, Source), ServerError> {
    let (name, source) = crate::library::named_spec("--relay", "NAME=SOURCE", s)?;
    let source = match source.trim() {
        "-" => Source::Stdin,
        "" => return Err(ServerError::Usage(format!("--relay {s}: no source"))),
        url => Source::Url(url.to_string()),
    };
    Ok((name.to_string(), source))
}

/// Room in the broadcast beyond a listener's queue: listeners take the packets once a pacing
/// tick, and a source that delivers in bursts (an upstream server batching its writes, a
/// reconnect) may send many at once. A listener's own queue bounds how far behind it may be.
const BURST_ROOM: usize = 512;

/// One relayed stream.
#[derive(Debug)]
pub struct Relay {
    pub name: String,
    /// The stream as listeners join it: its header (a `Media` with no packets), once known.
    media: watch::Sender<Option<Arc<Media>>>,
    /// The packets, shared. Replaced (ending every listener) when the source comes back with
    /// a header its listeners cannot continue with.
    packets: Mutex<broadcast::Sender<Bytes>>,
    /// Packets a listener may fall behind.
    queue: usize,
}

/// A listener's view of a relay: the packets from when it joined.
pub struct Feed {
    rx: broadcast::Receiver<Bytes>,
}

/// What a listener gets next.
pub enum Next {
    Packet(Bytes),
    /// The listener fell a whole queue behind: drop it.
    TooSlow,
    /// The stream ended for good (or changed beyond what this listener can follow).
    End,
}

impl Feed {
    pub async fn next(&mut self) -> Next {
        match self.rx.recv().await {
            Ok(p) => Next::Packet(p),
            Err(broadcast::error::RecvError::Lagged(_)) => Next::TooSlow,
            Err(broadcast::error::RecvError::Closed) => Next::End,
        }
    }

    /// The next packet if one is waiting, without waiting (listeners take what arrived
    /// once a pacing tick).
    pub fn try_next(&mut self) -> Option<Next> {
        match self.rx.try_recv() {
            Ok(p) => Some(Next::Packet(p)),
            Err(broadcast::error::TryRecvError::Empty) => None,
            Err(broadcast::error::TryRecvError::Lagged(_)) => Some(Next::TooSlow),
            Err(broadcast::error::TryRecvError::Closed) => Some(Next::End),
        }
    }
}

impl Relay {
    pub fn new(name: String, queue: usize) -> Arc<Relay> {
        let queue = queue.max(1);
        Arc::new(Relay {
            name,
            media: watch::Sender::new(None),
            packets: Mutex::new(broadcast::Sender::new(queue + BURST_ROOM)),
            queue,
        })
    }

    /// The stream as a new listener sees it, once the source has sent a header.
    pub fn media(&self) -> Option<Arc<Media>> {
        self.media.borrow().clone()
    }

    /// Joins the stream at the next packet.
    pub fn subscribe(&self) -> Option<Feed> {
        let tx = self.packets.lock().ok()?;
        Some(Feed { rx: tx.subscribe() })
    }

    /// The source sent a header (first, or after reconnecting). Listeners carry on when it
    /// has the same packet size and streams as before; otherwise they are ended and new ones
    /// get the new header.
    fn set_header(self: &Arc<Self>, header_bytes: Bytes) -> Result<(), ServerError> {
        let live = crate::mmsh::broadcast_header(&header_bytes);
        let media = Media::relayed(self.name.clone(), &live, Arc::downgrade(self))
            .map_err(|e| ServerError::Media(format!("relay {}: bad header: {e}", self.name)))?;
        let compatible = self.media().is_some_and(|old| {
            old.packet_size == media.packet_size && stream_numbers(&old) == stream_numbers(&media)
        });
        if !compatible && let Ok(mut tx) = self.packets.lock() {
            *tx = broadcast::Sender::new(self.queue + BURST_ROOM);
        }
        self.media.send_replace(Some(Arc::new(media)));
        Ok(())
    }

    /// One packet to every listener.
    fn send(&self, packet: Bytes) {
        if let Ok(tx) = self.packets.lock() {
            // No listener: nothing to do.
            let _ = tx.send(packet);
        }
    }
}

fn stream_numbers(m: &Media) -> Vec<u8> {
    m.header.streams.iter().map(|s| s.number).collect()
}

/// Feeds one source connection's packets into the relay: paced by their send times, moved
/// onto the relay's timeline, padded to the packet size.
pub struct Pump {
    relay: Arc<Relay>,
    pacer: Option<Pacer>,
    timeline: Timeline,
}

impl Pump {
    pub fn new(relay: Arc<Relay>) -> Pump {
        Pump {
            relay,
            pacer: None,
            timeline: Timeline::default(),
        }
    }

    /// A (re)connected source: its header, and a new pacing clock.
    pub fn header(&mut self, header_bytes: Bytes) -> Result<(), ServerError> {
        self.relay.set_header(header_bytes)?;
        self.pacer = None;
        self.timeline.restart();
        Ok(())
    }

    /// One data packet from the source; waits until it is due.
    pub async fn packet(&mut self, packet: &[u8]) {
        let Some(media) = self.relay.media() else {
            return;
        };
        let size = media.packet_size as usize;
        let mut p = packet.to_vec();
        p.resize(size.max(p.len()), 0);
        let send_ms = self.timeline.place(&mut p);
        let pacer = self
            .pacer
            .get_or_insert_with(|| Pacer::new(false, send_ms, 0));
        pacer.wait(send_ms).await;
        self.relay.send(Bytes::from(p));
    }
}

/// Starts the source task of each relay (each listener may fall `queue` packets behind);
/// returns the relays to serve.
pub fn start(specs: &[(String, Source)], queue: usize) -> Result<Vec<Arc<Relay>>, ServerError> {
    let mut relays = Vec::new();
    let mut stdin_taken = false;
    for (name, source) in specs {
        let relay = Relay::new(name.clone(), queue);
        match source {
            Source::Stdin => {
                if stdin_taken {
                    return Err(ServerError::Usage(
                        "--relay: only one relay can read standard input".into(),
                    ));
                }
                stdin_taken = true;
                tokio::spawn(stdin::run(Pump::new(relay.clone())));
            }
            Source::Url(url) => {
                let url = mmsplay_net::StreamUrl::parse(url)
                    .map_err(|e| ServerError::Usage(format!("--relay {name}={url}: {e}")))?;
                tokio::spawn(upstream::run(url, Pump::new(relay.clone())));
            }
        }
        relays.push(relay);
    }
    Ok(relays)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_names_are_refused() {
        assert_eq!(
            parse_spec("radio=-").unwrap(),
            ("radio".to_string(), Source::Stdin)
        );
        assert_eq!(
            parse_spec("/up=mmsh://h/x").unwrap(),
            ("up".to_string(), Source::Url("mmsh://h/x".into()))
        );
        for bad in ["radio", "=-", "a/b=-", "..=-", "r%2f=-", "r="] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }
}
