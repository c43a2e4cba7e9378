//! Moving a data packet along the timeline, for live loops: the packet's send time and every
//! payload's presentation time get `shift_ms` added (ASF spec 5.2), so that a looping
//! broadcast keeps increasing timestamps, as a real live stream does (ffmpeg and VLC treat a
//! timestamp that jumps back as corrupt). Packets that cannot be walked are left unchanged.

/// Adds `shift_ms` to the times in `packet`. Returns whether the packet was rewritten.
pub fn shift_times(packet: &mut [u8], shift_ms: u32) -> bool {
    if shift_ms == 0 {
        return true;
    }
    walk(packet, shift_ms).is_some()
}

/// Byte length of a field of length type `t` (ASF spec 5.2.2: 0, BYTE, WORD, DWORD).
fn var_len(t: u8) -> usize {
    match t & 3 {
        0 => 0,
        1 => 1,
        2 => 2,
        _ => 4,
    }
}

fn read_var(b: &[u8], pos: usize, t: u8) -> Option<u32> {
    let n = var_len(t);
    let s = b.get(pos..pos + n)?;
    Some(match n {
        0 => 0,
        1 => u32::from(s[0]),
        2 => u32::from(u16::from_le_bytes([s[0], s[1]])),
        _ => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
    })
}

fn add_u32(b: &mut [u8], pos: usize, shift: u32) -> Option<()> {
    let s = b.get_mut(pos..pos + 4)?;
    let v = u32::from_le_bytes([s[0], s[1], s[2], s[3]]).wrapping_add(shift);
    s.copy_from_slice(&v.to_le_bytes());
    Some(())
}

/// Validates the whole structure before touching anything, then rewrites.
fn walk(b: &mut [u8], shift: u32) -> Option<()> {
    let mut at = Vec::new();
    let mut pos = 0usize;
    let mut first = *b.first()?;
    if first & 0x80 != 0 {
        if first & 0x60 != 0 {
            return None;
        }
        pos += 1 + usize::from(first & 0x0F);
        first = *b.get(pos)?;
    }
    let length_flags = first;
    let property_flags = *b.get(pos + 1)?;
    pos += 2;
    let declared = read_var(b, pos, length_flags >> 5)? as usize;
    pos += var_len(length_flags >> 5);
    pos += var_len(length_flags >> 1);
    let padding = read_var(b, pos, length_flags >> 3)? as usize;
    pos += var_len(length_flags >> 3);
    at.push(pos); // send time
    pos += 6;
    let packet_len = if declared == 0 {
        b.len()
    } else {
        declared.min(b.len())
    };
    let end = packet_len.checked_sub(padding)?;
    let (rep_t, off_t, obj_t) = (property_flags, property_flags >> 2, property_flags >> 4);
    let payload = |pos: &mut usize, at: &mut Vec<usize>| -> Option<()> {
        let offset_at = *pos + 1 + var_len(obj_t);
        *pos = offset_at + var_len(off_t);
        let rep = read_var(b, *pos, rep_t)? as usize;
        *pos += var_len(rep_t);
        if rep >= 8 {
            at.push(*pos + 4); // presentation time in the replicated data
        } else if rep == 1 && var_len(off_t) == 4 {
            at.push(offset_at); // compressed: the offset field is the presentation time
        } else if rep != 0 {
            return None;
        }
        *pos += rep;
        Some(())
    };
    if length_flags & 1 != 0 {
        let flags = *b.get(pos)?;
        pos += 1;
        for _ in 0..(flags & 0x3F) {
            if pos >= end {
                break;
            }
            payload(&mut pos, &mut at)?;
            let len = read_var(b, pos, flags >> 6)? as usize;
            pos += var_len(flags >> 6) + len;
            if pos > end {
                return None;
            }
        }
    } else if pos < end {
        payload(&mut pos, &mut at)?;
        if pos > end {
            return None;
        }
    }
    // Every time field must lie inside the packet proper (not in its padding).
    if at.iter().any(|p| p + 4 > end.max(at[0] + 4)) {
        return None;
    }
    for p in at {
        add_u32(b, p, shift)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmsplay_asf::{PayloadData, parse_packet};

    fn times(p: &[u8], size: u32) -> (u32, Vec<u32>) {
        let mut out = Vec::new();
        let info = parse_packet(p, size, &mut out).unwrap();
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
        p.extend_from_slice(&1000u32.to_le_bytes()); // send time
        p.extend_from_slice(&46u16.to_le_bytes()); // duration
        p.push(0x82); // 2 payloads, WORD lengths
        for (obj, pts) in [(1u8, 4100u32), (2, 4146)] {
            p.extend_from_slice(&[0x81, obj]); // stream 1 key frame, object number
            p.extend_from_slice(&0u32.to_le_bytes()); // offset into object
            p.push(8); // replicated data length
            p.extend_from_slice(&4u32.to_le_bytes()); // object size
            p.extend_from_slice(&pts.to_le_bytes());
            p.extend_from_slice(&4u16.to_le_bytes());
            p.extend_from_slice(&[obj; 4]);
        }
        p.resize(100, 0);
        p[5] = (100 - 60) as u8; // padding length
        p
    }

    #[test]
    fn shifts_send_and_presentation_times() {
        let mut p = sample();
        let size = p.len() as u32;
        assert_eq!(times(&p, size), (1000, vec![1000 + 3100, 1046 + 3100]));
        assert!(shift_times(&mut p, 10_000));
        assert_eq!(times(&p, size), (11_000, vec![14_100, 14_146]));
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
    }
}
