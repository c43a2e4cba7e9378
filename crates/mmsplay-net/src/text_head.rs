//! What HTTP (MS-WMSP) and RTSP share: a message head of text lines ended by a blank line.
//! Sans-IO.

/// Header fields in arrival order, for both protocols. Lookup is case-insensitive and returns
/// the first match (GStreamer's echoed RTSP request carries two `CSeq` and two
/// `Content-Length` headers); [`Headers::all`] gives every value (MMSH's Pragma comes as many
/// lines).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// The first value of a header.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The last value of a header.
    pub fn get_last(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in arrival order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }
}

/// Where a head ends: the index after its blank line, if the head is complete within the first
/// `limit` bytes. Accepts bare LF line ends too (hand-written servers use them).
pub fn head_end(buf: &[u8], limit: usize) -> Option<usize> {
    let scan = buf.len().min(limit);
    let mut i = 0;
    while i < scan {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_ignores_case_and_keeps_order() {
        let mut h = Headers::default();
        h.push("CSeq", "1");
        h.push("Pragma", "a");
        h.push("cseq", "2");
        assert_eq!(h.get("CSEQ"), Some("1"));
        assert_eq!(h.get_last("CSeq"), Some("2"));
        assert_eq!(h.all("cseq").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(h.get("Session"), None);
    }

    #[test]
    fn finds_crlf_and_lf_heads() {
        assert_eq!(head_end(b"A\r\nB: c\r\n\r\nbody", 100), Some(11));
        assert_eq!(head_end(b"A\nB: c\n\nbody", 100), Some(8));
        assert_eq!(head_end(b"A\r\nB: c\r\n", 100), None);
        assert_eq!(head_end(b"A\r\nB: c\r\n\r\n", 3), None);
    }
}
