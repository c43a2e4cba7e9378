//! Loss handling for MMS over UDP: data packets are put back in sequence order, holes are
//! asked for again (RequestPacketListResend, [MS-MMSP] 3.1.4.7), and a hole that no resend
//! filled in time becomes a gap. Each packet ends up exactly once as delivered, recovered (a
//! hole that a later datagram filled) or lost, so the counts match what the server withheld.
//!
//! Plain data structure with explicit time, no IO: the session feeds it datagrams and clock
//! ticks.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

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

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub lost: u64,
    pub recovered: u64,
    pub late: u64,
}

pub struct Reorder {
    /// Next sequence number to deliver.
    next: u32,
    held: BTreeMap<u32, Bytes>,
    /// Holes, with the time each is given up.
    missing: BTreeMap<u32, Instant>,
    ready: VecDeque<Out>,
    pub counts: Counts,
}

impl Reorder {
    pub fn new(first: u32) -> Reorder {
        Reorder {
            next: first,
            held: BTreeMap::new(),
            missing: BTreeMap::new(),
            ready: VecDeque::new(),
            counts: Counts::default(),
        }
    }

    /// Takes one packet with 32-bit sequence `seq`. Returns the sequence numbers that just
    /// became holes (to ask the server for).
    pub fn push(&mut self, seq: u32, packet: Bytes, now: Instant) -> Vec<u32> {
        let mut new_holes = Vec::new();
        if seq < self.next || self.held.contains_key(&seq) {
            // A duplicate, or a resend that came after we gave up on it.
            self.counts.late += 1;
            return new_holes;
        }
        if self.missing.remove(&seq).is_some() {
            self.counts.recovered += 1;
        } else if seq > self.next {
            // Everything between what we have and this packet is a new hole (bounded: a
            // sequence jump past MAX_HELD is given up at once rather than tracked).
            let from = self.frontier();
            if seq - from > MAX_HELD as u32 {
                let lost = u64::from(seq - from);
                self.flush_all();
                self.counts.lost += lost;
                self.ready.push_back(Out::Gap(lost));
                self.next = seq;
            } else {
                new_holes = self.mark_missing(from..seq, now);
            }
        }
        self.held.insert(seq, packet);
        self.drain(now);
        new_holes
    }

    /// Declares holes lost that no resend can fill anymore, and releases what they held.
    pub fn tick(&mut self, now: Instant) {
        self.drain(now);
    }

    /// At the end of the stream: marks `seqs` as holes (the tail the server may have withheld),
    /// returning those that are new.
    pub fn expect_tail(&mut self, last: u32, now: Instant) -> Vec<u32> {
        let from = self.frontier();
        if last >= from && last - from < MAX_HELD as u32 {
            self.mark_missing(from..last + 1, now)
        } else {
            Vec::new()
        }
    }

    /// The first sequence number after everything received or held.
    fn frontier(&self) -> u32 {
        self.held
            .keys()
            .next_back()
            .map_or(self.next, |k| k + 1)
            .max(self.next)
    }

    /// Marks `seqs` as holes awaiting a resend; returns those that are new.
    fn mark_missing(&mut self, seqs: std::ops::Range<u32>, now: Instant) -> Vec<u32> {
        let mut holes = Vec::new();
        for q in seqs {
            if let std::collections::btree_map::Entry::Vacant(e) = self.missing.entry(q) {
                e.insert(now + RESEND_WAIT);
                holes.push(q);
            }
        }
        holes
    }

    /// Gives up on every hole now (end of stream after the waits, or close).
    pub fn flush_all(&mut self) {
        let now = Instant::now();
        for v in self.missing.values_mut() {
            *v = now;
        }
        // Every sequence from `next` to the last held or missing one is held or missing, so
        // draining walks through all of them.
        self.drain(now);
    }

    fn drain(&mut self, now: Instant) {
        loop {
            if let Some(p) = self.held.remove(&self.next) {
                self.ready.push_back(Out::Packet(p));
                self.next = self.next.wrapping_add(1);
                continue;
            }
            let Some(deadline) = self.missing.get(&self.next).copied() else {
                break;
            };
            let overfull = self.held.len() > MAX_HELD;
            if deadline > now && !overfull {
                break;
            }
            // Give up on the run of holes starting here.
            let mut n = 0u64;
            while self.missing.remove(&self.next).is_some() {
                n += 1;
                self.next = self.next.wrapping_add(1);
            }
            self.counts.lost += n;
            self.ready.push_back(Out::Gap(n));
        }
    }

    /// The sequence number delivered next.
    pub fn next_seq(&self) -> u32 {
        self.next
    }

    pub fn pop(&mut self) -> Option<Out> {
        self.ready.pop_front()
    }

    /// The earliest time a hole is given up, if any hole is open.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.missing.values().min().copied()
    }

    pub fn is_idle(&self) -> bool {
        self.missing.is_empty() && self.held.is_empty() && self.ready.is_empty()
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
