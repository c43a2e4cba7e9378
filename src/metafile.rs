//! Metafiles: the small text files that pointed players at streams. Windows Media's ASX
//! (`.asx`, `.wax`, `.wvx`), the `[Reference]` format that Windows Media Services served for
//! `http://` links, and the station files (`.nsc`) of multicast broadcasts.
//!
//! Everything here is sans-IO: bytes in, a [`Metafile`] out. Fetching over HTTP is in
//! [`fetch`]; trying the entries in order is in `crate::playlist`.

pub mod asx;
pub mod fetch;
pub mod nsc;
pub mod reference;

/// The largest metafile read or fetched. Real ones are a few hundred bytes; anything this big
/// is not a metafile.
pub const MAX_METAFILE_LEN: usize = 256 * 1024;
/// Most entries and references kept from one metafile.
pub const MAX_ITEMS: usize = 64;
/// Most references in one entry.
pub const MAX_REFS_PER_ENTRY: usize = 16;
/// Longest URL kept.
pub const MAX_URL_LEN: usize = 4096;
/// Deepest element nesting accepted in an ASX document.
pub const MAX_XML_DEPTH: usize = 32;

/// The metafile formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Asx,
    Reference,
    Nsc,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Asx => "ASX",
            Format::Reference => "[Reference]",
            Format::Nsc => "NSC",
        })
    }
}

/// A parsed metafile: its items in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metafile {
    pub title: Option<String>,
    pub author: Option<String>,
    pub items: Vec<Item>,
}

/// One item of a metafile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A playlist entry: its references are alternatives, tried in order.
    Entry(Entry),
    /// An ASX `ENTRYREF`: another metafile whose entries take this one's place.
    EntryRef(String),
}

/// A playlist entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    pub title: Option<String>,
    pub author: Option<String>,
    pub refs: Vec<String>,
}

/// Why a metafile could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetafileError {
    #[error("the metafile is larger than {MAX_METAFILE_LEN} bytes")]
    TooLarge,
    #[error("this is not a metafile (ASX, [Reference] or NSC)")]
    NotMetafile,
    #[error("the {0} metafile lists no streams")]
    Empty(Format),
    #[error("the ASX metafile is nested more than {MAX_XML_DEPTH} elements deep")]
    TooDeep,
    #[error("the NSC file's addresses are encoded, which is not supported")]
    EncodedNsc,
}

/// Which format these bytes are in, judged by their first non-blank text (case-insensitive),
/// after a byte order mark. `None`: not a metafile.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    let text = decode_text(&bytes[..bytes.len().min(2048)]);
    let lower = text.trim_start().to_ascii_lowercase();
    if lower.starts_with("[reference]") {
        return Some(Format::Reference);
    }
    if lower.starts_with("<asx") {
        return Some(Format::Asx);
    }
    // An XML declaration or comments before the root element.
    if (lower.starts_with("<?xml") || lower.starts_with("<!--")) && lower.contains("<asx") {
        return Some(Format::Asx);
    }
    if lower.starts_with("[address]") || lower.starts_with("[formats]") {
        return Some(Format::Nsc);
    }
    None
}

/// Parses a metafile of any supported format.
pub fn parse(bytes: &[u8]) -> Result<Metafile, MetafileError> {
    if bytes.len() > MAX_METAFILE_LEN {
        return Err(MetafileError::TooLarge);
    }
    let format = sniff(bytes).ok_or(MetafileError::NotMetafile)?;
    let text = decode_text(bytes);
    let m = match format {
        Format::Asx => asx::parse(&text)?,
        Format::Reference => reference::parse(&text),
        Format::Nsc => nsc::parse(&text)?,
    };
    let has_any = m.items.iter().any(|i| match i {
        Item::Entry(e) => !e.refs.is_empty(),
        Item::EntryRef(_) => true,
    });
    if !has_any {
        return Err(MetafileError::Empty(format));
    }
    Ok(m)
}

/// Metafile bytes as text: UTF-16 with a byte order mark (Windows tools wrote it), UTF-8 with
/// or without a mark, and anything else byte for byte as Latin-1 (Windows-1252 files were
/// common; their URLs are ASCII either way).
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

fn utf16(b: &[u8], word: fn([u8; 2]) -> u16) -> String {
    let units = b.chunks_exact(2).map(|c| word([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// A URL as written in a metafile, cleaned: trimmed, without control characters, bounded.
/// `None` when nothing usable is left.
pub(crate) fn clean_url(raw: &str) -> Option<String> {
    let u: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    if u.is_empty() || u.len() > MAX_URL_LEN {
        return None;
    }
    Some(u)
}

/// Resolves a reference against the URL (or path) of the metafile that held it: absolute URLs
/// stay as they are; a path relative to an `http://` metafile is joined to it.
pub fn resolve_ref(base: Option<&str>, reference: &str) -> String {
    match base {
        Some(base) => mmsplay_net::url::resolve(base, reference),
        None => reference.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_format() {
        assert_eq!(sniff(b"  <ASX version=\"3.0\">"), Some(Format::Asx));
        assert_eq!(
            sniff(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<asx>"),
            Some(Format::Asx)
        );
        assert_eq!(sniff(b"[Reference]\r\nRef1=x"), Some(Format::Reference));
        assert_eq!(sniff(b"[Address]\r\nName=x"), Some(Format::Nsc));
        assert_eq!(sniff(b"\x30\x26\xB2\x75"), None);
        assert_eq!(sniff(b"<html>"), None);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<asx>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(sniff(&utf16), Some(Format::Asx));
    }

    #[test]
    fn resolves_relative_refs() {
        assert_eq!(
            resolve_ref(Some("http://h:8/a/b.asx"), "c.asf"),
            "http://h:8/a/c.asf"
        );
        assert_eq!(
            resolve_ref(Some("http://h:8/a/b.asx?x=1"), "/c.asf"),
            "http://h:8/c.asf"
        );
        assert_eq!(resolve_ref(Some("http://h"), "c.asf"), "http://h/c.asf");
        assert_eq!(
            resolve_ref(Some("http://h/a.asx"), "mms://x/y"),
            "mms://x/y"
        );
        assert_eq!(resolve_ref(Some("/tmp/a.asx"), "mms://x/y"), "mms://x/y");
    }

    #[test]
    fn limits_are_errors() {
        assert_eq!(
            parse(&vec![b' '; MAX_METAFILE_LEN + 1]),
            Err(MetafileError::TooLarge)
        );
        assert_eq!(parse(b"\x00\x01binary"), Err(MetafileError::NotMetafile));
        assert_eq!(
            parse(b"<asx version=\"3.0\"><entry></entry></asx>"),
            Err(MetafileError::Empty(Format::Asx))
        );
    }
}
