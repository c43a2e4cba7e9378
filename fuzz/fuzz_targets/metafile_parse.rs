//! Metafiles (ASX, [Reference], NSC) from a server or a disk: any bytes give a metafile or an
//! error, never a panic, and what comes out stays within the parser's limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay::metafile::{self, Item, MAX_ITEMS, MAX_REFS_PER_ENTRY, MAX_URL_LEN};

fuzz_target!(|data: &[u8]| {
    let _ = metafile::sniff(data);
    if let Ok(m) = metafile::parse(data) {
        assert!(m.items.len() <= MAX_ITEMS);
        for item in &m.items {
            match item {
                Item::Entry(e) => {
                    assert!(e.refs.len() <= MAX_REFS_PER_ENTRY);
                    for r in &e.refs {
                        assert!(r.len() <= MAX_URL_LEN);
                        let _ = metafile::resolve_ref(Some("http://h:8/a/b.asx?q"), r);
                    }
                }
                Item::EntryRef(u) => assert!(u.len() <= MAX_URL_LEN),
            }
        }
    }
});
