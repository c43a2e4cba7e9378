//! The `[Reference]` format Windows Media Services served for `http://` links:
//!
//! ```text
//! [Reference]
//! Ref1=http://server/stream?MSWMExt=.asf
//! Ref2=http://server2/stream?MSWMExt=.asf
//! ```
//!
//! Each `RefN` is an alternative, tried in the order of N. Its `http://` URLs usually name
//! MS-WMSP streams (the player probes them).

use super::{Entry, Item, MAX_REFS_PER_ENTRY, Metafile, clean_url};

/// Parses a `[Reference]` file. Keys are case-insensitive; lines that are not `RefN=URL`
/// (other sections, `BaseURL=`, junk) are ignored.
pub fn parse(text: &str) -> Metafile {
    let mut refs: Vec<(u32, usize, String)> = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let Some(n) = key.strip_prefix("ref").and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if let Some(url) = clean_url(value) {
            refs.push((n, line_no, url));
        }
        if refs.len() >= 4 * MAX_REFS_PER_ENTRY {
            break;
        }
    }
    // In the order of N; equal N in file order.
    refs.sort_by_key(|(n, line, _)| (*n, *line));
    refs.truncate(MAX_REFS_PER_ENTRY);
    Metafile {
        items: vec![Item::Entry(Entry {
            refs: refs.into_iter().map(|(_, _, u)| u).collect(),
            ..Entry::default()
        })],
        ..Metafile::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_in_numeric_order() {
        let m = parse(
            "[Reference]\r\nREF2=mms://b/\r\nref1 = http://a/x?MSWMExt=.asf\r\nRef10=mms://c/\r\nBaseURL=x\r\n",
        );
        let Item::Entry(e) = &m.items[0] else {
            panic!()
        };
        assert_eq!(e.refs, ["http://a/x?MSWMExt=.asf", "mms://b/", "mms://c/"]);
    }
}
