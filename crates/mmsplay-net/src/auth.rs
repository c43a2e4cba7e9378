//! HTTP authentication for MMSH and RTSP, sans-IO and shared by the client and the server:
//! Basic (RFC 7617) and Digest (RFC 7616, which obsoletes RFC 2617: MD5 and SHA-256,
//! `qop=auth`, the `-sess` variants and `userhash`), as Windows Media Services offered them on
//! its HTTP and RTSP ports.
//!
//! The client side is [`ClientAuth`]: given the `WWW-Authenticate` values of a 401 answer it
//! picks the strongest scheme it can answer (Digest SHA-256, then Digest MD5, then Basic) and
//! writes the `Authorization` value for each later request. The server side is
//! [`ServerAuth`]: the challenges to send and the check of an `Authorization` value, with
//! stateless nonces (a time stamp sealed with a per-server secret), a bounded record of each
//! nonce's highest count (so that a captured Digest header cannot be sent again) and
//! constant-time comparisons.
//!
//! NTLM is not supported: the Rust crates that implement it are either unmaintained or part of
//! a large SSPI emulation, it binds the handshake to one kept-alive connection (which MMSH's
//! HTTP/1.0 requests do not keep), and its MD4/RC4 primitives are broken. A server that offers
//! only NTLM gets a clear error instead.
//!
//! Everything here is bounded: a header value longer than [`MAX_HEADER_LEN`], more than
//! [`MAX_CHALLENGES`] challenges or [`MAX_PARAMS`] parameters is an error, never a bigger
//! buffer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::Md5;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Longest `WWW-Authenticate` or `Authorization` value we read.
pub const MAX_HEADER_LEN: usize = 4096;
/// Most challenges in one answer.
pub const MAX_CHALLENGES: usize = 8;
/// Most parameters in one challenge or credentials value.
pub const MAX_PARAMS: usize = 24;
/// How long a server nonce stays valid; after that the client is told `stale=true` and
/// answers the new nonce without asking the user again.
pub const NONCE_LIFETIME_SECS: u64 = 300;

/// What went wrong with authentication.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A header value that breaks RFC 7235's syntax or our bounds.
    #[error("bad authentication header: {0}")]
    Syntax(String),
    /// The server asks for credentials and we have none.
    #[error(
        "the server asks for a user name and password: give them with --user USER[:PASS] or in the URL (scheme://user:pass@host/...)"
    )]
    NoCredentials,
    /// We have a user name but no password.
    #[error("the server asks for a password for user {0:?}: give it with --user USER:PASS")]
    NoPassword(String),
    /// The server refused the credentials we sent.
    #[error("the server rejected the user name or password")]
    Rejected,
    /// The server offers only schemes we cannot answer.
    #[error("the server offers only {0} authentication, which mmsplay does not support")]
    Unsupported(String),
}

/// A user name and password. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub user: String,
    /// `None`: not given yet (the TUI asks for it; headless fails with a clear message).
    pub password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Credentials {
    /// `USER[:PASS]`, as `--user` takes it (the first colon separates them).
    pub fn from_spec(spec: &str) -> Credentials {
        match spec.split_once(':') {
            Some((u, p)) => Credentials {
                user: u.to_string(),
                password: Some(p.to_string()),
            },
            None => Credentials {
                user: spec.to_string(),
                password: None,
            },
        }
    }
}

/// A server credentials belong to: a host and the ports mmsplay reaches it on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub host: String,
    pub ports: Vec<u16>,
}

impl Owner {
    /// The server a URL names: its host, on the port each protocol family would use for it
    /// (the rollover reaches one server on several ports).
    pub fn of_url(url: &crate::url::StreamUrl, ports: &crate::url::Ports) -> Owner {
        use crate::transport_kind::Transport;
        let mut p: Vec<u16> = [Transport::Rtspt, Transport::Mmst, Transport::Mmsh]
            .iter()
            .map(|&t| url.port_for(t, ports))
            .collect();
        p.dedup();
        Owner {
            host: url.host.clone(),
            ports: p,
        }
    }

    fn covers(&self, host: &str, port: u16) -> bool {
        self.host.eq_ignore_ascii_case(host) && self.ports.contains(&port)
    }
}

/// How credentials the user gave find their owner, when it is not known yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerRule {
    /// `--user`: the server of the target the user played (bound by the player before it
    /// reads a metafile or connects; a local metafile names none, and then it is the first
    /// server that asks).
    NamedTarget,
    /// Typed at the TUI's prompt: the first server that asks afterwards, the one the prompt
    /// was for (playing again follows the same path to it).
    FirstToAsk,
}

/// Credentials the user gave (`--user`, the TUI's prompt) and the one server they belong to.
///
/// curl's rule: a redirect or a metafile entry leading to another server does not get them;
/// that server gets only the credentials of its own URL (`user:pass@`, which the user or the
/// metafile named for it), and without those the TUI asks again and headless fails with the
/// usual clear message. The owner, once known, is shared by the clones (the player's options
/// are cloned for each playback).
#[derive(Clone, Debug)]
pub struct GivenCredentials {
    pub credentials: Credentials,
    rule: OwnerRule,
    owner: Arc<std::sync::OnceLock<Owner>>,
}

impl PartialEq for GivenCredentials {
    fn eq(&self, other: &Self) -> bool {
        self.credentials == other.credentials
            && self.rule == other.rule
            && self.owner.get() == other.owner.get()
    }
}

impl Eq for GivenCredentials {}

impl GivenCredentials {
    pub fn new(credentials: Credentials, rule: OwnerRule) -> GivenCredentials {
        GivenCredentials {
            credentials,
            rule,
            owner: Arc::default(),
        }
    }

