//! Loss handling for MMS over UDP: data packets are put back in sequence order, holes are
//! asked for again (RequestPacketListResend, [MS-MMSP] 3.1.4.7), and a hole that no resend
//! filled in time becomes a gap. Each packet ends up exactly once as delivered, recovered (a
//! hole that a later datagram filled) or lost, so the counts match what the server withheld.
//!
//! The buffer itself is the shared [`crate::reorder`] one; this module sets the MMS rules:
//! 32-bit sequence numbers (the extended LocationId), each hole waiting on its own resend, and
//! a jump too far to track counted as loss at once. No IO: the session feeds it datagrams and
//! clock ticks.

use std::time::{Duration, Instant};

use bytes::Bytes;

pub use crate::reorder::Counts;
use crate::reorder::{self, HoleClock, OnJump, Policy};

/// How long a hole waits for its resend before it is declared lost.
pub const RESEND_WAIT: Duration = Duration::from_millis(300);
/// Most packets held back behind a hole; past this the oldest hole is given up at once, so a
/// server that never resends cannot make us buffer without bound.
pub const MAX_HELD: usize = 512;

/// What comes out, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Out {
    Packet(Bytes),
    Gap(u64),
}

pub struct Reorder {
    inner: reorder::Reorder<u32, Bytes>,
    /// The shared buffer counts milliseconds from here (the first time seen).
    epoch: Option<Instant>,
    pub counts: Counts,
}

impl Reorder {
    pub fn new(first: u32) -> Reorder {
        let mut inner = reorder::Reorder::new(Policy {
            wait_ms: RESEND_WAIT.as_millis() as u64,
            clock: HoleClock::PerHole,
            on_jump: OnJump::Lost,
            max_held: MAX_HELD,
        });
        inner.expect(first);
        Reorder {
            inner,
            epoch: None,
            counts: Counts::default(),
        }
    }

    /// Takes one packet with 32-bit sequence `seq`. Returns the sequence numbers that just
    /// became holes (to ask the server for).
    pub fn push(&mut self, seq: u32, packet: Bytes, now: Instant) -> Vec<u32> {
        let now = self.ms(now);
        let holes = match self.inner.push(seq, packet, now) {
            reorder::Pushed::Taken { new_holes, .. } => new_holes,
            reorder::Pushed::Late => Vec::new(),
        };
        self.take_counts();
        holes
    }

    /// Declares holes lost that no resend can fill anymore, and releases what they held.
    pub fn tick(&mut self, now: Instant) {
        let now = self.ms(now);
        self.inner.tick(now);
        self.take_counts();
    }

    /// At the end of the stream: marks everything up to `last` (inclusive) not yet received as
    /// holes (the tail the server may have withheld), returning those that are new.
    pub fn expect_tail(&mut self, last: u32, now: Instant) -> Vec<u32> {
        let now = self.ms(now);
        self.inner.expect_tail(last.wrapping_add(1), now)
    }

    /// Gives up every hole now (end of stream after the waits, or close).
    pub fn flush_all(&mut self) {
        self.inner.flush_all();
        self.take_counts();
    }

    /// The sequence number delivered next.
    pub fn next_seq(&self) -> u32 {
        self.inner.next_expected().unwrap_or(0)
    }

    pub fn pop(&mut self) -> Option<Out> {
        self.inner.pop().map(|o| match o {
            reorder::Out::Packet { item, .. } => Out::Packet(item),
            reorder::Out::Lost(n) => Out::Gap(n),
        })
    }

    /// The earliest time a hole is given up, if any hole is open.
    pub fn next_deadline(&self) -> Option<Instant> {
        let epoch = self.epoch?;
        Some(epoch + Duration::from_millis(self.inner.deadline_ms()?))
    }

    pub fn is_idle(&self) -> bool {
        self.inner.is_idle()
    }

    /// Milliseconds on the shared buffer's clock.
    fn ms(&mut self, now: Instant) -> u64 {
        let epoch = *self.epoch.get_or_insert(now);
        now.saturating_duration_since(epoch).as_millis() as u64
    }

    fn take_counts(&mut self) {
        let c = std::mem::take(&mut self.inner.counts);
        self.counts.lost += c.lost;
        self.counts.recovered += c.recovered;
        self.counts.late += c.late;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    fn drain(r: &mut Reorder) -> Vec<Out> {
        std::iter::from_fn(|| r.pop()).collect()
    }

    #[test]
    fn in_order_passes_through() {
        let now = Instant::now();
        let mut r = Reorder::new(0);
        for i in 0..5u8 {
            assert!(r.push(u32::from(i), p(i), now).is_empty());
        }
        assert_eq!(drain(&mut r).len(), 5);
        assert_eq!(r.counts, Counts::default());
    }

    #[test]
    fn hole_filled_by_resend_is_recovered_in_order() {
        let now = Instant::now();
        let mut r = Reorder::new(0);
        r.push(0, p(0), now);
        assert_eq!(r.push(3, p(3), now), vec![1, 2]);
        assert_eq!(drain(&mut r), vec![Out::Packet(p(0))]);
        r.push(2, p(2), now);
        r.push(1, p(1), now);
        assert_eq!(
            drain(&mut r),
            vec![Out::Packet(p(1)), Out::Packet(p(2)), Out::Packet(p(3))]
        );
        assert_eq!(r.counts.recovered, 2);
        assert_eq!(r.counts.lost, 0);
    }

    #[test]
    fn unfilled_hole_becomes_a_gap_after_the_wait() {
        let now = Instant::now();
        let mut r = Reorder::new(0);
        r.push(0, p(0), now);
        r.push(2, p(2), now);
        drain(&mut r);
        r.tick(now + RESEND_WAIT / 2);
        assert!(r.pop().is_none());
        r.tick(now + RESEND_WAIT + Duration::from_millis(1));
        assert_eq!(drain(&mut r), vec![Out::Gap(1), Out::Packet(p(2))]);
        // The resend that comes too late is counted late, not recovered.
        r.push(1, p(1), now + RESEND_WAIT * 2);
        assert_eq!(
            r.counts,
            Counts {
                lost: 1,
                recovered: 0,
                late: 1
            }
        );
    }

    #[test]
    fn withheld_tail_is_asked_for_then_lost() {
        let now = Instant::now();
        let mut r = Reorder::new(0);
        r.push(0, p(0), now);
        assert_eq!(r.expect_tail(2, now), vec![1, 2]);
        r.push(1, p(1), now);
        r.flush_all();
        assert_eq!(
            drain(&mut r),
            vec![Out::Packet(p(0)), Out::Packet(p(1)), Out::Gap(1)]
        );
        assert_eq!(r.counts.recovered, 1);
        assert_eq!(r.counts.lost, 1);
        assert!(r.is_idle());
    }

    #[test]
    fn huge_jump_is_bounded() {
        let now = Instant::now();
        let mut r = Reorder::new(0);
        assert!(r.push(1_000_000, p(9), now).is_empty());
        assert_eq!(drain(&mut r), vec![Out::Gap(1_000_000), Out::Packet(p(9))]);
    }
}
