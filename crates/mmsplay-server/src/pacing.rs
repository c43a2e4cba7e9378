//! Real-time pacing of data packets by their send times, after a fast-start burst of the
//! preroll, as Windows Media Services did. `--fast` turns pacing off for on-demand tests.

use std::time::Duration;

use tokio::time::Instant;

pub struct Pacer {
    fast: bool,
    start: Instant,
    /// Send time (ms) that maps to `start`.
    base_ms: u64,
    /// Media sent this far ahead of real time at once (the preroll burst).
    burst_ms: u64,
}

impl Pacer {
    pub fn new(fast: bool, first_send_ms: u64, burst_ms: u64) -> Pacer {
        Pacer {
            fast,
            start: Instant::now(),
            base_ms: first_send_ms,
            burst_ms,
        }
    }

    /// Waits until a packet with send time `send_ms` is due.
    pub async fn wait(&self, send_ms: u64) {
        if self.fast {
            return;
        }
        let due = send_ms
            .saturating_sub(self.base_ms)
            .saturating_sub(self.burst_ms);
        tokio::time::sleep_until(self.start + Duration::from_millis(due)).await;
    }

    /// The instant a packet with send time `send_ms` is due (in the past when `fast`), for
    /// callers that wait in a `select!` alongside other work.
    pub fn due(&self, send_ms: u64) -> Instant {
        if self.fast {
            return self.start;
        }
        let due = send_ms
            .saturating_sub(self.base_ms)
            .saturating_sub(self.burst_ms);
        self.start + Duration::from_millis(due)
    }

    /// Restarts the clock (a live loop wrapped around, or a new PLAY).
    pub fn rebase(&mut self, first_send_ms: u64) {
        self.start = Instant::now();
        self.base_ms = first_send_ms;
    }
}
