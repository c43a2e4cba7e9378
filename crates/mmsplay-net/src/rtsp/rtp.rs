//! RTP fixed header and the RTCP packets we send and look for (RFC 3550 5.1, 6.4, 6.5, 6.6).

use super::{Result, RtspError};

/// The RTP fixed header fields we use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// Parses an RTP packet; returns the header and the payload (CSRCs, extension and padding
/// removed). RFC 3550 5.1.
pub fn parse_rtp(buf: &[u8]) -> Result<(RtpHeader, &[u8])> {
    if buf.len() < 12 {
        return Err(RtspError::rtp(format!(
            "RTP packet of {} bytes is shorter than its header",
            buf.len()
        )));
    }
    if buf[0] >> 6 != 2 {
        return Err(RtspError::rtp("RTP packet with a version other than 2"));
    }
    let padding = buf[0] & 0x20 != 0;
    let extension = buf[0] & 0x10 != 0;
    let csrc = usize::from(buf[0] & 0x0F);
    let mut start = 12 + 4 * csrc;
    if extension {
        if buf.len() < start + 4 {
            return Err(RtspError::rtp("RTP header extension runs past the packet"));
        }
        let words = usize::from(u16::from_be_bytes([buf[start + 2], buf[start + 3]]));
        start += 4 + 4 * words;
    }
    let mut end = buf.len();
    if padding {
        let n = usize::from(buf[buf.len() - 1]);
        end = end.saturating_sub(n);
    }
    if start > end {
        return Err(RtspError::rtp("RTP header runs past the packet"));
    }
    let h = RtpHeader {
        marker: buf[1] & 0x80 != 0,
        payload_type: buf[1] & 0x7F,
        sequence: u16::from_be_bytes([buf[2], buf[3]]),
        timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
        ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
    };
    Ok((h, &buf[start..end]))
}

/// Appends a 12-byte RTP header (V=2, no padding, extension or CSRC).
pub fn write_rtp_header(h: &RtpHeader, out: &mut Vec<u8>) {
    out.extend_from_slice(&encode_rtp_header(h));
}

/// The 12-byte RTP header (V=2, no padding, extension or CSRC).
pub fn encode_rtp_header(h: &RtpHeader) -> [u8; 12] {
    let [q0, q1] = h.sequence.to_be_bytes();
    let [t0, t1, t2, t3] = h.timestamp.to_be_bytes();
    let [s0, s1, s2, s3] = h.ssrc.to_be_bytes();
    [
        0x80,
        (u8::from(h.marker) << 7) | (h.payload_type & 0x7F),
        q0,
        q1,
        t0,
        t1,
        t2,
        t3,
        s0,
        s1,
        s2,
        s3,
    ]
}

/// RTCP packet types (RFC 3550 12.1).
pub const RTCP_SR: u8 = 200;
pub const RTCP_RR: u8 = 201;
pub const RTCP_SDES: u8 = 202;
pub const RTCP_BYE: u8 = 203;

/// A reception report block (RFC 3550 6.4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportBlock {
    pub ssrc: u32,
    pub fraction_lost: u8,
    /// Cumulative number of packets lost (24 bits, clamped).
    pub cumulative_lost: i32,
    pub extended_highest_seq: u32,
    pub jitter: u32,
    pub last_sr: u32,
    pub delay_since_last_sr: u32,
}

fn rtcp_header(out: &mut Vec<u8>, count: u8, pt: u8, words_after: usize) {
    out.push(0x80 | (count & 0x1F));
    out.push(pt);
    out.extend_from_slice(&(words_after as u16).to_be_bytes());
}

/// SDES with one CNAME item, padded to a 32-bit boundary (RFC 3550 6.5).
fn write_sdes_cname(out: &mut Vec<u8>, ssrc: u32, cname: &str) {
    let name = &cname.as_bytes()[..cname.len().min(255)];
    // ssrc + type + len + text + at least one zero octet, rounded up to words.
    let chunk = 4 + 2 + name.len() + 1;
    let padded = chunk.div_ceil(4) * 4;
    rtcp_header(out, 1, RTCP_SDES, padded / 4);
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.push(1); // CNAME
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.resize(out.len() + (padded - (4 + 2 + name.len())), 0);
}

