//! What the TARGET argument names: a URL, a local file or a bookmark.

use std::path::{Path, PathBuf};

use mmsplay_net::StreamUrl;

use crate::player::Target;

/// Resolves TARGET. A string with `://` is a URL; an existing path is a file; anything else is
/// looked up by `lookup_bookmark`.
pub fn resolve(
    target: &str,
    lookup_bookmark: &dyn Fn(&str) -> Option<String>,
) -> Result<Target, String> {
    if target.contains("://") {
        return StreamUrl::parse(target)
            .map(Target::Url)
            .map_err(|e| e.to_string());
    }
    let p = Path::new(target);
    if p.exists() {
        return Ok(Target::File(PathBuf::from(target)));
    }
    if let Some(url) = lookup_bookmark(target) {
        return resolve(&url, &|_| None);
    }
    Err(format!("{target}: no such file, URL or bookmark"))
}
