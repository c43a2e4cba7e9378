//! The one redirect follower, transport-neutral and sans-IO: every caller that follows a
//! server's "look elsewhere" answer (an MMSH Describe's 3xx, an RTSP DESCRIBE's 3xx, a
//! metafile fetch's 3xx) records each hop here, which bounds the chain and stops a loop the
//! moment a URL comes round again instead of after the whole budget.
//!
//! The chain only counts and compares; where a `Location` points and whether its scheme is
//! acceptable is the caller's protocol knowledge.

use crate::error::{ErrorKind, NetError};

/// Why a redirect chain ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    /// More hops than the caller allows.
    #[error("too many redirects: redirected more than {max} times")]
    TooMany { max: usize },
    /// A hop back to a URL already visited in this chain.
    #[error("redirects go in a loop: redirected back to {url}")]
    Loop { url: String },
}

impl From<RedirectError> for NetError {
    fn from(e: RedirectError) -> Self {
        NetError::caused_by(ErrorKind::Protocol, e)
    }
}

/// The URLs of one redirect chain, from the first request on.
#[derive(Clone, Debug)]
pub struct RedirectChain {
    max: usize,
    seen: Vec<String>,
}

impl RedirectChain {
    /// A chain starting at `start`, allowing at most `max` hops.
    pub fn new(start: impl Into<String>, max: usize) -> RedirectChain {
        RedirectChain {
            max,
            seen: vec![start.into()],
        }
    }

    /// Records a hop to `url`; an error when the chain is too long or `url` was seen already.
    /// Both checks are bounded: `seen` never holds more than `max + 1` URLs.
    pub fn follow(&mut self, url: impl Into<String>) -> Result<(), RedirectError> {
        let url = url.into();
        if self.seen.iter().any(|s| same_url(s, &url)) {
            return Err(RedirectError::Loop { url });
        }
        if self.hops() >= self.max {
            return Err(RedirectError::TooMany { max: self.max });
        }
        self.seen.push(url);
        Ok(())
    }

    /// Hops followed so far.
    pub fn hops(&self) -> usize {
        self.seen.len() - 1
    }

    /// The URL the chain is at now.
    pub fn current(&self) -> &str {
        self.seen.last().map_or("", String::as_str)
    }
}

/// URLs compare with their scheme and host case-insensitive (RFC 3986 6.2.2.1); the path is
/// compared as is.
fn same_url(a: &str, b: &str) -> bool {
    let split = |u: &str| -> (String, String) {
        match u.find("://") {
            Some(i) => {
                let rest = &u[i + 3..];
                let end = rest.find('/').map_or(u.len(), |j| i + 3 + j);
                (u[..end].to_ascii_lowercase(), u[end..].to_string())
            }
            None => (String::new(), u.to_string()),
        }
    };
    split(a) == split(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_is_bounded_and_stops_at_the_first_loop() {
        let mut c = RedirectChain::new("http://h/a", 3);
        c.follow("http://h/b").unwrap();
        assert_eq!(c.current(), "http://h/b");
        // The host is compared without case; back to /a is a loop at once.
        let e = c.follow("HTTP://H/a").unwrap_err();
        assert_eq!(
            e,
            RedirectError::Loop {
                url: "HTTP://H/a".into()
            }
        );
        assert!(e.to_string().contains("redirected back to"), "{e}");
        c.follow("http://h/c").unwrap();
        c.follow("http://h/d").unwrap();
        assert_eq!(c.hops(), 3);
        let e = c.follow("http://h/e").unwrap_err();
        assert_eq!(e, RedirectError::TooMany { max: 3 });
        // The path is not case-folded.
        let mut c = RedirectChain::new("rtsp://h/A.asf", 1);
        c.follow("rtsp://h/a.asf").unwrap();
        let net = NetError::from(RedirectError::TooMany { max: 1 });
        assert_eq!(net.kind, ErrorKind::Protocol);
        assert!(net.to_string().contains("redirects"), "{net}");
    }
}