/// A compound receiver report: RR (with one block when we know the sender) + SDES CNAME.
pub fn receiver_report(ssrc: u32, block: Option<&ReportBlock>, cname: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    rtcp_header(
        &mut out,
        u8::from(block.is_some()),
        RTCP_RR,
        1 + 6 * usize::from(block.is_some()),
    );
    out.extend_from_slice(&ssrc.to_be_bytes());
    if let Some(b) = block {
        out.extend_from_slice(&b.ssrc.to_be_bytes());
        let lost = b.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32 & 0xFF_FFFF;
        out.extend_from_slice(&((u32::from(b.fraction_lost) << 24) | lost).to_be_bytes());
        out.extend_from_slice(&b.extended_highest_seq.to_be_bytes());
        out.extend_from_slice(&b.jitter.to_be_bytes());
        out.extend_from_slice(&b.last_sr.to_be_bytes());
        out.extend_from_slice(&b.delay_since_last_sr.to_be_bytes());
    }
    write_sdes_cname(&mut out, ssrc, cname);
    out
}

/// A compound SR + BYE, what a server sends at the end of a stream (protocols.md 6A.4 step 8).
pub fn sender_report_bye(
    ssrc: u32,
    ntp: u64,
    rtp_timestamp: u32,
    packets: u32,
    octets: u32,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(36);
    rtcp_header(&mut out, 0, RTCP_SR, 6);
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&ntp.to_be_bytes());
    out.extend_from_slice(&rtp_timestamp.to_be_bytes());
    out.extend_from_slice(&packets.to_be_bytes());
    out.extend_from_slice(&octets.to_be_bytes());
    rtcp_header(&mut out, 1, RTCP_BYE, 1);
    out.extend_from_slice(&ssrc.to_be_bytes());
    out
}

/// RTCP transport-layer feedback (RFC 4585 6.1).
pub const RTCP_RTPFB: u8 = 205;

/// A compound RR + SDES + generic NACK asking for `seqs` again. [MS-RTSP] 2.2.3 (protocols.md
/// 5.7): the FMT field's top bit is Microsoft's E flag, set by clients, so the first byte is
/// 0x91; the media SSRC is the server's.
pub fn nack(ssrc: u32, media_ssrc: u32, seqs: &[u16], cname: &str) -> Vec<u8> {
    let mut out = receiver_report(ssrc, None, cname);
    // FCI entries: a packet id and a bitmask of the 16 that follow it.
    let mut fci: Vec<(u16, u16)> = Vec::new();
    for &s in seqs {
        match fci.last_mut() {
            Some((pid, blp)) if s.wrapping_sub(*pid).wrapping_sub(1) < 16 && s != *pid => {
                *blp |= 1 << s.wrapping_sub(*pid).wrapping_sub(1);
            }
            _ => fci.push((s, 0)),
        }
    }
    fci.truncate(64);
    out.push(0x80 | 0x10 | 1);
    out.push(RTCP_RTPFB);
    out.extend_from_slice(&((2 + fci.len()) as u16).to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&media_ssrc.to_be_bytes());
    for (pid, blp) in fci {
        out.extend_from_slice(&pid.to_be_bytes());
        out.extend_from_slice(&blp.to_be_bytes());
    }
    out
}

/// The sequence numbers a compound RTCP packet asks for again (generic NACKs, FMT 1 with or
/// without the E flag). At most `max` are returned.
pub fn parse_nacks(buf: &[u8], max: usize) -> Vec<u16> {
    let mut seqs = Vec::new();
    let mut pos = 0;
    while pos + 4 <= buf.len() && seqs.len() < max {
        if buf[pos] >> 6 != 2 {
            break;
        }
        let len = (usize::from(u16::from_be_bytes([buf[pos + 2], buf[pos + 3]])) + 1) * 4;
        if pos + len > buf.len() {
            break;
        }
        if buf[pos + 1] == RTCP_RTPFB && buf[pos] & 0x0F == 1 {
            let mut f = pos + 12;
            while f + 4 <= pos + len && seqs.len() < max {
                let pid = u16::from_be_bytes([buf[f], buf[f + 1]]);
                let blp = u16::from_be_bytes([buf[f + 2], buf[f + 3]]);
                seqs.push(pid);
                for i in 0..16 {
                    if blp & (1 << i) != 0 {
                        seqs.push(pid.wrapping_add(i + 1));
                    }
                }
                f += 4;
            }
        }
        pos += len;
    }
    seqs.truncate(max);
    seqs
}

