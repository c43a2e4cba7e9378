//! Server-side playlists (`--playlist NAME=A.asf,B.wma,...`): several files served one after
//! the other as one stream under `/NAME`, the way a Windows Media Services publishing point
//! with a playlist did.
//!
//! A playlist is served as its first entry's [`Media`] (renamed `NAME`) whose `next` holds the
//! later entries. Each session plays the entries in turn from the first, on demand. Between
//! two entries each protocol tells its client that the stream changes and sends the new
//! entry's header, then the new entry's packets from its start:
//!
//! - MMSH: `$E` with reason 1 (the entry ended, more follow), `$C`, [`$M`] `$H` ([MS-WMSP]
//!   2.2.3.4, 2.2.3.5);
//! - MMS: ReportEndOfStream with hr 1 and ReportStreamChange; over TCP the header follows as
//!   Data packets of incarnation 0xFF, over UDP the client asks for it with ReadBlock and plays
//!   the entry with StartPlaying ([MS-MMSP] 3.2.4.2);
//! - RTSP: the EndOfStream request with `End-Of-Playlist-Entry: true`, then an Announce with
//!   the new entry's SDP; the client's PLAY starts it ([MS-RTSP] 2.2.7.1, 3.1.5.16).
//!
//! The protocols walk the entries with [`entries`]; nothing else here knows about sockets.

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::ServerError;
use crate::media::Media;

/// Most entries one playlist may have.
pub const MAX_ENTRIES: usize = 256;

/// Parses `NAME=A,B,...` into the name and the entries' paths.
pub fn parse_spec(s: &str) -> Result<(String, Vec<PathBuf>), ServerError> {
    let (name, list) = crate::library::named_spec("--playlist", "NAME=A,B,...", s)?;
    let paths: Vec<PathBuf> = list
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect();
    if paths.is_empty() {
        return Err(ServerError::Usage(format!("--playlist {s}: no entries")));
    }
    if paths.len() > MAX_ENTRIES {
        return Err(ServerError::Usage(format!(
            "--playlist {s}: more than {MAX_ENTRIES} entries"
        )));
    }
    Ok((name.to_string(), paths))
}

/// Loads the entries (a bad file is an error at start-up) and returns the playlist as the
/// media served under `name`.
pub fn load(name: &str, paths: &[PathBuf]) -> Result<Arc<Media>, ServerError> {
    let mut entries = paths
        .iter()
        .map(|p| Media::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    if entries.is_empty() {
        return Err(ServerError::Usage(format!("--playlist {name}: no entries")));
    }
    let mut head = entries.remove(0);
    head.name = name.to_string();
    head.next = entries.into_iter().map(Arc::new).collect();
    Ok(Arc::new(head))
}

/// The entries a session plays, in order: the media itself, then the playlist's later
/// entries (only the media itself for a plain file).
pub fn entries(media: &Media) -> impl Iterator<Item = &Media> {
    std::iter::once(media).chain(media.next.iter().map(|m| m.as_ref()))
}

/// Entry `i` of the media a session opened (entry 0 is the media itself).
pub fn entry(media: &Arc<Media>, i: usize) -> Option<Arc<Media>> {
    match i {
        0 => Some(media.clone()),
        i => media.next.get(i - 1).cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_ones_are_refused() {
        let (name, paths) = parse_spec("/show=a.asf, b.wma,c.asf").unwrap();
        assert_eq!(name, "show");
        assert_eq!(
            paths,
            ["a.asf", "b.wma", "c.asf"].map(PathBuf::from).to_vec()
        );
        for bad in ["show", "=a.asf", "a/b=x.asf", "..=x.asf", "show=", "show=,"] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
        let many = format!("big={}", vec!["x.asf"; MAX_ENTRIES + 1].join(","));
        assert!(parse_spec(&many).is_err());
    }

    #[test]
    fn a_missing_entry_is_an_error_naming_it() {
        let e = load("show", &[PathBuf::from("/nonexistent/a.asf")]).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/a.asf"), "{e}");
    }
}
