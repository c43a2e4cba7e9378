//! A bounded HTTP/1.0 GET for metafiles and progressively downloaded ASF files, on the one
//! HTTP client of `mmsplay_net::transport::http` (which MMSH uses too): every wait has a
//! deadline, every length a limit, and redirects are followed a bounded number of times. A
//! 401 is answered like MMSH's (Basic or Digest, `mmsplay_net::auth`), with the credentials
//! that belong to the server asking.

use std::time::Duration;

use mmsplay_net::auth::{AuthError, ClientAuth, GivenCredentials};
use mmsplay_net::mmsh::ResponseHead;
use mmsplay_net::proxy::ProxyConfig;
use mmsplay_net::redirect::{RedirectChain, RedirectError};
use mmsplay_net::transport::http::{HttpResponse, exchange_via};
use mmsplay_net::{ErrorKind, NetError, StreamUrl};
use tokio::time::Instant;

/// Most redirects followed for one fetch.
pub const MAX_REDIRECTS: usize = 5;
/// Windows Media Player's own user agent: Windows Media Services answers it with the stream
/// (or its MS-WMSP header), where a browser's would get a `[Reference]` file pointing back.
const USER_AGENT: &str = mmsplay_net::mmsh::request::USER_AGENT;

/// Why a fetch failed; `Display` is the short sentence users see.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The HTTP exchange failed (connection, malformed answer): the network error says where.
    #[error(transparent)]
    Net(NetError),
    #[error("timed out {0}")]
    Timeout(&'static str),
    #[error("the server answered {0} {1}")]
    Status(u16, String),
    /// A redirect status with no `Location` header.
    #[error("a redirect without a Location")]
    RedirectWithoutLocation,
    /// A redirect to something that is not a URL we can parse.
    #[error("redirected to an unsupported URL: {0}")]
    RedirectUnsupported(String),
    /// A redirect away from HTTP (a metafile fetch stays on HTTP).
    #[error("redirected to {0}")]
    RedirectOffHttp(String),
    /// Too many redirects, or a loop of them.
    #[error(transparent)]
    Redirects(RedirectError),
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    /// A 401 we could not answer (no credentials for this server, wrong ones…).
    #[error("{0}")]
    Auth(AuthError),
}

impl FetchError {
    /// A network error; a timeout is said as `timed out <what>` (the HTTP client's body
    /// timeout speaks of the server, which here is not streaming).
    fn net(e: NetError, what: &'static str) -> FetchError {
        if e.kind == ErrorKind::Timeout {
            FetchError::Timeout(what)
        } else {
            FetchError::Net(e)
        }
    }
}

/// An answered GET: the head and a reader for the body.
pub struct HttpBody {
    /// The URL that answered (after redirects).
    pub url: StreamUrl,
    resp: HttpResponse,
}

impl HttpBody {
    pub fn head(&self) -> &ResponseHead {
        &self.resp.head
    }

    pub fn content_type(&self) -> Option<&str> {
        self.resp.head.content_type()
    }

    /// Appends the next body bytes to `out`; `false` at the end of the body. Waits at most
    /// until `deadline`.
    pub async fn read_some(
        &mut self,
        out: &mut Vec<u8>,
        deadline: Instant,
    ) -> Result<bool, FetchError> {
        self.resp
            .read_body(out, deadline)
            .await
            .map_err(|e| FetchError::net(e, "reading the response"))
    }

    /// Reads until `out` holds at least `want` bytes or the body ends.
    pub async fn read_at_least(
        &mut self,
        out: &mut Vec<u8>,
        want: usize,
        deadline: Instant,
    ) -> Result<(), FetchError> {
        while out.len() < want {
            if !self.read_some(out, deadline).await? {
                break;
            }
        }
        Ok(())
    }

    /// Reads the whole body, failing when it is over `limit` bytes.
    pub async fn read_to_end(
        &mut self,
        out: &mut Vec<u8>,
        limit: usize,
        deadline: Instant,
    ) -> Result<(), FetchError> {
        while self.read_some(out, deadline).await? {
            if out.len() > limit {
                return Err(FetchError::TooLarge(limit));
            }
        }
        Ok(())
    }
}

/// GETs `url` (`http://`), following redirects, through the proxy `proxy` names for its host,
/// answering a 401 with the credentials [`GivenCredentials::offer`] gives for the server
/// asking (`credentials`: the user's). `default_port` is used when the URL has none.
/// Returns once the response head is in; the body is read through [`HttpBody`].
pub async fn get(
    url: &StreamUrl,
    default_port: u16,
    proxy: &ProxyConfig,
    credentials: Option<&GivenCredentials>,
    deadline: Instant,
) -> Result<HttpBody, FetchError> {
    let mut url = url.clone();
    let mut chain = RedirectChain::new(http_url(&url), MAX_REDIRECTS);
    // The challenge answered for the current URL; a redirect starts afresh.
    let mut auth: Option<ClientAuth> = None;
    loop {
        let port = url.port.unwrap_or(default_port);
        let authority = url.authority(port);
        let signature = auth
            .as_mut()
            .and_then(|a| a.authorization("GET", &url.path))
            .map(|v| format!("Authorization: {v}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "GET {} HTTP/1.0\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n{signature}Connection: close\r\n\r\n",
            url.path
        );
        let resp = exchange_via(&authority, proxy.for_host(&url.host), &req, deadline)
            .await
            .map_err(FetchError::Net)?;
        match resp.head.status {
            200 => return Ok(HttpBody { url, resp }),
            301 | 302 | 303 | 307 | 308 => {
                let loc = resp
                    .head
                    .headers
                    .get("location")
                    .ok_or(FetchError::RedirectWithoutLocation)?;
                url = redirect(&url, loc.trim())?;
                chain
                    .follow(http_url(&url))
                    .map_err(FetchError::Redirects)?;
                auth = None;
            }
            // Answered once (again only for a stale nonce: `ClientAuth` counts).
            401 => {
                let a = auth.get_or_insert_with(|| {
                    ClientAuth::new(GivenCredentials::offer(
                        credentials,
                        &url.host,
                        port,
                        url.credentials.as_ref(),
                    ))
                });
                a.on_challenge(resp.head.headers.all("www-authenticate"))
                    .map_err(FetchError::Auth)?;
            }
            s => return Err(FetchError::Status(s, resp.head.reason.clone())),
        }
    }
}

/// `url` as the `http://` URL requests go to (the port made explicit).
fn http_url(url: &StreamUrl) -> String {
    format!(
        "http://{}{}",
        url.authority(url.port.unwrap_or(80)),
        url.path
    )
}

fn redirect(from: &StreamUrl, location: &str) -> Result<StreamUrl, FetchError> {
    let abs = super::resolve_ref(Some(&http_url(from)), location);
    let u = StreamUrl::parse(&abs)
        .map_err(|_| FetchError::RedirectUnsupported(location.to_string()))?;
    if u.scheme != "http" {
        return Err(FetchError::RedirectOffHttp(location.to_string()));
    }
    Ok(u)
}

/// A deadline `d` from now.
pub fn deadline_in(d: Duration) -> Instant {
    Instant::now() + d
}
