//! The network side of a playback: a session's events moved to the decoder; reconnection when
//! the stream drops, through the transport that worked, resuming an on-demand stream where it
//! stopped; and the moves the decoder asks for (a seek, a long pause that lets the server go).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mmsplay_net::{AsfEvent, ConnectOptions, StreamUrl};
use tokio::sync::{mpsc, watch};

use super::{Events, PlaybackCounters};
use crate::audio::AudioControl;
use crate::events::PlayerEvent;

/// Most reconnects in a row before giving up, and the backoff between them.
const RECONNECT_LIMIT: u32 = 5;
const RECONNECT_BACKOFF: [u64; 5] = [250, 500, 1000, 2000, 4000];

/// How often a pause's length is looked at.
const PAUSE_CHECK: Duration = Duration::from_millis(100);

/// What the decode thread asks of the network side, and what it tells back. Orders go through
/// a slot (the latest wins) and a wake-up; the decode thread never waits on the feed.
#[derive(Debug, Default)]
pub struct FeedControl {
    order: std::sync::Mutex<Option<u64>>,
    wake: tokio::sync::Notify,
    /// Set by the feed when a long pause made it let the session go: the decode thread then
    /// resumes by asking for the position it stopped at.
    released: AtomicBool,
}

impl FeedControl {
    /// Asks for the stream from `from_ms` (the server's position, preroll excluded; a live
    /// stream rejoins the present whatever it is): the current session goes, a new one starts
    /// there, and its header comes first.
    pub fn seek(&self, from_ms: u64) {
        if let Ok(mut g) = self.order.lock() {
            *g = Some(from_ms);
        }
        self.wake.notify_one();
    }

    fn take_order(&self) -> Option<u64> {
        self.order.lock().ok().and_then(|mut g| g.take())
    }

    /// Whether the session was let go during a pause (once: the flag is cleared).
    pub fn take_released(&self) -> bool {
        self.released.swap(false, Ordering::Relaxed)
    }
}

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
    pub(super) control: Arc<FeedControl>,
    /// The output's pause, and how long a pause lasts before the session is let go.
    pub(super) audio: Arc<AudioControl>,
    pub(super) release_after: Duration,
}

/// Why the feed stopped reading its session.
enum Interrupt {
    /// The decoder is gone: playback is over.
    Closed,
    /// The session failed.
    Failed(mmsplay_net::NetError),
    /// The stream ended; the decoder may still seek back.
    Ended,
    /// A seek: a new session from this position.
    Seek(u64),
    /// A long pause: the session goes until the decoder asks for a position.
    Release,
}

impl Feed {
    pub(super) async fn run(
        mut self,
        mut session: mmsplay_net::Session,
    ) -> Option<mmsplay_net::NetError> {
        let transport = session.transport();
        let mut failures = 0u32;
        // Where a reconnect resumes when no audio was played since a seek asked for a place.
        let mut asked: Option<u64> = None;
        loop {
            let (old, why) = self.forward(session, &mut failures, &mut asked).await;
            // The old session closes on its own time: a seek does not wait for it.
            if let Some(old) = old {
                tokio::spawn(old.close());
            }
            let from = match why {
                Interrupt::Closed => return None,
                Interrupt::Seek(ms) => ms,
                Interrupt::Ended | Interrupt::Release => {
                    if matches!(why, Interrupt::Release) {
                        self.control.released.store(true, Ordering::Relaxed);
                        self.events.log(
                            "info",
                            "paused for long: the server is paused until playback resumes",
                        );
                        // A decoder waiting for the next packet would wait for ever now:
                        // an empty gap wakes it, to find the pause and, after it, the
                        // release. (A full queue means it is not waiting.)
                        let _ = self.tx.try_send(AsfEvent::Gap { lost: 0 });
                    }
                    // Until the decoder asks for a position, or goes.
                    loop {
                        tokio::select! {
                            _ = self.control.wake.notified() => {}
                            _ = self.tx.closed() => return None,
                        }
                        if let Some(ms) = self.control.take_order() {
                            break ms;
                        }
                    }
                }
                Interrupt::Failed(err) => {
                    // Packets lost in the drop: whatever was half-built is gone.
                    let _ = self.tx.send(AsfEvent::Gap { lost: 0 }).await;
                    match self.reconnect(transport, &mut failures, err, asked).await {
                        Ok(s) => {
                            session = s;
                            continue;
                        }
                        Err(e) => return Some(e),
                    }
                }
            };
            // A seek (or a resume after a pause): a new session at the position asked for.
            asked = Some(from);
            let mut opts = self.opts.clone();
            opts.start_ms = from;
            session = match mmsplay_net::Session::open(&self.url, transport, &opts).await {
                Ok(s) => s,
                Err(err) => {
                    self.events
                        .log("warn", format!("cannot move in the stream: {err}"));
                    match self.reconnect(transport, &mut failures, err, asked).await {
                        Ok(s) => s,
                        Err(e) => return Some(e),
                    }
                }
            };
        }
    }

