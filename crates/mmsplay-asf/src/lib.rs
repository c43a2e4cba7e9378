//! Sans-IO ASF (Advanced Systems Format): the header and its objects, data packets, media-object
//! reassembly with Audio Spread descrambling, and a writer.
//!
//! Layouts follow the ASF specification revision 01.20.05 (sections cited in each module) and
//! the notes in `docs/asf-wma.md`. Nothing here does IO, and every length from the
//! input is checked against [`limits`] before use, so the parsers can take untrusted bytes.

pub mod alternatives;
mod error;
pub mod file;
pub mod guid;
pub mod header;
pub mod limits;
pub mod packet;
pub mod padding;
mod reader;
pub mod reassembly;
pub mod seek;
pub mod thin;
pub mod timing;
pub mod writer;

pub use alternatives::{ExclusionKind, MutualExclusion};
pub use error::{AsfError, Result};
pub use file::FileLayout;
pub use guid::Guid;
pub use header::{
    AudioSpread, ContentDescription, Header, StreamKind, StreamProperties, WaveFormatEx,
    header_object_len, parse_header,
};
pub use packet::{PacketHeader, PacketInfo, Payload, PayloadData, parse_packet};
pub use reassembly::{DemuxStats, Demuxer, MediaObject};
pub use writer::{AudioStreamSpec, HeaderSpec, Packetizer, patch_header_counts, write_header};
