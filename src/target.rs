//! What the TARGET argument names: a URL, a local file or a bookmark.

use std::path::{Path, PathBuf};

use mmsplay_net::StreamUrl;

use crate::player::Target;

/// Resolves TARGET. A string with `://` is a URL (a `file://` URL, what a desktop may pass for a
/// local file, names that file); an existing path is a file; anything else is looked up by
/// `lookup_bookmark`.
pub fn resolve(
    target: &str,
    lookup_bookmark: &dyn Fn(&str) -> Option<String>,
) -> Result<Target, String> {
    if let Some(path) = file_url_path(target) {
        return Ok(Target::File(path?));
    }
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

/// The local path of a `file://` URL (host empty or `localhost`), percent-decoded; `None` when
/// `target` is not a file URL.
fn file_url_path(target: &str) -> Option<Result<PathBuf, String>> {
    let rest = target
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("file://"))
        .map(|_| &target[7..])?;
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return Some(Err(format!(
            "{target}: only local file:// URLs can be played"
        )));
    }
    Some(
        percent_decode(path).map(PathBuf::from).ok_or_else(|| {
            format!("{target}: the file URL has a bad percent escape or is not UTF-8")
        }),
    )
}

/// Decodes `%XX` escapes; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(target: &str) -> Result<PathBuf, String> {
        match resolve(target, &|_| None)? {
            Target::File(p) => Ok(p),
            other => Err(format!("not a file: {other:?}")),
        }
    }

    #[test]
    fn file_urls_name_local_files() {
        assert_eq!(
            file_of("file:///music/My%20Radio.wma"),
            Ok(PathBuf::from("/music/My Radio.wma"))
        );
        assert_eq!(
            file_of("FILE://localhost/a.asx"),
            Ok(PathBuf::from("/a.asx"))
        );
        assert!(file_of("file://server/share/a.wma").is_err());
        assert!(file_of("file:///bad%zz").is_err());
        assert!(file_of("file:///cut%2").is_err());
        assert!(file_of("file:///%ff%fe").is_err());
    }
}
