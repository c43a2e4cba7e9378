//! Credentials and proxies: `serve --auth` checked by independent clients (curl on MMSH with
//! `--basic` and `--digest`, ffmpeg on RTSP), our client answering it over the rollover, clear
//! failures without or with wrong credentials, no password ever shown, and MMSH through a real
//! HTTP proxy (tinyproxy).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    ChildGuard, ServeProcess, free_ports, have_tool, mmsplay, play_outcome, play_to_null,
    run_with_deadline,
};

const USER: &str = "alice";
const PASS: &str = "Op3n-Sesame";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.wma")
}

fn auth_server() -> ServeProcess {
    ServeProcess::start(&[&demo()], &["--fast", "--auth", &format!("{USER}:{PASS}")])
}

/// curl as Windows Media Player's MMSH Describe: an NSPlayer User-Agent and a client GUID;
/// the status code, the body and curl's stderr.
fn curl_describe(url: &str, extra: &[&str]) -> (String, Vec<u8>, String) {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body");
    let out = run_with_deadline(
        Command::new("curl")
            .args(["-s", "-S", "--max-time", "10", "-o"])
            .arg(&body)
            .args(["-w", "%{http_code}"])
            .args(["-A", "NSPlayer/7.10.0.3059"])
            .args([
                "-H",
                "Pragma: xClientGUID={c77e7400-738a-11d2-9add-0020af0a3278}",
            ])
            .args(extra)
            .arg(url),
        Duration::from_secs(20),
    );
    let code = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (code, std::fs::read(&body).unwrap_or_default(), stderr)
}

#[test]
fn curl_authenticates_on_mmsh_with_basic_and_digest() {
    if !have_tool("curl") {
        return;
    }
    let server = auth_server();
    let url = format!("http://127.0.0.1:{}/demo.wma", server.http);
    let creds = format!("{USER}:{PASS}");
    for scheme in ["--basic", "--digest"] {
        let (code, body, _) = curl_describe(&url, &[scheme, "-u", &creds]);
        assert_eq!(code, "200", "{scheme}");
        // The Describe answer is the ASF header in a `$H` chunk ([MS-WMSP] 2.2.3.2).
        assert_eq!(body.get(..2), Some(&b"$H"[..]), "{scheme}");
        let (code, body, _) = curl_describe(&url, &[scheme, "-u", &format!("{USER}:wrong")]);
        assert_eq!(code, "401", "{scheme} with a wrong password");
        assert!(!body.starts_with(b"$H"));
    }
    let (code, _, _) = curl_describe(&url, &[]);
    assert_eq!(code, "401", "no credentials");
    // The challenges offered: Digest with SHA-256 and MD5, and Basic.
    let out = run_with_deadline(
        Command::new("curl").args(["-s", "-D", "-", "-o", "/dev/null", "--max-time", "10", &url]),
        Duration::from_secs(20),
    );
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.contains("www-authenticate: digest") && head.contains("algorithm=sha-256"));
    assert!(head.contains("algorithm=md5") && head.contains("www-authenticate: basic"));
}

/// A Digest `Authorization` value captured from curl's successful request is refused when
/// sent again within its nonce's life, and without `stale=true` (a replaying party must not
/// be invited to take a fresh nonce as if the credentials were right).
#[test]
fn a_replayed_digest_header_is_refused() {
    if !have_tool("curl") {
        return;
    }
    let server = auth_server();
    let url = format!("http://127.0.0.1:{}/demo.wma", server.http);
    let creds = format!("{USER}:{PASS}");
    let (code, _, verbose) = curl_describe(&url, &["-v", "--digest", "-u", &creds]);
    assert_eq!(code, "200");
    let captured = verbose
        .lines()
        .filter_map(|l| l.strip_prefix("> Authorization: "))
        .map(str::trim)
        .find(|v| v.starts_with("Digest "))
        .unwrap_or_else(|| panic!("no Digest header in curl's trace:\n{verbose}"))
        .to_string();
    assert!(captured.contains("nc=00000001"), "{captured}");
    let out = run_with_deadline(
        Command::new("curl")
            .args(["-s", "-D", "-", "-o", "/dev/null", "--max-time", "10"])
            .args(["-A", "NSPlayer/7.10.0.3059"])
            .args(["-H", &format!("Authorization: {captured}")])
            .arg(&url),
        Duration::from_secs(20),
    );
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(
        head.starts_with("http/1.") && head.contains(" 401 "),
        "{head}"
    );
    assert!(head.contains("www-authenticate: digest"), "{head}");
    assert!(!head.contains("stale=true"), "{head}");
}

