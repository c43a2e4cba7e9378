//! A whole ASF file: header, Data Object, then fixed-size packets. Sans-IO: the caller gives
//! bytes; [`FileLayout`] says where the packets are.

use crate::error::{AsfError, Result};
use crate::header::{DATA_OBJECT_FIXED_LEN, DataObject, Header, parse_data_object, parse_header};

/// Where a file's parts are.
#[derive(Clone, Debug)]
pub struct FileLayout {
    pub header: Header,
    pub data: DataObject,
    /// Byte offset of the first data packet.
    pub packets_offset: u64,
    pub packet_size: u32,
    /// Packets present: the declared count, or as many as the Data Object size allows.
    pub packet_count: u64,
}

impl FileLayout {
    /// Reads the layout from the start of a file (the Header Object and the Data Object prefix
    /// must be in `prefix`). `file_len` bounds the packet count of truncated files.
    pub fn parse(prefix: &[u8], file_len: u64) -> Result<FileLayout> {
        let header = parse_header(prefix)?;
        let data_at = header.len;
        let data_bytes =
            prefix
                .get(data_at..data_at + DATA_OBJECT_FIXED_LEN)
                .ok_or(AsfError::Truncated {
                    what: "Data Object",
                    offset: data_at,
                })?;
        let data = parse_data_object(data_bytes)?;
        let packets_offset = (data_at + DATA_OBJECT_FIXED_LEN) as u64;
        let packet_size = header.packet_size();
        let available = file_len.saturating_sub(packets_offset) / u64::from(packet_size);
        let declared = if header.file.broadcast || data.total_packets == 0 {
            u64::MAX
        } else {
            data.total_packets
        };
        let by_size = if data.size >= DATA_OBJECT_FIXED_LEN as u64 && !header.file.broadcast {
            (data.size - DATA_OBJECT_FIXED_LEN as u64) / u64::from(packet_size)
        } else {
            u64::MAX
        };
        let packet_count = available.min(declared).min(by_size);
        Ok(FileLayout {
            header,
            data,
            packets_offset,
            packet_size,
            packet_count,
        })
    }

    /// The bytes of header plus Data Object prefix, as MMS and MMSH send them.
    pub fn header_bytes_len(&self) -> usize {
        self.packets_offset as usize
    }

    /// An iterator over the packets of a file held in memory.
    pub fn packets<'a>(&self, file: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        let start = self.packets_offset as usize;
        let size = self.packet_size as usize;
        let count = self.packet_count;
        file.get(start..)
            .unwrap_or(&[])
            .chunks_exact(size)
            .take(usize::try_from(count).unwrap_or(usize::MAX))
    }
}
