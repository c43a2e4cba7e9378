//! A relay source on standard input: an ASF byte stream as `ffmpeg ... -f asf -` writes it
//! (Header Object, Data Object prefix, then fixed-size packets, no index, not seekable).
//! [`StreamParser`] is the sans-IO part: bytes in, header and packets out.

use bytes::Bytes;
use mmsplay_asf::limits::{MAX_HEADER_SIZE, MAX_PACKET_SIZE};
use tokio::io::AsyncReadExt;

use super::Pump;

/// The Data Object's fixed part before its packets ([ASF] 5.1).
const DATA_PREFIX_LEN: usize = 50;
/// The Header Object's fixed part, enough to read its size.
const HEADER_FIXED_LEN: usize = 30;

/// What the stream yields.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// Header Object and Data Object prefix, as MMS and MMSH send them.
    Header(Bytes),
    Packet(Vec<u8>),
}

/// Splits an ASF byte stream into its header and packets.
#[derive(Debug, Default)]
pub struct StreamParser {
    buf: Vec<u8>,
    /// Known once the header is in.
    packet_size: Option<usize>,
}

impl StreamParser {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole item, `Ok(None)` when more bytes are needed.
    pub fn next_item(&mut self) -> Result<Option<Item>, String> {
        if let Some(size) = self.packet_size {
            if self.buf.len() < size {
                return Ok(None);
            }
            let rest = self.buf.split_off(size);
            return Ok(Some(Item::Packet(std::mem::replace(&mut self.buf, rest))));
        }
        if self.buf.len() < HEADER_FIXED_LEN {
            return Ok(None);
        }
        let len = mmsplay_asf::header_object_len(&self.buf).map_err(|e| e.to_string())?;
        if len as u64 > MAX_HEADER_SIZE {
            return Err(format!("a {len}-byte header is too large"));
        }
        if self.buf.len() < len + DATA_PREFIX_LEN {
            return Ok(None);
        }
        if self.buf[len..len + 16] != mmsplay_asf::guid::DATA.0 {
            return Err("no Data Object after the header".into());
        }
        let header = mmsplay_asf::parse_header(&self.buf[..len]).map_err(|e| e.to_string())?;
        let size = header.packet_size();
        if size == 0 || size > MAX_PACKET_SIZE {
            return Err(format!("unusable packet size {size}"));
        }
        self.packet_size = Some(size as usize);
        let rest = self.buf.split_off(len + DATA_PREFIX_LEN);
        let head = std::mem::replace(&mut self.buf, rest);
        Ok(Some(Item::Header(Bytes::from(head))))
    }
}

/// Reads standard input to its end. A source on standard input cannot come back once it
/// ends: listeners stay connected and receive nothing more.
pub async fn run(mut pump: Pump) {
    let mut input = tokio::io::stdin();
    let mut parser = StreamParser::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("relay {}: standard input: {e}", pump.relay.name);
                break;
            }
        };
        parser.push(&chunk[..n]);
        loop {
            match parser.next_item() {
                Ok(Some(Item::Header(h))) => {
                    if let Err(e) = pump.header(h) {
                        tracing::error!("{e}");
                        return;
                    }
                }
                Ok(Some(Item::Packet(p))) => pump.packet(&p).await,
                Ok(None) => break,
                Err(e) => {
                    tracing::error!("relay {}: standard input: {e}", pump.relay.name);
                    return;
                }
            }
        }
    }
    tracing::info!("relay {}: standard input ended", pump.relay.name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_splits_into_header_and_packets_whatever_the_reads() {
        let spec = mmsplay_asf::HeaderSpec {
            packet_size: 100,
            streams: vec![mmsplay_asf::AudioStreamSpec {
                number: 1,
                format: mmsplay_asf::WaveFormatEx::pcm(1, 8000, 16),
                spread: None,
                bitrate: 128_000,
            }],
            ..Default::default()
        };
        let mut stream = mmsplay_asf::write_header(&spec);
        let header_len = stream.len();
        stream.extend(std::iter::repeat_n(0xAB, 250));
        for step in [1, 7, 4096] {
            let mut p = StreamParser::default();
            let mut items = Vec::new();
            for c in stream.chunks(step) {
                p.push(c);
                while let Some(i) = p.next_item().unwrap() {
                    items.push(i);
                }
            }
            assert_eq!(items.len(), 3, "step {step}");
            assert_eq!(
                items[0],
                Item::Header(Bytes::from(stream[..header_len].to_vec()))
            );
            assert_eq!(items[1], Item::Packet(vec![0xAB; 100]));
        }
    }

    #[test]
    fn junk_is_refused() {
        let mut p = StreamParser::default();
        p.push(&[0u8; 100]);
        assert!(p.next_item().is_err());
    }
}
