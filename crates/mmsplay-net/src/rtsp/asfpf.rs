//! The ASF RTP payload format, `x-asf-pf` ([MS-RTSP] 2.2.1).
//!
//! Each ASF data packet, or fragment of one, in an RTP packet is preceded by a big-endian
//! payload-format header:
//!
//! ```text
//! byte 0: S (0x80 key frame) L (0x40 Length/Offset is a length) R (0x20 relative timestamp)
//!         D (0x10 duration) I (0x08 location id) RES (3 bits, 0)
//! bytes 1-3: Length (L=1) or Offset of this fragment in the ASF packet (L=0)
//! [R: i32] [D: u32] [I: u32]
//! ```
//!
//! The spec counts Length as the ASF packet size; ffmpeg (written against real servers) counts
//! it from the first byte of this header. We send the header-inclusive value with exactly one
//! packet per RTP packet, the only form both ffmpeg and GStreamer decode (protocols.md 5.5),
//! and accept both readings when receiving.

use super::{Result, RtspError};

const FLAG_S: u8 = 0x80;
const FLAG_L: u8 = 0x40;
const FLAG_R: u8 = 0x20;
const FLAG_D: u8 = 0x10;
const FLAG_I: u8 = 0x08;
const FLAGS_RES: u8 = 0x07;

/// One parsed payload-format header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PfHeader {
    key: bool,
    is_length: bool,
    len_off: usize,
    header_len: usize,
}

fn parse_pf_header(buf: &[u8]) -> Result<PfHeader> {
    if buf.len() < 4 {
        return Err(RtspError::payload("x-asf-pf header cut short"));
    }
    let flags = buf[0];
    if flags & FLAGS_RES != 0 {
        return Err(RtspError::payload(format!(
            "x-asf-pf header with reserved bits set (0x{flags:02x})"
        )));
    }
    let header_len = 4 + 4
        * (usize::from(flags & FLAG_R != 0)
            + usize::from(flags & FLAG_D != 0)
            + usize::from(flags & FLAG_I != 0));
    if buf.len() < header_len {
        return Err(RtspError::payload(
            "x-asf-pf header runs past the RTP packet",
        ));
    }
    Ok(PfHeader {
        key: flags & FLAG_S != 0,
        is_length: flags & FLAG_L != 0,
        len_off: (usize::from(buf[1]) << 16) | (usize::from(buf[2]) << 8) | usize::from(buf[3]),
        header_len,
    })
}

/// The payload-format header before a whole ASF packet of `len` bytes (L=1, the
/// header-inclusive Length), for a sender that sends the packet from where it already is.
/// The caller keeps `len` within 24 bits (RTP payloads are far smaller).
pub fn whole_packet_header(len: usize, key: bool) -> [u8; 4] {
    let s = if key { FLAG_S } else { 0 };
    let [_, l1, l2, l3] = ((len + 4) as u32).to_be_bytes();
    [s | FLAG_L, l1, l2, l3]
}

/// Splits one ASF packet into RTP payloads (payload-format header + data), each with its
/// marker bit. A packet that fits in `max_payload` goes whole with L=1 and the header-inclusive
/// Length; a larger one is cut into L=0 fragments with the marker on the last.
pub fn packetize(asf: &[u8], key: bool, max_payload: usize) -> Vec<(Vec<u8>, bool)> {
    let s = if key { FLAG_S } else { 0 };
    let max_data = max_payload.saturating_sub(4).max(1);
    if asf.len() <= max_data {
        let mut p = Vec::with_capacity(asf.len() + 4);
        p.extend_from_slice(&whole_packet_header(asf.len(), key));
        p.extend_from_slice(asf);
        return vec![(p, true)];
    }
    let mut out = Vec::new();
    let mut off = 0;
    while off < asf.len() {
        let end = (off + max_data).min(asf.len());
        let mut p = Vec::with_capacity(end - off + 4);
        p.push(s);
        p.extend_from_slice(&(off as u32).to_be_bytes()[1..]);
        p.extend_from_slice(&asf[off..end]);
        out.push((p, end == asf.len()));
        off = end;
    }
    out
}

