//! The one reorder buffer behind both datagram transports: MMS over UDP (32-bit LocationId
//! numbers, holes asked for again with RequestPacketListResend, [MS-MMSP] 3.1.4.7) and RTP
//! (16-bit sequence numbers, holes asked for again with a NACK, [MS-RTSP] 3.1.5.12).
//!
//! Packets are put back in sequence order; a packet after a hole is held while the missing one
//! may still come (reordered on the way, or resent). A hole that waited too long is given up:
//! it comes out as `Lost(n)` in its place. Every sequence number ends up exactly once as
//! delivered, recovered (a known hole that a later packet filled) or lost.
//!
//! What differs between the two protocols is a parameter, not a copy:
//! - the width of the sequence space ([`SeqSpace`], compared with wrapping arithmetic);
//! - the timing rule ([`HoleClock`]): each hole waits on its own resend (MMS), or the hole at
//!   the front gets a fresh wait whenever the packets before it came out (RTP);
//! - what a far jump means ([`OnJump`]): loss (MMS), or a sender restarting its numbering (RTP,
//!   RFC 3550 A.1).
//!
//! Sans-IO: time is plain milliseconds from the caller's clock, nothing here waits or reads.
//! Bounded: at most `max_held` packets are held (past it the oldest hole is given up at once),
//! and a hole run is never longer than `max_held` or the restart distance.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Debug;

/// A sequence number space that wraps around.
pub trait SeqSpace: Copy + Eq + Debug {
    /// Half the space: a number this far or further "ahead" is really behind.
    const HALF: u64;
    /// How far `later` is ahead of `self`, modulo the space.
    fn ahead(self, later: Self) -> u64;
    /// The number `by` steps after `self`, modulo the space.
    fn step(self, by: u64) -> Self;
}

impl SeqSpace for u16 {
    const HALF: u64 = 1 << 15;
    fn ahead(self, later: u16) -> u64 {
        u64::from(later.wrapping_sub(self))
    }
    fn step(self, by: u64) -> u16 {
        self.wrapping_add(by as u16)
    }
}

impl SeqSpace for u32 {
    const HALF: u64 = 1 << 31;
    fn ahead(self, later: u32) -> u64 {
        u64::from(later.wrapping_sub(self))
    }
    fn step(self, by: u64) -> u32 {
        self.wrapping_add(by as u32)
    }
}

/// When a hole is given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoleClock {
    /// Each hole waits from the moment it opened (each has its own resend request in flight).
    PerHole,
    /// The hole at the front waits from the moment it became the front: after the packets
    /// before it came out, the next hole gets a fresh wait.
    Front,
}

/// What a forward jump far past the packets we have means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnJump {
    /// A jump of more than `max_held` past the newest packet is loss, given up at once rather
    /// than tracked hole by hole.
    Lost,
    /// A jump of `at` or more past the next expected number is the sender restarting its
    /// numbering: what is held comes out and the count follows the new number, nothing lost.
    Restart { at: u64 },
}

/// The timing and bounds of one buffer.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// How long a hole waits before it is given up.
    pub wait_ms: u64,
    pub clock: HoleClock,
    pub on_jump: OnJump,
    /// Most packets held behind holes.
    pub max_held: usize,
}

/// What comes out, in sequence order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out<S, T> {
    Packet {
        seq: S,
        item: T,
        /// It filled a known hole.
        filled: bool,
    },
    /// `n` packets never came.
    Lost(u64),
}

/// What happened to a pushed packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pushed<S> {
    /// Taken. `new_holes`: the numbers that just went missing (to ask for again); `filled`: it
    /// filled a known hole.
    Taken { new_holes: Vec<S>, filled: bool },
    /// Behind what already came out or was given up, or a duplicate: dropped.
    Late,
}

/// Packets delivered, recovered and lost since the counts were last taken.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub lost: u64,
    pub recovered: u64,
    pub late: u64,
}

struct Held<T> {
    item: T,
    filled: bool,
}

