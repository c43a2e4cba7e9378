//! Windows Media Station files (`.nsc`): the announcement of a multicast broadcast, an INI
//! file with `[Address]`, `[Formats]` and `[Description]` sections. Multicast is not played
//! here; what a station file can give is its unicast rollover URL (`Unicast URL=` in
//! `[Address]`), which Windows Media Player used when multicast did not arrive.
//!
//! NSC Admin wrote most values in an obfuscated encoding (values starting with `02`); those
//! are refused with a clear error rather than guessed at.

use super::{Entry, Item, Metafile, MetafileError, clean_url};

pub fn parse(text: &str) -> Result<Metafile, MetafileError> {
    let mut section = String::new();
    let mut entry = Entry::default();
    let mut encoded = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(s) = line.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.trim().to_ascii_lowercase();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        match (section.as_str(), key.as_str()) {
            ("address", "unicast url" | "unicasturl" | "url") => {
                if value.contains("://") {
                    if let Some(u) = clean_url(value) {
                        entry.refs.push(u);
                    }
                } else if value.starts_with("02") {
                    encoded = true;
                }
            }
            ("address" | "description", "name" | "title") if !value.starts_with("02") => {
                entry
                    .title
                    .get_or_insert_with(|| value.chars().take(256).collect());
            }
            _ => {}
        }
    }
    if entry.refs.is_empty() && encoded {
        return Err(MetafileError::EncodedNsc);
    }
    Ok(Metafile {
        title: entry.title.clone(),
        items: vec![Item::Entry(entry)],
        ..Metafile::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_unicast_url() {
        let m = parse(
            "[Address]\r\nName=Station\r\nUnicast URL=mms://h/live\r\n[Formats]\r\nFormat1=x\r\n",
        )
        .unwrap();
        let Item::Entry(e) = &m.items[0] else {
            panic!()
        };
        assert_eq!(e.refs, ["mms://h/live"]);
        assert_eq!(m.title.as_deref(), Some("Station"));
    }

    #[test]
    fn encoded_values_are_named() {
        assert_eq!(
            parse("[Address]\r\nUnicast URL=02O000000000000000000000000\r\n"),
            Err(MetafileError::EncodedNsc)
        );
    }
}
