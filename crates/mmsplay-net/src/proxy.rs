//! HTTP proxies, sans-IO: which proxy a request goes through (`--proxy`, else `http_proxy` /
//! `HTTP_PROXY` with `no_proxy` / `NO_PROXY`, the way curl reads them) and how a request is
//! rewritten for one. Only HTTP rides a proxy: MMSH and metafiles; RTSP and MMS go direct.
//!
//! Proxies rewrite what they forward, and not always kindly: tinyproxy, for one, forwards only
//! the first of several header lines with the same name, so MMSH's many `Pragma` lines are
//! joined into one comma-separated line (the same header in HTTP's list syntax, RFC 9110 5.3,
//! which MS-WMSP servers accept).

use crate::auth::{Credentials, basic_authorization};

/// The port of a proxy URL without one (curl's default).
pub const DEFAULT_PROXY_PORT: u16 = 1080;

/// One HTTP proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `user:pass@` of the proxy URL: sent as Basic `Proxy-Authorization`.
    pub credentials: Option<Credentials>,
}

impl Proxy {
    /// Parses `http://[user:pass@]host[:port][/]` or `host[:port]`.
    pub fn parse(spec: &str) -> Result<Proxy, String> {
        let bad = || format!("not an HTTP proxy URL: {}", crate::url::redact(spec));
        let rest = match spec.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some(_) => return Err(format!("{}: only http:// proxies are supported", bad())),
            None => spec,
        };
        let authority = rest.split('/').next().unwrap_or("");
        let (credentials, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hp)) => (Some(crate::url::userinfo_credentials(userinfo)), hp),
            None => (None, authority),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, tail) = v6.split_once(']').ok_or_else(bad)?;
            (h, tail.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().map_err(|_| bad())?,
            None => DEFAULT_PROXY_PORT,
        };
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(Proxy {
            host: host.to_string(),
            port,
            credentials,
        })
    }

    /// `host:port` to connect to.
    pub fn authority(&self) -> String {
        crate::url::authority(&self.host, self.port)
    }

    /// The `Proxy-Authorization` value, when the proxy URL had credentials.
    fn authorization(&self) -> Option<String> {
        let c = self.credentials.as_ref()?;
        Some(basic_authorization(
            &c.user,
            c.password.as_deref().unwrap_or(""),
        ))
    }
}

impl std::fmt::Display for Proxy {
    /// `http://host:port`, never the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}", self.authority())
    }
}

/// Which proxy to use for which host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    proxy: Option<Proxy>,
    /// `no_proxy` entries, lower-case: host names (and domain suffixes), addresses, or `*`.
    no_proxy: Vec<String>,
}

impl ProxyConfig {
    /// No proxy at all.
    pub fn direct() -> ProxyConfig {
        ProxyConfig::default()
    }

