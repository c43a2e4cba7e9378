//! Who may play what, and where a name sends the client: `serve --auth USER:PASS` (HTTP Basic
//! and Digest on MMSH and RTSP; the MMS transports refused, as a Windows Media server with only
//! HTTP authentication enabled did, so that a client's rollover moves on to them) and
//! `serve --redirect NAME=URL` (MMSH 302, RTSP 302, MMS's redirect report). The checks
//! themselves are `mmsplay_net::auth`'s, shared with the client.

use std::time::{SystemTime, UNIX_EPOCH};

use mmsplay_net::auth::{ServerAuth, Verdict};

/// The access rules of a server.
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// Credentials required on MMSH and RTSP; `None`: everything is open.
    pub auth: Option<ServerAuth>,
    /// `(NAME, URL)`: a request for `/NAME` is sent to URL.
    pub redirects: Vec<(String, String)>,
}

/// Parses `NAME=URL` (`serve --redirect`).
pub fn parse_redirect(spec: &str) -> Result<(String, String), String> {
    let (name, url) = spec
        .split_once('=')
        .filter(|(n, u)| !n.trim().is_empty() && u.contains("://"))
        .ok_or_else(|| format!("--redirect {spec}: expected NAME=URL"))?;
    Ok((
        name.trim().trim_matches('/').to_string(),
        url.trim().to_string(),
    ))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The path of a request target: an absolute URL's path, or the target itself; without the
/// query and the leading slashes.
fn name_of(target: &str) -> &str {
    let path = match target.find("://") {
        Some(i) => {
            let rest = &target[i + 3..];
            rest.find('/').map_or("", |j| &rest[j..])
        }
        None => target,
    };
    path.split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_start_matches('/')
}

impl Access {
    /// Where a request for `target` (a path or an absolute URL) is redirected, if anywhere.
    /// RTSP asks for the stream's controls below its name too (`NAME/audio`): those go along.
    pub fn redirect_for(&self, target: &str) -> Option<&str> {
        let name = name_of(target);
        self.redirects
            .iter()
            .find(|(n, _)| {
                name == n
                    || name
                        .strip_prefix(n.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
            .map(|(_, url)| url.as_str())
    }

    /// Whether the MMS transports are refused: HTTP authentication is on.
    pub fn refuses_mms(&self) -> bool {
        self.auth.is_some()
    }

    /// Checks a request's `Authorization` value; always allowed without `--auth`.
    pub fn check(&self, method: &str, target: &str, authorization: Option<&str>) -> Verdict {
        match &self.auth {
            None => Verdict::Allowed,
            Some(a) => a.check(method, target, authorization, now_secs()),
        }
    }

    /// The `WWW-Authenticate` values of a 401.
    pub fn challenges(&self, verdict: Verdict) -> Vec<String> {
        match &self.auth {
            None => Vec::new(),
            Some(a) => a.challenges(now_secs(), verdict == Verdict::Stale),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_match_names_and_their_controls() {
        let a = Access {
            auth: None,
            redirects: vec![parse_redirect("old=mmsh://h/new.asf").unwrap()],
        };
        assert_eq!(a.redirect_for("/old"), Some("mmsh://h/new.asf"));
        assert_eq!(
            a.redirect_for("rtsp://x:5/old/audio"),
            Some("mmsh://h/new.asf")
        );
        assert_eq!(a.redirect_for("/old?x=1"), Some("mmsh://h/new.asf"));
        assert_eq!(a.redirect_for("/older"), None);
        assert_eq!(a.redirect_for("/a.asf"), None);
        assert!(parse_redirect("old").is_err());
        assert!(parse_redirect("=http://x/").is_err());
        assert!(parse_redirect("a=b").is_err());
        assert_eq!(a.check("GET", "/a", None), Verdict::Allowed);
        assert!(!a.refuses_mms());
    }
}