#[test]
fn ffmpeg_authenticates_on_rtsp() {
    if !have_tool("ffmpeg") {
        return;
    }
    let server = auth_server();
    let run = |pass: &str| {
        run_with_deadline(
            Command::new("ffmpeg")
                .args(["-hide_banner", "-nostdin", "-rtsp_transport", "tcp", "-i"])
                .arg(format!(
                    "rtsp://{USER}:{pass}@127.0.0.1:{}/demo.wma",
                    server.rtsp
                ))
                .args(["-t", "1", "-f", "null", "-"]),
            Duration::from_secs(30),
        )
    };
    let ok = run(PASS);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = run("wrong");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("401"));
}

/// Runs the player headless (`play_outcome`), checking that the password never shows.
fn play(args: &[&str], target: &str) -> (bool, Vec<serde_json::Value>, String) {
    let (ok, ev, err) = play_outcome(args, target);
    let stdout: String = ev.iter().map(|e| e.to_string()).collect();
    assert!(
        !stdout.contains(PASS),
        "the password is in the events: {stdout}"
    );
    assert!(!err.contains(PASS), "the password is in the log: {err}");
    (ok, ev, err)
}

fn of<'a>(events: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

#[test]
fn rollover_moves_past_the_refused_mms_transports_and_plays() {
    let server = auth_server();
    let ports = server.port_args();
    let mut args: Vec<&str> = ports.iter().map(String::as_str).collect();
    let user = format!("{USER}:{PASS}");
    args.extend([
        "--duration",
        "1",
        "--transports",
        "mmsu,mmst,mmsh",
        "--user",
        &user,
    ]);
    let (ok, ev, err) = play(&args, "mms://127.0.0.1/demo.wma");
    assert!(ok, "{err}");
    let failed = of(&ev, "attempt_failed");
    assert_eq!(failed.len(), 2, "{ev:?}");
    for f in failed {
        assert!(
            f["reason"].as_str().unwrap().contains("access was denied"),
            "{f}"
        );
    }
    assert_eq!(of(&ev, "connected")[0]["transport"], "mmsh");
    assert_eq!(of(&ev, "end")[0]["reason"], "duration");

    // The whole ladder with the URL's credentials: RTSP answers the challenge first.
    let ports: Vec<&str> = ports.iter().map(String::as_str).collect();
    let mut args = ports.clone();
    args.extend(["--duration", "1"]);
    let url = format!("mms://{USER}:{PASS}@127.0.0.1/demo.wma");
    let (ok, ev, err) = play(&args, &url);
    assert!(ok, "{err}");
    assert_eq!(of(&ev, "connected")[0]["transport"], "rtspu");
    for a in of(&ev, "attempt") {
        assert!(!a["url"].as_str().unwrap().contains(USER), "{a}");
    }
}

#[test]
fn missing_or_wrong_credentials_fail_with_one_clear_line() {
    let server = auth_server();
    let ports = server.port_args();
    let mut args: Vec<&str> = ports.iter().map(String::as_str).collect();
    args.extend(["--duration", "1"]);
    let cases = [
        (None, "give them with --user", false),
        (
            Some(format!("{USER}:not-{PASS}")),
            "rejected the user name or password",
            true,
        ),
        (
            Some(USER.to_string()),
            "asks for a password for user \"alice\"",
            false,
        ),
    ];
    for (user, expected, rejected) in cases {
        let mut a = args.clone();
        if let Some(u) = &user {
            a.extend(["--user", u]);
        }
        for target in ["mmsh://127.0.0.1/demo.wma", "rtspt://127.0.0.1/demo.wma"] {
            let (ok, ev, err) = play(&a, target);
            assert!(!ok, "{target} {user:?} played");
            let errors = of(&ev, "error");
            let message = errors[0]["message"].as_str().unwrap();
            assert!(message.contains(expected), "{target} {user:?}: {message}");
            let last = err.lines().last().unwrap_or("");
            assert!(last.contains(expected), "{target}: stderr ends {last:?}");
            // Just before the error, the event a front end asks for a password on.
            let at = ev.iter().position(|e| e["event"] == "error").unwrap();
            let needed = &ev[at - 1];
            assert_eq!(needed["event"], "credentials_needed", "{ev:?}");
            assert_eq!(needed["rejected"], rejected);
        }
    }
}

