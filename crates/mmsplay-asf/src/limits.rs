//! Bounds on sizes and counts taken from untrusted input. Everything a file or a server says
//! about a length is checked against one of these before it is used.

/// Largest Header Object we accept. Real headers are a few KiB; ones with cover art reach a few
/// hundred KiB.
pub const MAX_HEADER_SIZE: u64 = 16 * 1024 * 1024;
/// Largest data packet. ASF packets are at most 64 KiB on every transport.
pub const MAX_PACKET_SIZE: u32 = 65_536;
/// Largest media object (FFmpeg rejects objects of 16 MiB and more as well).
pub const MAX_OBJECT_SIZE: u32 = 16 * 1024 * 1024;
/// Most header sub-objects we walk.
pub const MAX_HEADER_OBJECTS: u32 = 4096;
/// Most streams an ASF file may declare (stream numbers are 7 bits).
pub const MAX_STREAMS: usize = 127;
/// Most descriptors or records in one metadata object.
pub const MAX_DESCRIPTORS: usize = 4096;