    /// The server of the target the user played; kept if the owner is known already.
    pub fn bind_to_target(&self, owner: Owner) {
        if self.rule == OwnerRule::NamedTarget {
            let _ = self.owner.set(owner);
        }
    }

    /// The owner, once known.
    pub fn owner(&self) -> Option<&Owner> {
        self.owner.get()
    }

    /// The one rule for which credentials answer a challenge from `host:port`, on every
    /// protocol and the metafile fetch: the user's own for their owner (credentials without
    /// one yet, typed at the prompt or `--user` with a local metafile that names no server,
    /// become this server's now), else those of the URL that led here (`own`), else none.
    pub fn offer(
        given: Option<&GivenCredentials>,
        host: &str,
        port: u16,
        own: Option<&Credentials>,
    ) -> Option<Credentials> {
        let mine = given.filter(|g| {
            let owner = g.owner.get_or_init(|| Owner {
                host: host.to_string(),
                ports: vec![port],
            });
            owner.covers(host, port)
        });
        mine.map(|g| g.credentials.clone()).or_else(|| own.cloned())
    }
}

/// One challenge of a `WWW-Authenticate` value (RFC 7235 section 2.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme, lower-cased (`basic`, `digest`, `ntlm`…).
    pub scheme: String,
    /// `name=value` parameters, names lower-cased, quoted values unquoted.
    pub params: Vec<(String, String)>,
    /// The token68 form (`NTLM TlRMTVNT…`), when the challenge has one.
    pub token68: Option<String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A cursor over a header value.
struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/".contains(&c)
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn skip_ws_and_commas(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b',') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn token(&mut self) -> &str {
        let start = self.i;
        while self.i < self.s.len() && is_tchar(self.s[self.i]) {
            self.i += 1;
        }
        // tchars are ASCII.
        std::str::from_utf8(&self.s[start..self.i]).unwrap_or("")
    }

    /// A token68 at the cursor that runs to the end of the challenge (end or comma), if any.
    fn token68(&mut self) -> Option<String> {
        let start = self.i;
        let mut j = start;
        while j < self.s.len() && is_token68_char(self.s[j]) {
            j += 1;
        }
        if j == start {
            return None;
        }
        while j < self.s.len() && self.s[j] == b'=' {
            j += 1;
        }
        let mut k = j;
        while k < self.s.len() && matches!(self.s[k], b' ' | b'\t') {
            k += 1;
        }
        if k < self.s.len() && self.s[k] != b',' {
            return None;
        }
        self.i = k;
        Some(String::from_utf8_lossy(&self.s[start..j]).into_owned())
    }

    /// A quoted-string (RFC 9110 5.6.4), unquoted.
    fn quoted(&mut self) -> Result<String, AuthError> {
        self.i += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(AuthError::Syntax("an unterminated quoted string".into())),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    let c =
                        self.s.get(self.i + 1).copied().ok_or_else(|| {
                            AuthError::Syntax("an unterminated quoted string".into())
                        })?;
                    out.push(c);
                    self.i += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// Whether the cursor is at `token OWS "="` (a parameter, not the next challenge).
    fn at_param(&self) -> bool {
        let mut j = self.i;
        while j < self.s.len() && is_tchar(self.s[j]) {
            j += 1;
        }
        if j == self.i {
            return false;
        }
        while j < self.s.len() && matches!(self.s[j], b' ' | b'\t') {
            j += 1;
        }
        if self.s.get(j) != Some(&b'=') {
            return false;
        }
        // A value follows (a token or a quoted string); `=` or nothing after the first `=`
        // is a token68's padding instead.
        j += 1;
        while j < self.s.len() && matches!(self.s[j], b' ' | b'\t') {
            j += 1;
        }
        self.s.get(j).is_some_and(|&c| c == b'"' || is_tchar(c))
    }

    /// `#auth-param` until the next challenge or the end.
    fn params(&mut self) -> Result<Vec<(String, String)>, AuthError> {
        let mut params = Vec::new();
        loop {
            self.skip_ws_and_commas();
            if self.at_end() || !self.at_param() {
                return Ok(params);
            }
            if params.len() >= MAX_PARAMS {
                return Err(AuthError::Syntax(format!(
                    "more than {MAX_PARAMS} parameters"
                )));
            }
            let name = self.token().to_ascii_lowercase();
            self.skip_ws();
            self.i += 1; // '=', checked by at_param
            self.skip_ws();
            let value = match self.peek() {
                Some(b'"') => self.quoted()?,
                _ => self.token().to_string(),
            };
            params.push((name, value));
            self.skip_ws();
            match self.peek() {
                None | Some(b',') => {}
                Some(c) => {
                    return Err(AuthError::Syntax(format!(
                        "unexpected {:?} after parameter",
                        char::from(c)
                    )));
                }
            }
        }
    }
}

fn check_len(value: &str) -> Result<(), AuthError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(AuthError::Syntax(format!(
            "longer than {MAX_HEADER_LEN} bytes"
        )));
    }
    Ok(())
}