/// tinyproxy on loopback with a temporary configuration; its log file.
struct Tinyproxy {
    _guard: ChildGuard,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    fn start() -> Tinyproxy {
        Self::start_with("")
    }

    /// With more configuration lines (`BasicAuth USER PASS`, say).
    fn start_with(extra: &str) -> Tinyproxy {
        let dir = tempfile::tempdir().unwrap();
        let [port] = free_ports();
        let log = dir.path().join("tinyproxy.log");
        let conf = dir.path().join("tinyproxy.conf");
        std::fs::write(
            &conf,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 16\nAllow 127.0.0.1\nLogLevel Connect\nLogFile \"{}\"\nPidFile \"{}\"\n{extra}",
                log.display(),
                dir.path().join("tinyproxy.pid").display()
            ),
        )
        .unwrap();
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tinyproxy");
        let guard = ChildGuard(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "tinyproxy did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Tinyproxy {
            _guard: guard,
            port,
            log,
            _dir: dir,
        }
    }

    /// Connections tinyproxy has opened to origin servers so far.
    fn forwarded(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .matches("Established connection")
            .count()
    }
}

#[test]
fn mmsh_plays_through_tinyproxy() {
    if !have_tool("tinyproxy") {
        return;
    }
    let proxy = Tinyproxy::start();
    let server = auth_server();
    let target = format!("mmsh://127.0.0.1:{}/demo.wma", server.http);
    let user = format!("{USER}:{PASS}");
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let (ok, ev, err) = play(
        &["--duration", "1", "--user", &user, "--proxy", &proxy_url],
        &target,
    );
    assert!(ok, "{err}");
    assert_eq!(of(&ev, "connected")[0]["transport"], "mmsh");
    assert!(err.contains("mmsh goes through the HTTP proxy"), "{err}");
    // Describe (challenged, then answered) and Play: each request its own connection.
    let through = proxy.forwarded();
    assert!(through >= 3, "tinyproxy forwarded {through} connections");

    // From the environment, as curl reads it; no_proxy sends the host direct.
    let mut from_env = mmsplay();
    from_env
        .env("http_proxy", &proxy_url)
        .env_remove("no_proxy")
        .env_remove("NO_PROXY");
    from_env.args(["--duration", "1", "--user", &user]);
    let ev = play_to_null(from_env, &target);
    assert_eq!(of(&ev, "connected")[0]["transport"], "mmsh");
    let after_env = proxy.forwarded();
    assert!(
        after_env >= through + 3,
        "the environment's proxy was not used"
    );
    let mut exempt = mmsplay();
    exempt
        .env("http_proxy", &proxy_url)
        .env("no_proxy", "127.0.0.1");
    exempt.args(["--duration", "1", "--user", &user]);
    play_to_null(exempt, &target);
    let mut off = mmsplay();
    off.env("http_proxy", &proxy_url);
    off.args(["--duration", "1", "--user", &user, "--proxy", "none"]);
    play_to_null(off, &target);
    assert_eq!(
        proxy.forwarded(),
        after_env,
        "no_proxy or --proxy none went through the proxy"
    );

    // A metafile over HTTP comes through the proxy too, and so does the stream it names (on
    // an open server: `--user` belongs to the metafile's server, not to this one).
    let open = ServeProcess::start(&[&demo()], &["--fast"]);
    let entry = format!("mmsh://127.0.0.1:{}/demo.wma", open.http);
    let files = crate::meta::support::HttpFiles::start();
    let asx = format!("<asx version=\"3.0\"><entry><ref href=\"{entry}\"/></entry></asx>");
    files.route(
        "/radio.asx",
        crate::meta::support::reply("video/x-ms-asf", asx),
    );
    let (ok, ev, err) = play(
        &["--duration", "1", "--user", &user, "--proxy", &proxy_url],
        &files.url("/radio.asx"),
    );
    assert!(ok, "{err}");
    assert_eq!(of(&ev, "connected")[0]["transport"], "mmsh");
    assert_eq!(
        files.requests.lock().unwrap().first().map(String::as_str),
        Some("/radio.asx")
    );
    let after_meta = proxy.forwarded();
    // The fetch, then the stream's Describe and Play.
    assert!(
        after_meta >= after_env + 3,
        "the metafile's fetch or its stream skipped the proxy"
    );

    // RTSP is not carried by an HTTP proxy: it goes direct and the log says so.
    let ports = server.port_args();
    let mut args: Vec<&str> = ports.iter().map(String::as_str).collect();
    args.extend(["--duration", "1", "--user", &user, "--proxy", &proxy_url]);
    let (ok, ev, err) = play(&args, "rtspt://127.0.0.1/demo.wma");
    assert!(ok, "{err}");
    assert_eq!(of(&ev, "connected")[0]["transport"], "rtspt");
    assert!(err.contains("rtspt go direct"), "{err}");
    assert_eq!(proxy.forwarded(), after_meta);
}

