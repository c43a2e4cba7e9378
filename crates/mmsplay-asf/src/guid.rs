//! ASF GUIDs, kept in on-disk byte order (Data1..3 little-endian, Data4 verbatim).
//! The values are from the ASF specification (revision 01.20.05), object GUID tables.

use std::fmt;

#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// Builds a GUID from its canonical text form's numbers.
    pub const fn new(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Guid {
        let a = d1.to_le_bytes();
        let b = d2.to_le_bytes();
        let c = d3.to_le_bytes();
        Guid([
            a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4],
            d4[5], d4[6], d4[7],
        ])
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u16::from_le_bytes([b[4], b[5]]),
            u16::from_le_bytes([b[6], b[7]]),
            b[8],
            b[9],
            b[10],
            b[11],
            b[12],
            b[13],
            b[14],
            b[15]
        )
    }
}

const A6D9: [u8; 8] = [0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C];
const SPEC_8EE: [u8; 6] = [0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65];
const fn tail(hi: [u8; 2], lo: [u8; 6]) -> [u8; 8] {
    [hi[0], hi[1], lo[0], lo[1], lo[2], lo[3], lo[4], lo[5]]
}

pub const HEADER: Guid = Guid::new(0x75B22630, 0x668E, 0x11CF, A6D9);
pub const DATA: Guid = Guid::new(0x75B22636, 0x668E, 0x11CF, A6D9);
pub const FILE_PROPERTIES: Guid =
    Guid::new(0x8CABDCA1, 0xA947, 0x11CF, tail([0x8E, 0xE4], SPEC_8EE));
pub const STREAM_PROPERTIES: Guid =
    Guid::new(0xB7DC0791, 0xA9B7, 0x11CF, tail([0x8E, 0xE6], SPEC_8EE));
pub const HEADER_EXTENSION: Guid =
    Guid::new(0x5FBF03B5, 0xA92E, 0x11CF, tail([0x8E, 0xE3], SPEC_8EE));
pub const HEADER_EXTENSION_RESERVED: Guid =
    Guid::new(0xABD3D211, 0xA9BA, 0x11CF, tail([0x8E, 0xE6], SPEC_8EE));
pub const CODEC_LIST: Guid = Guid::new(
    0x86D15240,
    0x311D,
    0x11D0,
    [0xA3, 0xA4, 0x00, 0xA0, 0xC9, 0x03, 0x48, 0xF6],
);
pub const CODEC_LIST_RESERVED: Guid = Guid::new(
    0x86D15241,
    0x311D,
    0x11D0,
    [0xA3, 0xA4, 0x00, 0xA0, 0xC9, 0x03, 0x48, 0xF6],
);
pub const SCRIPT_COMMAND: Guid = Guid::new(
    0x1EFB1A30,
    0x0B62,
    0x11D0,
    [0xA3, 0x9B, 0x00, 0xA0, 0xC9, 0x03, 0x48, 0xF6],
);
pub const CONTENT_DESCRIPTION: Guid = Guid::new(0x75B22633, 0x668E, 0x11CF, A6D9);
pub const EXTENDED_CONTENT_DESCRIPTION: Guid = Guid::new(
    0xD2D0A440,
    0xE307,
    0x11D2,
    [0x97, 0xF0, 0x00, 0xA0, 0xC9, 0x5E, 0xA8, 0x50],
);
pub const STREAM_BITRATE_PROPERTIES: Guid = Guid::new(
    0x7BF875CE,
    0x468D,
    0x11D1,
    [0x8D, 0x82, 0x00, 0x60, 0x97, 0xC9, 0xA2, 0xB2],
);
pub const CONTENT_ENCRYPTION: Guid = Guid::new(
    0x2211B3FB,
    0xBD23,
    0x11D2,
    [0xB4, 0xB7, 0x00, 0xA0, 0xC9, 0x55, 0xFC, 0x6E],
);
pub const EXTENDED_CONTENT_ENCRYPTION: Guid = Guid::new(
    0x298AE614,
    0x2622,
    0x4C17,
    [0xB9, 0x35, 0xDA, 0xE0, 0x7E, 0xE9, 0x28, 0x9C],
);
pub const EXTENDED_STREAM_PROPERTIES: Guid = Guid::new(
    0x14E6A5CB,
    0xC672,
    0x4332,
    [0x83, 0x99, 0xA9, 0x69, 0x52, 0x06, 0x5B, 0x5A],
);
pub const METADATA: Guid = Guid::new(
    0xC5F8CBEA,
    0x5BAF,
    0x4877,
    [0x84, 0x67, 0xAA, 0x8C, 0x44, 0xFA, 0x4C, 0xCA],
);
pub const METADATA_LIBRARY: Guid = Guid::new(
    0x44231C94,
    0x9498,
    0x49D1,
    [0xA1, 0x41, 0x1D, 0x13, 0x4E, 0x45, 0x70, 0x54],
);

