//! Data packet padding (ASF spec 5.2.2). Every transport may send a packet shorter than the
//! header's packet size; the player wants them all full-size again.
//!
//! [`pad`] is what MMS and MMSH need: their packets keep a Padding Length that counts the
//! missing bytes, so zeros at the end restore them.
//!
//! Across RTP ([MS-RTSP] 2.2.1: servers SHOULD strip the padding) more is needed.
//! ffmpeg's RTSP client zeroes the header's minimum packet size and does not pad packets back,
//! so each stripped packet must say how long it is: we give it an explicit Packet Length (WORD)
//! and zero its Padding Length, keeping the width of the padding field (protocols.md 6A.4
//! step 6 drops the field instead; keeping it lets a receiver rebuild the original packet byte
//! for byte). GStreamer pads packets back and rewrites the padding field; both accept this.
//!
//! On receipt, [`restore`] rebuilds the fixed-size form: no Packet Length, the Padding Length
//! equal to the missing bytes, zero padding. ASF spec 5.2.2 (payload parsing information).

use crate::error::{AsfError, Result};
use crate::packet::PacketHeader;

/// Pads a data packet with zeros back to the header's packet size.
pub fn pad(mut packet: Vec<u8>, packet_size: u32) -> Vec<u8> {
    if packet.len() < packet_size as usize {
        packet.resize(packet_size as usize, 0);
    }
    packet
}

fn invalid(what: &'static str) -> AsfError {
    AsfError::Invalid { what, offset: 0 }
}

fn write_var(out: &mut Vec<u8>, w: usize, v: usize) {
    match w {
        0 => {}
        1 => out.push(v as u8),
        2 => out.extend_from_slice(&(v as u16).to_le_bytes()),
        _ => out.extend_from_slice(&(v as u32).to_le_bytes()),
    }
}

/// The packet as a server sends it over RTP: padding removed and an explicit Packet Length.
/// A packet with fewer than two bytes of padding has no room for the length field and goes
/// as it is (full size: the header's packet size holds for it).
pub fn strip(packet: &[u8], packet_size: u32) -> Result<Vec<u8>> {
    let h = PacketHeader::parse(packet)?;
    let total = h.packet_len(packet_size);
    let content_end = total
        .checked_sub(h.padding_len)
        .filter(|e| *e >= h.header_len() && *e <= packet.len())
        .ok_or(invalid("padding length longer than the packet"))?;
    let old_len_width = h.length_width();
    let added = if old_len_width == 0 { 2 } else { 0 };
    if h.padding_len == 0 || h.padding_len < added {
        return Ok(packet[..total.min(packet.len())].to_vec());
    }
    let len_width = if old_len_width == 0 { 2 } else { old_len_width };
    let new_len = content_end + added;
    let mut out = Vec::with_capacity(new_len);
    out.extend_from_slice(&packet[..h.ec_len]);
    let lf = if old_len_width == 0 {
        h.length_flags | (2 << 5)
    } else {
        h.length_flags
    };
    out.push(lf);
    out.push(h.property_flags);
    write_var(&mut out, len_width, new_len);
    let seq_at = h.sequence_at();
    out.extend_from_slice(&packet[seq_at..seq_at + h.sequence_width()]);
    write_var(&mut out, h.padding_width(), 0);
    out.extend_from_slice(&packet[h.send_time_at()..content_end]);
    Ok(out)
}