/// Rebuilds ASF packets from RTP payloads, in sequence order. Call [`Depacketizer::reset`] on
/// a sequence gap: a partial packet is then useless.
#[derive(Debug)]
pub struct Depacketizer {
    max_packet: usize,
    partial: Vec<u8>,
    /// A fragment run is in progress (its first fragment, offset 0, arrived).
    collecting: bool,
}

impl Depacketizer {
    /// `max_packet`: the largest ASF packet accepted (the header's packet size).
    pub fn new(max_packet: usize) -> Depacketizer {
        Depacketizer {
            max_packet,
            partial: Vec::new(),
            collecting: false,
        }
    }

    pub fn reset(&mut self) {
        self.partial.clear();
        self.collecting = false;
    }

    /// Takes one RTP payload; complete ASF packets are appended to `out`. An error means the
    /// payload was malformed and skipped as a whole (packets completed before the error in the
    /// same payload are kept in `out`).
    pub fn push(&mut self, payload: &[u8], marker: bool, out: &mut Vec<Vec<u8>>) -> Result<()> {
        let mut pos = 0;
        while pos < payload.len() {
            let h = parse_pf_header(&payload[pos..])?;
            let data_start = pos + h.header_len;
            let rest = payload.len() - data_start;
            if !h.is_length {
                // A fragment takes the rest of the RTP packet.
                self.fragment(h.len_off, &payload[data_start..], marker, out)?;
                return Ok(());
            }
            self.reset_partial_for_whole();
            let len = self.whole_len(payload, pos, &h, rest)?;
            let data = &payload[data_start..data_start + len];
            self.check_size(data.len())?;
            if !data.is_empty() {
                out.push(data.to_vec());
            }
            pos = data_start + len;
        }
        Ok(())
    }

    fn reset_partial_for_whole(&mut self) {
        // A whole packet while fragments were pending: the fragment run lost its tail.
        self.reset();
    }

    fn check_size(&self, len: usize) -> Result<()> {
        if len > self.max_packet {
            return Err(RtspError::payload(format!(
                "x-asf-pf packet of {len} bytes is larger than the packet size {}",
                self.max_packet
            )));
        }
        Ok(())
    }

    /// The data length of a whole packet at `pos`, under whichever reading of Length fits.
    fn whole_len(&self, payload: &[u8], pos: usize, h: &PfHeader, rest: usize) -> Result<usize> {
        let inclusive = h.len_off.checked_sub(h.header_len);
        let spec = h.len_off;
        // Alone in the RTP packet: both readings mean "the rest" (protocols.md 5.5).
        if inclusive == Some(rest) || spec == rest {
            return Ok(rest);
        }
        let data_start = pos + h.header_len;
        let first = payload.get(data_start).copied();
        let plausible = |len: usize| -> bool {
            if len == 0 || len >= rest {
                return false;
            }
            let next = data_start + len;
            match parse_pf_header(&payload[next..]) {
                // Another whole packet must start like this one (same error-correction byte).
                Ok(n) if n.is_length => payload.get(next + n.header_len).copied() == first,
                Ok(_) => true,
                Err(_) => false,
            }
        };
        // WMS/ffmpeg style first, then the spec reading.
        if let Some(l) = inclusive.filter(|l| plausible(*l)) {
            return Ok(l);
        }
        if plausible(spec) {
            return Ok(spec);
        }
        if inclusive.unwrap_or(spec) > rest {
            Err(RtspError::payload(format!(
                "x-asf-pf Length {} points past the RTP packet ({} bytes left)",
                h.len_off, rest
            )))
        } else {
            Err(RtspError::payload(format!(
                "x-asf-pf Length {} does not line up with the RTP packet ({} bytes left)",
                h.len_off, rest
            )))
        }
    }

