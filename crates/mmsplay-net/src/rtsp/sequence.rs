//! RTP sequence numbers in (RFC 3550 A.1, simplified): what arrived in order, what was skipped
//! (lost), what came late, and the figures of a reception report.

use super::rtp::ReportBlock;

/// A jump larger than this is taken as the sender restarting its sequence, not as loss.
pub const MAX_DROPOUT: u16 = 3000;

/// What to do with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqVerdict {
    /// The next expected packet (or the first one).
    InOrder,
    /// `lost` packets before this one never arrived; this one is taken.
    Gap { lost: u16 },
    /// Older than the newest taken packet: a duplicate or reordered packet, dropped.
    Late,
    /// The sequence jumped far: the tracker restarted at this packet.
    Restart,
}

#[derive(Clone, Debug, Default)]
pub struct SeqTracker {
    /// The next expected sequence number, once a packet arrived.
    next: Option<u16>,
    /// The highest sequence number taken.
    max_seq: Option<u16>,
    /// Sequence number wraps, for the extended highest sequence number.
    cycles: u32,
    base: u32,
    received: u64,
    lost: u64,
    /// Figures at the last report, for the fraction lost.
    expected_prior: u64,
    received_prior: u64,
}

impl SeqTracker {
    /// Starts expecting `seq` (the `RTP-Info` seq of the PLAY reply).
    pub fn expect(&mut self, seq: u16) {
        if self.next.is_none() {
            self.next = Some(seq);
            self.base = u32::from(seq);
        }
    }

    pub fn next_expected(&self) -> Option<u16> {
        self.next
    }

    pub fn on_packet(&mut self, seq: u16) -> SeqVerdict {
        let Some(next) = self.next else {
            self.next = Some(seq.wrapping_add(1));
            self.max_seq = Some(seq);
            self.base = u32::from(seq);
            self.received += 1;
            return SeqVerdict::InOrder;
        };
        let delta = seq.wrapping_sub(next);
        let verdict = if delta == 0 {
            SeqVerdict::InOrder
        } else if delta < MAX_DROPOUT {
            self.lost += u64::from(delta);
            SeqVerdict::Gap { lost: delta }
        } else if delta >= 0x8000 {
            // Behind the expected number (modulo 2^16): late or duplicate.
            return SeqVerdict::Late;
        } else {
            SeqVerdict::Restart
        };
        if verdict == SeqVerdict::Restart {
            self.base = u32::from(seq);
            self.cycles = 0;
        } else if self.max_seq.is_some_and(|m| seq < m) {
            // Moved forward yet numerically smaller: the 16-bit number wrapped.
            self.cycles = self.cycles.wrapping_add(1 << 16);
        }
        self.max_seq = Some(seq);
        self.next = Some(seq.wrapping_add(1));
        self.received += 1;
        verdict
    }

    /// A reception report block for the sender `ssrc` (RFC 3550 6.4.1, A.3).
    pub fn report(&mut self, ssrc: u32) -> ReportBlock {
        let highest = self
            .next
            .map(|n| self.cycles | u32::from(n.wrapping_sub(1)))
            .unwrap_or(0);
        let expected = u64::from(highest.wrapping_sub(self.base)) + 1;
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval.saturating_sub(received_interval);
        let fraction_lost = (lost_interval << 8)
            .checked_div(expected_interval)
            .map_or(0, |f| f.min(255) as u8);
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.lost.min(0x7F_FFFF) as i32,
            extended_highest_seq: highest,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_gaps_late_and_wraps() {
        let mut t = SeqTracker::default();
        t.expect(65534);
        assert_eq!(t.on_packet(65534), SeqVerdict::InOrder);
        assert_eq!(t.on_packet(65535), SeqVerdict::InOrder);
        assert_eq!(t.on_packet(2), SeqVerdict::Gap { lost: 2 });
        assert_eq!(t.on_packet(1), SeqVerdict::Late);
        assert_eq!(t.on_packet(2), SeqVerdict::Late);
        assert_eq!(t.on_packet(3), SeqVerdict::InOrder);
        assert_eq!(t.next_expected(), Some(4));
        let r = t.report(5);
        assert_eq!(r.cumulative_lost, 2);
        assert_eq!(r.extended_highest_seq, 0x1_0003);
        assert_eq!(t.on_packet(20000), SeqVerdict::Restart);
        assert_eq!(t.on_packet(20001), SeqVerdict::InOrder);
    }
}
