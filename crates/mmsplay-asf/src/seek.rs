//! Seeking in a file: which data packet to start reading at for a presentation time. Sans-IO:
//! the caller reads the objects after the Data Object, or the packet headers a bisection asks
//! for, and hands over the bytes.
//!
//! Two ways, in the order a player tries them:
//! - the index objects after the Data Object: the Simple Index Object (ASF spec 6.1), one packet
//!   number per time interval, or the Index Object (6.2), byte offsets per interval and stream;
//! - without an index, a bisection over the data packets by their send time (5.2.2), which
//!   every packet header carries: at most [`MAX_BISECT_STEPS`] packet headers are read.
//!
//! Index times are presentation times including the preroll, as FFmpeg reads them.

use crate::error::{AsfError, Result};
use crate::guid::{self, Guid};
use crate::reader::Reader;

/// Largest index object we read. An index has one entry (6 bytes) per second or so: 16 MiB is
/// a month of audio.
pub const MAX_INDEX_SIZE: u64 = 16 * 1024 * 1024;

/// Most packet headers a bisection reads: enough to halve any 64-bit packet count to one.
pub const MAX_BISECT_STEPS: u32 = 64;

/// Bytes of an object's GUID and size, which is all [`object_head`] needs.
pub const OBJECT_HEAD_LEN: usize = 24;

/// The GUID and declared size of the top-level object starting at `b`.
pub fn object_head(b: &[u8]) -> Result<(Guid, u64)> {
    let mut r = Reader::new(b, 0, "object header");
    let g = r.guid()?;
    let size = r.u64()?;
    if size < OBJECT_HEAD_LEN as u64 {
        return Err(AsfError::Invalid {
            what: "object size",
            offset: 16,
        });
    }
    Ok((g, size))
}

/// Whether an object after the Data Object is an index this module reads.
pub fn is_index(g: &Guid) -> bool {
    *g == guid::SIMPLE_INDEX || *g == guid::INDEX
}

/// Where playback can start, by presentation time: entry `i` is the first packet to read for
/// time `i * interval`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketIndex {
    /// The time between entries, in milliseconds (never 0).
    pub interval_ms: u64,
    /// Packet numbers, counted from the first data packet.
    pub packets: Vec<u64>,
}

impl PacketIndex {
    /// Reads an index object (Simple Index or Index, whole, with its GUID and size) for stream
    /// `stream` of a file whose packets are `packet_size` bytes long.
    pub fn parse(obj: &[u8], stream: u8, packet_size: u32) -> Result<PacketIndex> {
        let (g, _) = object_head(obj)?;
        if g == guid::SIMPLE_INDEX {
            Self::parse_simple(obj)
        } else if g == guid::INDEX {
            Self::parse_index(obj, stream, packet_size)
        } else {
            Err(AsfError::Invalid {
                what: "index object GUID",
                offset: 0,
            })
        }
    }

    /// The Simple Index Object: File ID, interval (100 ns units), maximum packet count, then
    /// entries of packet number (DWORD) and packet count (WORD).
    fn parse_simple(obj: &[u8]) -> Result<PacketIndex> {
        let mut r = Reader::new(obj, 0, "Simple Index Object");
        r.skip(OBJECT_HEAD_LEN + 16)?;
        let interval_100ns = r.u64()?;
        let _max_packet_count = r.u32()?;
        let count = r.u32()?;
        // Each entry is 6 bytes: a count that the object cannot hold is a lie, not a size to
        // allocate.
        if u64::from(count) * 6 > r.remaining() as u64 {
            return Err(AsfError::Truncated {
                what: "Simple Index entries",
                offset: r.offset(),
            });
        }
        let mut packets = Vec::with_capacity(count as usize);
        for _ in 0..count {
            packets.push(u64::from(r.u32()?));
            r.skip(2)?;
        }
        Self::checked(interval_100ns / 10_000, packets)
    }