    fn fragment(
        &mut self,
        offset: usize,
        data: &[u8],
        marker: bool,
        out: &mut Vec<Vec<u8>>,
    ) -> Result<()> {
        if offset == 0 {
            self.partial.clear();
            self.collecting = true;
        } else if !self.collecting {
            // The rest of a packet whose start was lost: the sequence gap already counted it.
            return Ok(());
        } else if offset != self.partial.len() {
            // Not the continuation we hold: drop what we have (its packet is lost).
            self.reset();
            return Err(RtspError::payload(format!(
                "x-asf-pf fragment offset {offset} does not follow the previous fragment"
            )));
        }
        if self.partial.len() + data.len() > self.max_packet {
            self.reset();
            return Err(RtspError::payload(format!(
                "x-asf-pf fragments add up to more than the packet size {}",
                self.max_packet
            )));
        }
        self.partial.extend_from_slice(data);
        if marker {
            out.push(std::mem::take(&mut self.partial));
            self.collecting = false;
        }
        Ok(())
    }
}

/// Whether an ASF data packet carries a key-frame payload, for the S flag.
pub fn has_key_frame(packet: &[u8], packet_size: u32) -> bool {
    let mut payloads = Vec::new();
    match mmsplay_asf::parse_packet(packet, packet_size, &mut payloads) {
        Ok(_) => payloads.iter().any(|p| p.key_frame),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asf(len: usize, seed: u8) -> Vec<u8> {
        let mut v: Vec<u8> = (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect();
        v[0] = 0x82;
        v
    }

    #[test]
    fn whole_packets_round_trip() {
        let p = asf(3000, 1);
        let rtp = packetize(&p, true, 65000);
        assert_eq!(rtp.len(), 1);
        assert_eq!(&rtp[0].0[..4], &[0xC0, 0x00, 0x0B, 0xBC]);
        let mut d = Depacketizer::new(3200);
        let mut out = Vec::new();
        d.push(&rtp[0].0, true, &mut out).unwrap();
        assert_eq!(out, vec![p]);
    }

    #[test]
    fn fragments_round_trip_and_resync() {
        let p = asf(3000, 2);
        let rtp = packetize(&p, false, 1400);
        assert_eq!(rtp.len(), 3);
        assert_eq!(&rtp[1].0[..4], &[0x00, 0x00, 0x05, 0x74]);
        assert!(rtp[2].1 && !rtp[0].1);
        let mut d = Depacketizer::new(3200);
        let mut out = Vec::new();
        for (payload, m) in &rtp {
            d.push(payload, *m, &mut out).unwrap();
        }
        assert_eq!(out, vec![p.clone()]);
        // The middle fragment lost: the packet is dropped, the next one comes through.
        out.clear();
        d.push(&rtp[0].0, rtp[0].1, &mut out).unwrap();
        assert!(d.push(&rtp[2].0, rtp[2].1, &mut out).is_err());
        // After a reset (a sequence gap), the tail of a packet is dropped quietly.
        d.reset();
        d.push(&rtp[2].0, rtp[2].1, &mut out).unwrap();
        assert!(out.is_empty());
        for (payload, m) in &rtp {
            d.push(payload, *m, &mut out).unwrap();
        }
        assert_eq!(out, vec![p]);
    }

    #[test]
    fn aggregated_packets_in_both_length_readings() {
        let a = asf(500, 3);
        let b = asf(700, 4);
        for inclusive in [true, false] {
            let mut payload = Vec::new();
            for p in [&a, &b] {
                let len = p.len() + if inclusive { 4 } else { 0 };
                payload.push(0x40);
                payload.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
                payload.extend_from_slice(p);
            }
            let mut d = Depacketizer::new(3200);
            let mut out = Vec::new();
            d.push(&payload, true, &mut out).unwrap();
            assert_eq!(out, vec![a.clone(), b.clone()], "inclusive={inclusive}");
        }
    }

    #[test]
    fn rejects_lengths_past_the_packet() {
        let mut d = Depacketizer::new(3200);
        let mut out = Vec::new();
        let mut payload = vec![0x40, 0x00, 0x10, 0x00];
        payload.extend_from_slice(&asf(100, 5));
        let e = d.push(&payload, true, &mut out).unwrap_err();
        assert!(e.to_string().contains("past the RTP packet"), "{e}");
        assert!(d.push(&[0x47, 0, 0, 4], true, &mut out).is_err());
        assert!(d.push(&[0x70, 0, 0], true, &mut out).is_err());
        // Larger than the packet size.
        let big = packetize(&asf(4000, 6), true, 65000);
        assert!(d.push(&big[0].0, true, &mut out).is_err());
        assert!(out.is_empty());
    }
}