/// The buffer. Positions are kept as 64-bit indexes that never wrap (`base` is the index of
/// the next number to come out), so the wrapping happens only where numbers come in.
pub struct Reorder<S, T> {
    policy: Policy,
    /// The next number to come out, once known.
    next: Option<S>,
    base: u64,
    held: BTreeMap<u64, Held<T>>,
    /// Holes, with the time each is given up (used by [`HoleClock::PerHole`]). Invariant: every
    /// index from `base` to the newest held one is held or a hole.
    missing: BTreeMap<u64, u64>,
    /// When the front hole began to wait (used by [`HoleClock::Front`]).
    front_since: Option<u64>,
    ready: VecDeque<Out<S, T>>,
    pub counts: Counts,
}

impl<S: SeqSpace, T> Reorder<S, T> {
    pub fn new(policy: Policy) -> Reorder<S, T> {
        Reorder {
            policy,
            next: None,
            base: 0,
            held: BTreeMap::new(),
            missing: BTreeMap::new(),
            front_since: None,
            ready: VecDeque::new(),
            counts: Counts::default(),
        }
    }

    /// Starts at `seq` unless a number is already known, so a lost first packet is a hole too.
    pub fn expect(&mut self, seq: S) {
        if self.next.is_none() {
            self.next = Some(seq);
        }
    }

    /// The number that comes out next, once known.
    pub fn next_expected(&self) -> Option<S> {
        self.next
    }

    /// Takes the packet numbered `seq`.
    pub fn push(&mut self, seq: S, item: T, now_ms: u64) -> Pushed<S> {
        let next = *self.next.get_or_insert(seq);
        let d = next.ahead(seq);
        let at = self.base + d;
        if d >= S::HALF || self.held.contains_key(&at) {
            // A duplicate, or a resend that came after we gave up on it.
            self.counts.late += 1;
            return Pushed::Late;
        }
        let mut new_holes = Vec::new();
        let filled = self.missing.remove(&at).is_some();
        if filled {
            self.counts.recovered += 1;
        } else if d > 0 {
            let from = self.frontier();
            match self.policy.on_jump {
                OnJump::Restart { at: far } if d >= far => {
                    // The sender restarted its numbering: follow it from here.
                    self.flush_held();
                    self.missing.clear();
                    self.next = Some(seq);
                    return self.push(seq, item, now_ms);
                }
                OnJump::Lost if at - from > self.policy.max_held as u64 => {
                    self.flush_all();
                    let lost = at.saturating_sub(self.base);
                    self.counts.lost += lost;
                    self.ready.push_back(Out::Lost(lost));
                    self.base = at;
                    self.next = Some(seq);
                }
                _ => new_holes = self.mark_missing(from..at, now_ms),
            }
        }
        self.held.insert(at, Held { item, filled });
        if self.front_since.is_none() && !self.held.contains_key(&self.base) {
            self.front_since = Some(now_ms);
        }
        self.drain(now_ms);
        Pushed::Taken { new_holes, filled }
    }

    /// Gives up the holes whose time ran out, and lets out what they held back.
    pub fn tick(&mut self, now_ms: u64) {
        self.drain(now_ms);
    }

    /// The end of the stream is `end` (exclusive): the numbers between the newest packet and it
    /// never came, so they become holes. Returns those that are new (to ask for again). A tail
    /// longer than `max_held` is not tracked.
    pub fn expect_tail(&mut self, end: S, now_ms: u64) -> Vec<S> {
        let Some(next) = self.next else {
            return Vec::new();
        };
        let d = next.ahead(end);
        let from = self.frontier();
        let end_at = self.base + d;
        if d >= S::HALF || end_at <= from || end_at - from > self.policy.max_held as u64 {
            return Vec::new();
        }
        self.mark_missing(from..end_at, now_ms)
    }

    /// When [`Reorder::tick`] next has something to do.
    pub fn deadline_ms(&self) -> Option<u64> {
        match self.policy.clock {
            HoleClock::PerHole => self.missing.values().min().copied(),
            HoleClock::Front => self.front_since.map(|t| t + self.policy.wait_ms),
        }
    }

    /// Lets out everything held, giving up the holes between (the holes past the newest held
    /// packet stay known, so a late tail can still be counted).
    pub fn flush_held(&mut self) {
        loop {
            self.release_run();
            if self.held.is_empty() || self.give_up_run() == 0 {
                break;
            }
        }
        self.front_since = None;
    }

