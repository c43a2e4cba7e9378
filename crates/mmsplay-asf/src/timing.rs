//! The time fields of a data packet, found and moved in place (ASF spec 5.2.2 and 5.2.3): the
//! packet's Send Time and each payload's Presentation Time (in its replicated data, or the
//! offset field of a compressed payload). A looping live broadcast moves them forward so its
//! timeline never jumps back; a recording joined mid-stream moves them back to start at zero.

use crate::packet::{PayloadData, payload_positions};

/// Where a packet's time fields are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeFields {
    pub send_time_ms: u32,
    pub duration_ms: u16,
    /// Byte offset of the Send Time field (4 bytes).
    send_at: usize,
    /// Byte offset and width of each presentation time.
    presentation: Vec<(usize, usize)>,
}

impl TimeFields {
    /// The presentation times (ms) of the packet's payloads.
    pub fn presentation_times(&self, packet: &[u8]) -> Vec<u64> {
        self.presentation
            .iter()
            .filter_map(|&(at, w)| read_le(packet.get(at..at + w)?))
            .collect()
    }
}

fn read_le(b: &[u8]) -> Option<u64> {
    Some(b.iter().rev().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
}

/// Finds the time fields; `None` when the packet does not walk cleanly to its end.
pub fn time_fields(p: &[u8]) -> Option<TimeFields> {
    let (h, payloads) = payload_positions(p).ok()?;
    let presentation = payloads
        .iter()
        .filter_map(|(payload, at)| match payload.data {
            PayloadData::Bare { .. } => None,
            PayloadData::Compressed { .. } => Some(at.offset_field),
            PayloadData::Fragment { .. } => Some((at.replicated_at + 4, 4)),
        })
        .collect();
    Some(TimeFields {
        send_time_ms: h.send_time_ms,
        duration_ms: h.duration_ms,
        send_at: h.send_time_at(),
        presentation,
    })
}

/// Adds `delta_ms` (which may be negative) to every time field of the packet, clamped to what
/// each field can hold and never below zero. Returns false, leaving the packet untouched, when
/// it does not walk cleanly.
pub fn shift_times(p: &mut [u8], delta_ms: i64) -> bool {
    let Some(f) = time_fields(p) else {
        return false;
    };
    if delta_ms == 0 {
        return true;
    }
    for (at, w) in std::iter::once((f.send_at, 4)).chain(f.presentation) {
        let Some(b) = p.get_mut(at..at + w) else {
            continue;
        };
        let v = b.iter().rev().fold(0i64, |v, &x| (v << 8) | i64::from(x));
        let max = (1i64 << (8 * w)) - 1;
        let new = v.saturating_add(delta_ms).clamp(0, max);
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = (new >> (8 * i)) as u8;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_packet;

    fn times(p: &[u8]) -> (u32, Vec<u32>) {
        let mut out = Vec::new();
        let info = parse_packet(p, p.len() as u32, &mut out).unwrap();
        let pts =
            out.iter()
                .map(|pl| match pl.data {
                    PayloadData::Fragment { pts_ms, .. }
                    | PayloadData::Compressed { pts_ms, .. } => pts_ms,
                    PayloadData::Bare { .. } => 0,
                })
                .collect();
        (info.send_time_ms, pts)
    }

    /// A multiple-payload packet as ffmpeg writes them: EC 82 00 00, flags 0x09 (multiple,
    /// BYTE padding), properties 0x5D, two payloads with 8-byte replicated data.
    fn sample() -> Vec<u8> {
        let mut p = vec![0x82, 0, 0, 0x09, 0x5D, 0x00];
        p.extend_from_slice(&1000u32.to_le_bytes());
        p.extend_from_slice(&46u16.to_le_bytes());
        p.push(0x82);
        for (obj, pts) in [(1u8, 4100u32), (2, 4146)] {
            p.extend_from_slice(&[0x81, obj]);
            p.extend_from_slice(&0u32.to_le_bytes());
            p.push(8);
            p.extend_from_slice(&4u32.to_le_bytes());
            p.extend_from_slice(&pts.to_le_bytes());
            p.extend_from_slice(&4u16.to_le_bytes());
            p.extend_from_slice(&[obj; 4]);
        }
        p.resize(100, 0);
        p[5] = (100 - 60) as u8;
        p
    }

    #[test]
    fn finds_and_shifts_both_ways() {
        let mut p = sample();
        let f = time_fields(&p).unwrap();
        assert_eq!((f.send_time_ms, f.duration_ms), (1000, 46));
        assert_eq!(f.presentation_times(&p), vec![4100, 4146]);
        assert!(shift_times(&mut p, 10_000));
        assert_eq!(times(&p), (11_000, vec![14_100, 14_146]));
        assert!(shift_times(&mut p, -12_000));
        assert_eq!(times(&p), (0, vec![2100, 2146]), "clamped at zero");
    }

    #[test]
    fn compressed_payloads_move_their_offset_field() {
        // One compressed payload: the offset field (DWORD) is the presentation time, the one
        // replicated byte its delta, then sub-payloads of 3 and 2 bytes.
        let mut p = vec![0x82, 0, 0, 0x00, 0x5D];
        p.extend_from_slice(&100u32.to_le_bytes());
        p.extend_from_slice(&40u16.to_le_bytes());
        p.extend_from_slice(&[0x81, 1]);
        p.extend_from_slice(&500u32.to_le_bytes());
        p.extend_from_slice(&[1, 20, 3, 9, 9, 9, 2, 8, 8]);
        assert_eq!(time_fields(&p).unwrap().presentation_times(&p), vec![500]);
        assert!(shift_times(&mut p, 250));
        assert_eq!(times(&p), (350, vec![750]));
    }

    #[test]
    fn unwalkable_packets_are_left_alone() {
        for bad in [
            |p: &mut Vec<u8>| p[0] = 0x82 | 0x60, // undefined error correction form
            |p: &mut Vec<u8>| p[19] = 3,          // replicated data of 3 bytes
            |p: &mut Vec<u8>| p.truncate(12),     // cut inside the payload header
        ] {
            let mut p = sample();
            bad(&mut p);
            let before = p.clone();
            assert!(!shift_times(&mut p, 5));
            assert_eq!(p, before);
        }
        let mut junk = vec![0x82, 0xFF];
        assert!(!shift_times(&mut junk, 5));
    }

    /// Moving a recording's packets back to zero changes every time and nothing else.
    #[test]
    fn rebasing_moves_every_time_and_nothing_else() {
        let mut pk = crate::Packetizer::new(400);
        for i in 0..20u32 {
            pk.push_object(1, 60_000 + i * 100, true, &[i as u8; 150]);
        }
        pk.flush();
        for p in pk.take_packets() {
            let mut before = Vec::new();
            let info = parse_packet(&p, 400, &mut before).unwrap();
            let mut q = p.clone();
            assert!(shift_times(&mut q, -59_000));
            let mut after = Vec::new();
            let info2 = parse_packet(&q, 400, &mut after).unwrap();
            assert_eq!(info2.send_time_ms, info.send_time_ms - 59_000);
            assert_eq!(before.len(), after.len());
            for (a, b) in before.iter().zip(&after) {
                match (&a.data, &b.data) {
                    (
                        PayloadData::Fragment {
                            pts_ms: x,
                            data: d1,
                            ..
                        },
                        PayloadData::Fragment {
                            pts_ms: y,
                            data: d2,
                            ..
                        },
                    ) => {
                        assert_eq!(*y, x - 59_000);
                        assert_eq!(d1, d2);
                    }
                    other => panic!("unexpected payloads {other:?}"),
                }
            }
        }
    }

    #[test]
    fn garbage_never_panics_or_resizes() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let len = (next() % 600) as usize;
            let mut p: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = time_fields(&p);
            shift_times(&mut p, (next() % 100_000) as i64 - 50_000);
            assert_eq!(p.len(), len);
        }
    }
}
