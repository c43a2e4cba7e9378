//! ASX 3.0 (Windows Media metafile) parsing: `ENTRY`, `REF`, `ENTRYREF`, `TITLE`, `AUTHOR`,
//! with tags and attribute names in any case.
//!
//! Servers wrote ASX by hand and by template, and much of it was not XML: bare `&` in URLs,
//! unquoted attribute values, `<REF HREF="…">` with no end tag, mismatched case in end tags.
//! Well-formed documents go through quick-xml; when it rejects one, a tolerant tag scanner
//! reads it the way Windows Media Player did. Both feed the same [`Builder`].

use quick_xml::events::Event;

use super::{
    Entry, Item, MAX_ITEMS, MAX_REFS_PER_ENTRY, MAX_XML_DEPTH, Metafile, MetafileError, clean_url,
};

/// Longest TITLE or AUTHOR text kept (characters).
const MAX_TEXT: usize = 512;

/// Elements that never hold the ones we read, so an unclosed one (`<REF HREF="x">`) must not
/// count towards the nesting: they are handled on their start tag and never pushed.
const LEAVES: &[&str] = &[
    "ref",
    "entryref",
    "param",
    "moreinfo",
    "banner",
    "logo",
    "base",
    "duration",
    "starttime",
    "previewduration",
    "endmarker",
    "startmarker",
];

/// Parses an ASX document.
pub fn parse(text: &str) -> Result<Metafile, MetafileError> {
    match parse_xml(text) {
        Ok(m) => Ok(m),
        Err(Fallback::Fatal(e)) => Err(e),
        Err(Fallback::NotXml) => parse_tolerant(text),
    }
}

enum Fallback {
    Fatal(MetafileError),
    NotXml,
}

/// The strict path: quick-xml, attribute values decoded leniently.
fn parse_xml(text: &str) -> Result<Metafile, Fallback> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    reader.config_mut().trim_text(true);
    let mut b = Builder::default();
    loop {
        let ev = reader.read_event().map_err(|_| Fallback::NotXml)?;
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).to_ascii_lowercase();
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|_| Fallback::NotXml)?;
                    let key = String::from_utf8_lossy(a.key.as_ref()).to_ascii_lowercase();
                    attrs.push((key, decode_entities(&String::from_utf8_lossy(&a.value))));
                }
                b.start(&name, &attrs).map_err(Fallback::Fatal)?;
                if empty {
                    b.end(&name);
                }
            }
            Event::End(e) => {
                b.end(&String::from_utf8_lossy(e.name().as_ref()).to_ascii_lowercase());
            }
            Event::Text(t) => b.text(&decode_entities(&String::from_utf8_lossy(&t))),
            Event::CData(t) => b.text(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                b.text(&decode_entities(&format!(
                    "&{};",
                    String::from_utf8_lossy(&r)
                )));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(b.finish())
}

/// The tolerant path: a tag scanner that accepts what real servers sent.
fn parse_tolerant(text: &str) -> Result<Metafile, MetafileError> {
    let mut b = Builder::default();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            b.text(&decode_entities(rest));
            break;
        };
        b.text(&decode_entities(&rest[..lt]));
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.find("-->").map_or("", |i| &r[i + 3..]);
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = rest.find('>').map_or("", |i| &rest[i + 1..]);
            continue;
        }
        let (tag, after) = scan_tag(&rest[1..]);
        rest = after;
        match tag {
            Tag::Start { name, attrs, empty } => {
                b.start(&name, &attrs)?;
                if empty {
                    b.end(&name);
                }
            }
            Tag::End(name) => b.end(&name),
            Tag::Text => b.text("<"),
        }
    }
    Ok(b.finish())
}

enum Tag {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        empty: bool,
    },
    End(String),
    Text,
}

