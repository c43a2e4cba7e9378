//! One forward-running timeline across source connections and source discontinuities: the
//! first packet of a connection, and any packet whose send time runs back (a source that
//! loops or restarts its clock), is moved to follow the last one relayed, so listeners see a
//! gap in the stream, never time running backwards.

use mmsplay_asf::timing::{shift_times, time_fields};

/// The step from the last packet before a discontinuity to the first after it, until the
/// source has shown its own packet interval.
const DEFAULT_STEP_MS: i64 = 100;

#[derive(Debug, Default)]
pub struct Timeline {
    /// Added to the current connection's times.
    offset: i64,
    /// The latest send time relayed.
    last_out: Option<u64>,
    /// The next packet is the first of a new connection.
    restarted: bool,
    /// The latest forward step between two packets of the source.
    step: Option<i64>,
}

impl Timeline {
    /// A new source connection starts.
    pub fn restart(&mut self) {
        self.restarted = true;
    }

    /// Moves the packet's time fields onto the timeline; returns its send time there. A packet
    /// whose fields cannot be found goes as it is, at the latest time.
    pub fn place(&mut self, p: &mut [u8]) -> u64 {
        let Some(fields) = time_fields(p) else {
            return self.last_out.unwrap_or(0);
        };
        let t = i64::from(fields.send_time_ms);
        let restarted = std::mem::take(&mut self.restarted);
        if let Some(last) = self.last_out {
            let last = last as i64;
            let ran_back = t + self.offset < last;
            if restarted || ran_back {
                self.offset = last + self.step.unwrap_or(DEFAULT_STEP_MS) - t;
            } else if t + self.offset > last {
                self.step = Some(t + self.offset - last);
            }
        }
        shift_times(p, self.offset);
        let out = (t + self.offset).max(0) as u64;
        let out = out.max(self.last_out.unwrap_or(0));
        self.last_out = Some(out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmsplay_asf::Packetizer;

    fn packet_at(ms: u32) -> Vec<u8> {
        let mut p = Packetizer::new(200);
        p.push_object(1, ms, true, &[7u8; 50]);
        p.flush();
        p.take_packets().remove(0)
    }

    #[test]
    fn a_new_connection_continues_the_timeline() {
        let mut tl = Timeline::default();
        tl.restart();
        let mut a = packet_at(5_000);
        assert_eq!(tl.place(&mut a), 5_000);
        tl.restart();
        // The source came back from zero: its packets follow on.
        let mut b = packet_at(0);
        assert_eq!(tl.place(&mut b), 5_100);
        assert_eq!(time_fields(&b).unwrap().send_time_ms, 5_100);
        let mut c = packet_at(40);
        assert_eq!(tl.place(&mut c), 5_140);
    }

    #[test]
    fn a_source_clock_that_runs_back_is_moved_on() {
        let mut tl = Timeline::default();
        tl.restart();
        for (at, want) in [(0, 0), (760, 760), (0, 1_520), (760, 2_280), (1_000, 2_520)] {
            let mut p = packet_at(at);
            assert_eq!(tl.place(&mut p), want, "packet at {at}");
        }
    }
}
