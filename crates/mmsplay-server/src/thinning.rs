//! The streams one client asked for, and the packets it is sent accordingly.
//!
//! Every transport lets a client select streams: MMS with LinkViewerToMacStreamSwitch
//! ([MS-MMSP] 2.2.4.28), MMSH with the `stream-switch-entry` Pragma ([MS-WMSP] 2.2.1.4.27),
//! RTSP by which streams it SETUPs ([MS-RTSP] 3.2.5.3). A stream switched off (thinning level
//! 2) gets no payloads: packets are rebuilt without them ([`mmsplay_asf::thin`]) and packets
//! left empty are not sent. Streams a client never mentions stay on, so that a client that
//! selects nothing (WMS 4.x clients, our own tests' raw clients) still gets everything.
//!
//! A request that replaces streams (turns some off and others on) keeps sending the old ones
//! until a key-frame payload of a new one has gone out ([MS-WMSP] 3.2.5.7, [MS-MMSP]
//! 3.2.5.12), so that the client can move between them without a gap.

use bytes::Bytes;
use mmsplay_asf::Header;
use mmsplay_asf::packet::payload_positions;
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
    /// Streams switched off by a replacement, still sent until a key-frame payload of one of
    /// `awaited` (the streams it switched on) has been.
    lingering: Vec<u8>,
    awaited: Vec<u8>,
}

impl StreamFilter {
    /// Applies stream-switch entries `(stream, thinning)`: level 2 switches a stream off,
    /// 0 and 1 (key frames only: audio is all key frames) on. Entries naming no stream of
    /// `header` (0xFFFF, or out of range) are ignored, as are streams not mentioned.
    pub fn switch(&mut self, header: &Header, entries: impl IntoIterator<Item = (u16, u16)>) {
        let before = self.on(header);
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
        let after = self.on(header);
        let gone: Vec<u8> = before
            .iter()
            .copied()
            .filter(|n| !after.contains(n))
            .collect();
        let new: Vec<u8> = after
            .iter()
            .copied()
            .filter(|n| !before.contains(n))
            .collect();
        self.lingering.retain(|n| !after.contains(n));
        if !gone.is_empty() && !new.is_empty() {
            self.lingering.extend(gone);
            self.awaited = new;
        }
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
    pub fn decide(&mut self, packet: &[u8], packet_size: u32) -> Option<Kept> {
        if self.off.is_empty() {
            return Some(Kept::Whole);
        }
        let lingering = std::mem::take(&mut self.lingering);
        if !lingering.is_empty() && !self.awaited_key_frame(packet) {
            // Not yet: the replaced streams go on after this packet too.
            self.lingering.clone_from(&lingering);
        }
        let keep = |s: u8| !self.off.contains(&s) || lingering.contains(&s);
        match keep_streams(packet, packet_size, keep) {
            Ok(Thinned::Whole) | Err(_) => Some(Kept::Whole),
            Ok(Thinned::Empty) => None,
            Ok(Thinned::Rebuilt(p)) => Some(Kept::Rebuilt(p)),
        }
    }

    /// Whether `packet` carries a key-frame payload of a stream a replacement switched on.
    fn awaited_key_frame(&self, packet: &[u8]) -> bool {
        payload_positions(packet).is_ok_and(|(_, payloads)| {
            payloads
                .iter()
                .any(|(p, _)| p.key_frame && self.awaited.contains(&p.stream))
        })
    }

    /// [`Self::decide`] for a shared packet: the bytes to send.
    pub fn apply(&mut self, packet: &Bytes, packet_size: u32) -> Option<Bytes> {
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
        let mut all = StreamFilter::default();
        assert_eq!(all.apply(&packets[0], 500).as_ref(), Some(&packets[0]));
        let mut one = StreamFilter::only(&h, &[1]);
        let first = one.apply(&packets[0], 500).unwrap();
        assert!(first.len() < 150, "{} bytes", first.len());
        assert!(packets[1..].iter().all(|p| one.apply(p, 500).is_none()));
    }

    /// Stream 1 replaced by stream 2 in one request: 1 goes on until a key frame of 2 is out.
    #[test]
    fn a_replaced_stream_lasts_until_a_key_frame_of_its_successor() {
        let h = header();
        let mut p = Packetizer::new(500);
        for (i, key) in [false, false, true, false].into_iter().enumerate() {
            let t = 100 * i as u32;
            p.push_object(1, t, true, &[1; 100]);
            p.push_object(2, t, key, &[2; 100]);
            p.flush();
        }
        let packets: Vec<Bytes> = p.take_packets().into_iter().map(Bytes::from).collect();
        assert_eq!(packets.len(), 4);
        let mut f = StreamFilter::only(&h, &[1]);
        f.switch(&h, [(1, 2), (2, 0)]);
        let sent: Vec<Vec<u8>> = packets
            .iter()
            .map(|pk| {
                let out = f
                    .apply(pk, 500)
                    .map(|b| mmsplay_asf::padding::pad(b.to_vec(), 500));
                let mut payloads = Vec::new();
                if let Some(full) = &out {
                    mmsplay_asf::parse_packet(full, 500, &mut payloads).unwrap();
                }
                payloads.iter().map(|pl| pl.stream).collect()
            })
            .collect();
        assert_eq!(sent, vec![vec![1, 2], vec![1, 2], vec![1, 2], vec![2]]);
        assert_eq!(f.sent(&h), vec![1, 2]);
    }
}
