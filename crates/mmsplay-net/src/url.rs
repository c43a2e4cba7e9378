//! Stream URLs: which scheme, host, port and path, and which transports a scheme starts with.

use std::borrow::Cow;

use crate::Transport;
use crate::auth::Credentials;
use crate::error::{NetError, Result};

/// A parsed stream URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamUrl {
    /// Lowercase scheme: mms, mmst, mmsu, mmsh, rtsp, rtspu, rtspt, http.
    pub scheme: String,
    pub host: String,
    /// The port given in the URL, if any.
    pub port: Option<u16>,
    /// Path with query, starting with '/'.
    pub path: String,
    /// The `user:pass@` of the URL, percent-decoded. Never displayed: [`StreamUrl::for_transport`]
    /// and [`redact`] leave it out.
    pub credentials: Option<Credentials>,
}

/// Default ports per protocol family, overridable with `--port`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    pub rtsp: u16,
    pub mms: u16,
    pub http: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            rtsp: 554,
            mms: 1755,
            http: 80,
        }
    }
}

impl StreamUrl {
    pub fn parse(s: &str) -> Result<StreamUrl> {
        let bad = || NetError::unsupported(format!("not a stream URL: {}", redact(s)));
        let (scheme, rest) = s.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(
            scheme.as_str(),
            "mms" | "mmst" | "mmsu" | "mmsh" | "rtsp" | "rtspu" | "rtspt" | "http"
        ) {
            return Err(NetError::unsupported(format!(
                "unsupported URL scheme {scheme:?}"
            )));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (credentials, authority) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo_credentials(userinfo)), hostport),
            None => (None, authority),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, tail) = v6.split_once(']').ok_or_else(bad)?;
            let port = match tail.strip_prefix(':') {
                Some(p) => Some(p.parse::<u16>().map_err(|_| bad())?),
                None => None,
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p.parse::<u16>().map_err(|_| bad())?)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(StreamUrl {
            scheme,
            host,
            port,
            path: path.to_string(),
            credentials,
        })
    }

    /// The transports this scheme tries, in Windows Media Player's order.
    pub fn default_transports(&self) -> Vec<Transport> {
        Transport::ladder_for_scheme(&self.scheme).to_vec()
    }

    /// The port a transport connects to: the URL's own port when its scheme names that
    /// protocol family (`mms://host:PORT` names the MMS port: Windows Media Services published
    /// MMS URLs), else the `--port` value or default for the family.
    pub fn port_for(&self, t: Transport, ports: &Ports) -> u16 {
        let family_default = match t {
            Transport::Rtspu | Transport::Rtspt => ports.rtsp,
            Transport::Mmsu | Transport::Mmst => ports.mms,
            Transport::Mmsh | Transport::File => ports.http,
        };
        let same_family = match t {
            Transport::Rtspu | Transport::Rtspt => self.scheme.starts_with("rtsp"),
            Transport::Mmsu | Transport::Mmst => {
                matches!(self.scheme.as_str(), "mms" | "mmst" | "mmsu")
            }
            Transport::Mmsh | Transport::File => matches!(self.scheme.as_str(), "mmsh" | "http"),
        };
        match self.port {
            Some(p) if same_family => p,
            _ => family_default,
        }
    }

    /// `host:port` for a socket connect (IPv6 literals bracketed).
    pub fn authority(&self, port: u16) -> String {
        authority(&self.host, port)
    }

    /// The URL rewritten for one transport's protocol, e.g. `mms://h/x` as `rtsp://h:554/x`.
    pub fn for_transport(&self, t: Transport, ports: &Ports) -> String {
        let scheme = match t {
            Transport::Rtspu | Transport::Rtspt => "rtsp",
            Transport::Mmsu | Transport::Mmst => "mms",
            Transport::Mmsh | Transport::File => "http",
        };
        format!(
            "{scheme}://{}{}",
            self.authority(self.port_for(t, ports)),
            self.path
        )
    }
}

/// `host:port` for a socket connect or a `Host` header, IPv6 literals bracketed.
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The credentials of a URL's userinfo (`user[:pass]`), percent-decoded (RFC 3986 3.2.1).
pub fn userinfo_credentials(userinfo: &str) -> Credentials {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    match userinfo.split_once(':') {
        Some((u, p)) => Credentials {
            user: decode(u),
            password: Some(decode(p)),
        },
        None => Credentials {
            user: decode(userinfo),
            password: None,
        },
    }
}

/// A URL as it may be shown (logs, events, errors, the TUI): a password in its userinfo
/// becomes `***` (`mms://bob:***@host/x`). Text that is no URL comes back as it is.
pub fn redact(s: &str) -> Cow<'_, str> {
    match password_span(s) {
        Some((from, to)) => Cow::Owned(format!("{}***{}", &s[..from], &s[to..])),
        None => Cow::Borrowed(s),
    }
}

/// A URL without the password of its userinfo (`mms://bob@host/x`): what a bookmark made
/// from a playing stream keeps, so that the password is asked for, not stored.
pub fn without_password(s: &str) -> Cow<'_, str> {
    match password_span(s) {
        Some((from, to)) => Cow::Owned(format!("{}{}", &s[..from - 1], &s[to..])),
        None => Cow::Borrowed(s),
    }
}

/// Where the password of a URL's userinfo is: the bytes after `user:` up to the `@`.
fn password_span(s: &str) -> Option<(usize, usize)> {
    let start = s.find("://")? + 3;
    let authority_end = s[start..]
        .find(['/', '?', '#'])
        .map_or(s.len(), |i| start + i);
    let at = start + s[start..authority_end].rfind('@')?;
    let colon = start + s[start..at].find(':')?;
    Some((colon + 1, at))
}

