//! Packet-pair bandwidth probing ([MS-MMSP] 4.4, [MS-WMSP] 4.3): the server sends two probe
//! packets back to back, so the second one leaves right behind the first and reaches the
//! client one bottleneck-transmission-time later. Its size over the gap between the two
//! arrivals estimates the link's bandwidth. Sans-IO: the transport stamps arrivals, this turns
//! them into bits per second.

use std::time::{Duration, Instant};

/// The shortest gap we believe. Both packets of a pair often arrive in one read (loopback,
/// a fast LAN): a zero gap means "faster than we can time", so it is read as this gap and
/// the estimate is a lower bound rather than a division by zero.
pub const MIN_GAP: Duration = Duration::from_micros(10);

/// The largest estimate reported (10 Gb/s): beyond any stream's bit rate, so a cap at this
/// value selects like no cap at all.
pub const MAX_BPS: u64 = 10_000_000_000;

/// Bits per second of a packet of `second_len` bytes (as it travelled, framing included)
/// that arrived `gap` after its pair's first packet; bounded by [`MIN_GAP`] and [`MAX_BPS`].
pub fn estimate_bps(second_len: usize, gap: Duration) -> u64 {
    let gap = gap.max(MIN_GAP).as_nanos();
    let bits = (second_len as u128).saturating_mul(8);
    let bps = bits.saturating_mul(1_000_000_000) / gap;
    bps.min(u128::from(MAX_BPS)) as u64
}

/// Times the pair: the first probe packet's arrival, then the second's, in that order
/// ([MS-WMSP] 3.1.5.6, [MS-MMSP] 3.1.5.4). A third probe packet (both protocols send one
/// after the pair) and anything after it are ignored.
#[derive(Clone, Debug, Default)]
pub struct PairTimer {
    first: Option<Instant>,
    seen: u8,
    estimate: Option<u64>,
}

impl PairTimer {
    pub fn new() -> PairTimer {
        PairTimer::default()
    }

    /// One probe packet of `len` bytes arrived at `at`.
    pub fn arrival(&mut self, len: usize, at: Instant) {
        self.seen = self.seen.saturating_add(1);
        match (self.seen, self.first) {
            (1, _) => self.first = Some(at),
            (2, Some(first)) => {
                self.estimate = Some(estimate_bps(len, at.saturating_duration_since(first)));
            }
            _ => {}
        }
    }

    /// The measured bandwidth in bits per second, once the pair's second packet came.
    pub fn estimate(&self) -> Option<u64> {
        self.estimate
    }

    /// Probe packets seen so far.
    pub fn seen(&self) -> u8 {
        self.seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_is_the_second_packets_bits_over_the_gap() {
        // 512 bytes in 1 ms: 4096 bits / 0.001 s.
        assert_eq!(estimate_bps(512, Duration::from_millis(1)), 4_096_000);
        // 1 Mb/s link: 1250 bytes take 10 ms.
        assert_eq!(estimate_bps(1250, Duration::from_millis(10)), 1_000_000);
    }

    #[test]
    fn a_zero_gap_reads_as_the_shortest_gap_and_huge_values_are_capped() {
        assert_eq!(estimate_bps(512, Duration::ZERO), 512 * 8 * 100_000);
        assert_eq!(estimate_bps(usize::MAX, Duration::ZERO), MAX_BPS);
        assert_eq!(estimate_bps(0, Duration::from_secs(1)), 0);
    }

    #[test]
    fn the_timer_measures_the_first_two_arrivals_only() {
        let t0 = Instant::now();
        let mut t = PairTimer::new();
        assert_eq!(t.estimate(), None);
        t.arrival(512, t0);
        assert_eq!(t.estimate(), None);
        t.arrival(512, t0 + Duration::from_millis(2));
        assert_eq!(t.estimate(), Some(2_048_000));
        // The third packet does not move the estimate.
        t.arrival(1056, t0 + Duration::from_millis(3));
        assert_eq!(t.estimate(), Some(2_048_000));
        assert_eq!(t.seen(), 3);
    }

    #[test]
    fn a_second_arrival_stamped_before_the_first_counts_as_a_zero_gap() {
        let t0 = Instant::now() + Duration::from_secs(1);
        let mut t = PairTimer::new();
        t.arrival(512, t0);
        t.arrival(512, t0 - Duration::from_millis(5));
        assert_eq!(t.estimate(), Some(estimate_bps(512, Duration::ZERO)));
    }
}