/// Parses one `WWW-Authenticate` value: one or more challenges (RFC 7235 section 4.1).
pub fn parse_challenges(value: &str) -> Result<Vec<Challenge>, AuthError> {
    check_len(value)?;
    let mut sc = Scanner {
        s: value.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    loop {
        sc.skip_ws_and_commas();
        if sc.at_end() {
            return Ok(out);
        }
        if out.len() >= MAX_CHALLENGES {
            return Err(AuthError::Syntax(format!(
                "more than {MAX_CHALLENGES} challenges"
            )));
        }
        let scheme = sc.token().to_ascii_lowercase();
        if scheme.is_empty() {
            return Err(AuthError::Syntax(format!(
                "expected a scheme at byte {}",
                sc.i
            )));
        }
        let mut c = Challenge {
            scheme,
            ..Challenge::default()
        };
        sc.skip_ws();
        if !sc.at_param() {
            c.token68 = sc.token68();
        }
        if c.token68.is_none() {
            c.params = sc.params()?;
        }
        out.push(c);
    }
}

/// Parses an `Authorization` value: a scheme and its token68 or parameters.
pub fn parse_authorization(value: &str) -> Result<Challenge, AuthError> {
    let mut all = parse_challenges(value)?;
    if all.len() != 1 {
        return Err(AuthError::Syntax(format!(
            "{} credentials in one header",
            all.len()
        )));
    }
    Ok(all.remove(0))
}

/// The hash of a Digest challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    fn hex(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 => hex(&Md5::digest(data)),
            Algorithm::Sha256 => hex(&Sha256::digest(data)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The parts of a Digest computation (RFC 7616 section 3.4.1).
#[derive(Clone, Debug)]
pub struct DigestInput<'a> {
    pub algorithm: Algorithm,
    /// The `-sess` variant: A1 includes the nonces.
    pub session: bool,
    pub user: &'a str,
    pub realm: &'a str,
    pub password: &'a str,
    pub method: &'a str,
    pub uri: &'a str,
    pub nonce: &'a str,
    /// `Some((nc, cnonce))` with `qop=auth`; `None` for RFC 2069 servers without qop.
    pub qop_auth: Option<(u32, &'a str)>,
}

impl DigestInput<'_> {
    /// The `response` value.
    pub fn response(&self) -> String {
        let alg = self.algorithm;
        let mut ha1 = alg.hex(format!("{}:{}:{}", self.user, self.realm, self.password).as_bytes());
        if self.session {
            let cnonce = self.qop_auth.map_or("", |(_, c)| c);
            ha1 = alg.hex(format!("{ha1}:{}:{cnonce}", self.nonce).as_bytes());
        }
        let ha2 = alg.hex(format!("{}:{}", self.method, self.uri).as_bytes());
        match self.qop_auth {
            Some((nc, cnonce)) => {
                alg.hex(format!("{ha1}:{}:{nc:08x}:{cnonce}:auth:{ha2}", self.nonce).as_bytes())
            }
            None => alg.hex(format!("{ha1}:{}:{ha2}", self.nonce).as_bytes()),
        }
    }
}

/// A quoted-string with `"` and `\` escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The Basic credentials value (RFC 7617 section 2).
pub fn basic_authorization(user: &str, password: &str) -> String {
    format!("Basic {}", BASE64.encode(format!("{user}:{password}")))
}

/// A Digest challenge we can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DigestChallenge {
    algorithm: Algorithm,
    session: bool,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    qop_auth: bool,
    userhash: bool,
    stale: bool,
}

impl DigestChallenge {
    /// `None` for a challenge we cannot answer (an unknown algorithm, only `auth-int`, no
    /// nonce).
    fn from(c: &Challenge) -> Option<DigestChallenge> {
        if c.scheme != "digest" {
            return None;
        }
        let (algorithm, session) = match c
            .param("algorithm")
            .unwrap_or("MD5")
            .to_ascii_uppercase()
            .as_str()
        {
            "MD5" => (Algorithm::Md5, false),
            "MD5-SESS" => (Algorithm::Md5, true),
            "SHA-256" => (Algorithm::Sha256, false),
            "SHA-256-SESS" => (Algorithm::Sha256, true),
            _ => return None,
        };
        let qop = c.param("qop");
        let qop_auth =
            qop.is_some_and(|q| q.split(',').any(|o| o.trim().eq_ignore_ascii_case("auth")));
        if qop.is_some() && !qop_auth {
            return None; // only auth-int: we would have to hash bodies
        }
        Some(DigestChallenge {
            algorithm,
            session,
            realm: c.param("realm").unwrap_or("").to_string(),
            nonce: c.param("nonce")?.to_string(),
            opaque: c.param("opaque").map(str::to_string),
            qop_auth,
            userhash: c
                .param("userhash")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            stale: c
                .param("stale")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        })
    }
}

/// The scheme the client answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Chosen {
    Basic,
    Digest(DigestChallenge),
}

/// The client's side: credentials, and the challenge being answered. One per connect; the
/// transport asks [`ClientAuth::authorization`] for every request and hands each 401 to
/// [`ClientAuth::on_challenge`].
#[derive(Clone, Debug)]
pub struct ClientAuth {
    credentials: Option<Credentials>,
    chosen: Option<Chosen>,
    /// Digest nonce count: requests sent with the current nonce.
    nc: u32,
    cnonce: String,
    /// 401s answered so far; a second one for the same credentials means they are wrong.
    answered: u32,
}

impl ClientAuth {
    pub fn new(credentials: Option<Credentials>) -> ClientAuth {
        ClientAuth {
            credentials,
            chosen: None,
            nc: 0,
            cnonce: String::new(),
            answered: 0,
        }
    }

    /// Sets the client nonce (tests pin it; otherwise a random one is made on first use).
    pub fn with_cnonce(mut self, cnonce: &str) -> ClientAuth {
        self.cnonce = cnonce.to_string();
        self
    }