    /// Gives up every hole now and lets out everything (end of stream, or close).
    pub fn flush_all(&mut self) {
        loop {
            self.release_run();
            if self.give_up_run() == 0 {
                break;
            }
        }
        self.front_since = None;
    }

    pub fn pop(&mut self) -> Option<Out<S, T>> {
        self.ready.pop_front()
    }

    pub fn is_idle(&self) -> bool {
        self.missing.is_empty() && self.held.is_empty() && self.ready.is_empty()
    }

    /// The index after everything received or held.
    fn frontier(&self) -> u64 {
        self.held
            .keys()
            .next_back()
            .map_or(self.base, |k| k + 1)
            .max(self.base)
    }

    /// Marks `range` as holes awaiting a resend; returns the numbers of those that are new.
    fn mark_missing(&mut self, range: std::ops::Range<u64>, now_ms: u64) -> Vec<S> {
        let Some(next) = self.next else {
            return Vec::new();
        };
        let mut holes = Vec::new();
        for at in range {
            if let std::collections::btree_map::Entry::Vacant(e) = self.missing.entry(at) {
                e.insert(now_ms + self.policy.wait_ms);
                holes.push(next.step(at - self.base));
            }
        }
        holes
    }

    fn front_expired(&self, now_ms: u64) -> bool {
        match self.policy.clock {
            HoleClock::PerHole => self.missing.get(&self.base).is_some_and(|d| *d <= now_ms),
            HoleClock::Front => self
                .front_since
                .is_some_and(|t| t + self.policy.wait_ms <= now_ms),
        }
    }

    fn drain(&mut self, now_ms: u64) {
        loop {
            if self.release_run() > 0 && self.policy.clock == HoleClock::Front {
                // A hole that remains gets its own time from now.
                self.front_since = (!self.held.is_empty()).then_some(now_ms);
            }
            let overfull = self.held.len() > self.policy.max_held;
            if !(overfull || self.front_expired(now_ms)) || self.give_up_run() == 0 {
                break;
            }
        }
    }

    /// Lets out the run of held packets at the front; returns how many.
    fn release_run(&mut self) -> u64 {
        let mut n = 0;
        while let Some(seq) = self.next
            && let Some(h) = self.held.remove(&self.base)
        {
            self.advance();
            self.ready.push_back(Out::Packet {
                seq,
                item: h.item,
                filled: h.filled,
            });
            n += 1;
        }
        n
    }

    /// Gives up the run of holes at the front (up to the first held packet at least, so this
    /// always makes progress while something is held); returns how many.
    fn give_up_run(&mut self) -> u64 {
        let first_held = self.held.keys().next().copied();
        let mut n = 0;
        while self.next.is_some()
            && (self.missing.remove(&self.base).is_some()
                || first_held.is_some_and(|f| self.base < f))
        {
            self.advance();
            n += 1;
        }
        if n > 0 {
            self.counts.lost += n;
            self.ready.push_back(Out::Lost(n));
        }
        n
    }

    /// Moves past the front position.
    fn advance(&mut self) {
        self.base += 1;
        self.next = self.next.map(|s| s.step(1));
    }