/// What a received compound RTCP packet tells us.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtcpSummary {
    pub bye: bool,
    /// The middle 32 bits of the NTP timestamp of a sender report (for `last_sr`).
    pub sender_report_ntp_mid: Option<u32>,
}

/// Walks a compound RTCP packet. Malformed tails end the walk; they are not an error.
pub fn parse_rtcp(buf: &[u8]) -> RtcpSummary {
    let mut s = RtcpSummary::default();
    let mut pos = 0;
    while pos + 4 <= buf.len() {
        if buf[pos] >> 6 != 2 {
            break;
        }
        let pt = buf[pos + 1];
        let len = (usize::from(u16::from_be_bytes([buf[pos + 2], buf[pos + 3]])) + 1) * 4;
        if pos + len > buf.len() {
            break;
        }
        match pt {
            RTCP_BYE => s.bye = true,
            RTCP_SR if len >= 20 => {
                let ntp = &buf[pos + 8..pos + 16];
                s.sender_report_ntp_mid =
                    Some(u32::from_be_bytes([ntp[2], ntp[3], ntp[4], ntp[5]]));
            }
            _ => {}
        }
        pos += len;
    }
    s
}

/// Whether a datagram or frame looks like RTCP rather than RTP (RFC 5761 4: PT 200-207 in the
/// second byte with the marker bit).
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && (200..=207).contains(&buf[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_round_trip() {
        let h = RtpHeader {
            marker: true,
            payload_type: 96,
            sequence: 0xFFFE,
            timestamp: 371,
            ssrc: 0xDEADBEEF,
        };
        let mut out = Vec::new();
        write_rtp_header(&h, &mut out);
        assert_eq!(&out[..2], &[0x80, 0xE0]);
        out.extend_from_slice(b"data");
        let (p, payload) = parse_rtp(&out).unwrap();
        assert_eq!(p, h);
        assert_eq!(payload, b"data");
        assert!(parse_rtp(&out[..11]).is_err());
        let mut bad = out.clone();
        bad[0] = 0x8F; // 15 CSRCs that are not there
        assert!(parse_rtp(&bad).is_err());
    }

    #[test]
    fn nacks_round_trip() {
        let n = nack(1, 2, &[65535, 0, 3, 40, 41], "c");
        assert!(n.windows(2).any(|w| w == [0x91, RTCP_RTPFB]));
        assert_eq!(parse_nacks(&n, 100), vec![65535, 0, 3, 40, 41]);
        assert_eq!(parse_nacks(&n, 2).len(), 2);
        assert!(parse_nacks(&[0x91, 205, 0xFF, 0xFF], 10).is_empty());
    }

    #[test]
    fn rtcp_compounds() {
        let b = sender_report_bye(7, 1 << 40, 5, 1, 2);
        assert!(is_rtcp(&b));
        let s = parse_rtcp(&b);
        assert!(s.bye);
        assert!(s.sender_report_ntp_mid.is_some());
        let rr = receiver_report(
            9,
            Some(&ReportBlock {
                ssrc: 7,
                cumulative_lost: 3,
                ..Default::default()
            }),
            "x@mmsplay",
        );
        assert_eq!(rr.len() % 4, 0);
        assert_eq!(rr[1], RTCP_RR);
        let s = parse_rtcp(&rr);
        assert!(!s.bye);
        assert!(!parse_rtcp(&[0x80, 203, 0xFF, 0xFF]).bye);
    }
}