    /// Forwards the session's events until it ends, fails, the decoder goes, or it asks for a
    /// move; lets the session go when the output stays paused for `release_after`. Hands the
    /// session back when it is not in the middle of a read (a read cut short drops it).
    async fn forward(
        &mut self,
        session: mmsplay_net::Session,
        failures: &mut u32,
        asked: &mut Option<u64>,
    ) -> (Option<mmsplay_net::Session>, Interrupt) {
        // The read owns the session, so that it can wait across the other branches without
        // being cut short (a read is not cancel-safe), and gives it back with the event.
        async fn read(
            mut s: mmsplay_net::Session,
        ) -> (
            mmsplay_net::Session,
            Result<AsfEvent, mmsplay_net::NetError>,
        ) {
            let r = s.next_event().await;
            (s, r)
        }
        let mut tick = tokio::time::interval(PAUSE_CHECK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut paused_since: Option<Instant> = None;
        let mut reading = Box::pin(read(session));
        let mut pending: Option<AsfEvent> = None;
        // The session once it has ended (nothing more to read).
        let mut ended: Option<mmsplay_net::Session> = None;
        loop {
            tokio::select! {
                (mut s, r) = &mut reading, if pending.is_none() && ended.is_none() => match r {
                    Ok(AsfEvent::End) => {
                        pending = Some(AsfEvent::End);
                        ended = Some(s);
                    }
                    Ok(e) => {
                        if matches!(e, AsfEvent::Packet(_)) {
                            *failures = 0;
                            *asked = None;
                        }
                        pending = Some(e);
                        // Between events, so that no read is ever cut short: a move to
                        // another stream asks the server for it.
                        if self.wanted.has_changed().unwrap_or(false) {
                            let wanted = self.wanted.borrow_and_update().clone();
                            match s.select(&wanted).await {
                                Ok(true) => {
                                    tracing::debug!("asked the server for streams {wanted:?}");
                                }
                                Ok(false) => {}
                                Err(e) => return (Some(s), Interrupt::Failed(e)),
                            }
                        }
                        reading = Box::pin(read(s));
                    }
                    Err(e) => return (Some(s), Interrupt::Failed(e)),
                },
                permit = self.tx.reserve(), if pending.is_some() => {
                    let Ok(permit) = permit else {
                        return (ended, Interrupt::Closed);
                    };
                    if let Some(e) = pending.take() {
                        permit.send(e);
                    }
                    if ended.is_some() {
                        return (ended, Interrupt::Ended);
                    }
                }
                _ = self.control.wake.notified() => {
                    if let Some(ms) = self.control.take_order() {
                        return (ended, Interrupt::Seek(ms));
                    }
                }
                _ = tick.tick() => {
                    if self.paused_for_long(&mut paused_since) {
                        return (ended, Interrupt::Release);
                    }
                }
            }
        }
    }

    /// Whether the output has been paused for `release_after` (on demand or live alike:
    /// either way the server need not keep sending to a listener who is not listening).
    fn paused_for_long(&self, since: &mut Option<Instant>) -> bool {
        if !self.audio.paused() {
            *since = None;
            return false;
        }
        since.get_or_insert_with(Instant::now).elapsed() >= self.release_after
    }

    /// Reconnects after `err` through `transport`, with backoff, at most `RECONNECT_LIMIT`
    /// times in a row; an on-demand stream resumes where playback is (or at `asked`, a seek's
    /// place when nothing has played since), a live one joins the present.
    async fn reconnect(
        &self,
        transport: mmsplay_net::Transport,
        failures: &mut u32,
        err: mmsplay_net::NetError,
        asked: Option<u64>,
    ) -> Result<mmsplay_net::Session, mmsplay_net::NetError> {
        loop {
            *failures += 1;
            if *failures > RECONNECT_LIMIT {
                self.events.log(
                    "warn",
                    format!("giving up after {RECONNECT_LIMIT} reconnects"),
                );
                let _ = self.tx.send(AsfEvent::End).await;
                return Err(err);
            }
            self.events.emit(PlayerEvent::Reconnect {
                attempt: *failures,
                reason: err.to_string(),
            });
            self.counters.reconnects.fetch_add(1, Ordering::Relaxed);
            let backoff =
                RECONNECT_BACKOFF[(*failures as usize - 1).min(RECONNECT_BACKOFF.len() - 1)];
            tokio::time::sleep(Duration::from_millis(backoff)).await;
            let mut opts = self.opts.clone();
            opts.start_ms =
                asked.unwrap_or_else(|| self.counters.position_ms.load(Ordering::Relaxed));
            match mmsplay_net::Session::open(&self.url, transport, &opts).await {
                Ok(s) => {
                    self.events
                        .log("info", format!("reconnected over {transport}"));
                    return Ok(s);
                }
                Err(e) => self.events.log("warn", format!("reconnect failed: {e}")),
            }
        }
    }
}