/// Reads one tag after its `<`; returns it and the text after its `>`.
fn scan_tag(s: &str) -> (Tag, &str) {
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-');
    if let Some(r) = s.strip_prefix('/') {
        let end = r.find(|c: char| !is_name(c)).unwrap_or(r.len());
        let name = r[..end].to_ascii_lowercase();
        let after = r.find('>').map_or("", |i| &r[i + 1..]);
        return (Tag::End(name), after);
    }
    let end = s.find(|c: char| !is_name(c)).unwrap_or(s.len());
    if end == 0 {
        return (Tag::Text, s);
    }
    let name = s[..end].to_ascii_lowercase();
    let mut r = &s[end..];
    let mut attrs = Vec::new();
    loop {
        r = r.trim_start();
        if r.is_empty() {
            return (
                Tag::Start {
                    name,
                    attrs,
                    empty: false,
                },
                "",
            );
        }
        if let Some(after) = r.strip_prefix("/>") {
            return (
                Tag::Start {
                    name,
                    attrs,
                    empty: true,
                },
                after,
            );
        }
        if let Some(after) = r.strip_prefix('>') {
            return (
                Tag::Start {
                    name,
                    attrs,
                    empty: false,
                },
                after,
            );
        }
        let kend = r
            .find(|c: char| c.is_whitespace() || matches!(c, '=' | '>' | '/'))
            .unwrap_or(r.len());
        if kend == 0 {
            // A stray character ('/' not before '>', a quote): skip it.
            r = &r[r.chars().next().map_or(1, char::len_utf8)..];
            continue;
        }
        let key = r[..kend].to_ascii_lowercase();
        r = r[kend..].trim_start();
        let Some(v) = r.strip_prefix('=') else {
            attrs.push((key, String::new()));
            continue;
        };
        r = v.trim_start();
        let (value, after) = match r.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &r[1..];
                match body.find(q) {
                    Some(i) => (&body[..i], &body[i + 1..]),
                    // No closing quote: up to the end of the tag.
                    None => {
                        let i = body.find('>').unwrap_or(body.len());
                        (&body[..i], &body[i..])
                    }
                }
            }
            _ => {
                let i = r
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(r.len());
                (&r[..i], &r[i..])
            }
        };
        attrs.push((key, decode_entities(value)));
        r = after;
    }
}

/// Builds a [`Metafile`] from element events, whichever parser produced them.
#[derive(Default)]
struct Builder {
    stack: Vec<String>,
    out: Metafile,
    entry: Option<Entry>,
    text: String,
}

impl Builder {
    fn start(&mut self, name: &str, attrs: &[(String, String)]) -> Result<(), MetafileError> {
        self.flush_text();
        let href = || {
            attrs
                .iter()
                .find(|(k, _)| k == "href")
                .and_then(|(_, v)| clean_url(v))
        };
        match name {
            "ref" => {
                if let Some(url) = href() {
                    match self.entry.as_mut() {
                        Some(e) => {
                            if e.refs.len() < MAX_REFS_PER_ENTRY {
                                e.refs.push(url);
                            }
                        }
                        // A REF outside any ENTRY (seen in the wild): an entry of its own.
                        None => self.push(Item::Entry(Entry {
                            refs: vec![url],
                            ..Entry::default()
                        })),
                    }
                }
            }
            "entryref" => {
                if let Some(url) = href() {
                    self.finish_entry();
                    self.push(Item::EntryRef(url));
                }
            }
            "entry" => {
                // An ENTRY inside an unclosed ENTRY: the first one ends there.
                self.finish_entry();
                self.entry = Some(Entry::default());
            }
            _ => {}
        }
        if !LEAVES.contains(&name) {
            if self.stack.len() >= MAX_XML_DEPTH {
                return Err(MetafileError::TooDeep);
            }
            self.stack.push(name.to_string());
        }
        Ok(())
    }

    fn end(&mut self, name: &str) {
        self.flush_text();
        // Tolerant: close up to the nearest open element of that name; ignore strays.
        if let Some(pos) = self.stack.iter().rposition(|n| n == name) {
            self.stack.truncate(pos);
        }
        if name == "entry" && !self.stack.iter().any(|n| n == "entry") {
            self.finish_entry();
        }
    }

    fn text(&mut self, t: &str) {
        if matches!(
            self.stack.last().map(String::as_str),
            Some("title" | "author")
        ) && self.text.chars().count() < MAX_TEXT
        {
            self.text.push_str(t);
        }
    }

    /// Hands collected TITLE/AUTHOR text to the entry or the document.
    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let t: String = self.text.trim().chars().take(MAX_TEXT).collect();
        self.text.clear();
        if t.is_empty() {
            return;
        }
        let field = match (self.stack.last().map(String::as_str), self.entry.as_mut()) {
            (Some("title"), Some(e)) => &mut e.title,
            (Some("author"), Some(e)) => &mut e.author,
            (Some("title"), None) => &mut self.out.title,
            (Some("author"), None) => &mut self.out.author,
            _ => return,
        };
        field.get_or_insert(t);
    }

    fn push(&mut self, item: Item) {
        if self.out.items.len() < MAX_ITEMS {
            self.out.items.push(item);
        }
    }

    fn finish_entry(&mut self) {
        if let Some(e) = self.entry.take()
            && !e.refs.is_empty()
        {
            self.push(Item::Entry(e));
        }
    }

    fn finish(mut self) -> Metafile {
        self.flush_text();
        self.finish_entry();
        self.out
    }
}