    /// Takes a 401's `WWW-Authenticate` values. `Ok` means: send the request again with
    /// [`Self::authorization`]. Errors say why not: no credentials, wrong ones (a second
    /// challenge that is not merely `stale`), or only schemes we cannot answer.
    pub fn on_challenge<'a>(
        &mut self,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), AuthError> {
        let mut challenges = Vec::new();
        for v in values.into_iter().take(MAX_CHALLENGES) {
            // One bad header among several is skipped: another may carry a usable challenge.
            if let Ok(mut c) = parse_challenges(v) {
                challenges.append(&mut c);
            }
        }
        let best = challenges
            .iter()
            .filter_map(DigestChallenge::from)
            .max_by_key(|d| (d.algorithm == Algorithm::Sha256, d.qop_auth))
            .map(Chosen::Digest)
            .or_else(|| {
                challenges
                    .iter()
                    .any(|c| c.scheme == "basic")
                    .then_some(Chosen::Basic)
            });
        let Some(best) = best else {
            let offered: Vec<String> = challenges
                .iter()
                .map(|c| c.scheme.to_ascii_uppercase())
                .collect();
            return Err(if offered.is_empty() {
                AuthError::Syntax("a 401 answer without a usable WWW-Authenticate header".into())
            } else {
                AuthError::Unsupported(offered.join(" or "))
            });
        };
        let creds = self.credentials.as_ref().ok_or(AuthError::NoCredentials)?;
        if creds.password.is_none() {
            return Err(AuthError::NoPassword(creds.user.clone()));
        }
        let stale = matches!(&best, Chosen::Digest(d) if d.stale);
        if self.answered > 0 && !stale {
            return Err(AuthError::Rejected);
        }
        self.answered += 1;
        if self.answered > 3 {
            // A server that calls every nonce stale would loop for ever.
            return Err(AuthError::Rejected);
        }
        self.nc = 0;
        if self.cnonce.is_empty() {
            self.cnonce = hex(&rand::random::<[u8; 16]>());
        }
        self.chosen = Some(best);
        Ok(())
    }

    /// The `Authorization` value for a request, once a challenge was taken; `None` before.
    pub fn authorization(&mut self, method: &str, uri: &str) -> Option<String> {
        let creds = self.credentials.as_ref()?;
        let password = creds.password.as_deref()?;
        match self.chosen.as_ref()? {
            Chosen::Basic => Some(basic_authorization(&creds.user, password)),
            Chosen::Digest(d) => {
                self.nc = self.nc.wrapping_add(1);
                let qop = d.qop_auth.then_some((self.nc, self.cnonce.as_str()));
                let response = DigestInput {
                    algorithm: d.algorithm,
                    session: d.session,
                    user: &creds.user,
                    realm: &d.realm,
                    password,
                    method,
                    uri,
                    nonce: &d.nonce,
                    qop_auth: qop,
                }
                .response();
                let username = if d.userhash {
                    d.algorithm
                        .hex(format!("{}:{}", creds.user, d.realm).as_bytes())
                } else {
                    creds.user.clone()
                };
                let alg = format!(
                    "{}{}",
                    d.algorithm.name(),
                    if d.session { "-sess" } else { "" }
                );
                let mut v = format!(
                    "Digest username={}, realm={}, nonce={}, uri={}, algorithm={alg}, response={}",
                    quote(&username),
                    quote(&d.realm),
                    quote(&d.nonce),
                    quote(uri),
                    quote(&response)
                );
                if let Some((nc, cnonce)) = qop {
                    v.push_str(&format!(
                        ", qop=auth, nc={nc:08x}, cnonce={}",
                        quote(cnonce)
                    ));
                }
                if let Some(o) = &d.opaque {
                    v.push_str(&format!(", opaque={}", quote(o)));
                }
                if d.userhash {
                    v.push_str(", userhash=true");
                }
                Some(v)
            }
        }
    }
}

/// What the server makes of a request's `Authorization`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Good credentials.
    Allowed,
    /// None sent: challenge.
    Missing,
    /// Wrong user, password, nonce or syntax: challenge again.
    Denied,
    /// Right credentials on an expired nonce: challenge with `stale=true`.
    Stale,
}

/// The server's side: the one user and password `serve --auth` requires, a realm, the
/// secret that seals its nonces, and the nonce counts seen (shared by the clones, one per
/// connection task).
#[derive(Clone)]
pub struct ServerAuth {
    user: String,
    password: String,
    realm: String,
    secret: [u8; 32],
    counts: Arc<Mutex<NonceCounts>>,
}

/// Most `(nonce, cnonce)` pairs whose count the server remembers.
pub const MAX_TRACKED_NONCES: usize = 4096;

/// The highest Digest nonce count accepted per `(nonce, cnonce)`, so that a captured
/// `Authorization` value cannot be sent again while its nonce is fresh (RFC 7616 section
/// 3.4: a server should check that `nc` grows). Keyed by the client nonce too because our
/// nonces are stateless: every client that asks within the same second gets the same one,
/// and each counts from 1 with its own cnonce; a replay with another cnonce needs the
/// password to compute its response.
///
/// Bounded: only verified requests are recorded, entries leave when their nonce expires, and
/// when [`MAX_TRACKED_NONCES`] pairs are fresh at once the oldest nonce time is forgotten and
/// every nonce issued up to it is treated as stale from then on (the client is sent a new
/// nonce and answers it without asking the user), so forgetting never reopens a replay.
#[derive(Debug, Default)]
pub struct NonceCounts {
    seen: HashMap<(String, String), (u32, u64)>,
    /// Nonces issued at or before this time are stale (their counts were forgotten).
    floor: Option<u64>,
}

/// What [`NonceCounts::accept`] makes of a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Higher than any seen for the pair: recorded.
    Fresh,
    /// Equal to or lower than one seen: a replay.
    Replayed,
    /// The nonce's counts were forgotten: the client must take a new nonce.
    Forgotten,
}