/// Rebuilds a received packet in its fixed-size form (`packet_size` bytes, padding zeroed).
/// Packets already full-size are returned as they are.
pub fn restore(packet: &[u8], packet_size: u32) -> Result<Vec<u8>> {
    let p = packet_size as usize;
    let h = PacketHeader::parse(packet)?;
    if packet.len() > p {
        return Err(AsfError::LimitExceeded {
            what: "data packet length",
            value: packet.len() as u64,
            limit: u64::from(packet_size),
        });
    }
    if h.length_width() == 0 && packet.len() == p {
        return Ok(packet.to_vec());
    }
    // Where the payload bytes end: the declared length less any padding that actually came
    // with the packet; without a declared length, what arrived (the padding was stripped).
    let content_end = if h.declared_len != 0 {
        let declared = h.declared_len.min(packet.len());
        if h.declared_len <= packet.len() {
            declared.saturating_sub(h.padding_len)
        } else {
            declared
        }
    } else {
        packet.len()
    };
    if content_end < h.header_len() {
        return Err(invalid("packet length shorter than its header"));
    }
    let body = &packet[h.send_time_at()..content_end];
    let seq_at = h.sequence_at();
    let seq = &packet[seq_at..seq_at + h.sequence_width()];
    let fixed = h.ec_len + 2 + h.sequence_width() + body.len();
    // Keep the padding field's width when the value fits (an exact rebuild of what a server
    // stripped), else the narrowest that holds it.
    let fits = |w: usize| -> Option<usize> {
        let pad = p.checked_sub(fixed + w)?;
        let ok = match w {
            0 => pad == 0,
            1 => pad <= 0xFF,
            2 => pad <= 0xFFFF,
            _ => true,
        };
        ok.then_some(pad)
    };
    let (pad_width, pad) = [h.padding_width(), 0, 1, 2, 4]
        .iter()
        .find_map(|w| fits(*w).map(|pad| (*w, pad)))
        .ok_or(invalid("packet too long for the packet size"))?;
    let pad_bits = match pad_width {
        0 => 0,
        1 => 1,
        2 => 2,
        _ => 3,
    };
    let mut out = Vec::with_capacity(p);
    out.extend_from_slice(&packet[..h.ec_len]);
    out.push((h.length_flags & 0x87) | (pad_bits << 3));
    out.push(h.property_flags);
    out.extend_from_slice(seq);
    write_var(&mut out, pad_width, pad);
    out.extend_from_slice(body);
    out.resize(p, 0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A packet like ffmpeg writes: EC 82 00 00, one BYTE or WORD padding field.
    fn packet(size: usize, content: usize, pad_w: usize) -> Vec<u8> {
        let lf = 0x01
            | match pad_w {
                0 => 0,
                1 => 0x08,
                _ => 0x10,
            };
        let mut v = vec![0x82, 0, 0, lf, 0x5D];
        let header = v.len() + pad_w + 6;
        let pad = size - header - content;
        write_var(&mut v, pad_w, pad);
        v.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        v.extend((0..content).map(|i| (i % 251) as u8 + 1));
        v.resize(size, 0);
        v
    }

    #[test]
    fn strip_then_restore_is_exact() {
        for (content, w) in [(3000, 1), (100, 2), (3188, 1), (3189, 0), (3187, 1)] {
            let p = packet(3200, content, w);
            let s = strip(&p, 3200).unwrap();
            assert!(s.len() <= 3200);
            let r = restore(&s, 3200).unwrap();
            assert_eq!(r, p, "content {content} width {w}");
        }
        let s = strip(&packet(3200, 3000, 1), 3200).unwrap();
        // Packet Length WORD added, padding zeroed: 82 00 00 | 49 5D | LL LL | 00 | ...
        assert_eq!(s[3], 0x49);
        assert_eq!(u16::from_le_bytes([s[5], s[6]]) as usize, s.len());
        assert_eq!(s[7], 0);
    }

    #[test]
    fn restores_the_recipe_form_without_padding_field() {
        // protocols.md 6A.4 example: LTF 0x41, Packet Length WORD, no padding field.
        let orig = packet(3200, 3000, 1);
        let mut recipe = vec![0x82, 0, 0, 0x41, 0x5D, 0, 0];
        recipe.extend_from_slice(&orig[6..6 + 6 + 3000]);
        let n = recipe.len() as u16;
        recipe[5..7].copy_from_slice(&n.to_le_bytes());
        let r = restore(&recipe, 3200).unwrap();
        assert_eq!(r, orig);
        // A packet whose padding was only zeroed (no length field) comes back too.
        let mut zeroed = orig[..orig.len() - 188].to_vec();
        zeroed[5] = 0;
        assert_eq!(restore(&zeroed, 3200).unwrap(), orig);
    }

    #[test]
    fn pad_fills_with_zeros_up_to_the_packet_size() {
        assert_eq!(pad(vec![1, 2], 4), vec![1, 2, 0, 0]);
        assert_eq!(pad(vec![1, 2, 3], 2), vec![1, 2, 3], "never cuts");
    }

    #[test]
    fn rejects_bad_packets() {
        assert!(restore(&[], 3200).is_err());
        assert!(restore(&[0x82, 0, 0, 0x41], 3200).is_err());
        assert!(restore(&vec![0x82; 4000], 3200).is_err());
        assert!(strip(&[0x82, 0, 0, 0x09, 0x5D, 0xFF, 0, 0, 0, 0, 0, 0], 20).is_err());
    }
}
