//! A file's packets as RTP sends them, made once per file rather than once per listener and
//! packet: padding stripped with an explicit Packet Length ([`mmsplay_asf::padding::strip`])
//! and whether the packet starts a key frame (the payload-format header's S bit).

use bytes::Bytes;
use mmsplay_asf::padding;
use mmsplay_net::rtsp::asfpf;

use crate::Media;

/// One packet ready for RTP.
#[derive(Clone, Debug)]
pub struct RtpPacket {
    pub stripped: Bytes,
    pub key: bool,
}

impl RtpPacket {
    /// Prepares one packet (a relay's, or a live loop's with moved times).
    pub fn new(packet: &[u8], packet_size: u32) -> RtpPacket {
        let stripped = padding::strip(packet, packet_size).unwrap_or_else(|_| packet.to_vec());
        RtpPacket {
            stripped: Bytes::from(stripped),
            key: asfpf::has_key_frame(packet, packet_size),
        }
    }
}

/// Files up to this size keep their packets ready for RTP (a second copy of them); larger
/// ones are prepared packet by packet as they are sent.
const MAX_PREPARED: usize = 64 * 1024 * 1024;

/// Packet `i` of `media` ready for RTP: from the copy made at the first use and kept with the
/// file, or made now for a large file.
pub fn packet(media: &Media, i: usize) -> Option<RtpPacket> {
    let p = media.packets.get(i)?;
    if media.packets.len() * media.packet_size as usize > MAX_PREPARED {
        return Some(RtpPacket::new(p, media.packet_size));
    }
    let all = media.rtp.get_or_init(|| {
        media
            .packets
            .iter()
            .map(|p| RtpPacket::new(p, media.packet_size))
            .collect()
    });
    all.get(i).cloned()
}