/// Resolves a reference against the URL it was found at (RFC 3986 section 5, by the `url`
/// crate): a metafile's entry, an HTTP `Location`, an RTSP control. The one resolver of
/// relative URLs. An absolute reference is returned as it is; so is any reference when `base`
/// is not a URL (a metafile read from a local path).
pub fn resolve(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return reference.to_string();
    }
    match ::url::Url::parse(base).and_then(|b| b.join(reference)) {
        Ok(u) => u.to_string(),
        Err(_) => reference.to_string(),
    }
}

/// Resolves a reference against a base taken as a directory, as RTSP clients resolve stream
/// controls against the session's URL (`rtsp://h/a.asf` + `audio` is `rtsp://h/a.asf/audio`,
/// as ffmpeg and GStreamer do).
pub fn resolve_in(base: &str, reference: &str) -> String {
    if base.ends_with('/') {
        resolve(base, reference)
    } else {
        resolve(&format!("{base}/"), reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_references_as_rfc_3986_says() {
        let r = |b, x| resolve(b, x);
        assert_eq!(r("http://h:8/a/b.asx", "c.asf"), "http://h:8/a/c.asf");
        assert_eq!(r("http://h:8/a/b.asx?x=1", "/c.asf"), "http://h:8/c.asf");
        assert_eq!(r("http://h/a/b/c.asx", "../d.asf"), "http://h/a/d.asf");
        assert_eq!(
            r("http://[::1]:8080/a/b", "c?q=1"),
            "http://[::1]:8080/a/c?q=1"
        );
        assert_eq!(r("mms://h/live/a", "b"), "mms://h/live/b");
        assert_eq!(r("http://h/a.asx", "mms://x/Y"), "mms://x/Y");
        assert_eq!(r("/tmp/a.asx", "c.asf"), "c.asf", "a local base is no URL");
        assert_eq!(
            resolve_in("rtsp://h/a.asf", "audio"),
            "rtsp://h/a.asf/audio"
        );
        assert_eq!(
            resolve_in("rtsp://h/a.asf/", "audio"),
            "rtsp://h/a.asf/audio"
        );
    }

    #[test]
    fn parses_and_maps_schemes() {
        let u = StreamUrl::parse("MMS://example.org:8080/live/radio.asf?x=1").unwrap();
        assert_eq!(u.scheme, "mms");
        assert_eq!(u.host, "example.org");
        assert_eq!(u.port, Some(8080));
        assert_eq!(u.path, "/live/radio.asf?x=1");
        assert_eq!(u.default_transports().len(), 5);
        let u = StreamUrl::parse("rtsp://[::1]:5540/a").unwrap();
        assert_eq!(u.host, "::1");
        assert_eq!(u.authority(5540), "[::1]:5540");
        assert_eq!(
            u.default_transports(),
            vec![Transport::Rtspu, Transport::Rtspt]
        );
        assert!(StreamUrl::parse("ftp://x/y").is_err());
        assert!(StreamUrl::parse("mms://:99/y").is_err());
        assert!(StreamUrl::parse("mms://h:99999/y").is_err());
    }

    #[test]
    fn credentials_are_kept_apart_and_never_shown() {
        let u = StreamUrl::parse("mmsh://b%40b:p%3Ass@h:8/x").unwrap();
        let c = u.credentials.clone().unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_deref()),
            ("b@b", Some("p:ss"))
        );
        assert_eq!(u.host, "h");
        assert!(
            !u.for_transport(Transport::Mmsh, &Ports::default())
                .contains("p%3Ass")
        );
        assert!(!format!("{u:?}").contains("p%3Ass") && !format!("{u:?}").contains("p:ss"));
        assert_eq!(redact("mms://bob:pw@h/x@y"), "mms://bob:***@h/x@y");
        assert_eq!(redact("mms://bob@h/x"), "mms://bob@h/x");
        assert_eq!(redact("rtsp://h/a:b@c"), "rtsp://h/a:b@c");
        assert_eq!(redact("a.wma"), "a.wma");
        assert_eq!(without_password("mms://bob:pw@h/x"), "mms://bob@h/x");
        assert_eq!(without_password("mms://bob@h/x"), "mms://bob@h/x");
        let e = StreamUrl::parse("mms://bob:pw@h:bad/x").unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
        assert_eq!(
            StreamUrl::parse("mms://bob@h/x")
                .unwrap()
                .credentials
                .unwrap()
                .password,
            None
        );
    }

    #[test]
    fn ports_follow_family() {
        let p = Ports {
            rtsp: 1,
            mms: 2,
            http: 3,
        };
        let u = StreamUrl::parse("mmsh://h:9/x").unwrap();
        assert_eq!(u.port_for(Transport::Mmsh, &p), 9);
        assert_eq!(u.port_for(Transport::Mmst, &p), 2);
        let u = StreamUrl::parse("mms://h/x").unwrap();
        assert_eq!(u.port_for(Transport::Rtspt, &p), 1);
        let u = StreamUrl::parse("mms://h:8080/x").unwrap();
        assert_eq!(u.port_for(Transport::Mmst, &p), 8080);
        assert_eq!(u.port_for(Transport::Rtspu, &p), 1);
        assert_eq!(u.port_for(Transport::Mmsh, &p), 3);
        assert_eq!(u.for_transport(Transport::Mmsh, &p), "http://h:3/x");
    }
}
