//! Stream thinning: a data packet rebuilt with only the payloads of the streams a client asked
//! for, as Windows Media Services did for a client that selected some of a file's streams
//! (the audio of a video file, one bitrate variant, one language).
//!
//! A muxer packs the payloads of several streams into one multiple-payload packet (ASF spec
//! 5.2.3.3). Thinning keeps the packet-level fields (error correction, sequence, send time,
//! duration, the payload length type) and the kept payloads byte for byte, and counts the
//! bytes it removed as padding (ASF spec 5.2.2): the rebuilt packet is the same packet size with
//! more padding, sent with that padding stripped the way every transport may send packets
//! (the receiver zero-pads back to the header's packet size). A packet without any kept payload
//! is not sent at all.

use crate::error::{AsfError, Result};
use crate::packet::payload_positions;

/// What is left of a packet for a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Thinned {
    /// Every payload is kept: send the packet as it is.
    Whole,
    /// No payload is kept: send nothing.
    Empty,
    /// Some are: this packet, with its padding stripped (zero-pad it back to the packet size
    /// for a transport that wants full-size packets).
    Rebuilt(Vec<u8>),
}

/// Thins `packet` (a data packet of a file whose packet size is `packet_size`) to the payloads
/// of streams `keep` accepts. A packet that does not walk cleanly is an error; the caller
/// decides whether to send it whole.
pub fn keep_streams(packet: &[u8], packet_size: u32, keep: impl Fn(u8) -> bool) -> Result<Thinned> {
    let (h, payloads) = payload_positions(packet)?;
    let kept = payloads.iter().filter(|(p, _)| keep(p.stream)).count();
    if kept == payloads.len() {
        return Ok(Thinned::Whole);
    }
    if kept == 0 {
        return Ok(Thinned::Empty);
    }
    // Several payloads, some kept: only a multiple-payload packet gets here.
    let flags_at = h.header_len();
    let payload_flags = *packet.get(flags_at).ok_or(AsfError::Invalid {
        what: "payload flags",
        offset: flags_at,
    })?;
    let body: usize = payloads
        .iter()
        .filter(|(p, _)| keep(p.stream))
        .map(|(_, at)| at.span.1 - at.span.0)
        .sum();
    let fixed = h.ec_len + 2 + h.sequence_width() + 6 + 1 + body;
    // Padding Length as a WORD (a DWORD for packet sizes beyond it); no Packet Length field:
    // the header's packet size holds again.
    let (pad_type, pad_width) = if packet_size <= 0xFFFF {
        (2u8, 2)
    } else {
        (3u8, 4)
    };
    let padding = (packet_size as usize)
        .checked_sub(fixed + pad_width)
        .ok_or(AsfError::Invalid {
            what: "thinned packet longer than the packet size",
            offset: 0,
        })?;
    let mut out = Vec::with_capacity(fixed + pad_width);
    out.extend_from_slice(&packet[..h.ec_len]);
    out.push((h.length_flags & 0b1000_0111) | (pad_type << 3));
    out.push(h.property_flags);
    let seq_at = h.sequence_at();
    out.extend_from_slice(&packet[seq_at..seq_at + h.sequence_width()]);
    match pad_width {
        2 => out.extend_from_slice(&(padding as u16).to_le_bytes()),
        _ => out.extend_from_slice(&(padding as u32).to_le_bytes()),
    }
    let time_at = h.send_time_at();
    out.extend_from_slice(&packet[time_at..time_at + 6]);
    out.push((payload_flags & 0xC0) | kept as u8);
    for (_, at) in payloads.iter().filter(|(p, _)| keep(p.stream)) {
        out.extend_from_slice(&packet[at.span.0..at.span.1]);
    }
    debug_assert_eq!(out.len(), fixed + pad_width);
    Ok(Thinned::Rebuilt(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{PacketHeader, PayloadData, parse_packet};
    use crate::padding::pad;
    use crate::writer::{Packetizer, pcm_streams_header};
    use crate::{Demuxer, parse_header};

    const SIZE: u32 = 1000;

    /// Interleaved objects of streams 1 (300 bytes), 2 (700 bytes) and 3 (40 bytes) every
    /// 100 ms: packets with payloads of several streams, fragments among them.
    fn packets() -> Vec<Vec<u8>> {
        let mut p = Packetizer::new(SIZE);
        for i in 0..20u32 {
            p.push_object(1, 100 * i, true, &vec![1 + i as u8; 300]);
            p.push_object(2, 100 * i, i % 5 == 0, &vec![100 + i as u8; 700]);
            p.push_object(3, 100 * i, true, &[200 + i as u8; 40]);
        }
        p.flush();
        p.take_packets()
    }

    fn header() -> crate::Header {
        parse_header(&pcm_streams_header(SIZE, &[1, 2, 3], 64_000)).unwrap()
    }

    /// The payloads of a packet as (stream, object, offset, data).
    fn payloads(packet: &[u8]) -> Vec<(u8, u32, u32, Vec<u8>)> {
        let mut out = Vec::new();
        parse_packet(packet, SIZE, &mut out).unwrap();
        out.iter()
            .map(|p| match &p.data {
                PayloadData::Fragment { offset, data, .. } => {
                    (p.stream, p.object_number, *offset, data.to_vec())
                }
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_thinned_packet_keeps_exactly_the_chosen_payloads_and_its_times() {
        let mut rebuilt = 0;
        for packet in packets() {
            let before = payloads(&packet);
            let keep = |s: u8| s != 2;
            let expect: Vec<_> = before.iter().filter(|p| keep(p.0)).cloned().collect();
            match keep_streams(&packet, SIZE, keep).unwrap() {
                Thinned::Whole => assert_eq!(expect, before),
                Thinned::Empty => assert!(expect.is_empty()),
                Thinned::Rebuilt(p) => {
                    rebuilt += 1;
                    assert!(p.len() < packet.len() - 600, "{} bytes", p.len());
                    let full = pad(p, SIZE);
                    assert_eq!(payloads(&full), expect);
                    let (a, b) = (
                        PacketHeader::parse(&packet).unwrap(),
                        PacketHeader::parse(&full).unwrap(),
                    );
                    assert_eq!(
                        (a.sequence, a.send_time_ms, a.duration_ms),
                        (b.sequence, b.send_time_ms, b.duration_ms)
                    );
                    assert_eq!(b.packet_len(SIZE), SIZE as usize);
                }
            }
        }
        assert!(rebuilt > 5, "{rebuilt} packets rebuilt");
    }

    #[test]
    fn whole_and_empty() {
        let p = &packets()[0];
        assert_eq!(keep_streams(p, SIZE, |_| true).unwrap(), Thinned::Whole);
        assert_eq!(keep_streams(p, SIZE, |_| false).unwrap(), Thinned::Empty);
        assert!(keep_streams(&[0x82, 0], SIZE, |_| true).is_err());
    }

    /// A demuxer reads the same objects of the kept streams from thinned packets as from the
    /// originals.
    #[test]
    fn the_kept_streams_demux_as_before() {
        let h = header();
        let mut whole = Demuxer::for_streams(&h, &[1, 3]);
        let mut thin = Demuxer::for_streams(&h, &[1, 3]);
        let mut sent = 0;
        for packet in packets() {
            whole.push_packet(&packet).unwrap();
            match keep_streams(&packet, SIZE, |s| s == 1 || s == 3).unwrap() {
                Thinned::Whole => {
                    sent += packet.len();
                    thin.push_packet(&packet).unwrap();
                }
                Thinned::Rebuilt(p) => {
                    sent += p.len();
                    thin.push_packet(&pad(p, SIZE)).unwrap();
                }
                Thinned::Empty => {}
            }
        }
        whole.flush();
        thin.flush();
        let all = |d: &mut Demuxer| std::iter::from_fn(|| d.pop()).collect::<Vec<_>>();
        let (a, b) = (all(&mut whole), all(&mut thin));
        assert_eq!(a.len(), 40);
        assert_eq!(a, b);
        // 20 × 340 bytes of media; the rest is packet and payload headers.
        assert!(sent < 20 * 340 * 12 / 10, "{sent} bytes");
    }

    #[test]
    fn damaged_packets_are_errors_not_panics() {
        let p = &packets()[1];
        for cut in 0..p.len() {
            let _ = keep_streams(&p[..cut], SIZE, |s| s == 1);
        }
        let mut bad = p.clone();
        for i in 0..bad.len().min(64) {
            bad[i] ^= 0xFF;
            let _ = keep_streams(&bad, SIZE, |s| s == 1);
            let _ = keep_streams(&bad, 16, |s| s == 1);
        }
    }
}
