//! What the server serves and how a request path finds it: files named on the command line (by
//! file name), media already in memory (the demo), and directories, whose ASF/WMA/WMV files are
//! served by their path relative to the directory.
//!
//! A request path is untrusted. It is turned into a list of plain segments first
//! ([`request_segments`]): percent-escapes decoded, `.`/`..`, NUL, control characters,
//! backslashes and escaped slashes refused. Only then is it joined to a directory, and the
//! result is canonicalised and must still lie inside the (canonical) directory, so a symlink
//! pointing out of it is refused too. Directory files are read on first request and kept in a
//! cache bounded in bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::error::ServerError;
use crate::media::Media;
use crate::relay::Relay;

/// File name extensions served from directories (compared without case).
const EXTENSIONS: [&str; 3] = ["asf", "wma", "wmv"];
/// Most path segments a request may have (a deeper tree is not served).
const MAX_SEGMENTS: usize = 32;
/// Bytes of directory media kept in memory once no session uses them.
const CACHE_BUDGET: usize = 256 * 1024 * 1024;

/// Splits a `NAME=VALUE` option (`--relay`, `--playlist`) and checks that NAME can be served
/// as one plain path segment (`/NAME`); `usage` names the expected form in the error.
pub fn named_spec<'a>(
    option: &str,
    usage: &str,
    spec: &'a str,
) -> Result<(&'a str, &'a str), ServerError> {
    let (name, value) = spec
        .split_once('=')
        .ok_or_else(|| ServerError::Usage(format!("{option} {spec}: expected {usage}")))?;
    let name = name.trim().trim_matches('/');
    if name.is_empty() || name.contains(['/', '\\', '?', '#', '%']) || name == ".." {
        return Err(ServerError::Usage(format!(
            "{option} {spec}: NAME must be one plain path segment"
        )));
    }
    Ok((name, value))
}

/// Why a request path was refused before any lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPath(pub &'static str);

/// The served media.
#[derive(Debug, Default)]
pub struct Library {
    /// Named files and in-memory media, by their name.
    named: Vec<Arc<Media>>,
    /// Served directories, canonical.
    dirs: Vec<PathBuf>,
    /// Live relays, by name.
    pub relays: Vec<Arc<Relay>>,
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    /// By canonical path: the file's length and modification time when read, and the media.
    entries: HashMap<PathBuf, (u64, Option<SystemTime>, Arc<Media>)>,
    bytes: usize,
}

impl Library {
    /// Loads the named files at once (a bad file is an error at start-up) and remembers the
    /// directories (their files are read when asked for).
    pub fn open(paths: &[PathBuf], media: Vec<Arc<Media>>) -> Result<Library, ServerError> {
        let mut lib = Library {
            named: media,
            ..Library::default()
        };
        for p in paths {
            if p.is_dir() {
                let root = std::fs::canonicalize(p)
                    .map_err(|e| ServerError::Media(format!("{}: {e}", p.display())))?;
                lib.dirs.push(root);
            } else {
                lib.named.push(Arc::new(Media::load(p)?));
            }
        }
        Ok(lib)
    }

    /// Finds the media a request path names (any query is ignored; a URL with scheme and
    /// host is taken for its path). `None` when nothing is there or the path is refused.
    pub fn find(&self, path: &str) -> Option<Arc<Media>> {
        let segments = match request_segments(path) {
            Ok(s) => s,
            Err(BadPath(why)) => {
                tracing::debug!("serve: refused request path {path:?}: {why}");
                return None;
            }
        };
        self.find_segments(&segments)
    }

    /// The media named by the longest leading run of `path`'s segments, with the number of
    /// segments it took: RTSP URLs carry a control suffix (`/audio`, `/rtx`) after the file.
    pub fn find_prefix(&self, path: &str) -> Option<(Arc<Media>, usize)> {
        let segments = request_segments(path).ok()?;
        (1..=segments.len())
            .rev()
            .find_map(|n| self.find_segments(&segments[..n]).map(|m| (m, n)))
    }

    fn find_segments(&self, segments: &[String]) -> Option<Arc<Media>> {
        if segments.is_empty() {
            return None;
        }
        if let [name] = segments {
            if let Some(r) = self.relays.iter().find(|r| &r.name == name) {
                // Known once the source has sent its header.
                return r.media();
            }
            if let Some(m) = self.named.iter().find(|m| &m.name == name) {
                return Some(m.clone());
            }
        }
        self.dirs
            .iter()
            .find_map(|root| self.in_dir(root, segments))
    }