/// A proxy that wants credentials gets them from the proxy URL (Basic
/// `Proxy-Authorization`); without them the error says where to put them.
#[test]
fn a_proxy_that_wants_credentials() {
    if !have_tool("tinyproxy") {
        return;
    }
    let proxy = Tinyproxy::start_with("BasicAuth carol Pr0xyPass\n");
    let server = ServeProcess::start(&[&demo()], &["--fast"]);
    let target = format!("mmsh://127.0.0.1:{}/demo.wma", server.http);
    let with = format!("http://carol:Pr0xyPass@127.0.0.1:{}", proxy.port);
    let (ok, ev, err) = play(&["--duration", "1", "--proxy", &with], &target);
    assert!(ok, "{err}");
    assert_eq!(of(&ev, "connected")[0]["transport"], "mmsh");
    assert!(!err.contains("Pr0xyPass"), "{err}");
    let without = format!("http://127.0.0.1:{}", proxy.port);
    let (ok, ev, err) = play(&["--duration", "1", "--proxy", &without], &target);
    assert!(
        !ok,
        "played through a proxy that wants credentials without any"
    );
    let message = of(&ev, "error")[0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("--proxy http://USER:PASS@HOST:PORT"),
        "{message}"
    );
    assert!(!err.contains("Pr0xyPass"));
}

/// Whether any recorded request head carries an `Authorization` header.
fn any_authorization(heads: &[String]) -> bool {
    heads
        .iter()
        .any(|h| h.to_ascii_lowercase().contains("\r\nauthorization:"))
}

/// A metafile behind a password: its fetch answers the 401 like MMSH (Digest, the strongest
/// offered) with the user's credentials, and without them playback fails with the clear
/// line.
#[test]
fn a_metafile_behind_a_password_is_fetched_with_the_users_credentials() {
    let files = crate::meta::support::HttpFiles::start();
    files.require(USER, PASS);
    let server = ServeProcess::start(&[&demo()], &["--fast"]);
    let asx = format!(
        "<asx version=\"3.0\"><entry><ref href=\"mmsh://127.0.0.1:{}/demo.wma\"/></entry></asx>",
        server.http
    );
    files.route(
        "/radio.asx",
        crate::meta::support::reply("video/x-ms-asf", asx),
    );
    let user = format!("{USER}:{PASS}");
    let (ok, ev, err) = play(
        &["--duration", "1", "--user", &user],
        &files.url("/radio.asx"),
    );
    assert!(ok, "{err}");
    assert_eq!(of(&ev, "connected")[0]["transport"], "mmsh");
    let heads = files.heads.lock().unwrap().clone();
    assert!(!any_authorization(&heads[..1]), "{heads:?}");
    let signed = heads
        .iter()
        .find(|h| h.contains("Authorization: Digest"))
        .unwrap_or_else(|| panic!("the fetch never answered the challenge: {heads:?}"));
    assert!(signed.contains("algorithm=SHA-256"), "{signed}");
    assert!(!signed.contains(PASS));

    let (ok, ev, _) = play(&["--duration", "1"], &files.url("/radio.asx"));
    assert!(!ok, "played a metafile behind a password without one");
    let message = of(&ev, "error")[0]["message"].as_str().unwrap().to_string();
    assert!(message.contains("give them with --user"), "{message}");
}

