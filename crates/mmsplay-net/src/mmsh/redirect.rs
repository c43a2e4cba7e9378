//! Following MS-WMSP redirects, sans-IO: where the next request goes after a 3xx answer, how
//! many hops are allowed, and which statuses end the Describe with which error. The transport
//! only sends the request for [`Redirects::target`], awaits the head and applies it.

use crate::error::{ErrorKind, NetError, Result};
use crate::mmsh::ResponseHead;
use crate::url::StreamUrl;

/// Redirects followed before giving up (a loop or a chain that long is broken).
pub const MAX_REDIRECTS: usize = 5;

/// Where requests go: the URL after redirects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Target {
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Resolves a `Location` header: absolute `http://`/`mmsh://` URLs, or an absolute or
    /// relative path on the same server.
    pub fn redirect(&self, location: &str) -> Result<Target> {
        let here = format!("http://{}{}", self.authority(), self.path);
        let location = crate::url::resolve(&here, location);
        let location = location.as_str();
        let u = StreamUrl::parse(location).map_err(|_| {
            NetError::unsupported(format!("redirected to an unsupported URL: {location}"))
        })?;
        if !matches!(u.scheme.as_str(), "http" | "mmsh") {
            return Err(NetError::unsupported(format!(
                "redirected to another protocol: {location}"
            )));
        }
        Ok(Target {
            port: u.port.unwrap_or(80),
            host: u.host,
            path: u.path,
        })
    }
}

/// What an answer meant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Followed {
    /// 200: this is the answer, at [`Redirects::target`].
    Answered,
    /// A redirect: ask [`Redirects::target`] again.
    Redirected,
}

/// The redirect chain of one Describe.
#[derive(Clone, Debug)]
pub struct Redirects {
    target: Target,
    hops: usize,
}

impl Redirects {
    pub fn new(target: Target) -> Redirects {
        Redirects { target, hops: 0 }
    }

    /// Where the next request goes.
    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn into_target(self) -> Target {
        self.target
    }

    /// Applies an answer's head.
    pub fn on_response(&mut self, head: &ResponseHead) -> Result<Followed> {
        match head.status {
            200 => Ok(Followed::Answered),
            301 | 302 | 303 | 305 | 307 | 308 => {
                self.hops += 1;
                if self.hops > MAX_REDIRECTS {
                    return Err(NetError::protocol(format!(
                        "more than {MAX_REDIRECTS} redirects"
                    )));
                }
                let loc = head
                    .headers
                    .get("location")
                    .ok_or_else(|| NetError::protocol("a redirect without a Location header"))?;
                self.target = self.target.redirect(loc)?;
                Ok(Followed::Redirected)
            }
            _ => Err(status_error(head)),
        }
    }
}

/// Maps a non-200 status to an error.
pub fn status_error(head: &ResponseHead) -> NetError {
    let what = format!(
        "the server answered HTTP {} {}",
        head.status,
        head.reason.trim()
    );
    match head.status {
        404 | 410 => NetError::new(ErrorKind::NotFound, what),
        401 => NetError::new(
            ErrorKind::Unauthorized,
            format!("{what}: the user name or password was refused"),
        ),
        407 => NetError::refused(format!(
            "{what}: the HTTP proxy asks for credentials (give them as --proxy http://USER:PASS@HOST:PORT)"
        )),
        _ => NetError::refused(what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmsh::parse_response_head;

    #[test]
    fn verify_redirect_targets() {
        let t = Target {
            host: "h".into(),
            port: 8080,
            path: "/radio/live.asf?x=1".into(),
        };
        assert_eq!(t.redirect("/other.asf").unwrap().path, "/other.asf");
        assert_eq!(t.redirect("backup.asf").unwrap().path, "/radio/backup.asf");
        let abs = t.redirect("http://[::1]:81/a").unwrap();
        assert_eq!(
            (abs.host.as_str(), abs.port, abs.path.as_str()),
            ("::1", 81, "/a")
        );
        assert_eq!(t.redirect("mmsh://x/y").unwrap().port, 80);
        assert!(t.redirect("rtsp://x/y").is_err());
    }

    fn head(wire: &str) -> ResponseHead {
        parse_response_head(wire.as_bytes()).unwrap().unwrap().0
    }

    /// A recorded chain: a relative redirect, an absolute one to another server, the answer.
    #[test]
    fn replays_a_redirect_chain_to_its_answer() {
        let mut r = Redirects::new(Target {
            host: "127.0.0.1".into(),
            port: 8080,
            path: "/live/a.asf".into(),
        });
        let moved = "HTTP/1.0 302 Found\r\nLocation: b.asf\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(r.on_response(&head(moved)).unwrap(), Followed::Redirected);
        assert_eq!(r.target().path, "/live/b.asf");
        let away = "HTTP/1.1 301 Moved\r\nlocation: http://[::1]:81/c.asf\r\n\r\n";
        assert_eq!(r.on_response(&head(away)).unwrap(), Followed::Redirected);
        assert_eq!(r.target().authority(), "[::1]:81");
        let ok = "HTTP/1.0 200 OK\r\nContent-Type: application/vnd.ms.wms-hdr.asfv1\r\n\r\n";
        assert_eq!(r.on_response(&head(ok)).unwrap(), Followed::Answered);
        assert_eq!(r.into_target().path, "/c.asf");
    }

    #[test]
    fn loops_missing_locations_and_refusals_end_the_chain() {
        let t = Target {
            host: "h".into(),
            port: 80,
            path: "/a".into(),
        };
        let mut r = Redirects::new(t.clone());
        let again = head("HTTP/1.0 302 Found\r\nLocation: /a\r\n\r\n");
        for _ in 0..MAX_REDIRECTS {
            assert_eq!(r.on_response(&again).unwrap(), Followed::Redirected);
        }
        let e = r.on_response(&again).unwrap_err();
        assert!(e.to_string().contains("redirects"), "{e}");
        let mut r = Redirects::new(t.clone());
        let bare = head("HTTP/1.0 302 Found\r\n\r\n");
        assert_eq!(r.on_response(&bare).unwrap_err().kind, ErrorKind::Protocol);
        let mut r = Redirects::new(t);
        let gone = head("HTTP/1.0 404 Not Found\r\n\r\n");
        assert_eq!(r.on_response(&gone).unwrap_err().kind, ErrorKind::NotFound);
    }
}
