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

/// Sends the header then every packet from `first` on (the reader is positioned at it); stops
/// early when the receiver is gone. With `seek` (the slot and the `--stream` choice), a
/// position put in the slot (ms) moves the reader there between packets; the header is sent
/// again to mark where the packets from the new position begin.
pub fn pump_file(
    layout: &FileLayout,
    header: Bytes,
    first: u64,
    mut r: BufReader<File>,
    seek: Option<(std::sync::Arc<crate::player::SeekRequests>, Option<u16>)>,
    tx: &tokio::sync::mpsc::Sender<AsfEvent>,
    stats: &mmsplay_net::TransportStats,
) {
    use std::io::{Seek, SeekFrom};
    if tx.blocking_send(AsfEvent::Header(header.clone())).is_err() {
        return;
    }
    let size = layout.packet_size as usize;
    let len = r.get_ref().metadata().map_or(0, |m| m.len());
    let mut next = first;
    loop {
        if next >= layout.packet_count {
            if tx.blocking_send(AsfEvent::End).is_err() {
                return;
            }
            let Some((slot, _)) = &seek else { return };
            // The player may still seek back while it plays what is queued: wait for that,
            // or for it to go away.
            loop {
                if tx.is_closed() {
                    return;
                }
                if let Some(to_ms) = slot.take() {
                    slot.set(to_ms);
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        if let Some((slot, stream)) = &seek
            && let Some(to_ms) = slot.take()
        {
            let (p, _) = seek_packet(r.get_mut(), len, layout, *stream, to_ms.max(0) as u64);
            let at = layout.packets_offset + p * size as u64;
            if r.seek(SeekFrom::Start(at)).is_err() {
                break;
            }
            next = p;
            if tx.blocking_send(AsfEvent::Header(header.clone())).is_err() {
                return;
            }
        }
        next += 1;
        let mut p = vec![0u8; size];
        if r.read_exact(&mut p).is_err() {
            // A truncated file ends here.
            next = layout.packet_count;
            continue;
        }
        stats.packet(size);
        if tx.blocking_send(AsfEvent::Packet(Bytes::from(p))).is_err() {
            return;
        }
    }
}

/// How far before the target a file is entered: the decoder needs the frames before the
/// target (a WMA frame overlaps its predecessor), and a packet's send time may run ahead of
/// the presentation times of the objects it carries. The player drops what it decodes before
/// the target, so entering early costs only decoding.
pub(crate) const SEEK_LEAD_MS: u64 = 1000;

/// The packet to start reading at for presentation time `target_ms` (preroll excluded), and
/// how it was found, for the log. Uses the file's index objects where present (read whole,
/// up to `MAX_INDEX_SIZE`), otherwise bisects over the packets' send times (at most
/// `MAX_BISECT_STEPS` packet headers read).
pub fn seek_packet(
    file: &mut File,
    len: u64,
    layout: &FileLayout,
    stream: Option<u16>,
    target_ms: u64,
) -> (u64, &'static str) {
    use mmsplay_asf::seek::Bisect;
    let preroll = layout.header.file.preroll_ms;
    let size = u64::from(layout.packet_size);
    let stream = stream
        .and_then(|s| u8::try_from(s).ok())
        .or_else(|| {
            let audio = layout.header.streams.iter().find(|s| s.audio.is_some());
            audio.map(|s| s.number)
        })
        .unwrap_or(1);
    let lead = target_ms.saturating_sub(SEEK_LEAD_MS);
    if let Some(index) = read_index(file, len, layout, stream) {
        let p = index.packet_for(lead.saturating_add(preroll));
        return (
            p.min(layout.packet_count.saturating_sub(1)),
            "the file's index",
        );
    }
    // Send times are on the presentation clock less the preroll: the first packet is sent at
    // 0 and its objects are presented at the preroll.
    let mut b = Bisect::new(layout.packet_count, lead);
    let mut head = vec![0u8; 64.min(layout.packet_size as usize)];
    while let Some(p) = b.probe() {
        let at = layout.packets_offset + p * size;
        let t = read_at(file, at, &mut head)
            .ok()
            .and_then(|()| mmsplay_asf::PacketHeader::parse(&head).ok())
            .map(|h| h.send_time_ms);
        b.send_time(p, t);
    }
    (b.packet(), "a search by send time")
}

/// The first index object after the Data Object that reads, if any. Walks at most a few
/// top-level objects and reads none larger than `MAX_INDEX_SIZE`.
fn read_index(
    file: &mut File,
    len: u64,
    layout: &FileLayout,
    stream: u8,
) -> Option<mmsplay_asf::seek::PacketIndex> {
    use mmsplay_asf::seek::{MAX_INDEX_SIZE, OBJECT_HEAD_LEN, PacketIndex, is_index, object_head};
    let mut at = (layout.header.len as u64).checked_add(layout.data.size)?;
    for _ in 0..8 {
        let mut head = [0u8; OBJECT_HEAD_LEN];
        read_at(file, at, &mut head).ok()?;
        let (g, size) = object_head(&head).ok()?;
        if is_index(&g) && size <= MAX_INDEX_SIZE && at + size <= len {
            let mut obj = vec![0u8; size as usize];
            if read_at(file, at, &mut obj).is_ok()
                && let Ok(index) = PacketIndex::parse(&obj, stream, layout.packet_size)
            {
                return Some(index);
            }
        }
        at = at.checked_add(size)?;
    }
    None
}

fn read_at(file: &mut File, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(buf)
}