/// curl's rule: `--user` belongs to the server the user named. A redirect, or a metafile
/// entry, leading to another server (another port on loopback here) does not get it: that
/// server sees no `Authorization` at all, and playback fails with the clear line. Named
/// directly, the same server does get them (the check can fail).
#[test]
fn credentials_stay_with_the_server_they_were_given_for() {
    let second = crate::meta::support::HttpFiles::start();
    second.require(USER, "another-password");
    let elsewhere = format!("http://127.0.0.1:{}/demo.wma", second.port);
    let first = ServeProcess::start(
        &[&demo()],
        &["--fast", "--redirect", &format!("away={elsewhere}")],
    );
    let user = format!("{USER}:{PASS}");
    let base = ["--duration", "1", "--transports", "mmsh", "--user", &user];
    let (ok, ev, err) = play(&base, &format!("mmsh://127.0.0.1:{}/away", first.http));
    assert!(!ok, "{err}");
    assert!(err.contains("redirects to"), "{err}");
    let message = of(&ev, "error")[0]["message"].as_str().unwrap().to_string();
    assert!(message.contains("give them with --user"), "{message}");
    let heads = second.heads.lock().unwrap().clone();
    assert!(
        !heads.is_empty(),
        "the redirect did not reach the second server"
    );
    assert!(!any_authorization(&heads), "{heads:?}");

    // A metafile on one server naming a stream on another.
    let files = crate::meta::support::HttpFiles::start();
    let asx = format!(
        "<asx version=\"3.0\"><entry><ref href=\"mmsh://127.0.0.1:{}/demo.wma\"/></entry></asx>",
        second.port
    );
    files.route(
        "/radio.asx",
        crate::meta::support::reply("video/x-ms-asf", asx),
    );
    let before = second.heads.lock().unwrap().len();
    let (ok, _, _) = play(&base, &files.url("/radio.asx"));
    assert!(!ok);
    let heads = second.heads.lock().unwrap().clone();
    assert!(
        heads.len() > before,
        "the entry did not reach the second server"
    );
    assert!(!any_authorization(&heads), "{heads:?}");

    // Named by the user, the second server gets them (and refuses this password).
    let (ok, ev, _) = play(&base, &format!("mmsh://127.0.0.1:{}/demo.wma", second.port));
    assert!(!ok);
    assert_eq!(of(&ev, "credentials_needed")[0]["rejected"], true);
    assert!(any_authorization(&second.heads.lock().unwrap()));
}

/// The same rule on RTSP: a 302 to another `serve --auth` that takes the very same password
/// gets nothing (had the password gone along, playback would succeed), while the URL's own
/// credentials for it play.
#[test]
fn rtsp_redirects_do_not_carry_credentials_to_another_server() {
    let second = auth_server();
    let elsewhere = format!("rtsp://127.0.0.1:{}/demo.wma", second.rtsp);
    let first = ServeProcess::start(
        &[&demo()],
        &["--fast", "--redirect", &format!("away={elsewhere}")],
    );
    let user = format!("{USER}:{PASS}");
    let ports = first.port_args();
    let mut base: Vec<&str> = ports.iter().map(String::as_str).collect();
    base.extend(["--duration", "1", "--transports", "rtspt"]);
    let mut with_user = base.clone();
    with_user.extend(["--user", &user]);
    let (ok, ev, err) = play(&with_user, "rtsp://127.0.0.1/away");
    assert!(
        !ok,
        "the redirect target got the first server's password: {err}"
    );
    assert!(err.contains("redirects to"), "{err}");
    let message = of(&ev, "error")[0]["message"].as_str().unwrap().to_string();
    assert!(message.contains("give them with --user"), "{message}");
    // Named for the second server, they play.
    let (ok, _, err) = play(&with_user, &elsewhere);
    assert!(ok, "{err}");
}