/// Bitrate Mutual Exclusion Object (ASF spec 3.8): top level.
pub const BITRATE_MUTUAL_EXCLUSION: Guid = Guid::new(
    0xD6E229DC,
    0x35DA,
    0x11D1,
    [0x90, 0x34, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xBE],
);
/// Advanced Mutual Exclusion Object (ASF spec 4.3): inside the Header Extension.
pub const ADVANCED_MUTUAL_EXCLUSION: Guid = Guid::new(
    0xA08649CF,
    0x4775,
    0x4670,
    [0x8A, 0x16, 0x6E, 0x35, 0x35, 0x75, 0x66, 0xCD],
);
/// Language List Object (ASF spec 4.6): inside the Header Extension.
pub const LANGUAGE_LIST: Guid = Guid::new(
    0x7C4346A9,
    0xEFE0,
    0x4BFC,
    [0xB2, 0x29, 0x39, 0x3E, 0xDE, 0x41, 0x5C, 0x85],
);
/// Exclusion types of the two mutual exclusion objects: the streams differ in language, in
/// bitrate, or in something unstated.
pub const MUTEX_LANGUAGE: Guid = Guid::new(
    0xD6E22A00,
    0x35DA,
    0x11D1,
    [0x90, 0x34, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xBE],
);
pub const MUTEX_BITRATE: Guid = Guid::new(
    0xD6E22A01,
    0x35DA,
    0x11D1,
    [0x90, 0x34, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xBE],
);

pub const AUDIO_MEDIA: Guid = Guid::new(
    0xF8699E40,
    0x5B4D,
    0x11CF,
    [0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B],
);
pub const VIDEO_MEDIA: Guid = Guid::new(
    0xBC19EFC0,
    0x5B4D,
    0x11CF,
    [0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B],
);
pub const COMMAND_MEDIA: Guid = Guid::new(
    0x59DACFC0,
    0x59E6,
    0x11D0,
    [0xA3, 0xAC, 0x00, 0xA0, 0xC9, 0x03, 0x48, 0xF6],
);
pub const BINARY_MEDIA: Guid = Guid::new(
    0x3AFB65E2,
    0x47EF,
    0x40F2,
    [0xAC, 0x2C, 0x70, 0xA9, 0x0D, 0x71, 0xD3, 0x43],
);
pub const NO_ERROR_CORRECTION: Guid = Guid::new(
    0x20FB5700,
    0x5B55,
    0x11CF,
    [0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B],
);
pub const AUDIO_SPREAD: Guid = Guid::new(
    0xBFC3CD50,
    0x618F,
    0x11CF,
    [0x8B, 0xB2, 0x00, 0xAA, 0x00, 0xB4, 0xE2, 0x20],
);

/// Simple Index Object (ASF spec 6.1): one packet number per time interval.
pub const SIMPLE_INDEX: Guid = Guid::new(
    0x33000890,
    0xE5B1,
    0x11CF,
    [0x89, 0xF4, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xCB],
);
/// Index Object (ASF spec 6.2): byte offsets of packets per time interval and stream.
pub const INDEX: Guid = Guid::new(
    0xD6E229D3,
    0x35DA,
    0x11D1,
    [0x90, 0x34, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xBE],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_guid_has_the_on_disk_byte_order() {
        // asf-wma.md 1.1: checked against a file written by ffmpeg.
        assert_eq!(
            HEADER.0,
            [
                0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62,
                0xCE, 0x6C
            ]
        );
        assert_eq!(HEADER.to_string(), "75B22630-668E-11CF-A6D9-00AA0062CE6C");
    }
}
