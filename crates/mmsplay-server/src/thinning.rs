//! The streams one client asked for, and the packets it is sent accordingly.
//!
//! Every transport lets a client select streams: MMS with LinkViewerToMacStreamSwitch
//! ([MS-MMSP] 2.2.4.28), MMSH with the `stream-switch-entry` Pragma ([MS-WMSP] 2.2.1.4.27),
//! RTSP by which streams it SETUPs ([MS-RTSP] 3.2.5.3). A stream switched off (thinning level
//! 2) gets no payloads: packets are rebuilt without them ([`mmsplay_asf::thin`]) and packets
//! left empty are not sent. Streams a client never mentions stay on, so that a client that
//! selects nothing (WMS 4.x clients, our own tests' raw clients) still gets everything.

use bytes::Bytes;
use mmsplay_asf::Header;
use mmsplay_asf::thin::{Thinned, keep_streams};

/// The thinning level that switches a stream off ([MS-MMSP] 2.2.4.28.1, [MS-WMSP] 2.2.1.4.27).
const THINNING_OFF: u16 = 2;

/// Which streams of the file a client gets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamFilter {
    /// Streams switched off; empty: every stream.
    off: Vec<u8>,
    /// Every stream that was on at some point of the session, once a selection came.
    ever_on: Vec<u8>,
}

impl StreamFilter {
    /// Applies stream-switch entries `(stream, thinning)`: level 2 switches a stream off,
    /// 0 and 1 (key frames only: audio is all key frames) on. Entries naming no stream of
    /// `header` (0xFFFF, or out of range) are ignored, as are streams not mentioned.
    pub fn switch(&mut self, header: &Header, entries: impl IntoIterator<Item = (u16, u16)>) {
        for (stream, thinning) in entries {
            let Some(n) = u8::try_from(stream)
                .ok()
                .filter(|n| header.stream(*n).is_some())
            else {
                continue;
            };
            self.off.retain(|s| *s != n);
            if thinning == THINNING_OFF {
                self.off.push(n);
            }
        }
        self.off.sort_unstable();
        for n in self.on(header) {
            if !self.ever_on.contains(&n) {
                self.ever_on.push(n);
            }
        }
        self.ever_on.sort_unstable();
    }

    /// Exactly the streams `on` (RTSP: those SETUP), every other stream of `header` off.
    pub fn only(header: &Header, on: &[u8]) -> StreamFilter {
        let mut f = StreamFilter::default();
        let entries = header.streams.iter().map(|s| {
            let level = if on.contains(&s.number) {
                0
            } else {
                THINNING_OFF
            };
            (u16::from(s.number), level)
        });
        f.switch(header, entries);
        f
    }

    /// The streams on now.
    pub fn on(&self, header: &Header) -> Vec<u8> {
        header
            .streams
            .iter()
            .map(|s| s.number)
            .filter(|n| !self.off.contains(n))
            .collect()
    }

    /// The streams sent during the session, for `session_end`: every stream of `header` when
    /// the client never selected, else each stream that was on at some point.
    pub fn sent(&self, header: &Header) -> Vec<u8> {
        if self.ever_on.is_empty() && self.off.is_empty() {
            return header.streams.iter().map(|s| s.number).collect();
        }
        self.ever_on.clone()
    }

    /// What of `packet` (full size, `packet_size` bytes) goes to this client: the packet
    /// itself, the packet rebuilt without the streams switched off (padding stripped), or
    /// nothing. A packet that cannot be walked goes whole: the client skips what it cannot
    /// read.
    pub fn decide(&self, packet: &[u8], packet_size: u32) -> Option<Kept> {
        if self.off.is_empty() {
            return Some(Kept::Whole);
        }
        match keep_streams(packet, packet_size, |s| !self.off.contains(&s)) {
            Ok(Thinned::Whole) | Err(_) => Some(Kept::Whole),
            Ok(Thinned::Empty) => None,
            Ok(Thinned::Rebuilt(p)) => Some(Kept::Rebuilt(p)),
        }
    }

    /// [`Self::decide`] for a shared packet: the bytes to send.
    pub fn apply(&self, packet: &Bytes, packet_size: u32) -> Option<Bytes> {
        self.decide(packet, packet_size).map(|k| match k {
            Kept::Whole => packet.clone(),
            Kept::Rebuilt(p) => Bytes::from(p),
        })
    }
}

/// What of a packet a client gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    Whole,
    /// Rebuilt without the streams switched off, its padding stripped.
    Rebuilt(Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmsplay_asf::Packetizer;
    use mmsplay_asf::writer::pcm_streams_header;

    fn header() -> Header {
        mmsplay_asf::parse_header(&pcm_streams_header(500, &[1, 2], 64_000)).unwrap()
    }

    #[test]
    fn switches_turn_streams_off_and_on_and_the_record_keeps_both() {
        let h = header();
        let mut f = StreamFilter::default();
        assert_eq!(f.sent(&h), vec![1, 2]);
        f.switch(&h, [(1, 0), (2, 2), (0xFFFF, 2), (9, 2)]);
        assert_eq!(f.on(&h), vec![1]);
        assert_eq!(f.sent(&h), vec![1]);
        f.switch(&h, [(2, 0)]);
        assert_eq!(f.on(&h), vec![1, 2]);
        f.switch(&h, [(1, 2)]);
        assert_eq!(f.on(&h), vec![2]);
        assert_eq!(f.sent(&h), vec![1, 2]);
        assert_eq!(StreamFilter::only(&h, &[2]).on(&h), vec![2]);
    }

    #[test]
    fn packets_of_streams_switched_off_shrink_or_go() {
        let h = header();
        let mut p = Packetizer::new(500);
        p.push_object(1, 0, true, &[1; 100]);
        p.push_object(2, 0, true, &[2; 100]);
        p.push_object(2, 100, true, &[2; 300]);
        p.push_object(2, 200, true, &[2; 300]);
        p.flush();
        let packets: Vec<Bytes> = p.take_packets().into_iter().map(Bytes::from).collect();
        assert!(packets.len() >= 2);
        let all = StreamFilter::default();
        assert_eq!(all.apply(&packets[0], 500).as_ref(), Some(&packets[0]));
        let one = StreamFilter::only(&h, &[1]);
        let first = one.apply(&packets[0], 500).unwrap();
        assert!(first.len() < 150, "{} bytes", first.len());
        assert!(packets[1..].iter().all(|p| one.apply(p, 500).is_none()));
    }
}
