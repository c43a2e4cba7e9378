//! Puts RTP packets back in sequence order before they are depacketized: a packet that arrives
//! after a hole is held for a short while, so that the missing one can still come (reordered
//! on the way, or resent after a NACK on the retransmission stream, [MS-RTSP] 3.1.5.12 and
//! 2.2.3). Holes still open when the hold time runs out are given up as lost.
//!
//! Times are plain milliseconds from the caller's clock, so this stays sans-IO.

use std::collections::BTreeMap;

use super::sequence::MAX_DROPOUT;

/// Most packets held at once; past it the oldest hole is given up at once.
pub const MAX_HELD: usize = 512;

/// What comes out, in sequence order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Released {
    Packet {
        seq: u16,
        marker: bool,
        payload: Vec<u8>,
        /// It filled a hole through a resend.
        recovered: bool,
    },
    /// `n` packets never came.
    Lost(u16),
}

/// What happened to a pushed packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Taken; `nack` lists sequence numbers that just went missing (ask for them again).
    Taken { nack: Vec<u16>, filled_hole: bool },
    /// Behind what was already released or given up, or a duplicate: dropped.
    Late,
}

#[derive(Debug)]
struct Held {
    marker: bool,
    payload: Vec<u8>,
    recovered: bool,
}

#[derive(Debug)]
pub struct Holdback {
    hold_ms: u64,
    /// The next sequence number to release.
    next: Option<u16>,
    /// Held packets by distance from `next`.
    held: BTreeMap<u16, Held>,
    /// Sequence numbers asked for again and not yet come.
    asked: Vec<u16>,
    /// When the current oldest hole opened.
    hole_since_ms: Option<u64>,
}

impl Holdback {
    pub fn new(hold_ms: u64) -> Holdback {
        Holdback {
            hold_ms,
            next: None,
            held: BTreeMap::new(),
            asked: Vec::new(),
            hole_since_ms: None,
        }
    }

    /// Starts at `seq` (the PLAY reply's `RTP-Info`), so a lost first packet is a hole too.
    pub fn expect(&mut self, seq: u16) {
        if self.next.is_none() {
            self.next = Some(seq);
        }
    }

    pub fn next_expected(&self) -> Option<u16> {
        self.next
    }

    /// The sequence numbers before `until` (exclusive) that never arrived past the newest one:
    /// the lost tail an EndOfStream notice reveals. They are noted as asked for again.
    pub fn missing_before(&mut self, until: u16) -> Vec<u16> {
        let Some(next) = self.next else {
            return Vec::new();
        };
        let from = self.held.keys().next_back().map_or(0, |k| k + 1);
        let to = until.wrapping_sub(next);
        if to >= MAX_DROPOUT || from >= to {
            return Vec::new();
        }
        let tail: Vec<u16> = (from..to).map(|k| next.wrapping_add(k)).collect();
        self.asked.extend(&tail);
        tail
    }

