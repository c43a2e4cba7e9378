//! The files a server serves, loaded once: header bytes and data packets with their send times.

use std::path::Path;
use std::sync::{Arc, OnceLock, Weak};

use bytes::Bytes;
use mmsplay_asf::{FileLayout, Header};

use crate::error::ServerError;
use crate::relay::Relay;

/// Largest file we load into memory.
const MAX_FILE_SIZE: u64 = 512 * 1024 * 1024;

/// One servable ASF file.
#[derive(Debug)]
pub struct Media {
    /// The URL path name (the file name).
    pub name: String,
    pub header: Header,
    /// Header Object plus the Data Object prefix, as MMS and MMSH send it.
    pub header_bytes: Bytes,
    /// Data packets, each exactly `packet_size` bytes (padding included).
    pub packets: Vec<Bytes>,
    /// Send time of each packet in milliseconds (from its packet header).
    pub send_times_ms: Vec<u32>,
    pub packet_size: u32,
    /// The stream's duration (send time span) in milliseconds, for looping live broadcasts.
    pub duration_ms: u64,
    /// Set for a live relay: its packets come from there, not from `packets` (empty).
    pub relay: Option<Weak<Relay>>,
    /// `packets` as RTP sends them, made when an RTSP client first plays the file.
    pub rtp: OnceLock<Vec<crate::rtsp::RtpPacket>>,
    /// A server-side playlist's later entries, played in turn after this one's packets
    /// (empty for a plain file): see [`crate::playlist`].
    pub next: Vec<Arc<Media>>,
}

impl Media {
    pub fn load(path: &Path) -> Result<Media, ServerError> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| ServerError::Media(format!("{}: not a file name", path.display())))?
            .to_string();
        let meta = std::fs::metadata(path)
            .map_err(|e| ServerError::Media(format!("{}: {e}", path.display())))?;
        if meta.len() > MAX_FILE_SIZE {
            return Err(ServerError::Media(format!(
                "{}: larger than 512 MiB",
                path.display()
            )));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| ServerError::Media(format!("{}: {e}", path.display())))?;
        Self::from_bytes(name, &bytes)
            .map_err(|e| ServerError::Media(format!("{}: {e}", path.display())))
    }

    pub fn from_bytes(name: String, bytes: &[u8]) -> Result<Media, mmsplay_asf::AsfError> {
        let layout = FileLayout::parse(bytes, bytes.len() as u64)?;
        let header_bytes = Bytes::copy_from_slice(&bytes[..layout.header_bytes_len()]);
        let mut packets = Vec::new();
        let mut send_times_ms = Vec::new();
        let mut scratch = Vec::new();
        for p in layout.packets(bytes) {
            let t = mmsplay_asf::parse_packet(p, layout.packet_size, &mut scratch)
                .map(|i| i.send_time_ms)
                .unwrap_or_else(|_| send_times_ms.last().copied().unwrap_or(0));
            send_times_ms.push(t);
            packets.push(Bytes::copy_from_slice(p));
        }
        let first = send_times_ms.first().copied().unwrap_or(0);
        let last = send_times_ms.last().copied().unwrap_or(0);
        let duration_ms = layout
            .header
            .file
            .duration_ms()
            .unwrap_or(u64::from(last.saturating_sub(first)))
            .max(1);
        Ok(Media {
            name,
            packet_size: layout.packet_size,
            header: layout.header,
            header_bytes,
            packets,
            send_times_ms,
            duration_ms,
            relay: None,
            rtp: OnceLock::new(),
            next: Vec::new(),
        })
    }

    /// A relay's stream as listeners join it: its header, and no packets of its own.
    pub fn relayed(
        name: String,
        header_bytes: &[u8],
        relay: Weak<Relay>,
    ) -> Result<Media, mmsplay_asf::AsfError> {
        let header = mmsplay_asf::parse_header(header_bytes)?;
        Ok(Media {
            name,
            packet_size: header.packet_size(),
            header,
            header_bytes: Bytes::copy_from_slice(header_bytes),
            packets: Vec::new(),
            send_times_ms: Vec::new(),
            duration_ms: 1,
            relay: Some(relay),
            rtp: OnceLock::new(),
            next: Vec::new(),
        })
    }

    /// The relay this stream comes from, if it is a relay that is still running.
    pub fn relay(&self) -> Option<Arc<Relay>> {
        self.relay.as_ref()?.upgrade()
    }

    /// The index of the first packet to send for a start position in milliseconds. Send times
    /// run without the preroll (a muxer sends the first packet at 0 while its presentation time
    /// is the preroll), so the position maps to a send time directly.
    pub fn packet_at_ms(&self, ms: u64) -> usize {
        self.send_times_ms.partition_point(|t| u64::from(*t) < ms)
    }

    /// Bytes held in memory, for cache budgets.
    pub fn size(&self) -> usize {
        self.header_bytes.len() + self.packets.iter().map(Bytes::len).sum::<usize>()
    }
}
