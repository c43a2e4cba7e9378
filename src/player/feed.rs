//! The network side of a playback: a session's events moved to the decoder, and reconnection
//! when the stream drops, through the transport that worked, resuming an on-demand stream
//! where it stopped.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use mmsplay_net::{AsfEvent, ConnectOptions, StreamUrl};
use tokio::sync::{mpsc, watch};

use super::{Events, PlaybackCounters};
use crate::events::PlayerEvent;

/// Most reconnects in a row before giving up, and the backoff between them.
const RECONNECT_LIMIT: u32 = 5;
const RECONNECT_BACKOFF: [u64; 5] = [250, 500, 1000, 2000, 4000];

/// Moves a network session's events to the decoder, and reconnects when the stream drops:
/// through the transport that worked, resuming an on-demand stream where it stopped.
pub(super) struct Feed {
    pub(super) url: StreamUrl,
    pub(super) opts: ConnectOptions,
    pub(super) events: Events,
    pub(super) tx: mpsc::Sender<AsfEvent>,
    pub(super) counters: Arc<PlaybackCounters>,
    /// The audio streams playback needs; asked of the server as they change.
    pub(super) wanted: watch::Receiver<Vec<u16>>,
}

impl Feed {
    pub(super) async fn run(
        mut self,
        mut session: mmsplay_net::Session,
    ) -> Option<mmsplay_net::NetError> {
        let transport = session.transport();
        let mut failures = 0u32;
        loop {
            let err = loop {
                match session.next_event().await {
                    Ok(e) => {
                        let end = e == AsfEvent::End;
                        if matches!(e, AsfEvent::Packet(_)) {
                            failures = 0;
                        }
                        if self.tx.send(e).await.is_err() || end {
                            session.close().await;
                            return None;
                        }
                    }
                    Err(e) => break e,
                }
                // Between events, so that no read is ever cut short: a move to another
                // stream asks the server for it.
                if self.wanted.has_changed().unwrap_or(false) {
                    let wanted = self.wanted.borrow_and_update().clone();
                    match session.select(&wanted).await {
                        Ok(true) => tracing::debug!("asked the server for streams {wanted:?}"),
                        Ok(false) => {}
                        Err(e) => break e,
                    }
                }
            };
            session.close().await;
            // Packets lost in the drop: whatever was half-built is gone.
            let _ = self.tx.send(AsfEvent::Gap { lost: 0 }).await;
            loop {
                failures += 1;
                if failures > RECONNECT_LIMIT {
                    self.events.log(
                        "warn",
                        format!("giving up after {RECONNECT_LIMIT} reconnects"),
                    );
                    let _ = self.tx.send(AsfEvent::End).await;
                    return Some(err);
                }
                self.events.emit(PlayerEvent::Reconnect {
                    attempt: failures,
                    reason: err.to_string(),
                });
                self.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                let backoff =
                    RECONNECT_BACKOFF[(failures as usize - 1).min(RECONNECT_BACKOFF.len() - 1)];
                tokio::time::sleep(Duration::from_millis(backoff)).await;
                let mut opts = self.opts.clone();
                // An on-demand stream resumes where playback is; a live one joins the present.
                opts.start_ms = self.counters.position_ms.load(Ordering::Relaxed);
                match mmsplay_net::Session::open(&self.url, transport, &opts).await {
                    Ok(s) => {
                        self.events
                            .log("info", format!("reconnected over {transport}"));
                        session = s;
                        break;
                    }
                    Err(e) => self.events.log("warn", format!("reconnect failed: {e}")),
                }
            }
        }
    }
}
