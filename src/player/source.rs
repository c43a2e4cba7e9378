//! The `file` transport: a local ASF file read packet by packet into the same event stream the
//! network transports produce.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use bytes::Bytes;
use mmsplay_asf::{FileLayout, header_object_len};
use mmsplay_net::AsfEvent;

use crate::player::PlayError;

/// Reads at most this much before the first packet (Header Object + Data Object prefix).
const MAX_PREFIX: usize = mmsplay_asf::limits::MAX_HEADER_SIZE as usize + 64;

/// Opens a file and returns its layout, header bytes and a reader positioned at the packets.
pub fn open_file(path: &Path) -> Result<(FileLayout, Bytes, BufReader<File>), PlayError> {
    let err = |m: String| PlayError::Input(format!("{}: {m}", path.display()));
    let f = File::open(path).map_err(|e| err(e.to_string()))?;
    let len = f.metadata().map_err(|e| err(e.to_string()))?.len();
    let mut r = BufReader::with_capacity(64 * 1024, f);
    let mut prefix = vec![0u8; 24];
    r.read_exact(&mut prefix)
        .map_err(|_| err("too short to be an ASF file".into()))?;
    let hlen = header_object_len(&prefix).map_err(|e| err(e.to_string()))?;
    let want = (hlen + mmsplay_asf::header::DATA_OBJECT_FIXED_LEN).min(MAX_PREFIX);
    prefix.resize(want, 0);
    r.read_exact(&mut prefix[24..])
        .map_err(|_| err("the header is truncated".into()))?;
    let layout = FileLayout::parse(&prefix, len).map_err(|e| err(e.to_string()))?;
    Ok((layout, Bytes::from(prefix), r))
}

/// Sends the header then every packet; stops early when the receiver is gone.
pub fn pump_file(
    layout: &FileLayout,
    header: Bytes,
    mut r: impl Read,
    tx: &tokio::sync::mpsc::Sender<AsfEvent>,
    stats: &mmsplay_net::TransportStats,
) {
    if tx.blocking_send(AsfEvent::Header(header)).is_err() {
        return;
    }
    let size = layout.packet_size as usize;
    for _ in 0..layout.packet_count {
        let mut p = vec![0u8; size];
        if r.read_exact(&mut p).is_err() {
            break;
        }
        stats.packet(size);
        if tx.blocking_send(AsfEvent::Packet(Bytes::from(p))).is_err() {
            return;
        }
    }
    let _ = tx.blocking_send(AsfEvent::End);
}
