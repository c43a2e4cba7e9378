//! Windows Media's SelectStream body ([MS-RTSP] 2.2.7.10, 4.4.4.1): `SSEntry: OLD NEW THIN
//! [OLD_URL] [NEW_URL]` in a SET_PARAMETER of media type `application/x-wms-streamswitch`,
//! which asks the server, mid-stream, to stop sending stream OLD and send stream NEW instead
//! (4294967295 for "none": a stream only added or only removed). Sans-IO: text in, entries
//! out, and the reverse.

/// The media type of a SelectStream body.
pub const CONTENT_TYPE: &str = "application/x-wms-streamswitch";
/// "No stream" in an entry.
pub const NONE: u32 = u32::MAX;
/// Most entries read from one body (a file has at most 127 streams).
const MAX_ENTRIES: usize = 128;

/// One stream switch: `old` no longer sent, `new` sent at thinning level `thin` (0 all, 1 key
/// frames, 2 nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SsEntry {
    pub old: Option<u32>,
    pub new: Option<u32>,
    pub thin: u8,
}

impl SsEntry {
    /// As `(stream, thinning level)` switches: the old stream off, the new one at its level.
    pub fn switches(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        let old = self.old.and_then(|n| u16::try_from(n).ok()).map(|n| (n, 2));
        let new = self
            .new
            .and_then(|n| u16::try_from(n).ok())
            .map(|n| (n, u16::from(self.thin)));
        old.into_iter().chain(new)
    }

    /// The body line, with the streams' URLs where there is a stream.
    pub fn line(&self, old_url: &str, new_url: &str) -> String {
        let mut s = format!(
            "SSEntry: {} {} {}",
            self.old.unwrap_or(NONE),
            self.new.unwrap_or(NONE),
            self.thin
        );
        for (n, url) in [(self.old, old_url), (self.new, new_url)] {
            if n.is_some() {
                s.push(' ');
                s.push_str(url);
            }
        }
        s.push_str("\r\n");
        s
    }
}

/// The entries of a SelectStream body; malformed lines are skipped.
pub fn parse(body: &[u8]) -> Vec<SsEntry> {
    let text = String::from_utf8_lossy(body);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("SSEntry:"))
        .filter_map(|rest| {
            let mut f = rest.split_whitespace();
            let stream = |t: Option<&str>| -> Option<Option<u32>> {
                let n: u32 = t?.parse().ok()?;
                Some((n != NONE).then_some(n))
            };
            let old = stream(f.next())?;
            let new = stream(f.next())?;
            let thin: u8 = f.next()?.parse().ok().filter(|t| *t <= 2)?;
            Some(SsEntry { old, new, thin })
        })
        .take(MAX_ENTRIES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_spec_example_and_skips_junk() {
        let body = b"SSEntry: 7 6 0 rtsp://myserver.com/myMBRcontent.wmv/stream=7\r\n\
            rtsp://myserver.com/myMBRcontent.wmv/stream=6\r\n\
            SSEntry: 4294967295 3 1\r\nSSEntry: x 1 0\r\nSSEntry: 1 2 9\r\n";
        let e = parse(body);
        assert_eq!(
            e,
            vec![
                SsEntry {
                    old: Some(7),
                    new: Some(6),
                    thin: 0
                },
                SsEntry {
                    old: None,
                    new: Some(3),
                    thin: 1
                },
            ]
        );
        assert_eq!(e[0].switches().collect::<Vec<_>>(), vec![(7, 2), (6, 0)]);
        assert_eq!(e[1].switches().collect::<Vec<_>>(), vec![(3, 1)]);
    }

    #[test]
    fn lines_round_trip() {
        let e = SsEntry {
            old: Some(2),
            new: None,
            thin: 0,
        };
        let line = e.line("rtsp://h/a.asf/stream=2", "unused");
        assert_eq!(line, "SSEntry: 2 4294967295 0 rtsp://h/a.asf/stream=2\r\n");
        assert_eq!(parse(line.as_bytes()), vec![e]);
    }
}
