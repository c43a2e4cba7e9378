//! `Pragma` header tokens ([MS-WMSP] 2.2.1.4): comma-separated `name[=value]` tokens spread
//! over any number of `Pragma:` lines, in both directions.

use super::http::Headers;

/// Every Pragma token of a message, in order. Names compare case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pragmas(pub Vec<(String, String)>);

impl Pragmas {
    pub fn from_headers(h: &Headers) -> Pragmas {
        let mut out = Vec::new();
        for line in h.all("pragma") {
            for token in split_tokens(line) {
                let token = token.trim();
                if token.is_empty() {
                    continue;
                }
                let (name, value) = match token.split_once('=') {
                    Some((n, v)) => (n.trim(), v.trim()),
                    None => (token, ""),
                };
                out.push((name.to_string(), value.to_string()));
            }
        }
        Pragmas(out)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A numeric token value. Reads the leading digits only, because ffmpeg glues the next
    /// header line onto its last token (`stream-time=0Connection: Close`, protocols.md 6A.5).
    pub fn number(&self, name: &str) -> Option<u64> {
        leading_u64(self.get(name)?)
    }

    /// A `flag=1` token is set.
    pub fn flag(&self, name: &str) -> bool {
        self.number(name) == Some(1)
    }

    /// The server's `features="…"` list ([MS-WMSP] 2.2.1.4.8), unquoted and lowercased.
    pub fn features(&self) -> Vec<String> {
        self.get("features")
            .map(|v| {
                v.trim_matches('"')
                    .split(',')
                    .map(|f| f.trim().to_ascii_lowercase())
                    .filter(|f| !f.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `stream-switch-entry` ([MS-WMSP] 2.2.1.4.27): `src:dst:thinning` triples, hex stream
    /// numbers, space separated, trailing spaces tolerated. Malformed entries are skipped.
    pub fn stream_switch_entries(&self) -> Vec<StreamSwitch> {
        let mut out = Vec::new();
        for (n, v) in &self.0 {
            if !n.eq_ignore_ascii_case("stream-switch-entry") {
                continue;
            }
            for e in v.split_whitespace() {
                let mut f = e.split(':');
                let (Some(src), Some(dst), Some(thin)) = (f.next(), f.next(), f.next()) else {
                    continue;
                };
                let (Ok(src), Ok(dst), Ok(thin)) = (
                    u16::from_str_radix(src, 16),
                    u16::from_str_radix(dst, 16),
                    thin.parse::<u8>(),
                ) else {
                    continue;
                };
                out.push(StreamSwitch {
                    src,
                    dst,
                    thinning: thin,
                });
            }
        }
        out
    }
}

/// One stream-switch entry: stream `dst` at `thinning` 0 (all), 1 (key frames), 2 (off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSwitch {
    /// 0xFFFF: no source stream.
    pub src: u16,
    pub dst: u16,
    pub thinning: u8,
}

/// Splits on commas outside double quotes (`features="seekable,stridable"` is one token).
fn split_tokens(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out
}

fn leading_u64(v: &str) -> Option<u64> {
    let digits: &str = {
        let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
        &v[..end]
    };
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragmas(lines: &[&str]) -> Pragmas {
        Pragmas::from_headers(&Headers(
            lines
                .iter()
                .map(|l| ("Pragma".to_string(), l.to_string()))
                .collect(),
        ))
    }

    #[test]
    fn verify_server_pragma() {
        let p =
            pragmas(&[r#"no-cache,client-id=3627234,features="seekable,stridable",timeout=60000"#]);
        assert_eq!(p.number("client-id"), Some(3_627_234));
        assert_eq!(p.features(), vec!["seekable", "stridable"]);
        assert_eq!(p.number("timeout"), Some(60000));
        assert!(p.has("no-cache"));
    }

    #[test]
    fn verify_client_quirks() {
        let p = pragmas(&[
            "no-cache,rate=1.000000,request-context=2",
            "xPlayStrm=1",
            "xClientGUID={0xbabac001-0x1170-0x5ef8-0xaf1c29bf45a70f47}",
            "stream-switch-count=2",
            "stream-switch-entry=ffff:1:0 ffff:a:2 ",
            "no-cache,rate=1.000000,stream-time=1500Connection: Close",
        ]);
        assert!(p.flag("xPlayStrm"));
        assert_eq!(p.number("stream-time"), Some(1500));
        let e = p.stream_switch_entries();
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[1],
            StreamSwitch {
                src: 0xFFFF,
                dst: 10,
                thinning: 2
            }
        );
    }
}
