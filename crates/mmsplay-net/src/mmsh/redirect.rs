//! Following MS-WMSP redirects, sans-IO: where the next request goes after a 3xx answer, how
//! many hops are allowed, and which statuses end the Describe with which error. The transport
//! only sends the request for [`Redirects::target`], awaits the head and applies it.

use crate::error::{ErrorKind, NetError};
use crate::mmsh::ResponseHead;
use crate::redirect::{RedirectChain, RedirectError};
use crate::url::StreamUrl;

/// Why an HTTP answer ended the exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// A status we do not go on from.
    #[error("the server answered HTTP {status} {}{}", reason.trim(), match status {
        401 => ": the user name or password was refused",
        407 => ": the HTTP proxy asks for credentials (give them as --proxy http://USER:PASS@HOST:PORT)",
        _ => "",
    })]
    Status { status: u16, reason: String },
    #[error("a redirect without a Location header")]
    NoLocation,
    #[error("redirected to an unsupported URL: {0}")]
    UnsupportedUrl(String),
    #[error("redirected to another protocol: {0}")]
    OtherProtocol(String),
    /// Too many redirects, or a loop.
    #[error(transparent)]
    Chain(#[from] RedirectError),
}

impl From<AnswerError> for NetError {
    fn from(e: AnswerError) -> Self {
        let kind = match &e {
            AnswerError::Status {
                status: 404 | 410, ..
            } => ErrorKind::NotFound,
            AnswerError::Status { status: 401, .. } => ErrorKind::Unauthorized,
            AnswerError::Status { .. } => ErrorKind::Refused,
            AnswerError::UnsupportedUrl(_) | AnswerError::OtherProtocol(_) => {
                ErrorKind::Unsupported
            }
            AnswerError::NoLocation | AnswerError::Chain(_) => ErrorKind::Protocol,
        };
        NetError::caused_by(kind, e)
    }
}

type Result<T> = std::result::Result<T, AnswerError>;

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
    /// The target as an `http://` URL.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.authority(), self.path)
    }

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
        let location = crate::url::resolve(&self.url(), location);
        let location = location.as_str();
        let u = StreamUrl::parse(location)
            .map_err(|_| AnswerError::UnsupportedUrl(location.to_string()))?;
        if !matches!(u.scheme.as_str(), "http" | "mmsh") {
            return Err(AnswerError::OtherProtocol(location.to_string()));
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
    chain: RedirectChain,
}

impl Redirects {
    pub fn new(target: Target) -> Redirects {
        let chain = RedirectChain::new(target.url(), MAX_REDIRECTS);
        Redirects { target, chain }
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
                let loc = head
                    .headers
                    .get("location")
                    .ok_or(AnswerError::NoLocation)?;
                let next = self.target.redirect(loc)?;
                self.chain.follow(next.url())?;
                self.target = next;
                Ok(Followed::Redirected)
            }
            _ => Err(status_error(head)),
        }
    }
}

/// Maps a non-200 status to an error.
pub fn status_error(head: &ResponseHead) -> AnswerError {
    AnswerError::Status {
        status: head.status,
        reason: head.reason.clone(),
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
        // Back to where the chain started: a loop, said at once.
        let mut r = Redirects::new(t.clone());
        let again = head("HTTP/1.0 302 Found\r\nLocation: /a\r\n\r\n");
        let e = r.on_response(&again).unwrap_err();
        assert!(e.to_string().contains("redirects go in a loop"), "{e}");
        // A chain of new places is cut after MAX_REDIRECTS hops.
        let mut r = Redirects::new(t.clone());
        for i in 0..MAX_REDIRECTS {
            let next = head(&format!("HTTP/1.0 302 Found\r\nLocation: /n{i}\r\n\r\n"));
            assert_eq!(r.on_response(&next).unwrap(), Followed::Redirected);
        }
        let e = r.on_response(&head("HTTP/1.0 302 Found\r\nLocation: /z\r\n\r\n"));
        assert!(e.unwrap_err().to_string().contains("too many redirects"));
        let mut r = Redirects::new(t.clone());
        let bare = head("HTTP/1.0 302 Found\r\n\r\n");
        let e = r.on_response(&bare).unwrap_err();
        assert_eq!(e, AnswerError::NoLocation);
        assert_eq!(NetError::from(e).kind, ErrorKind::Protocol);
        let mut r = Redirects::new(t.clone());
        let gone = head("HTTP/1.0 404 Not Found\r\n\r\n");
        let e = NetError::from(r.on_response(&gone).unwrap_err());
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.to_string(), "the server answered HTTP 404 Not Found");
        let mut r = Redirects::new(t);
        let auth = head("HTTP/1.0 401 Unauthorized\r\n\r\n");
        let e = NetError::from(r.on_response(&auth).unwrap_err());
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        assert!(e.to_string().ends_with("password was refused"), "{e}");
    }
}