    /// The file `segments` names under `root`, if it is really inside it and servable.
    fn in_dir(&self, root: &Path, segments: &[String]) -> Option<Arc<Media>> {
        let last = segments.last()?;
        let ext = Path::new(last).extension()?.to_str()?.to_ascii_lowercase();
        if !EXTENSIONS.contains(&ext.as_str()) {
            return None;
        }
        let mut path = root.to_path_buf();
        path.extend(segments);
        // Canonical: symlinks resolved, so "inside root" is a plain prefix test.
        let real = std::fs::canonicalize(&path).ok()?;
        if !real.starts_with(root) {
            tracing::debug!("serve: {} leads out of {}", path.display(), root.display());
            return None;
        }
        let meta = std::fs::metadata(&real).ok()?;
        if !meta.is_file() {
            return None;
        }
        let stamp = (meta.len(), meta.modified().ok());
        let mut cache = self.cache.lock().ok()?;
        if let Some((len, modified, m)) = cache.entries.get(&real)
            && (*len, *modified) == stamp
        {
            return Some(m.clone());
        }
        let name = segments.join("/");
        let mut media = match Media::load(&real) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("{e}");
                return None;
            }
        };
        media.name = name;
        let media = Arc::new(media);
        cache.insert(real, stamp, media.clone());
        Some(media)
    }
}

impl Cache {
    fn insert(&mut self, path: PathBuf, stamp: (u64, Option<SystemTime>), m: Arc<Media>) {
        if let Some((_, _, old)) = self.entries.remove(&path) {
            self.bytes = self.bytes.saturating_sub(old.size());
        }
        self.bytes += m.size();
        self.entries.insert(path, (stamp.0, stamp.1, m));
        if self.bytes > CACHE_BUDGET {
            // Forget what no session holds; sessions keep theirs alive through their Arc.
            self.entries.retain(|_, (_, _, m)| Arc::strong_count(m) > 1);
            self.bytes = self.entries.values().map(|(_, _, m)| m.size()).sum();
        }
    }
}

/// The plain segments of a request path, or why it is refused. Accepts `/a/b.asf`, `a/b.asf`
/// and `scheme://host:port/a/b.asf`, with or without a query; empty segments are skipped.
pub fn request_segments(raw: &str) -> Result<Vec<String>, BadPath> {
    let mut path = raw.split(['?', '#']).next().unwrap_or("");
    if let Some(i) = path.find("://") {
        let rest = &path[i + 3..];
        path = rest.find('/').map_or("", |j| &rest[j..]);
    }
    let mut out = Vec::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if out.len() == MAX_SEGMENTS {
            return Err(BadPath("too many segments"));
        }
        let seg = percent_decode(seg)?;
        if seg == "." || seg == ".." {
            return Err(BadPath("a dot segment"));
        }
        if seg.contains(['/', '\\']) {
            return Err(BadPath("a slash inside a segment"));
        }
        if seg.chars().any(char::is_control) {
            return Err(BadPath("a control character"));
        }
        out.push(seg);
    }
    Ok(out)
}

/// Decodes `%XX` escapes; a malformed escape or a result that is not UTF-8 is refused.
fn percent_decode(s: &str) -> Result<String, BadPath> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(BadPath("a cut-short escape"))?;
            let v = u8::from_str_radix(hex, 16).map_err(|_| BadPath("a malformed escape"))?;
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| BadPath("not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Result<Vec<String>, BadPath> {
        request_segments(p)
    }

    #[test]
    fn plain_paths_split_into_segments() {
        assert_eq!(segs("/a/b.asf").unwrap(), ["a", "b.asf"]);
        assert_eq!(segs("a//b.asf?x=1").unwrap(), ["a", "b.asf"]);
        assert_eq!(segs("mms://h:1755/a/b.asf").unwrap(), ["a", "b.asf"]);
        assert_eq!(segs("/%C3%A9t%C3%A9.asf").unwrap(), ["été.asf"]);
        assert_eq!(segs("/my%20song.wma").unwrap(), ["my song.wma"]);
    }

    #[test]
    fn traversal_and_tricks_are_refused() {
        for p in [
            "/../x.asf",
            "/a/../../x.asf",
            "/%2e%2e/x.asf",
            "/%2E%2E/x.asf",
            "/.%2e/x.asf",
            "/a%2f..%2fx.asf",
            "/a%2Fb.asf",
            "/a%5c..%5cx.asf",
            "/a\\..\\x.asf",
            "/x.asf%00.txt",
            "/./x.asf",
            "/%zz.asf",
            "/%e9.asf",
            "/x%",
        ] {
            assert!(segs(p).is_err(), "{p} was accepted");
        }
    }
}