impl NonceCounts {
    /// Checks and records `nc` for `(nonce, cnonce)`; `issued` is the nonce's time stamp and
    /// `now` the time (seconds).
    pub fn accept(&mut self, nonce: &str, cnonce: &str, nc: u32, issued: u64, now: u64) -> Count {
        if self.floor.is_some_and(|f| issued <= f) {
            return Count::Forgotten;
        }
        let key = (nonce.to_string(), cnonce.to_string());
        if let Some((last, _)) = self.seen.get_mut(&key) {
            if nc <= *last {
                return Count::Replayed;
            }
            *last = nc;
            return Count::Fresh;
        }
        if self.seen.len() >= MAX_TRACKED_NONCES {
            self.seen
                .retain(|_, (_, t)| now.saturating_sub(*t) <= NONCE_LIFETIME_SECS);
        }
        if self.seen.len() >= MAX_TRACKED_NONCES {
            let oldest = self.seen.values().map(|&(_, t)| t).min().unwrap_or(issued);
            self.seen.retain(|_, (_, t)| *t > oldest);
            self.floor = Some(self.floor.map_or(oldest, |f| f.max(oldest)));
            if issued <= oldest {
                return Count::Forgotten;
            }
        }
        self.seen.insert(key, (nc, issued));
        Count::Fresh
    }

    /// Pairs remembered now.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

impl std::fmt::Debug for ServerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAuth")
            .field("user", &self.user)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// Equality that takes the same time whatever the inputs share.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl ServerAuth {
    /// `USER:PASS` as `serve --auth` takes it; both parts non-empty.
    pub fn from_spec(spec: &str) -> Result<ServerAuth, String> {
        let (user, password) = spec
            .split_once(':')
            .filter(|(u, p)| !u.is_empty() && !p.is_empty())
            .ok_or_else(|| "--auth: expected USER:PASS, both non-empty".to_string())?;
        Ok(ServerAuth::new(user, password, rand::random()))
    }

    pub fn new(user: &str, password: &str, secret: [u8; 32]) -> ServerAuth {
        ServerAuth {
            user: user.to_string(),
            password: password.to_string(),
            realm: "mmsplay".to_string(),
            secret,
            counts: Arc::default(),
        }
    }

    /// A nonce for `now` (seconds): the time stamp and its seal, so that any nonce we issued
    /// can be checked without remembering it.
    pub fn nonce(&self, now: u64) -> String {
        let seal = self.seal(now);
        format!("{now:x}-{seal}")
    }

    fn seal(&self, t: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(t.to_be_bytes());
        h.update(self.realm.as_bytes());
        hex(&h.finalize()[..16])
    }

    /// `Ok((issued, true))`: one we issued, still fresh; `Ok((issued, false))`: ours but
    /// expired; `Err`: not ours.
    fn check_nonce(&self, nonce: &str, now: u64) -> Result<(u64, bool), ()> {
        let (t, seal) = nonce.split_once('-').ok_or(())?;
        let t = u64::from_str_radix(t, 16).map_err(|_| ())?;
        if !same(seal, &self.seal(t)) || t > now.saturating_add(60) {
            return Err(());
        }
        Ok((t, now.saturating_sub(t) <= NONCE_LIFETIME_SECS))
    }

    /// The `WWW-Authenticate` values of a 401, strongest first: Digest SHA-256, Digest MD5
    /// (what curl and older clients answer), Basic.
    pub fn challenges(&self, now: u64, stale: bool) -> Vec<String> {
        let nonce = self.nonce(now);
        let stale = if stale { ", stale=true" } else { "" };
        let digest = |alg: &str| {
            format!(
                "Digest realm={}, qop=\"auth\", algorithm={alg}, nonce={}{stale}",
                quote(&self.realm),
                quote(&nonce)
            )
        };
        vec![
            digest("SHA-256"),
            digest("MD5"),
            format!("Basic realm={}", quote(&self.realm)),
        ]
    }

    /// Checks a request's `Authorization` value. `method` and `target` are the request's (the
    /// Digest `uri` must name the same resource: equal to `target`, or an absolute URL whose
    /// path is `target` or whose whole is `target`, which covers proxies rewriting the
    /// request line).
    pub fn check(
        &self,
        method: &str,
        target: &str,
        authorization: Option<&str>,
        now: u64,
    ) -> Verdict {
        let Some(value) = authorization else {
            return Verdict::Missing;
        };
        let Ok(c) = parse_authorization(value) else {
            return Verdict::Denied;
        };
        match c.scheme.as_str() {
            "basic" => {
                let Some(decoded) = c
                    .token68
                    .as_deref()
                    .and_then(|t| BASE64.decode(t).ok())
                    .and_then(|b| String::from_utf8(b).ok())
                else {
                    return Verdict::Denied;
                };
                let (u, p) = decoded.split_once(':').unwrap_or((&decoded, ""));
                // Both compared, whatever the first gives: no early exit to time.
                let ok = same(u, &self.user) & same(p, &self.password);
                if ok {
                    Verdict::Allowed
                } else {
                    Verdict::Denied
                }
            }
            "digest" => self.check_digest(&c, method, target, now),
            _ => Verdict::Denied,
        }
    }