    /// How many packets are held back behind holes.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(clock: HoleClock, on_jump: OnJump) -> Policy {
        Policy {
            wait_ms: 100,
            clock,
            on_jump,
            max_held: 8,
        }
    }

    fn out<S: SeqSpace>(r: &mut Reorder<S, ()>) -> Vec<String> {
        std::iter::from_fn(|| r.pop())
            .map(|o| match o {
                Out::Packet { seq, filled, .. } => {
                    format!("{seq:?}{}", if filled { "f" } else { "" })
                }
                Out::Lost(n) => format!("lost{n}"),
            })
            .collect()
    }

    #[test]
    fn sequence_spaces_wrap() {
        assert_eq!(65535u16.ahead(1), 2);
        assert_eq!(1u16.ahead(65535), 65534);
        assert_eq!(65535u16.step(3), 2);
        assert_eq!(u32::MAX.ahead(0), 1);
        assert_eq!(u32::MAX.step(2), 1);
    }

    #[test]
    fn a_32_bit_hole_across_the_wrap_is_filled_in_order() {
        let mut r: Reorder<u32, ()> = Reorder::new(policy(HoleClock::PerHole, OnJump::Lost));
        r.expect(u32::MAX - 1);
        r.push(u32::MAX - 1, (), 0);
        let holes = r.push(1, (), 0);
        assert_eq!(
            holes,
            Pushed::Taken {
                new_holes: vec![u32::MAX, 0],
                filled: false
            }
        );
        r.push(0, (), 5);
        r.push(u32::MAX, (), 6);
        assert_eq!(out(&mut r), ["4294967294", "4294967295f", "0f", "1"]);
        assert_eq!(r.counts.recovered, 2);
        assert_eq!(r.push(0, (), 7), Pushed::Late);
        assert!(r.is_idle());
    }

    #[test]
    fn per_hole_waits_run_from_when_each_hole_opened() {
        let mut r: Reorder<u16, ()> = Reorder::new(policy(HoleClock::PerHole, OnJump::Lost));
        r.push(0, (), 0);
        r.push(2, (), 0); // hole 1, given up at 100
        r.push(4, (), 50); // hole 3, given up at 150
        assert_eq!(r.deadline_ms(), Some(100));
        r.tick(100);
        assert_eq!(out(&mut r), ["0", "lost1", "2"]);
        r.tick(149);
        assert!(out(&mut r).is_empty());
        r.tick(150);
        assert_eq!(out(&mut r), ["lost1", "4"]);
        assert_eq!(r.counts.lost, 2);
    }

    #[test]
    fn front_clock_gives_the_next_hole_a_fresh_wait() {
        let mut r: Reorder<u16, ()> =
            Reorder::new(policy(HoleClock::Front, OnJump::Restart { at: 3000 }));
        r.push(0, (), 0);
        r.push(2, (), 0);
        r.push(4, (), 50);
        r.tick(100);
        assert_eq!(out(&mut r), ["0", "lost1", "2"]);
        // Hole 3 waits from 100, when it became the front, not from 50.
        r.tick(150);
        assert!(out(&mut r).is_empty());
        assert_eq!(r.deadline_ms(), Some(200));
        r.tick(200);
        assert_eq!(out(&mut r), ["lost1", "4"]);
    }

    #[test]
    fn held_packets_are_bounded() {
        let mut r: Reorder<u16, ()> =
            Reorder::new(policy(HoleClock::Front, OnJump::Restart { at: 3000 }));
        r.push(0, (), 0);
        for s in 2..40 {
            r.push(s, (), 0);
            assert!(r.held() <= 8);
        }
        let o = out(&mut r);
        assert_eq!(o[..2], ["0", "lost1"]);
        assert_eq!(o.len(), 2 + 38 - r.held());
    }

    #[test]
    fn a_restart_loses_nothing_and_a_far_jump_loses_at_once() {
        let mut r: Reorder<u16, ()> =
            Reorder::new(policy(HoleClock::Front, OnJump::Restart { at: 3000 }));
        r.push(10, (), 0);
        r.push(20_000, (), 0);
        assert_eq!(out(&mut r), ["10", "20000"]);
        assert_eq!(r.counts.lost, 0);

        let mut r: Reorder<u32, ()> = Reorder::new(policy(HoleClock::PerHole, OnJump::Lost));
        r.push(10, (), 0);
        assert_eq!(
            r.push(20_000, (), 0),
            Pushed::Taken {
                new_holes: vec![],
                filled: false
            }
        );
        assert_eq!(out(&mut r), ["10", "lost19989", "20000"]);
        assert_eq!(r.counts.lost, 19_989);
    }

    #[test]
    fn a_tail_becomes_holes_and_flushing_keeps_or_gives_them_up() {
        let mut r: Reorder<u16, ()> = Reorder::new(policy(HoleClock::PerHole, OnJump::Lost));
        r.push(0, (), 0);
        assert_eq!(r.expect_tail(3, 0), vec![1, 2]);
        assert!(r.expect_tail(3, 0).is_empty(), "already known");
        assert!(r.expect_tail(200, 0).is_empty(), "too long to track");
        r.flush_held();
        assert_eq!(out(&mut r), ["0"]);
        assert_eq!(r.next_expected(), Some(1));
        r.flush_all();
        assert_eq!(out(&mut r), ["lost2"]);
        assert!(r.is_idle());
    }
}