    /// The Index Object: interval (ms), specifiers (stream, type), then blocks each of an
    /// entry count, one base position per specifier and per entry one offset per specifier.
    fn parse_index(obj: &[u8], stream: u8, packet_size: u32) -> Result<PacketIndex> {
        let mut r = Reader::new(obj, 0, "Index Object");
        r.skip(OBJECT_HEAD_LEN)?;
        let interval_ms = u64::from(r.u32()?);
        let specifiers = usize::from(r.u16()?);
        let blocks = r.u32()?;
        let mut column = None;
        for i in 0..specifiers {
            let s = r.u16()?;
            let _index_type = r.u16()?;
            if column.is_none() && s == u16::from(stream) {
                column = Some(i);
            }
        }
        let column = column.ok_or(AsfError::Invalid {
            what: "Index Object stream",
            offset: r.offset(),
        })?;
        let mut packets = Vec::new();
        for _ in 0..blocks {
            let entries = r.u32()?;
            let mut base = 0;
            for i in 0..specifiers {
                let p = r.u64()?;
                if i == column {
                    base = p;
                }
            }
            let row = specifiers * 4;
            if u64::from(entries) * row as u64 > r.remaining() as u64 {
                return Err(AsfError::Truncated {
                    what: "Index Object entries",
                    offset: r.offset(),
                });
            }
            for _ in 0..entries {
                let cells = r.bytes(row)?;
                let at = column * 4;
                let off =
                    u32::from_le_bytes([cells[at], cells[at + 1], cells[at + 2], cells[at + 3]]);
                // The offsets are bytes from the first data packet.
                packets.push((base + u64::from(off)) / u64::from(packet_size.max(1)));
            }
        }
        Self::checked(interval_ms, packets)
    }

    fn checked(interval_ms: u64, packets: Vec<u64>) -> Result<PacketIndex> {
        if interval_ms == 0 || packets.is_empty() {
            return Err(AsfError::Invalid {
                what: "index interval or entry count",
                offset: 0,
            });
        }
        Ok(PacketIndex {
            interval_ms,
            packets,
        })
    }

    /// The packet to start at so that presentation time `time_ms` (preroll included) is
    /// covered: the entry at or before it, the last entry past the end.
    pub fn packet_for(&self, time_ms: u64) -> u64 {
        let i = usize::try_from(time_ms / self.interval_ms).unwrap_or(usize::MAX);
        self.packets[i.min(self.packets.len() - 1)]
    }
}

/// A bisection over the data packets for the last one sent at or before a time. Drive it with
/// [`Bisect::probe`] and [`Bisect::send_time`] until `probe` says `None`, then take
/// [`Bisect::packet`]. It asks for at most [`MAX_BISECT_STEPS`] packets whatever the send
/// times say (they need not even be ordered in a damaged file).
#[derive(Clone, Debug)]
pub struct Bisect {
    target_ms: u64,
    /// The best packet known so far: sent at or before the target (or the first packet).
    lo: u64,
    /// The first packet known to be sent after the target (or the packet count).
    hi: u64,
    steps: u32,
}

impl Bisect {
    pub fn new(packet_count: u64, target_send_ms: u64) -> Bisect {
        Bisect {
            target_ms: target_send_ms,
            lo: 0,
            hi: packet_count.max(1),
            steps: 0,
        }
    }

    /// The packet whose send time is wanted next, or `None` when the search is over.
    pub fn probe(&self) -> Option<u64> {
        (self.hi - self.lo > 1 && self.steps < MAX_BISECT_STEPS)
            .then(|| self.lo + (self.hi - self.lo) / 2)
    }

    /// The send time of the probed packet, or `None` when it could not be read or parsed (it
    /// is then taken as too late, so that the search errs towards earlier packets).
    pub fn send_time(&mut self, packet: u64, send_ms: Option<u32>) {
        self.steps += 1;
        if packet <= self.lo || packet >= self.hi {
            return;
        }
        match send_ms {
            Some(t) if u64::from(t) <= self.target_ms => self.lo = packet,
            _ => self.hi = packet,
        }
    }