/// Decodes the XML entities real files used, leaving anything else (a bare `&` in a URL) as
/// written: `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` and numeric references.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest[1..]
            .find(';')
            .filter(|&j| j <= 10)
            .and_then(|j| entity(&rest[1..1 + j]).map(|c| (c, j + 2)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name.to_ascii_lowercase().as_str() {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        n => {
            let code = if let Some(h) = n.strip_prefix("#x") {
                u32::from_str_radix(h, 16).ok()?
            } else {
                n.strip_prefix('#')?.parse().ok()?
            };
            char::from_u32(code).filter(|c| *c != '\0')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(m: &Metafile) -> Vec<String> {
        m.items
            .iter()
            .flat_map(|i| match i {
                Item::Entry(e) => e.refs.clone(),
                Item::EntryRef(u) => vec![format!("entryref:{u}")],
            })
            .collect()
    }

    #[test]
    fn well_formed_asx() {
        let m = parse(
            r#"<asx version="3.0">
              <title>Radio One</title>
              <entry><title>Morning</title><author>Staff</author>
                <ref href="mms://a/live"/><ref href="http://b/live?x=1&amp;y=2"/></entry>
              <entryref href="http://c/more.asx"/>
            </asx>"#,
        )
        .unwrap();
        assert_eq!(m.title.as_deref(), Some("Radio One"));
        assert_eq!(
            refs(&m),
            [
                "mms://a/live",
                "http://b/live?x=1&y=2",
                "entryref:http://c/more.asx"
            ]
        );
        let Item::Entry(e) = &m.items[0] else {
            panic!()
        };
        assert_eq!(e.title.as_deref(), Some("Morning"));
        assert_eq!(e.author.as_deref(), Some("Staff"));
    }

    #[test]
    fn uppercase_and_sloppy_asx() {
        // Uppercase tags, a bare & in a URL, unquoted values, REF without an end tag, an end
        // tag in another case, and no closing ASX at all.
        let m = parse(
            "<ASX VERSION=3.0>\r\n<Title>Jazz & Blues</TITLE>\r\n<ENTRY>\r\n\
             <REF HREF=\"mms://a/x?id=1&b=2\">\r\n<Ref href=mms://b/y>\r\n</Entry>\r\n\
             <ENTRY><REF HREF='mmsh://c/z'></ENTRY>",
        )
        .unwrap();
        assert_eq!(refs(&m), ["mms://a/x?id=1&b=2", "mms://b/y", "mmsh://c/z"]);
        assert_eq!(m.title.as_deref(), Some("Jazz & Blues"));
        assert_eq!(m.items.len(), 2);
    }

    #[test]
    fn ref_outside_entry_and_comments() {
        let m = parse("<!-- x --><asx><!-- <ref href=\"no\"/> --><ref href=\"mms://a/b\"/></asx>")
            .unwrap();
        assert_eq!(refs(&m), ["mms://a/b"]);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let doc = format!("<asx>{}</asx>", "<repeat>".repeat(10_000));
        assert_eq!(parse(&doc), Err(MetafileError::TooDeep));
        let doc = format!("<asx>{}", "<x a=1>".repeat(10_000));
        assert_eq!(parse(&doc), Err(MetafileError::TooDeep));
    }

    #[test]
    fn a_station_page_asx_with_everything_else_ignored() {
        // The shape of station ASX files: banners, MOREINFO, PARAMs, CDATA, comments, a
        // DURATION, and a REF to an http:// URL with a query.
        let doc = "<ASX Version = \"3.0\" >\r\n<!-- generated -->\r\n<PARAM NAME=\"Encoding\" VALUE=\"UTF-8\" />\r\n\
            <Title><![CDATA[Radio <Jazz>]]></Title>\r\n<MoreInfo HREF=\"http://radio.example/\" />\r\n\
            <Banner HREF=\"http://radio.example/b.gif\"><Abstract>Ad</Abstract></Banner>\r\n\
            <Entry ClientSkip=\"no\"><Duration VALUE=\"00:00:30\"/><Param Name=\"x\" Value=\"y\"/>\r\n\
            <Ref HREF=\"mms://media.example/jazz\"/>\r\n<Ref HREF=\"http://media.example/jazz?MSWMExt=.asf&amp;x=1\"/>\r\n\
            </Entry>\r\n</ASX>\r\n";
        let m = parse(doc).unwrap();
        assert_eq!(m.title.as_deref(), Some("Radio <Jazz>"));
        assert_eq!(
            refs(&m),
            [
                "mms://media.example/jazz",
                "http://media.example/jazz?MSWMExt=.asf&x=1"
            ]
        );
    }

    #[test]
    fn utf16_asx_from_notepad() {
        let doc = "<asx version=\"3.0\"><entry><ref href=\"mms://h/\u{e9}t\u{e9}\"/></entry></asx>";
        let bytes: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(doc.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let m = super::super::parse(&bytes).unwrap();
        assert_eq!(refs(&m), ["mms://h/\u{e9}t\u{e9}"]);
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a&amp;b&c&#65;&#x42;&bogus;"),
            "a&b&cAB&bogus;"
        );
    }
}
