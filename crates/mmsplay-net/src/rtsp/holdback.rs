//! Puts RTP packets back in sequence order before they are depacketized: a packet that arrives
//! after a hole is held for a short while, so that the missing one can still come (reordered
//! on the way, or resent after a NACK on the retransmission stream, [MS-RTSP] 3.1.5.12 and
//! 2.2.3). Holes still open when the hold time runs out are given up as lost.
//!
//! The buffer itself is the shared [`crate::reorder`] one; this module sets the RTP rules: 16-bit
//! sequence numbers, a fresh hold time for the hole at the front each time packets before it
//! come out, and a far jump taken as the sender restarting its numbering (RFC 3550 A.1).
//! Times are plain milliseconds from the caller's clock, so this stays sans-IO.

use super::sequence::MAX_DROPOUT;
use crate::reorder::{self, HoleClock, OnJump, Out, Policy};

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

/// One held RTP packet.
struct Rtp {
    marker: bool,
    payload: Vec<u8>,
    /// It came on the retransmission stream.
    resent: bool,
}

pub struct Holdback {
    inner: reorder::Reorder<u16, Rtp>,
}

impl std::fmt::Debug for Holdback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holdback")
            .field("next", &self.inner.next_expected())
            .field("held", &self.inner.held())
            .finish()
    }
}

impl Holdback {
    pub fn new(hold_ms: u64) -> Holdback {
        Holdback {
            inner: reorder::Reorder::new(Policy {
                wait_ms: hold_ms,
                clock: HoleClock::Front,
                on_jump: OnJump::Restart {
                    at: u64::from(MAX_DROPOUT),
                },
                max_held: MAX_HELD,
            }),
        }
    }

    /// Starts at `seq` (the PLAY reply's `RTP-Info`), so a lost first packet is a hole too.
    pub fn expect(&mut self, seq: u16) {
        self.inner.expect(seq);
    }

    pub fn next_expected(&self) -> Option<u16> {
        self.inner.next_expected()
    }

    /// The sequence numbers before `until` (exclusive) that never arrived past the newest one:
    /// the lost tail an EndOfStream notice reveals. They are noted as asked for again.
    pub fn missing_before(&mut self, until: u16) -> Vec<u16> {
        // The time is unused: with `HoleClock::Front` only held packets start a wait.
        self.inner.expect_tail(until, 0)
    }

    /// When [`Holdback::poll`] next has something to do.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.inner.deadline_ms()
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
        let rtp = Rtp {
            marker,
            payload,
            resent,
        };
        let pushed = match self.inner.push(seq, rtp, now_ms) {
            reorder::Pushed::Late => Pushed::Late,
            reorder::Pushed::Taken { new_holes, filled } => Pushed::Taken {
                nack: new_holes,
                filled_hole: filled,
            },
        };
        self.release(out);
        pushed
    }

    /// Gives up holes whose time ran out.
    pub fn poll(&mut self, now_ms: u64, out: &mut Vec<Released>) {
        self.inner.tick(now_ms);
        self.release(out);
    }

    /// Releases everything held, holes given up (end of stream).
    pub fn flush(&mut self, out: &mut Vec<Released>) {
        self.inner.flush_held();
        self.release(out);
    }

    fn release(&mut self, out: &mut Vec<Released>) {
        while let Some(o) = self.inner.pop() {
            out.push(match o {
                Out::Packet { seq, item, filled } => Released::Packet {
                    seq,
                    marker: item.marker,
                    payload: item.payload,
                    recovered: filled && item.resent,
                },
                // A run of holes is shorter than the restart distance, so it fits.
                Out::Lost(n) => Released::Lost(u16::try_from(n).unwrap_or(u16::MAX)),
            });
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
        assert!(h.inner.held() <= MAX_HELD);
        out.clear();
        let far = h.next_expected().unwrap().wrapping_add(5000);
        h.push(far, true, vec![], false, 0, &mut out);
        assert!(matches!(out.last(), Some(Released::Packet { seq, .. }) if *seq == far));
    }
}
