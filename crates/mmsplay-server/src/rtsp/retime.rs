//! Moves an ASF data packet later in time: its Send Time and every payload's presentation time
//! (ASF spec 5.2.2 and 5.2.3). A looping live broadcast uses it so that the timeline keeps
//! going forward across loops, as a live encoder's does, instead of jumping back to zero.

/// Reads a field whose width is coded in two bits (0, 1, 2 or 4 bytes).
fn var(b: &[u8], at: &mut usize, bits: u8) -> Option<u32> {
    let w = [0usize, 1, 2, 4][usize::from(bits & 3)];
    let s = b.get(*at..*at + w)?;
    *at += w;
    Some(match w {
        0 => 0,
        1 => u32::from(s[0]),
        2 => u32::from(u16::from_le_bytes([s[0], s[1]])),
        _ => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
    })
}

fn add_u32(b: &mut [u8], at: usize, delta: u32) {
    if let Some(s) = b.get_mut(at..at + 4) {
        let v = u32::from_le_bytes([s[0], s[1], s[2], s[3]]).wrapping_add(delta);
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// Adds `delta_ms` to the packet's times in place. A packet that does not parse is left as
/// it is (the stream still flows; only its times are off).
pub fn shift(packet: &mut [u8], delta_ms: u32) {
    if delta_ms == 0 {
        return;
    }
    let _ = try_shift(packet, delta_ms);
}

fn try_shift(p: &mut [u8], delta: u32) -> Option<()> {
    let mut at = 0;
    let first = *p.first()?;
    if first & 0x80 != 0 {
        at += 1 + usize::from(first & 0x0F);
    }
    let lf = *p.get(at)?;
    let pf = *p.get(at + 1)?;
    at += 2;
    let declared = var(p, &mut at, lf >> 5)? as usize;
    var(p, &mut at, lf >> 1)?;
    let padding = var(p, &mut at, lf >> 3)? as usize;
    add_u32(p, at, delta); // Send Time
    at += 6;
    let total = if declared != 0 {
        declared.min(p.len())
    } else {
        p.len()
    };
    let end = total.checked_sub(padding)?;
    let payload = |p: &mut [u8], at: &mut usize, len_bits: Option<u8>| -> Option<()> {
        *at += 1; // stream number
        var(p, at, pf >> 4)?; // media object number
        let offset_at = *at;
        var(p, at, pf >> 2)?; // offset into object, or presentation time (compressed)
        let rep_len = var(p, at, pf)? as usize;
        if rep_len == 1 {
            // Compressed payload: the offset field is the presentation time.
            let w = [0usize, 1, 2, 4][usize::from((pf >> 2) & 3)];
            if w == 4 {
                add_u32(p, offset_at, delta);
            }
        } else if rep_len >= 8 {
            add_u32(p, *at + 4, delta); // presentation time in replicated data
        }
        *at += rep_len;
        let len = match len_bits {
            Some(bits) => var(p, at, bits)? as usize,
            None => end.checked_sub(*at)?,
        };
        *at += len;
        Some(())
    };
    if lf & 1 != 0 {
        let flags = *p.get(at)?;
        at += 1;
        for _ in 0..flags & 0x3F {
            if at >= end {
                break;
            }
            payload(p, &mut at, Some(flags >> 6))?;
        }
    } else {
        payload(p, &mut at, None)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_send_and_presentation_times() {
        // EC 82 00 00, LTF 0x09 (multiple, BYTE padding), PF 0x5D, padding 0, send 100,
        // duration 10, payload flags 0x82 (2 payloads, WORD lengths).
        let mut p = vec![0x82, 0, 0, 0x09, 0x5D, 0];
        p.extend_from_slice(&100u32.to_le_bytes());
        p.extend_from_slice(&10u16.to_le_bytes());
        p.push(0x82);
        for (obj, pts) in [(1u8, 3100u32), (2, 3200)] {
            p.push(0x81); // stream 1, key
            p.push(obj); // object number (BYTE)
            p.extend_from_slice(&0u32.to_le_bytes()); // offset (DWORD)
            p.push(8); // replicated data length (BYTE)
            p.extend_from_slice(&4u32.to_le_bytes()); // object size
            p.extend_from_slice(&pts.to_le_bytes());
            p.extend_from_slice(&4u16.to_le_bytes());
            p.extend_from_slice(&[9, 9, 9, 9]);
        }
        let before = mmsplay_asf::parse_packet(&p, p.len() as u32, &mut Vec::new())
            .unwrap()
            .send_time_ms;
        shift(&mut p, 5000);
        let mut infos = Vec::new();
        let info = mmsplay_asf::parse_packet(&p, p.len() as u32, &mut infos).unwrap();
        assert_eq!(info.send_time_ms, before + 5000);
        let pts: Vec<u32> = infos
            .iter()
            .map(|pl| match pl.data {
                mmsplay_asf::PayloadData::Fragment { pts_ms, .. } => pts_ms,
                _ => 0,
            })
            .collect();
        assert_eq!(pts, vec![8100, 8200]);
        // Garbage is left alone rather than panicking.
        let mut junk = vec![0x82, 0xFF];
        shift(&mut junk, 5);
    }
}
