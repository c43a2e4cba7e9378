//! The header objects that say which streams are alternatives to each other: the Bitrate
//! Mutual Exclusion (ASF spec 3.8) and Advanced Mutual Exclusion (4.3) objects, and the
//! Language List (4.6) that the Extended Stream Properties' language indexes point into.
//!
//! These objects only guide the choice of a stream, so a malformed one is ignored rather than
//! failing the whole header: the file still plays, just without the hint.

use crate::guid::{self, Guid};
use crate::header::Header;
use crate::limits::MAX_STREAMS;
use crate::reader::{Reader, utf16le};

/// What the streams of one mutual exclusion differ in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExclusionKind {
    /// The same content at several bitrates ("intelligent streaming", MBR).
    Bitrate,
    /// The same content in several languages.
    Language,
    /// Anything else (the spec's "unknown" type, or a GUID we do not know).
    Other(Guid),
}

/// A set of streams of which a client plays exactly one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MutualExclusion {
    pub kind: ExclusionKind,
    /// Stream numbers (1..=127), in the order the header lists them.
    pub streams: Vec<u8>,
}

/// Parses either mutual exclusion object: both are the exclusion type GUID, a stream count
/// (u16) and that many stream numbers (u16). `None` when malformed.
pub(crate) fn parse_exclusion(b: &[u8]) -> Option<MutualExclusion> {
    let mut r = Reader::new(b, 0, "Mutual Exclusion Object");
    let kind = match r.guid().ok()? {
        guid::MUTEX_BITRATE => ExclusionKind::Bitrate,
        guid::MUTEX_LANGUAGE => ExclusionKind::Language,
        g => ExclusionKind::Other(g),
    };
    let count = usize::from(r.u16().ok()?);
    if count > MAX_STREAMS {
        return None;
    }
    let mut streams = Vec::with_capacity(count);
    for _ in 0..count {
        let n = r.u16().ok()?;
        // Stream numbers are 7 bits and never 0; anything else is not a stream.
        if (1..=127).contains(&n) && !streams.contains(&(n as u8)) {
            streams.push(n as u8);
        }
    }
    Some(MutualExclusion { kind, streams })
}

/// Most entries we keep from a Language List (the indexes that point into it are u16).
const MAX_LANGUAGES: usize = 1024;

/// Parses a Language List Object: a count (u16), then entries of a byte length (u8) and an
/// RFC 1766 tag in UTF-16LE. The tags come back lower-case, as BCP 47 compares them.
/// `None` when malformed.
pub(crate) fn parse_language_list(b: &[u8]) -> Option<Vec<String>> {
    let mut r = Reader::new(b, 0, "Language List Object");
    let count = usize::from(r.u16().ok()?);
    if count > MAX_LANGUAGES {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let n = usize::from(r.u8().ok()?);
        out.push(utf16le(r.bytes(n).ok()?).trim().to_ascii_lowercase());
    }
    Some(out)
}

impl Header {
    /// The language of a stream (a lower-case BCP 47 tag such as `en-us`): its Extended Stream
    /// Properties' language index into the Language List. `None` when the header does not say.
    pub fn stream_language(&self, number: u8) -> Option<&str> {
        let e = self
            .extended_streams
            .iter()
            .find(|e| e.stream_number == number)?;
        self.languages
            .get(usize::from(e.language_index))
            .map(String::as_str)
            .filter(|l| !l.is_empty())
    }

    /// The streams that are `kind` alternatives to `number`, itself included, in header order;
    /// empty when the header declares none.
    pub fn alternatives(&self, number: u8, kind: &ExclusionKind) -> Vec<u8> {
        let mut out = Vec::new();
        for x in self.exclusions.iter().filter(|x| &x.kind == kind) {
            if x.streams.contains(&number) {
                for s in &x.streams {
                    if !out.contains(s) {
                        out.push(*s);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exclusion_bytes(kind: Guid, streams: &[u16]) -> Vec<u8> {
        let mut b = kind.0.to_vec();
        b.extend_from_slice(&(streams.len() as u16).to_le_bytes());
        for s in streams {
            b.extend_from_slice(&s.to_le_bytes());
        }
        b
    }

    #[test]
    fn exclusions_keep_valid_stream_numbers() {
        let x = parse_exclusion(&exclusion_bytes(guid::MUTEX_BITRATE, &[1, 2, 0, 300, 2])).unwrap();
        assert_eq!(x.kind, ExclusionKind::Bitrate);
        assert_eq!(x.streams, vec![1, 2]);
        let x = parse_exclusion(&exclusion_bytes(guid::MUTEX_LANGUAGE, &[3])).unwrap();
        assert_eq!(x.kind, ExclusionKind::Language);
    }

    #[test]
    fn malformed_exclusions_and_language_lists_are_none() {
        let mut b = exclusion_bytes(guid::MUTEX_BITRATE, &[1, 2]);
        b.truncate(b.len() - 1);
        assert_eq!(parse_exclusion(&b), None);
        assert_eq!(parse_exclusion(&[0; 10]), None);
        // Two entries announced, one present.
        let mut l = vec![2, 0, 4];
        l.extend_from_slice(&[b'e', 0, b'n', 0]);
        assert_eq!(parse_language_list(&l), None);
        assert_eq!(parse_language_list(&[]), None);
    }

    #[test]
    fn language_tags_are_lower_case() {
        let mut l = vec![1, 0, 10];
        for c in "en-US".encode_utf16() {
            l.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(parse_language_list(&l), Some(vec!["en-us".to_string()]));
    }
}