    /// When [`Holdback::poll`] next has something to do.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.hole_since_ms.map(|t| t + self.hold_ms)
    }

    pub fn push(
        &mut self,
        seq: u16,
        marker: bool,
        payload: Vec<u8>,
        resent: bool,
        now_ms: u64,
        out: &mut Vec<Released>,
    ) -> Pushed {
        let next = *self.next.get_or_insert(seq);
        let d = seq.wrapping_sub(next);
        if d >= 0x8000 || self.held.contains_key(&d) {
            return Pushed::Late;
        }
        if d >= MAX_DROPOUT {
            // The sender restarted its numbering: release what we have and follow it.
            self.flush(out);
            self.next = Some(seq);
            return self.push(seq, marker, payload, resent, now_ms, out);
        }
        // Below the newest held packet and not held itself: it fills a hole.
        let was_missing = self.held.keys().next_back().is_some_and(|m| d < *m);
        let recovered = resent && (was_missing || self.asked.contains(&seq));
        self.asked.retain(|s| *s != seq);
        let mut nack = Vec::new();
        if d > 0 && !was_missing {
            // New holes between the newest held packet (or `next`) and this one.
            let from = self.held.keys().next_back().map_or(0, |k| k + 1);
            for k in from..d {
                let s = next.wrapping_add(k);
                nack.push(s);
                self.asked.push(s);
            }
            if self.asked.len() > MAX_HELD {
                let excess = self.asked.len() - MAX_HELD;
                self.asked.drain(..excess);
            }
        }
        self.held.insert(
            d,
            Held {
                marker,
                payload,
                recovered,
            },
        );
        if self.hole_since_ms.is_none() && self.first_held() != Some(0) {
            self.hole_since_ms = Some(now_ms);
        }
        self.release(now_ms, out);
        while self.held.len() > MAX_HELD {
            self.skip_hole(now_ms, out);
        }
        Pushed::Taken {
            nack,
            filled_hole: was_missing,
        }
    }

    /// Gives up holes whose time ran out.
    pub fn poll(&mut self, now_ms: u64, out: &mut Vec<Released>) {
        while self.deadline_ms().is_some_and(|d| now_ms >= d) {
            self.skip_hole(now_ms, out);
        }
    }

    /// Releases everything held, holes given up (end of stream).
    pub fn flush(&mut self, out: &mut Vec<Released>) {
        while !self.held.is_empty() {
            self.skip_hole(0, out);
        }
        self.hole_since_ms = None;
    }

    fn first_held(&self) -> Option<u16> {
        self.held.keys().next().copied()
    }

    /// Gives up the oldest hole and releases what follows it.
    fn skip_hole(&mut self, now_ms: u64, out: &mut Vec<Released>) {
        let Some(first) = self.first_held() else {
            self.hole_since_ms = None;
            return;
        };
        if first > 0 {
            out.push(Released::Lost(first));
            self.rebase(first);
        }
        self.release(now_ms, out);
    }

    /// Moves `next` forward by `by`, keeping the held keys relative to it.
    fn rebase(&mut self, by: u16) {
        let Some(next) = self.next else { return };
        self.next = Some(next.wrapping_add(by));
        let held = std::mem::take(&mut self.held);
        self.held = held.into_iter().map(|(k, v)| (k - by, v)).collect();
        let new_next = next.wrapping_add(by);
        self.asked.retain(|s| s.wrapping_sub(new_next) < 0x8000);
    }

    /// Releases the run that starts at `next`.
    fn release(&mut self, now_ms: u64, out: &mut Vec<Released>) {
        let mut n = 0u16;
        while let Some(h) = self.held.remove(&n) {
            let seq = self.next.unwrap_or(0).wrapping_add(n);
            out.push(Released::Packet {
                seq,
                marker: h.marker,
                payload: h.payload,
                recovered: h.recovered,
            });
            n += 1;
        }
        if n > 0 {
            self.rebase(n);
            // A hole that remains gets its own time from now.
            self.hole_since_ms = if self.held.is_empty() {
                None
            } else {
                Some(now_ms)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(out: &[Released]) -> Vec<String> {
        out.iter()
            .map(|r| match r {
                Released::Packet { seq, recovered, .. } => {
                    format!("{seq}{}", if *recovered { "r" } else { "" })
                }
                Released::Lost(n) => format!("lost{n}"),
            })
            .collect()
    }

    #[test]
    fn reorders_within_the_hold_time() {
        let mut h = Holdback::new(100);
        let mut out = Vec::new();
        h.expect(10);
        assert!(matches!(
            h.push(10, true, vec![], false, 0, &mut out),
            Pushed::Taken { .. }
        ));
        let r = h.push(12, true, vec![], false, 1, &mut out);
        assert_eq!(
            r,
            Pushed::Taken {
                nack: vec![11],
                filled_hole: false
            }
        );
        assert_eq!(h.deadline_ms(), Some(101));
        let r = h.push(11, true, vec![], false, 2, &mut out);
        assert_eq!(
            r,
            Pushed::Taken {
                nack: vec![],
                filled_hole: true
            }
        );
        assert_eq!(seqs(&out), ["10", "11", "12"]);
        assert_eq!(h.push(11, true, vec![], false, 3, &mut out), Pushed::Late);
        assert_eq!(h.deadline_ms(), None);
    }

    #[test]
    fn resends_count_as_recovered_and_holes_time_out() {
        let mut h = Holdback::new(100);
        let mut out = Vec::new();
        h.expect(65534);
        h.push(65535, true, vec![], false, 0, &mut out);
        h.push(2, true, vec![], false, 0, &mut out);
        assert!(out.is_empty(), "65534 is missing: everything waits");
        h.push(65534, true, vec![], true, 10, &mut out);
        assert_eq!(seqs(&out), ["65534r", "65535"]);
        out.clear();
        h.poll(50, &mut out);
        assert!(out.is_empty());
        h.poll(110, &mut out);
        assert_eq!(seqs(&out), ["lost2", "2"]);
        // The resend of a given-up packet is late.
        assert_eq!(h.push(0, true, vec![], true, 120, &mut out), Pushed::Late);
        out.clear();
        h.push(5, true, vec![], false, 130, &mut out);
        h.flush(&mut out);
        assert_eq!(seqs(&out), ["lost2", "5"]);
        assert_eq!(h.next_expected(), Some(6));
    }

    #[test]
    fn a_lost_tail_can_be_asked_for_and_recovered() {
        let mut h = Holdback::new(100);
        let mut out = Vec::new();
        h.push(7, true, vec![], false, 0, &mut out);
        assert_eq!(h.missing_before(10), vec![8, 9]);
        h.push(8, true, vec![], true, 5, &mut out);
        h.push(9, true, vec![], true, 6, &mut out);
        assert_eq!(seqs(&out), ["7", "8r", "9r"]);
        assert!(h.missing_before(10).is_empty());
    }

    #[test]
    fn bounded_and_restartable() {
        let mut h = Holdback::new(1_000_000);
        let mut out = Vec::new();
        h.push(0, true, vec![], false, 0, &mut out);
        for s in 2..(MAX_HELD as u16 + 10) {
            h.push(s, true, vec![], false, 0, &mut out);
        }
        assert!(h.held.len() <= MAX_HELD);
        out.clear();
        let far = h.next_expected().unwrap().wrapping_add(5000);
        h.push(far, true, vec![], false, 0, &mut out);
        assert!(matches!(out.last(), Some(Released::Packet { seq, .. }) if *seq == far));
    }
}