    fn check_digest(&self, c: &Challenge, method: &str, target: &str, now: u64) -> Verdict {
        let get = |n| c.param(n).unwrap_or("");
        let (algorithm, session) = match get("algorithm").to_ascii_uppercase().as_str() {
            "" | "MD5" => (Algorithm::Md5, false),
            "MD5-SESS" => (Algorithm::Md5, true),
            "SHA-256" => (Algorithm::Sha256, false),
            "SHA-256-SESS" => (Algorithm::Sha256, true),
            _ => return Verdict::Denied,
        };
        let uri = get("uri");
        if !same_resource(uri, target) || !same(get("realm"), &self.realm) {
            return Verdict::Denied;
        }
        let user_ok = if get("userhash").eq_ignore_ascii_case("true") {
            same(
                get("username"),
                &algorithm.hex(format!("{}:{}", self.user, self.realm).as_bytes()),
            )
        } else {
            same(get("username"), &self.user)
        };
        // We always offer qop=auth; an answer without it (RFC 2069) has no count, so it
        // could be replayed for the nonce's whole life.
        let Some(nc) = u32::from_str_radix(get("nc"), 16).ok() else {
            return Verdict::Denied;
        };
        if !get("qop").eq_ignore_ascii_case("auth") || get("cnonce").is_empty() {
            return Verdict::Denied;
        }
        let qop_auth = Some((nc, get("cnonce")));
        let nonce = get("nonce");
        let (issued, fresh) = match self.check_nonce(nonce, now) {
            Ok(f) => f,
            Err(()) => return Verdict::Denied,
        };
        let want = DigestInput {
            algorithm,
            session,
            user: &self.user,
            realm: &self.realm,
            password: &self.password,
            method,
            uri,
            nonce,
            qop_auth,
        }
        .response();
        let ok = user_ok & same(&get("response").to_ascii_lowercase(), &want);
        if !ok {
            return Verdict::Denied;
        }
        if !fresh {
            return Verdict::Stale;
        }
        // Only verified requests are counted: a flood of made-up ones records nothing.
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        match counts.accept(nonce, get("cnonce"), nc, issued, now) {
            Count::Fresh => Verdict::Allowed,
            Count::Replayed => Verdict::Denied,
            Count::Forgotten => Verdict::Stale,
        }
    }
}

