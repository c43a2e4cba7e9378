//! Windows Media's SelectStream body ([MS-RTSP] 2.2.7.10, 4.4.4.1): `SSEntry: OLD NEW THIN
//! [OLD_URL] [NEW_URL]` in a SET_PARAMETER of media type `application/x-wms-streamswitch`,
//! which asks the server, mid-stream, to stop sending stream OLD and send stream NEW instead
//! (4294967295 for "none": a stream only added or only removed). Sans-IO: text in, entries
//! out, and the reverse.

use super::message::Message;

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

/// The SelectStream that moves a session from streams `on` to `want` ([MS-RTSP] 4.4.4.1):
/// a SET_PARAMETER on the URL of a stream being sent, one entry per stream replaced (old
/// and new paired, as a bitrate or language move is), added or removed. `urls` gives each
/// stream's URL (from the SDP). `None` when nothing changes or a stream has no URL.
pub fn select_request(urls: &[(u16, String)], on: &[u16], want: &[u16]) -> Option<Message> {
    let url = |n: u16| urls.iter().find(|(s, _)| *s == n).map(|(_, u)| u.as_str());
    let gone: Vec<u16> = on.iter().copied().filter(|n| !want.contains(n)).collect();
    let new: Vec<u16> = want.iter().copied().filter(|n| !on.contains(n)).collect();
    if gone.is_empty() && new.is_empty() {
        return None;
    }
    let mut body = String::new();
    for i in 0..gone.len().max(new.len()) {
        let (old, added) = (gone.get(i).copied(), new.get(i).copied());
        let e = SsEntry {
            old: old.map(u32::from),
            new: added.map(u32::from),
            thin: 0,
        };
        let old_url = old.map_or(Some(""), url)?;
        let new_url = added.map_or(Some(""), url)?;
        body.push_str(&e.line(old_url, new_url));
    }
    let target = url(*on.first().or(want.first())?)?;
    Some(Message::request("SET_PARAMETER", target).with_body(CONTENT_TYPE, body.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_pairs_the_old_and_new_stream() {
        let urls = [
            (1, "rtsp://h/a.asf/audio".to_string()),
            (2, "rtsp://h/a.asf/stream=2".to_string()),
            (3, "rtsp://h/a.asf/stream=3".to_string()),
        ];
        assert!(select_request(&urls, &[1], &[1]).is_none());
        let m = select_request(&urls, &[1, 3], &[2, 3]).unwrap();
        assert_eq!(m.method(), Some("SET_PARAMETER"));
        assert_eq!(m.header("Content-Type"), Some(CONTENT_TYPE));
        assert_eq!(
            parse(&m.body),
            vec![SsEntry {
                old: Some(1),
                new: Some(2),
                thin: 0
            }]
        );
        let both = select_request(&urls, &[1], &[1, 2]).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&both.body),
            "SSEntry: 4294967295 2 0 rtsp://h/a.asf/stream=2\r\n"
        );
        assert!(select_request(&urls, &[1], &[9]).is_none(), "no URL for 9");
    }

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
