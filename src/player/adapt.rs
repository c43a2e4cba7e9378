//! When to move between bitrate variants of the same audio, as Windows Media Player did: down
//! when loss or underruns show the link cannot carry the current one, back up when it has been
//! clean for a while. A pure state machine fed once a second; the pipeline makes the switch.

/// What the link did over the last second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Second {
    pub packets_received: u64,
    pub packets_lost: u64,
    /// The sound device ran dry this many times.
    pub underruns: u64,
}

/// A decision: play variant `to` (an index into the ladder) from now on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub to: usize,
    /// `loss`, `underrun` or `recovered`, for the event and the log.
    pub reason: &'static str,
}

/// A second with more than this share of packets lost counts as trouble.
const LOSS_SHARE: f64 = 0.05;
/// Troubled seconds in a row before moving down.
const DOWN_AFTER: u32 = 2;
/// Clean seconds in a row before trying one step up; doubled after each failed try, so a link
/// that cannot carry the higher variant is not asked to every few seconds.
const UP_AFTER: u32 = 10;
const UP_AFTER_MAX: u32 = 120;
/// Seconds after a switch during which the link is not judged (the new stream's start-up).
const SETTLE: u32 = 3;

/// The adaptive policy over a ladder of variants, ordered by rising bitrate.
#[derive(Clone, Debug)]
pub struct Adapter {
    /// How many variants there are; indexes run 0 (lowest) to `len - 1`.
    len: usize,
    /// The highest index allowed (`--max-bitrate`).
    top: usize,
    current: usize,
    bad: u32,
    good: u32,
    up_after: u32,
    settle: u32,
    /// The variant we last moved down from: moving up to it again and failing backs off.
    failed_up: Option<usize>,
}

impl Adapter {
    /// `len` variants, starting at `current`, never going above `top`.
    pub fn new(len: usize, current: usize, top: usize) -> Adapter {
        let top = top.min(len.saturating_sub(1));
        Adapter {
            len,
            top,
            current: current.min(top),
            bad: 0,
            good: 0,
            up_after: UP_AFTER,
            settle: 0,
            failed_up: None,
        }
    }

    pub fn current(&self) -> usize {
        self.current
    }

    /// Judges one second; returns the variant to move to, if any.
    pub fn second(&mut self, s: Second) -> Option<Decision> {
        if self.len < 2 {
            return None;
        }
        if self.settle > 0 {
            self.settle -= 1;
            return None;
        }
        let total = s.packets_received + s.packets_lost;
        let lossy = total > 0 && s.packets_lost as f64 / total as f64 > LOSS_SHARE;
        if lossy || s.underruns > 0 {
            self.good = 0;
            self.bad += 1;
            if self.bad >= DOWN_AFTER && self.current > 0 {
                let reason = if s.underruns > 0 { "underrun" } else { "loss" };
                // Failing right after an upward move: wait longer before the next try.
                if self.failed_up == Some(self.current) {
                    self.up_after = (self.up_after * 2).min(UP_AFTER_MAX);
                }
                return Some(self.go(self.current - 1, reason));
            }
            return None;
        }
        self.bad = 0;
        if total == 0 {
            // Nothing arrived: no evidence either way (paused, or between entries).
            return None;
        }
        self.good += 1;
        if self.good >= self.up_after && self.current < self.top {
            let to = self.current + 1;
            self.failed_up = Some(to);
            return Some(self.go(to, "recovered"));
        }
        None
    }

    fn go(&mut self, to: usize, reason: &'static str) -> Decision {
        self.current = to;
        self.bad = 0;
        self.good = 0;
        self.settle = SETTLE;
        Decision { to, reason }
    }
}

/// Turns running totals into one second's [`Second`].
#[derive(Default)]
pub struct SecondCounter {
    last: Second,
}

impl SecondCounter {
    /// The change since the previous call, given the running totals.
    pub fn delta(&mut self, totals: Second) -> Second {
        let d = Second {
            packets_received: totals
                .packets_received
                .saturating_sub(self.last.packets_received),
            packets_lost: totals.packets_lost.saturating_sub(self.last.packets_lost),
            underruns: totals.underruns.saturating_sub(self.last.underruns),
        };
        self.last = totals;
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN: Second = Second {
        packets_received: 50,
        packets_lost: 0,
        underruns: 0,
    };
    const LOSSY: Second = Second {
        packets_received: 40,
        packets_lost: 10,
        underruns: 0,
    };

    fn run(a: &mut Adapter, s: Second, n: usize) -> Vec<Decision> {
        (0..n).filter_map(|_| a.second(s)).collect()
    }

    #[test]
    fn loss_moves_down_one_step_at_a_time_and_stops_at_the_bottom() {
        let mut a = Adapter::new(3, 2, 2);
        assert_eq!(a.second(LOSSY), None, "one bad second is not enough");
        assert_eq!(
            a.second(LOSSY),
            Some(Decision {
                to: 1,
                reason: "loss"
            })
        );
        // Settling, then two more bad seconds.
        let d = run(&mut a, LOSSY, SETTLE as usize + 2);
        assert_eq!(d.iter().map(|d| d.to).collect::<Vec<_>>(), vec![0]);
        assert!(run(&mut a, LOSSY, 20).is_empty());
    }

    #[test]
    fn underruns_count_and_a_little_loss_does_not() {
        let mut a = Adapter::new(2, 1, 1);
        let small = Second {
            packets_received: 99,
            packets_lost: 1,
            underruns: 0,
        };
        assert!(run(&mut a, small, 10).is_empty());
        let dry = Second {
            underruns: 1,
            ..CLEAN
        };
        assert_eq!(run(&mut a, dry, 2)[0].reason, "underrun");
    }

    #[test]
    fn a_clean_link_moves_up_with_growing_patience_and_never_past_the_cap() {
        let mut a = Adapter::new(3, 0, 1);
        let d = run(&mut a, CLEAN, UP_AFTER as usize);
        assert_eq!(
            d,
            vec![Decision {
                to: 1,
                reason: "recovered"
            }]
        );
        assert!(run(&mut a, CLEAN, 100).is_empty(), "the cap is index 1");
        // Failing at the new level doubles the wait before the next try.
        run(&mut a, LOSSY, SETTLE as usize + 2);
        assert_eq!(a.current(), 0);
        let n = (SETTLE + UP_AFTER * 2) as usize;
        assert!(run(&mut a, CLEAN, n - 1 - SETTLE as usize).is_empty());
        assert_eq!(run(&mut a, CLEAN, SETTLE as usize + 1).len(), 1);
    }

    #[test]
    fn silence_is_no_evidence_and_one_variant_never_switches() {
        let mut a = Adapter::new(2, 0, 1);
        assert!(run(&mut a, Second::default(), 50).is_empty());
        let mut one = Adapter::new(1, 0, 0);
        assert!(run(&mut one, LOSSY, 10).is_empty());
    }
}
