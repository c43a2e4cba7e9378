//! Server-side playlists seen from the client. A header that arrives mid-stream and differs
//! from the one playing is the server moving to its playlist's next entry ([MS-WMSP] `$C`,
//! [MS-MMSP] ReportStreamChange): the entry that ended is flushed, an `entry` event is
//! emitted, and a WAV output or a recording goes on in a numbered file beside the first
//! (`out.2.wav`, `show.2.asf`: one file holds one stream). The same header again is a
//! reconnect, or the file reader marking a seek, and changes nothing.

use mmsplay_asf::{header_object_len, parse_header};

use crate::events::PlayerEvent;

#[derive(Debug, Default)]
pub(super) struct Entries {
    /// The Header Object of the entry playing.
    header_object: Option<Vec<u8>>,
    /// Entries started so far (the first stream counts as one).
    started: usize,
}

impl Entries {
    /// A header from the transport. Returns the new entry's index (from 0; the first stream
    /// is entry 0 and is not reported) when it starts a new entry.
    pub(super) fn on_header(&mut self, bytes: &[u8]) -> Option<usize> {
        let object = header_object_len(bytes)
            .ok()
            .and_then(|n| bytes.get(..n))
            .unwrap_or(bytes);
        if self.header_object.as_deref() == Some(object) {
            return None;
        }
        let first = self.header_object.is_none();
        self.header_object = Some(object.to_vec());
        self.started += 1;
        (!first).then_some(self.started - 1)
    }
}

/// The `entry` event of a server-side playlist's entry `index`, titled from its header.
pub(super) fn event(index: usize, url: &str, header: &[u8]) -> PlayerEvent {
    let title = parse_header(header)
        .ok()
        .map(|h| h.content.title)
        .filter(|t| !t.is_empty());
    PlayerEvent::Entry {
        index,
        count: None,
        url: url.to_string(),
        title,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmsplay_asf::{HeaderSpec, write_header};

    #[test]
    fn only_a_different_header_starts_an_entry() {
        let a = write_header(&HeaderSpec {
            packet_size: 400,
            content: mmsplay_asf::ContentDescription {
                title: "A".into(),
                ..Default::default()
            },
            ..HeaderSpec::default()
        });
        let b = write_header(&HeaderSpec {
            packet_size: 400,
            content: mmsplay_asf::ContentDescription {
                title: "B".into(),
                ..Default::default()
            },
            ..HeaderSpec::default()
        });
        let mut e = Entries::default();
        assert_eq!(
            e.on_header(&a),
            None,
            "the first stream is not an entry change"
        );
        assert_eq!(e.on_header(&a), None, "a reconnect repeats the header");
        assert_eq!(e.on_header(&b), Some(1));
        assert_eq!(e.on_header(&a), Some(2));
        match event(1, "mmsh://h/show", &b) {
            PlayerEvent::Entry {
                index: 1,
                count: None,
                title: Some(t),
                ..
            } => assert_eq!(t, "B"),
            other => panic!("{other:?}"),
        }
    }
}
