//! Re-splits MPEG audio carried in ASF into single frames. ASF media objects of MP3 streams hold
//! any number of frames, and frames straddle objects; symphonia's decoder takes one frame per
//! packet. Frame lengths follow ISO/IEC 11172-3 2.4.2.3 and ISO/IEC 13818-3.

/// Bitrates in kb/s by [version group][layer - 1][index]; version group 0 is MPEG-1, 1 is
/// MPEG-2 and 2.5. From ISO/IEC 11172-3 table 2.4.2.3 and ISO/IEC 13818-3 table 2.4.2.3.
const BITRATES: [[[u16; 15]; 3]; 2] = [
    [
        [
            0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ],
        [
            0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        [
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ],
    ],
    [
        [
            0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
        ],
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ],
];
/// Sample rates by [version: 0 = 2.5, 2 = 2, 3 = 1][index].
const RATES: [[u32; 3]; 4] = [
    [11_025, 12_000, 8_000],
    [0, 0, 0],
    [22_050, 24_000, 16_000],
    [44_100, 48_000, 32_000],
];

/// What a frame header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// 1, 2 or 3.
    pub layer: u8,
    pub sample_rate: u32,
    pub channels: u16,
    pub len: usize,
    pub samples: u32,
}

/// Parses a 4-byte MPEG audio frame header; `None` if it is not one (or free format).
pub fn parse_header(b: &[u8]) -> Option<FrameHeader> {
    if b.len() < 4 || b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b[1] >> 3) & 3;
    let layer_bits = (b[1] >> 1) & 3;
    if version == 1 || layer_bits == 0 {
        return None;
    }
    let layer = 4 - layer_bits;
    let bitrate_index = usize::from(b[2] >> 4);
    let rate_index = usize::from((b[2] >> 2) & 3);
    if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    let padding = usize::from((b[2] >> 1) & 1);
    let group = usize::from(version != 3);
    let kbps = u32::from(BITRATES[group][usize::from(layer - 1)][bitrate_index]);
    let sample_rate = RATES[usize::from(version)][rate_index];
    let br = kbps * 1000;
    let (len, samples) = match layer {
        1 => (((12 * br / sample_rate) as usize + padding) * 4, 384),
        2 => ((144 * br / sample_rate) as usize + padding, 1152),
        _ if version == 3 => ((144 * br / sample_rate) as usize + padding, 1152),
        _ => ((72 * br / sample_rate) as usize + padding, 576),
    };
    let channels = if b[3] >> 6 == 3 { 1 } else { 2 };
    Some(FrameHeader {
        layer,
        sample_rate,
        channels,
        len,
        samples,
    })
}

/// Accumulates bytes and yields whole frames.
#[derive(Default)]
pub struct FrameSplitter {
    buf: Vec<u8>,
    /// Bytes skipped while hunting for sync.
    pub skipped: u64,
}

/// Most bytes kept while waiting for a frame's end (a frame is at most 2881 bytes).
const MAX_PENDING: usize = 16 * 1024;

impl FrameSplitter {
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        if self.buf.len() > MAX_PENDING {
            let cut = self.buf.len() - MAX_PENDING;
            self.skipped += cut as u64;
            self.buf.drain(..cut);
        }
    }

    /// Drops what is buffered (after a gap the next bytes do not continue these).
    pub fn reset(&mut self) {
        self.buf.clear();
    }

    /// The next whole frame, if one is buffered.
    pub fn next_frame(&mut self) -> Option<(FrameHeader, Vec<u8>)> {
        loop {
            let start = self
                .buf
                .windows(2)
                .position(|w| w[0] == 0xFF && w[1] & 0xE0 == 0xE0)?;
            if start > 0 {
                self.skipped += start as u64;
                self.buf.drain(..start);
            }
            match parse_header(&self.buf) {
                Some(h) if h.len >= 4 => {
                    if self.buf.len() < h.len {
                        return None;
                    }
                    let frame: Vec<u8> = self.buf.drain(..h.len).collect();
                    return Some((h, frame));
                }
                _ if self.buf.len() < 4 => return None,
                _ => {
                    self.skipped += 1;
                    self.buf.drain(..1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lengths_match_the_standard() {
        // MPEG-1 layer III, 128 kb/s, 44.1 kHz, no padding: 417 bytes.
        let h = parse_header(&[0xFF, 0xFB, 0x90, 0x00]).unwrap();
        assert_eq!(
            (h.layer, h.sample_rate, h.len, h.samples),
            (3, 44_100, 417, 1152)
        );
        // MPEG-2 layer III, 64 kb/s, 22.05 kHz, mono: 72 * 64000 / 22050 = 208.
        let h = parse_header(&[0xFF, 0xF3, 0x80, 0xC0]).unwrap();
        assert_eq!(
            (h.sample_rate, h.channels, h.len, h.samples),
            (22_050, 1, 208, 576)
        );
        assert!(parse_header(&[0xFF, 0xFB, 0xF0, 0x00]).is_none());
        assert!(parse_header(&[0x00, 0xFB, 0x90, 0x00]).is_none());
    }

    #[test]
    fn splits_across_pushes_and_resyncs() {
        let mut frame = vec![0u8; 417];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        let mut s = FrameSplitter::default();
        s.push(&[1, 2, 3]);
        s.push(&frame[..100]);
        assert!(s.next_frame().is_none());
        s.push(&frame[100..]);
        s.push(&frame);
        assert_eq!(s.next_frame().unwrap().1.len(), 417);
        assert_eq!(s.next_frame().unwrap().1.len(), 417);
        assert!(s.next_frame().is_none());
        assert_eq!(s.skipped, 3);
    }
}