/// Whether a Digest `uri` names the request's target: the same text, or an absolute URL
/// whose path (with query) is the target, or the other way round.
fn same_resource(uri: &str, target: &str) -> bool {
    if uri == target {
        return true;
    }
    let path = |s: &str| -> Option<String> {
        let rest = &s[s.find("://")? + 3..];
        Some(
            rest.find('/')
                .map_or("/".to_string(), |i| rest[i..].to_string()),
        )
    };
    let a = path(uri).unwrap_or_else(|| uri.to_string());
    let b = path(target).unwrap_or_else(|| target.to_string());
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mufasa() -> Option<Credentials> {
        Some(Credentials {
            user: "Mufasa".into(),
            password: Some("Circle of Life".into()),
        })
    }

    /// RFC 7616 section 3.9.1: the same request answered with SHA-256 and with MD5.
    #[test]
    fn answers_rfc_7616_examples() {
        let challenge = |alg: &str| {
            format!(
                "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm={alg}, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
            )
        };
        let both = [challenge("SHA-256"), challenge("MD5")];
        let mut a =
            ClientAuth::new(mufasa()).with_cnonce("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
        a.on_challenge(both.iter().map(String::as_str)).unwrap();
        let v = a.authorization("GET", "/dir/index.html").unwrap();
        assert!(
            v.contains(
                "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
            ),
            "{v}"
        );
        assert!(v.contains("algorithm=SHA-256"), "{v}");
        assert!(v.contains("nc=00000001"), "{v}");
        assert!(v.contains("opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""));
        let mut a =
            ClientAuth::new(mufasa()).with_cnonce("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
        a.on_challenge([challenge("MD5").as_str()]).unwrap();
        let v = a.authorization("GET", "/dir/index.html").unwrap();
        assert!(
            v.contains("response=\"8ca523f5e9506fed4657c9700eebdbec\""),
            "{v}"
        );
        // The next request counts on.
        assert!(
            a.authorization("GET", "/x")
                .unwrap()
                .contains("nc=00000002")
        );
    }

    /// RFC 2617 section 3.5 and RFC 7617 section 2.
    #[test]
    fn answers_rfc_2617_and_basic_examples() {
        let r = DigestInput {
            algorithm: Algorithm::Md5,
            session: false,
            user: "Mufasa",
            realm: "testrealm@host.com",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            qop_auth: Some((1, "0a4f113b")),
        }
        .response();
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
        assert_eq!(
            basic_authorization("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let mut a = ClientAuth::new(Some(Credentials::from_spec("Aladdin:open sesame")));
        a.on_challenge(["Basic realm=\"WallyWorld\""]).unwrap();
        assert_eq!(
            a.authorization("GET", "/").as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        // A second plain challenge: the password was wrong.
        assert_eq!(
            a.on_challenge(["Basic realm=\"WallyWorld\""]),
            Err(AuthError::Rejected)
        );
    }

    #[test]
    fn parses_several_challenges_in_one_value() {
        let v = "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\", NTLM TlRMTVNTUAAB==, Digest nonce=abc";
        let c = parse_challenges(v).unwrap();
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["newauth", "basic", "ntlm", "digest"]);
        assert_eq!(c[0].param("title"), Some("Login to \"apps\""));
        assert_eq!(c[0].param("TYPE"), Some("1"));
        assert_eq!(c[2].token68.as_deref(), Some("TlRMTVNTUAAB=="));
        assert_eq!(c[3].param("nonce"), Some("abc"));
        assert!(parse_challenges("Basic realm=\"open").is_err());
        assert!(parse_challenges(&"x".repeat(MAX_HEADER_LEN + 1)).is_err());
        assert!(parse_challenges("Basic a=1 b").is_err());
    }

    /// The fuzz target's checks on a few thousand random headers made of the characters that
    /// matter to the grammar: no panic, bounds kept, and whatever the client answers is a
    /// header the server can read.
    #[test]
    fn random_headers_never_break_either_side() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let tokens = [
            "Basic",
            "Digest",
            "NTLM",
            " ",
            ", ",
            "realm=",
            "\"x\"",
            "nonce=",
            "abc",
            "qop=",
            "\"auth\"",
            "auth-int",
            "algorithm=",
            "SHA-256",
            "MD5-sess",
            "=",
            "\\",
            "\"",
            "\t",
            "stale=true",
            "userhash=true",
            "opaque=\"o\"",
        ];
        let server = ServerAuth::new("u", "p", [1; 32]);
        let mut answered = 0;
        for _ in 0..3000 {
            let len = rng.random_range(0..24);
            let noise: String = (0..len)
                .map(|_| tokens[rng.random_range(0..tokens.len())])
                .collect();
            // Half mutate a good challenge, half are noise alone.
            let text = match rng.random_range(0..4) {
                0 => format!("Digest realm=\"x\", nonce=\"n\", qop=\"auth\", {noise}"),
                1 => format!("Basic realm=\"x\", {noise}"),
                _ => noise,
            };
            if let Ok(c) = parse_challenges(&text) {
                assert!(
                    c.len() <= MAX_CHALLENGES && c.iter().all(|c| c.params.len() <= MAX_PARAMS)
                );
            }
            let mut client = ClientAuth::new(Some(Credentials::from_spec("u:p")));
            if client.on_challenge([text.as_str()]).is_ok() {
                let v = client.authorization("GET", "/a").unwrap();
                assert!(parse_authorization(&v).is_ok(), "{v}");
                answered += 1;
            }
            assert_ne!(
                server.check("GET", "/a", Some(&text), 1_000),
                Verdict::Allowed
            );
        }
        assert!(
            answered > 100,
            "only {answered} random challenges were answerable"
        );
    }

    #[test]
    fn refuses_what_it_cannot_answer() {
        let mut a = ClientAuth::new(mufasa());
        assert_eq!(
            a.on_challenge(["NTLM", "Negotiate"]),
            Err(AuthError::Unsupported("NTLM or NEGOTIATE".into()))
        );
        let mut none = ClientAuth::new(None);
        assert_eq!(
            none.on_challenge(["Basic realm=\"x\""]),
            Err(AuthError::NoCredentials)
        );
        let mut user_only = ClientAuth::new(Some(Credentials::from_spec("bob")));
        assert_eq!(
            user_only.on_challenge(["Basic realm=\"x\""]),
            Err(AuthError::NoPassword("bob".into()))
        );
        assert!(
            ClientAuth::new(mufasa())
                .authorization("GET", "/")
                .is_none()
        );
        assert!(!format!("{:?}", mufasa()).contains("Circle"));
    }

    fn server() -> ServerAuth {
        ServerAuth::new("alice", "s3cret", [7; 32])
    }

    /// Our client against our server, each Digest flavour and Basic, with their stale and
    /// wrong-password paths.
    #[test]
    fn server_checks_what_the_client_sends() {
        let s = server();
        let now = 1_000_000;
        let offers = s.challenges(now, false);
        assert_eq!(s.check("GET", "/a.asf", None, now), Verdict::Missing);
        for (pick, offer) in offers.iter().enumerate() {
            let mut c = ClientAuth::new(Some(Credentials::from_spec("alice:s3cret")));
            c.on_challenge([offer.as_str()]).unwrap();
            let v = c.authorization("GET", "/a.asf").unwrap();
            assert_eq!(
                s.check("GET", "/a.asf", Some(&v), now + 1),
                Verdict::Allowed,
                "{v}"
            );
            assert_eq!(
                s.check("GET", "/b.asf", Some(&v), now + 1),
                if pick == 2 {
                    Verdict::Allowed
                } else {
                    Verdict::Denied
                },
                "{v}"
            );
            if pick < 2 {
                let late = now + NONCE_LIFETIME_SECS + 1;
                assert_eq!(s.check("GET", "/a.asf", Some(&v), late), Verdict::Stale);
                // The client answers a stale challenge without giving up.
                c.on_challenge([s.challenges(late, true)[pick].as_str()])
                    .unwrap();
                let v = c.authorization("GET", "/a.asf").unwrap();
                assert_eq!(s.check("GET", "/a.asf", Some(&v), late), Verdict::Allowed);
            }
            let mut wrong = ClientAuth::new(Some(Credentials::from_spec("alice:guess")));
            wrong.on_challenge([offer.as_str()]).unwrap();
            let v = wrong.authorization("GET", "/a.asf").unwrap();
            assert_eq!(s.check("GET", "/a.asf", Some(&v), now), Verdict::Denied);
        }
        // The best offer wins when all come together.
        let mut c = ClientAuth::new(Some(Credentials::from_spec("alice:s3cret")));
        c.on_challenge(offers.iter().map(String::as_str)).unwrap();
        assert!(c.authorization("GET", "/").unwrap().contains("SHA-256"));
    }

    /// A captured Digest value sent again, or an older one, is refused without `stale` (the
    /// password is not the problem, so the client must not be told to retry quietly); a
    /// second client on the same nonce with its own cnonce is not confused with a replay.
    #[test]
    fn server_refuses_replayed_nonce_counts() {
        let s = server();
        let now = 2_000;
        let offer = s.challenges(now, false)[1].clone();
        let mut c = ClientAuth::new(Some(Credentials::from_spec("alice:s3cret")));
        c.on_challenge([offer.as_str()]).unwrap();
        let first = c.authorization("GET", "/a").unwrap();
        let second = c.authorization("GET", "/a").unwrap();
        assert_eq!(s.check("GET", "/a", Some(&first), now), Verdict::Allowed);
        assert_eq!(s.check("GET", "/a", Some(&first), now), Verdict::Denied);
        assert_eq!(s.check("GET", "/a", Some(&second), now), Verdict::Allowed);
        assert_eq!(s.check("GET", "/a", Some(&first), now + 1), Verdict::Denied);
        assert_eq!(
            s.check("GET", "/a", Some(&second), now + 1),
            Verdict::Denied
        );
        let mut other = ClientAuth::new(Some(Credentials::from_spec("alice:s3cret")));
        other.on_challenge([offer.as_str()]).unwrap();
        let v = other.authorization("GET", "/a").unwrap();
        assert_eq!(s.check("GET", "/a", Some(&v), now), Verdict::Allowed);
        // A value without qop has no count to check: refused.
        let plain = DigestInput {
            algorithm: Algorithm::Md5,
            session: false,
            user: "alice",
            realm: "mmsplay",
            password: "s3cret",
            method: "GET",
            uri: "/a",
            nonce: &s.nonce(now),
            qop_auth: None,
        }
        .response();
        let v = format!(
            "Digest username=\"alice\", realm=\"mmsplay\", nonce=\"{}\", uri=\"/a\", response=\"{plain}\"",
            s.nonce(now)
        );
        assert_eq!(s.check("GET", "/a", Some(&v), now), Verdict::Denied);
    }

    /// The record stays within its cap under a flood of fresh pairs; what it forgets becomes
    /// stale, never replayable; expired pairs make room first.
    #[test]
    fn nonce_counts_stay_bounded() {
        let mut n = NonceCounts::default();
        for i in 0..MAX_TRACKED_NONCES as u64 * 3 {
            let t = 10_000 + i / 100;
            assert_eq!(
                n.accept(&format!("n{t}"), &format!("c{i}"), 1, t, t),
                Count::Fresh
            );
            assert!(n.len() <= MAX_TRACKED_NONCES);
        }
        // The first nonces were forgotten: stale, even for their first count.
        assert_eq!(
            n.accept("n10000", "c0", 1, 10_000, 10_200),
            Count::Forgotten
        );
        assert_eq!(
            n.accept("n10000", "new", 1, 10_000, 10_200),
            Count::Forgotten
        );
        // A recent pair is still remembered.
        let last = MAX_TRACKED_NONCES as u64 * 3 - 1;
        let t = 10_000 + last / 100;
        assert_eq!(
            n.accept(&format!("n{t}"), &format!("c{last}"), 1, t, t),
            Count::Replayed
        );
        // Long after, expiry makes room without forgetting anything fresh.
        let later = t + NONCE_LIFETIME_SECS + 1;
        for i in 0..10 {
            assert_eq!(
                n.accept("fresh", &format!("x{i}"), 1, later, later),
                Count::Fresh
            );
        }
        assert!(n.len() < MAX_TRACKED_NONCES);
    }

    /// curl's rule: the user's credentials go to the server they named, on any of its
    /// ports, and nowhere else; another server gets only its URL's own.
    #[test]
    fn given_credentials_stay_with_their_server() {
        let url = crate::url::StreamUrl::parse("mms://Radio.example/live").unwrap();
        let ports = crate::url::Ports::default();
        let user = Credentials::from_spec("alice:pw");
        let own = Credentials::from_spec("bob:other");
        let g = GivenCredentials::new(user.clone(), OwnerRule::NamedTarget);
        g.bind_to_target(Owner::of_url(&url, &ports));
        let clone = g.clone();
        for port in [554, 1755, 80] {
            assert_eq!(
                GivenCredentials::offer(Some(&clone), "radio.example", port, Some(&own)),
                Some(user.clone())
            );
        }
        assert_eq!(
            GivenCredentials::offer(Some(&g), "radio.example", 8080, None),
            None
        );
        assert_eq!(
            GivenCredentials::offer(Some(&g), "evil.example", 80, None),
            None
        );
        assert_eq!(
            GivenCredentials::offer(Some(&g), "evil.example", 80, Some(&own)),
            Some(own.clone())
        );
        // A second binding does not move them.
        g.bind_to_target(Owner {
            host: "evil.example".into(),
            ports: vec![80],
        });
        assert_eq!(
            GivenCredentials::offer(Some(&g), "evil.example", 80, None),
            None
        );
        // Typed at the prompt: the first server that asks owns them.
        let typed = GivenCredentials::new(user.clone(), OwnerRule::FirstToAsk);
        typed.bind_to_target(Owner::of_url(&url, &ports));
        assert!(typed.owner().is_none());
        assert_eq!(
            GivenCredentials::offer(Some(&typed), "b.example", 8081, None),
            Some(user.clone())
        );
        assert_eq!(
            GivenCredentials::offer(Some(&typed), "radio.example", 80, None),
            None
        );
        assert_eq!(GivenCredentials::offer(None, "b.example", 8081, None), None);
        // `--user` with a target that names no server (a local metafile): the first to ask.
        let local = GivenCredentials::new(user.clone(), OwnerRule::NamedTarget);
        assert_eq!(
            GivenCredentials::offer(Some(&local), "c.example", 80, None),
            Some(user.clone())
        );
        assert_eq!(
            GivenCredentials::offer(Some(&local), "d.example", 80, None),
            None
        );
    }

    #[test]
    fn server_refuses_forged_nonces_and_junk() {
        let s = server();
        let now = 5_000;
        let other = ServerAuth::new("alice", "s3cret", [8; 32]);
        let mut c = ClientAuth::new(Some(Credentials::from_spec("alice:s3cret")));
        c.on_challenge([other.challenges(now, false)[0].as_str()])
            .unwrap();
        let v = c.authorization("GET", "/a").unwrap();
        assert_eq!(s.check("GET", "/a", Some(&v), now), Verdict::Denied);
        for junk in [
            "",
            "Basic",
            "Basic !!!",
            "Digest",
            "Digest username=\"alice\"",
            "Bearer x",
        ] {
            assert_eq!(
                s.check("GET", "/a", Some(junk), now),
                Verdict::Denied,
                "{junk}"
            );
        }
        // An absolute URI (a proxied request line) names the same resource as its path.
        assert!(same_resource("http://h:8080/a.asf?x", "/a.asf?x"));
        assert!(same_resource("rtsp://h/a.asf", "rtsp://h/a.asf"));
        assert!(!same_resource("/a.asf", "/b.asf"));
    }
}
