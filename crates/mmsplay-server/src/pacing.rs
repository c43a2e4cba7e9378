//! Real-time pacing of data packets by their send times. A live broadcast starts with a burst
//! of the preroll; an on-demand stream starts in real time unless the client asked for fast
//! start, whose first stretch of media goes out at the accelerated rate it asked for, as
//! Windows Media Services did. `--fast` turns pacing off for on-demand tests.
//! The waits are on the server's one pacing tick ([`crate::tick`]), not a timer each.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mmsplay_net::Acceleration;
use tokio::time::Instant;

/// The longest lead a batched listener gets (see [`Pacer::batched`]).
const MAX_LEAD: Duration = Duration::from_secs(2);
/// Most media a client may have sent at an accelerated rate, ms.
const MAX_ACCEL_MS: u64 = 60_000;
/// Fastest acceleration honoured, as a multiple of real time.
const MAX_ACCEL_FACTOR: f64 = 100.0;

pub struct Pacer {
    fast: bool,
    start: Instant,
    /// Send time (ms) that maps to `start`.
    base_ms: u64,
    /// Media sent this far ahead of real time at once (the preroll burst).
    burst_ms: u64,
    /// How far ahead of their time packets may go out together (see [`Pacer::batched`]).
    lead: Duration,
    /// Packets due up to this many ms after `start` go out now.
    window_ms: AtomicU64,
    /// Each packet waits for its own time on a timer of its own, not for the shared tick.
    precise: bool,
    /// Fast start: this much media (ms of send time) at this multiple of real time.
    accel: Option<(u64, f64)>,
}

impl Pacer {
    pub fn new(fast: bool, first_send_ms: u64, burst_ms: u64) -> Pacer {
        Pacer {
            fast,
            start: Instant::now(),
            base_ms: first_send_ms,
            burst_ms,
            lead: Duration::ZERO,
            window_ms: AtomicU64::new(0),
            precise: false,
            accel: None,
        }
    }

    /// Honours a client's fast-start request for a stream of `bitrate_bps`: the first
    /// `duration_ms` of media at `bandwidth_bps` (never slower than real time, at most 100
    /// times faster and for at most a minute of media), then real time.
    pub fn accelerated(mut self, request: Option<Acceleration>, bitrate_bps: u32) -> Pacer {
        if let Some(a) = request {
            let factor = f64::from(a.bandwidth_bps) / f64::from(bitrate_bps.max(1));
            if factor > 1.0 {
                let ms = u64::from(a.duration_ms).min(MAX_ACCEL_MS);
                self.accel = Some((ms, factor.min(MAX_ACCEL_FACTOR)));
            }
        }
        self
    }

    /// How long after `start` a packet with send time `send_ms` is due, ms.
    fn offset_ms(&self, send_ms: u64) -> u64 {
        let t = send_ms
            .saturating_sub(self.base_ms)
            .saturating_sub(self.burst_ms);
        match self.accel {
            Some((accel_ms, factor)) if t <= accel_ms => (t as f64 / factor) as u64,
            Some((accel_ms, factor)) => (accel_ms as f64 / factor) as u64 + (t - accel_ms),
            None => t,
        }
    }

    /// Batches a TCP listener's packets: when one falls due, those due within the stream's
    /// preroll after it (at most two seconds) go out with it, in one write, so that the
    /// listener is woken and written to about once in that time rather than once a packet.
    /// The client buffers a preroll of media anyway; as much again early is room it has
    /// (Windows Media Services' Fast Cache ran up to five times real time).
    ///
    /// Only for media of one stream: where a client can move to another stream mid-stream
    /// (a language or bitrate), the move applies from the next packet not yet sent, and a
    /// batch, or a tick's worth, sent at once would delay it by as much. Such media is paced
    /// packet by packet, each on its own timer, as precisely as before any batching.
    pub fn batched(mut self, media: &crate::Media) -> Pacer {
        if media.header.streams.len() <= 1 {
            self.lead = Duration::from_millis(media.header.file.preroll_ms).min(MAX_LEAD);
        } else {
            self.precise = true;
        }
        self
    }

    /// Each packet waits for its own time on a timer of its own (UDP: see the MMS session).
    pub fn precise(mut self) -> Pacer {
        self.precise = true;
        self
    }

    /// Whether each packet waits on a timer of its own (see [`Pacer::batched`]).
    pub fn is_precise(&self) -> bool {
        self.precise
    }

    /// Whether pacing is off (`--fast`).
    pub fn is_fast(&self) -> bool {
        self.fast
    }

    /// Waits until a packet with send time `send_ms` is due.
    pub async fn wait(&self, send_ms: u64) {
        if self.fast {
            return;
        }
        if self.precise {
            tokio::time::sleep_until(self.due(send_ms)).await;
        } else {
            crate::tick::until(self.due(send_ms)).await;
        }
        self.is_due(send_ms);
    }

    /// Whether a packet with send time `send_ms` goes out now: it is due before the next
    /// tick, or (batched) within the lead of one that was. Packets that are go out together.
    pub fn is_due(&self, send_ms: u64) -> bool {
        if self.fast {
            return true;
        }
        let due = self.due(send_ms);
        let window = self.start + Duration::from_millis(self.window_ms.load(Ordering::Relaxed));
        if due <= window {
            return true;
        }
        if !crate::tick::is_due(due) {
            return false;
        }
        let until = (Instant::now() + self.lead).saturating_duration_since(self.start);
        self.window_ms
            .store(until.as_millis() as u64, Ordering::Relaxed);
        true
    }

    /// The instant a packet with send time `send_ms` is due (in the past when `fast`), for
    /// callers that wait in a `select!` alongside other work.
    pub fn due(&self, send_ms: u64) -> Instant {
        if self.fast {
            return self.start;
        }
        self.start + Duration::from_millis(self.offset_ms(send_ms))
    }

    /// Restarts the clock (a live loop wrapped around, or a new PLAY).
    pub fn rebase(&mut self, first_send_ms: u64) {
        self.start = Instant::now();
        self.base_ms = first_send_ms;
        self.window_ms = AtomicU64::new(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_start_sends_its_stretch_at_the_asked_rate_then_real_time() {
        let asked = Some(Acceleration {
            bandwidth_bps: 640_000,
            duration_ms: 3_000,
        });
        // A 64 kb/s stream: ten times real time for its first 3 s.
        let p = Pacer::new(false, 1_000, 0).accelerated(asked, 64_000);
        assert_eq!(p.offset_ms(1_000), 0);
        assert_eq!(p.offset_ms(2_000), 100);
        assert_eq!(p.offset_ms(4_000), 300);
        assert_eq!(p.offset_ms(5_000), 1_300);
        // Without a request, or one no faster than the stream: real time.
        let plain = Pacer::new(false, 1_000, 0).accelerated(None, 64_000);
        assert_eq!(plain.offset_ms(4_000), 3_000);
        let slow = Pacer::new(false, 0, 0).accelerated(asked, 1_000_000);
        assert_eq!(slow.offset_ms(3_000), 3_000);
        // Bounded: at most 100 times real time, a minute of media.
        let greedy = Some(Acceleration {
            bandwidth_bps: u32::MAX,
            duration_ms: u32::MAX,
        });
        let g = Pacer::new(false, 0, 0).accelerated(greedy, 64_000);
        assert_eq!(g.offset_ms(60_000), 600);
        assert_eq!(g.offset_ms(61_000), 1_600);
    }
}
