//! Serving a file as a looping live broadcast: the header says "broadcast", and clients join
//! where the broadcast is now, on one continuous timeline across loops.

use std::time::Duration;

use bytes::Bytes;
use mmsplay_asf::guid;

use crate::media::Media;

/// File Properties flags ([ASF] 3.2): Broadcast and Seekable.
const FLAG_BROADCAST: u32 = 0x01;
const FLAG_SEEKABLE: u32 = 0x02;

/// The header with File Properties marked as a broadcast: Broadcast set, Seekable clear, and
/// File Size, Data Packets, Play and Send Duration zeroed (invalid for broadcasts, [ASF] 3.2),
/// the way VLC's and Windows Media's live headers look.
pub fn broadcast_header(header: &[u8]) -> Bytes {
    let mut b = header.to_vec();
    let Ok(header_len) = mmsplay_asf::header_object_len(&b) else {
        return Bytes::from(b);
    };
    let header_len = header_len.min(b.len());
    let mut pos = mmsplay_asf::header::HEADER_FIXED_LEN;
    while pos + 24 <= header_len {
        let mut size = [0u8; 8];
        size.copy_from_slice(&b[pos + 16..pos + 24]);
        let size = u64::from_le_bytes(size);
        if size < 24 || pos as u64 + size > header_len as u64 {
            break;
        }
        if b[pos..pos + 16] == guid::FILE_PROPERTIES.0 && size >= 104 {
            let fp = &mut b[pos..pos + 104];
            fp[40..48].fill(0); // File Size
            fp[56..64].fill(0); // Data Packets Count
            fp[64..72].fill(0); // Play Duration
            fp[72..80].fill(0); // Send Duration
            let mut flags = [0u8; 4];
            flags.copy_from_slice(&fp[88..92]);
            let flags = (u32::from_le_bytes(flags) | FLAG_BROADCAST) & !FLAG_SEEKABLE;
            fp[88..92].copy_from_slice(&flags.to_le_bytes());
            break;
        }
        pos += size as usize;
    }
    Bytes::from(b)
}

/// Maps wall-clock time since the server started onto the looping file.
pub struct LiveClock<'a> {
    times: &'a [u32],
    first_ms: u64,
    /// One loop's length on the send-time axis.
    loop_ms: u64,
}

impl<'a> LiveClock<'a> {
    pub fn new(media: &'a Media) -> LiveClock<'a> {
        let times = &media.send_times_ms[..];
        let first_ms = times.first().map_or(0, |t| u64::from(*t));
        let last_ms = times.last().map_or(0, |t| u64::from(*t));
        // The send-time span plus one packet's worth, at least the play duration.
        let per_packet = (last_ms - first_ms.min(last_ms)) / (times.len().max(2) as u64 - 1);
        let loop_ms = (last_ms.saturating_sub(first_ms) + per_packet.max(1)).max(media.duration_ms);
        LiveClock {
            times,
            first_ms,
            loop_ms: loop_ms.max(1),
        }
    }

    /// The packet the broadcast is at, `elapsed` after it started.
    pub fn packet_now(&self, elapsed: Duration) -> usize {
        let pos = (elapsed.as_millis() as u64) % self.loop_ms;
        let i = self
            .times
            .partition_point(|t| u64::from(*t) < self.first_ms + pos);
        if i >= self.times.len() { 0 } else { i }
    }

    /// Packet `i` of loop `loops` on the continuous send-time axis.
    pub fn timeline_ms(&self, i: usize, loops: u64) -> u64 {
        let t = self.times.get(i).map_or(self.first_ms, |t| u64::from(*t));
        t + loops * self.loop_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_broadcast_header() {
        let spec = mmsplay_asf::HeaderSpec {
            packet_size: 100,
            data_packets: 10,
            play_duration: 50_000_000,
            streams: vec![mmsplay_asf::AudioStreamSpec {
                number: 1,
                format: mmsplay_asf::WaveFormatEx::pcm(1, 8000, 16),
                spread: None,
                bitrate: 128_000,
            }],
            ..Default::default()
        };
        let h = mmsplay_asf::write_header(&spec);
        let before = mmsplay_asf::parse_header(&h).unwrap();
        assert!(!before.file.broadcast);
        let live = broadcast_header(&h);
        let after = mmsplay_asf::parse_header(&live).unwrap();
        assert!(after.file.broadcast);
        assert!(!after.file.seekable);
        assert_eq!(after.file.data_packets, 0);
        assert_eq!(after.packet_size(), 100);
        assert_eq!(live.len(), h.len());
    }
}