    /// From `--proxy` (`none` disables; a URL sets the proxy) and the environment, read
    /// through `env`: `http_proxy`, then `HTTP_PROXY`; `no_proxy`, then `NO_PROXY`, applies to
    /// either. An empty variable counts as unset.
    pub fn from_setting(
        flag: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ProxyConfig, String> {
        let var = |names: [&str; 2]| {
            names
                .into_iter()
                .filter_map(&env)
                .map(|v| v.trim().to_string())
                .find(|v| !v.is_empty())
        };
        let spec = match flag.map(str::trim) {
            Some(f) if f.eq_ignore_ascii_case("none") => return Ok(ProxyConfig::direct()),
            Some(f) => Some(f.to_string()),
            None => var(["http_proxy", "HTTP_PROXY"]),
        };
        let proxy = spec
            .map(|s| Proxy::parse(&s))
            .transpose()
            .map_err(|e| format!("--proxy: {e}"))?;
        let no_proxy = var(["no_proxy", "NO_PROXY"])
            .map(|v| {
                v.split(',')
                    .map(|e| e.trim().to_ascii_lowercase())
                    .filter(|e| !e.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(ProxyConfig { proxy, no_proxy })
    }

    /// A configuration with one proxy for every host.
    pub fn via(proxy: Proxy) -> ProxyConfig {
        ProxyConfig {
            proxy: Some(proxy),
            no_proxy: Vec::new(),
        }
    }

    /// The proxy, whatever the host.
    pub fn proxy(&self) -> Option<&Proxy> {
        self.proxy.as_ref()
    }

    /// The proxy for a request to `host`, or `None` to go direct (no proxy, or `no_proxy`
    /// names the host: `*`, the host itself, or a domain it is under, with or without a
    /// leading dot; an entry's `:port` is ignored).
    pub fn for_host(&self, host: &str) -> Option<&Proxy> {
        let proxy = self.proxy.as_ref()?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let exempt = self.no_proxy.iter().any(|entry| {
            if entry == "*" {
                return true;
            }
            let e = entry.strip_prefix('.').unwrap_or(entry);
            let e = match e.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or(v6),
                None if e.matches(':').count() == 1 => e.split(':').next().unwrap_or(e),
                None => e,
            };
            host == e || host.strip_suffix(e).is_some_and(|rest| rest.ends_with('.'))
        });
        (!exempt).then_some(proxy)
    }
}

/// Rewrites an HTTP/1.x request made for the origin server `authority` (`host:port`) for a
/// proxy: the request target in absolute form (RFC 9112 3.2.2), every `Pragma` line joined
/// into one (in the first one's place), and `Proxy-Authorization` when the proxy needs it.
/// A request it cannot read is returned unchanged.
pub fn proxied_request(request: &str, authority: &str, proxy: &Proxy) -> String {
    let Some((head, body)) = request.split_once("\r\n\r\n") else {
        return request.to_string();
    };
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or("");
    let mut parts = first.splitn(3, ' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return request.to_string();
    };
    let target = if target.starts_with('/') {
        format!("http://{authority}{target}")
    } else {
        target.to_string()
    };
    let mut out = format!("{method} {target} {version}\r\n");
    let mut pragmas: Vec<&str> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    let mut pragma_at = None;
    for line in lines {
        match line.split_once(':') {
            Some((n, v)) if n.trim().eq_ignore_ascii_case("pragma") => {
                pragma_at.get_or_insert(rest.len());
                pragmas.push(v.trim());
            }
            _ => rest.push(line),
        }
    }
    let joined = format!("Pragma: {}", pragmas.join(","));
    for (i, line) in rest.iter().enumerate() {
        if pragma_at == Some(i) {
            out.push_str(&joined);
            out.push_str("\r\n");
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    if pragma_at == Some(rest.len()) {
        out.push_str(&joined);
        out.push_str("\r\n");
    }
    if let Some(a) = proxy.authorization() {
        out.push_str(&format!("Proxy-Authorization: {a}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn reads_the_flag_and_the_environment_like_curl() {
        let vars = [
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "http://lower:3128/"),
            ("NO_PROXY", "example.org, .local,10.0.0.1:80,[::1]"),
        ];
        let c = ProxyConfig::from_setting(None, env(&vars)).unwrap();
        assert_eq!(c.for_host("radio.net").unwrap().authority(), "lower:3128");
        assert!(c.for_host("example.org").is_none());
        assert!(c.for_host("www.EXAMPLE.org").is_none());
        assert!(c.for_host("notexample.org").is_some());
        assert!(c.for_host("box.local").is_none());
        assert!(c.for_host("10.0.0.1").is_none());
        assert!(c.for_host("::1").is_none());
        assert!(
            c.for_host("127.0.0.1").is_some(),
            "loopback is not exempt by itself"
        );
        let c = ProxyConfig::from_setting(None, env(&[("HTTP_PROXY", "upper:8080")])).unwrap();
        assert_eq!(c.for_host("h").unwrap().authority(), "upper:8080");
        let flag = ProxyConfig::from_setting(Some("http://[::1]"), env(&vars)).unwrap();
        assert_eq!(flag.for_host("h").unwrap().authority(), "[::1]:1080");
        let off = ProxyConfig::from_setting(Some("none"), env(&vars)).unwrap();
        assert!(off.for_host("h").is_none());
        let all = ProxyConfig::from_setting(None, env(&[("http_proxy", "p:1"), ("no_proxy", "*")]));
        assert!(all.unwrap().for_host("h").is_none());
        assert!(
            ProxyConfig::from_setting(None, env(&[]))
                .unwrap()
                .proxy()
                .is_none()
        );
        assert!(ProxyConfig::from_setting(Some("socks5://p:1"), env(&[])).is_err());
        assert!(ProxyConfig::from_setting(Some("http://p:99999"), env(&[])).is_err());
        let e = ProxyConfig::from_setting(Some("http://u:secret@p:x"), env(&[])).unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn rewrites_requests_for_the_proxy() {
        let req = "GET /a.asf HTTP/1.0\r\nAccept: */*\r\nHost: h:8080\r\nPragma: no-cache,rate=1.000000\r\nPragma: xPlayStrm=1\r\nPragma: xClientGUID={x}\r\nConnection: Close\r\n\r\n";
        let p = Proxy::parse("http://bob:pw@proxy:3128").unwrap();
        let out = proxied_request(req, "h:8080", &p);
        assert_eq!(
            out,
            "GET http://h:8080/a.asf HTTP/1.0\r\nAccept: */*\r\nHost: h:8080\r\nPragma: no-cache,rate=1.000000,xPlayStrm=1,xClientGUID={x}\r\nConnection: Close\r\nProxy-Authorization: Basic Ym9iOnB3\r\n\r\n"
        );
        assert_eq!(p.to_string(), "http://proxy:3128");
        assert!(!format!("{p:?}").contains("pw"));
        // What the server makes of it: the same pragmas as before.
        let (h, _) = crate::mmsh::parse_request_head(out.as_bytes())
            .unwrap()
            .unwrap();
        let r = crate::mmsh::ServerRequest::from_head(&h);
        assert_eq!(r.kind, crate::mmsh::RequestKind::Play);
        assert_eq!(r.pragmas.get("xClientGUID"), Some("{x}"));
        let plain = Proxy::parse("proxy").unwrap();
        let last = "GET / HTTP/1.0\r\nPragma: a\r\n\r\n";
        assert_eq!(
            proxied_request(last, "h:80", &plain),
            "GET http://h:80/ HTTP/1.0\r\nPragma: a\r\n\r\n"
        );
        assert_eq!(proxied_request("junk", "h:80", &plain), "junk");
    }
}