    /// The packet to start reading at.
    pub fn packet(&self) -> u64 {
        self.lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple_index(interval_ms: u64, packets: &[u32]) -> Vec<u8> {
        let mut b = guid::SIMPLE_INDEX.0.to_vec();
        b.extend_from_slice(&(56 + 6 * packets.len() as u64).to_le_bytes());
        b.extend_from_slice(&[0; 16]);
        b.extend_from_slice(&(interval_ms * 10_000).to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&(packets.len() as u32).to_le_bytes());
        for p in packets {
            b.extend_from_slice(&p.to_le_bytes());
            b.extend_from_slice(&1u16.to_le_bytes());
        }
        b
    }

    #[test]
    fn a_simple_index_maps_times_to_packets() {
        let idx = PacketIndex::parse(&simple_index(1000, &[0, 0, 3, 7]), 1, 100).unwrap();
        assert_eq!(idx.interval_ms, 1000);
        assert_eq!(idx.packet_for(0), 0);
        assert_eq!(idx.packet_for(2999), 3);
        assert_eq!(idx.packet_for(3000), 7);
        assert_eq!(idx.packet_for(u64::MAX), 7, "past the end: the last entry");
    }

    #[test]
    fn an_index_object_gives_packets_from_byte_offsets_of_its_stream() {
        let mut b = guid::INDEX.0.to_vec();
        b.extend_from_slice(&0u64.to_le_bytes()); // size, not checked beyond the minimum
        b.extend_from_slice(&500u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes()); // two specifiers: streams 2 and 1
        b.extend_from_slice(&1u32.to_le_bytes()); // one block
        for s in [2u16, 1] {
            b.extend_from_slice(&s.to_le_bytes());
            b.extend_from_slice(&1u16.to_le_bytes());
        }
        b.extend_from_slice(&3u32.to_le_bytes()); // three entries
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&1000u64.to_le_bytes()); // stream 1's block base
        for (s2, s1) in [(0u32, 0u32), (0, 200), (0, 450)] {
            b.extend_from_slice(&s2.to_le_bytes());
            b.extend_from_slice(&s1.to_le_bytes());
        }
        let n = b.len() as u64;
        b[16..24].copy_from_slice(&n.to_le_bytes());
        let idx = PacketIndex::parse(&b, 1, 100).unwrap();
        assert_eq!(idx.interval_ms, 500);
        assert_eq!(idx.packets, vec![10, 12, 14]);
        assert!(
            PacketIndex::parse(&b, 3, 100).is_err(),
            "no column for stream 3"
        );
    }

    #[test]
    fn lying_counts_and_short_objects_are_errors_not_allocations() {
        let mut b = simple_index(1000, &[1, 2]);
        b[52..56].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(PacketIndex::parse(&b, 1, 100).is_err());
        assert!(PacketIndex::parse(&simple_index(0, &[1]), 1, 100).is_err());
        assert!(PacketIndex::parse(&simple_index(1000, &[]), 1, 100).is_err());
        for n in 0..60 {
            let _ = PacketIndex::parse(&simple_index(1000, &[1, 2])[..n], 1, 100);
        }
    }

    fn bisect(times: &[u32], target: u64) -> (u64, u32) {
        let mut b = Bisect::new(times.len() as u64, target);
        let mut steps = 0;
        while let Some(p) = b.probe() {
            steps += 1;
            b.send_time(p, times.get(p as usize).copied());
        }
        (b.packet(), steps)
    }

    #[test]
    fn bisection_finds_the_last_packet_sent_at_or_before_the_target() {
        let times: Vec<u32> = (0..1000).map(|i| i * 100).collect();
        assert_eq!(bisect(&times, 0).0, 0);
        assert_eq!(bisect(&times, 50).0, 0);
        assert_eq!(bisect(&times, 12_345).0, 123);
        assert_eq!(bisect(&times, 12_300).0, 123);
        assert_eq!(bisect(&times, u64::MAX).0, 999);
        assert!(bisect(&times, 12_345).1 <= 10);
        assert_eq!(bisect(&[], 10).0, 0);
    }

    #[test]
    fn bisection_is_bounded_whatever_the_send_times_say() {
        let mut b = Bisect::new(u64::MAX, 1_000);
        let mut steps = 0;
        while let Some(p) = b.probe() {
            steps += 1;
            // Garbage: alternately early and late.
            b.send_time(p, Some(if steps % 2 == 0 { 0 } else { u32::MAX }));
        }
        assert!(steps <= MAX_BISECT_STEPS);
        let mut b = Bisect::new(1 << 40, 1_000);
        let mut steps = 0;
        while let Some(p) = b.probe() {
            steps += 1;
            b.send_time(p, None);
        }
        assert_eq!(b.packet(), 0, "unreadable packets push the start earlier");
        assert!(steps <= 41);
    }
}
