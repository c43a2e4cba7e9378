//! The broadcast clock for `--live`: every file plays as a loop that started when the server
//! did, and a client joins wherever the loop is now.

use std::sync::OnceLock;
use std::time::Instant;

use crate::Media;

static EPOCH: OnceLock<Instant> = OnceLock::new();

pub fn start_clock() {
    EPOCH.get_or_init(Instant::now);
}

/// One loop's length on the send-time axis: the send-time span plus one packet's worth, so
/// the first packet of the next loop comes one packet interval after the last.
pub fn loop_ms(m: &Media) -> u64 {
    let t = &m.send_times_ms;
    let first = t.first().map_or(0, |v| u64::from(*v));
    let last = t.last().map_or(0, |v| u64::from(*v));
    let span = last.saturating_sub(first);
    let per_packet = span / (t.len().max(2) as u64 - 1);
    (span + per_packet.max(1)).max(1)
}

/// Index of the packet the broadcast of `m` is at now.
pub fn current_packet(m: &Media) -> usize {
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64;
    let first = m.send_times_ms.first().map_or(0, |v| u64::from(*v));
    let pos = first + elapsed % loop_ms(m);
    let i = m.send_times_ms.partition_point(|t| u64::from(*t) < pos);
    if i >= m.packets.len() { 0 } else { i }
}

/// The header a broadcast is announced with: the File Properties Broadcast flag set and the
/// fields that are invalid for a broadcast zeroed (ASF 3.2), so clients treat it as live.
pub fn broadcast_header(header: &[u8]) -> Vec<u8> {
    let mut h = header.to_vec();
    let Ok(len) = mmsplay_asf::header_object_len(&h) else {
        return h;
    };
    let len = len.min(h.len());
    let fp = mmsplay_asf::guid::FILE_PROPERTIES.0;
    let mut pos = 30usize;
    while pos + 24 <= len {
        let size = u64::from_le_bytes(h[pos + 16..pos + 24].try_into().unwrap_or([0; 8])) as usize;
        if size < 24 || pos + size > len {
            break;
        }
        if h[pos..pos + 16] == fp && size >= 104 {
            let o = pos;
            h[o + 40..o + 48].fill(0); // File Size
            h[o + 56..o + 64].fill(0); // Data Packets Count
            h[o + 64..o + 72].fill(0); // Play Duration
            h[o + 72..o + 80].fill(0); // Send Duration
            // Flags: Broadcast set, Seekable clear.
            let flags = u32::from_le_bytes(h[o + 88..o + 92].try_into().unwrap_or([0; 4]));
            h[o + 88..o + 92].copy_from_slice(&((flags | 1) & !2).to_le_bytes());
            break;
        }
        pos += size;
    }
    h
}
