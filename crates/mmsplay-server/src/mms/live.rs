//! The broadcast clock for `--live`: every file plays as a loop that started when the server
//! did, and a client joins wherever the loop is now.

use std::sync::OnceLock;
use std::time::Instant;

use crate::Media;

static EPOCH: OnceLock<Instant> = OnceLock::new();

pub fn start_clock() {
    EPOCH.get_or_init(Instant::now);
}

/// Index of the packet the broadcast of `m` is at now.
pub fn current_packet(m: &Media) -> usize {
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64;
    let pos = elapsed % m.duration_ms.max(1);
    m.packet_at_ms(pos).min(m.packets.len().saturating_sub(1))
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
