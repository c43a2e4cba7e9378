//! The whole program in tmux: a real terminal emulator, so crossterm's queries get answers and
//! capture-pane shows what a user would see.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A tmux server of its own, on a socket in a temporary directory, so tests never touch the
/// user's sessions and leave nothing behind; killed on drop.
pub struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a detached session of `width` x `height`,
    /// with `env` set. The shell prints a marker before and the exit status after, then waits,
    /// so that the screen after exit can be read.
    pub fn start(width: u16, height: u16, command: &str, env: &[(&str, &Path)]) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let tmux = Tmux {
            socket: dir.path().join("tmux.sock"),
            _dir: dir,
        };
        let script =
            format!("printf 'BEFORE-MMSPLAY\\n'; {command}; echo MMSPLAY-EXIT=$?; sleep 600");
        let (w, h) = (width.to_string(), height.to_string());
        let mut args = vec!["new-session", "-d", "-s", "t", "-x", &w, "-y", &h];
        let pairs: Vec<String> = env
            .iter()
            .map(|(k, v)| format!("{k}={}", v.display()))
            .collect();
        for pair in &pairs {
            args.extend(["-e", pair]);
        }
        args.extend(["sh", "-c", &script]);
        let out = tmux.run(&args);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux")
    }

    /// The visible screen, as text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// Whether the pane shows the alternate screen (a full-screen program is up).
    pub fn alternate_on(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", "t", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Sends keys by tmux name (`a`, `Enter`, `q`, `Space`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    /// Polls the screen until `ok` holds, or fails after `timeout` showing the last screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Quits with `q` and checks that the terminal is given back: the program exits with 0, the
    /// alternate screen is left, and what the shell printed before is visible again.
    pub fn quit_and_check_restored(&self) {
        self.keys(&["q"]);
        let screen = self.wait_for("exit", Duration::from_secs(10), |s| {
            s.contains("MMSPLAY-EXIT=")
        });
        assert!(screen.contains("MMSPLAY-EXIT=0"), "{screen}");
        assert!(
            screen.contains("BEFORE-MMSPLAY"),
            "the previous screen is not back:\n{screen}"
        );
        assert!(
            !screen.contains("1 Player"),
            "the TUI is still drawn:\n{screen}"
        );
        assert!(!self.alternate_on(), "still on the alternate screen");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The rollover rows of the screen, one per ladder step, in screen order.
pub fn ladder_rows(screen: &str) -> Vec<(String, String)> {
    // A row is `│<glyph> <name> <state>` at the left edge of the panel.
    let mut rows = Vec::new();
    for line in screen.lines() {
        let Some(rest) = line.strip_prefix('│') else {
            continue;
        };
        let mut chars = rest.chars();
        let (Some(glyph), Some(' ')) = (chars.next(), chars.next()) else {
            continue;
        };
        let rest = chars.as_str();
        for t in ["rtspu", "rtspt", "mmsu", "mmst", "mmsh"] {
            if rest.starts_with(&format!("{t} ")) {
                let state = rest.split('│').next().unwrap_or_default().trim_end();
                rows.push((t.to_string(), format!("{glyph} {state}")));
            }
        }
    }
    rows
}

/// Whether the bitrate panel shows a non-zero current bitrate.
pub fn bitrate_nonzero(screen: &str) -> bool {
    screen
        .lines()
        .filter_map(|l| l.split("now ").nth(1))
        .any(|rest| {
            rest.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
                .is_some_and(|n| n > 0.0)
        })
}

fn temp_env() -> (tempfile::TempDir, Vec<(&'static str, PathBuf)>) {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("MMSPLAY_CONFIG_DIR", dir.path().join("config")),
        ("XDG_CONFIG_HOME", dir.path().join("xdg-config")),
        ("XDG_CACHE_HOME", dir.path().join("cache")),
        ("XDG_STATE_HOME", dir.path().join("state")),
    ];
    (dir, env)
}

fn env_refs<'a>(env: &'a [(&'static str, PathBuf)]) -> Vec<(&'static str, &'a Path)> {
    env.iter().map(|(k, v)| (*k, v.as_path())).collect()
}

/// The demo stream's title, from the headless player's `stream` event: what the TUI must show.
fn demo_title(bin: &str, env: &[(&'static str, PathBuf)]) -> String {
    let out = Command::new(bin)
        .args([
            "--demo",
            "--headless",
            "--events",
            "json",
            "--output",
            "null",
            "--duration",
            "1",
        ])
        .envs(env.iter().map(|(k, v)| (k, v.as_os_str())))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "stream")
        .and_then(|v| v["title"].as_str().map(String::from))
        .unwrap_or_else(|| panic!("no stream title in the demo's events:\n{stdout}"))
}

#[test]
fn demo_in_tmux() {
    let bin = env!("CARGO_BIN_EXE_mmsplay");
    let (_dir, env) = temp_env();
    let title = demo_title(bin, &env);

    let tmux = Tmux::start(
        100,
        30,
        &format!("{bin} --demo --output null"),
        &env_refs(&env),
    );
    let long = Duration::from_secs(60);
    // The five steps in order, each failed or connected, one of them connected.
    let screen = tmux.wait_for("the rollover to connect", long, |s| {
        let rows = ladder_rows(s);
        rows.iter().any(|(_, r)| r.starts_with('✔'))
    });
    let rows = ladder_rows(&screen);
    let names: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        names,
        ["rtspu", "rtspt", "mmsu", "mmst", "mmsh"],
        "{screen}"
    );
    let connected = rows
        .iter()
        .position(|(_, r)| r.starts_with("✔") && r.contains("connected"))
        .unwrap();
    assert!(
        rows[..connected]
            .iter()
            .all(|(_, r)| r.starts_with("✘") && r.contains("failed: ")),
        "the steps before the one that worked must show why they failed:\n{screen}"
    );
    assert!(
        rows[connected + 1..]
            .iter()
            .all(|(_, r)| r.contains("waiting") || r.starts_with("–")),
        "the steps after it are not started, or dropped once it connected:\n{screen}"
    );
    let screen = tmux.wait_for("a bitrate", long, bitrate_nonzero);
    assert!(
        screen.contains("Packets") && screen.contains("received") && screen.contains("loss"),
        "{screen}"
    );
    assert!(screen.contains(&title), "no title {title:?}:\n{screen}");

    // The demo's stream lives only as long as the process: `a` says so and saves nothing,
    // and the bookmarks are still empty on the next start.
    tmux.keys(&["a"]);
    tmux.wait_for("the refusal", long, |s| {
        s.contains("not saved as a bookmark")
    });
    tmux.quit_and_check_restored();
    drop(tmux);

    let tmux = Tmux::start(100, 30, bin, &env_refs(&env));
    let screen = tmux.wait_for("the bookmarks", long, |s| s.contains("Bookmarks"));
    assert!(!screen.contains(&title), "{screen}");
    tmux.quit_and_check_restored();
}

/// The same walk with the scripted fake player of the `tui_fake` example, which needs no
/// server: proves the harness and the terminal handling now.
#[test]
fn fake_player_in_tmux() {
    let bin = example_binary("tui_fake");
    let (dir, mut env) = temp_env();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    env.push(("TMPDIR", tmp.clone()));
    let tmux = Tmux::start(
        100,
        30,
        &format!("{} mms://127.0.0.1/demo.asf", bin.display()),
        &env_refs(&env),
    );
    let long = Duration::from_secs(20);
    assert!(
        tmux.wait_for("the TUI", long, |s| s.contains("1 Player"))
            .contains("Rollover")
    );
    assert!(tmux.alternate_on());
    let screen = tmux.wait_for("the rollover to connect", long, |s| {
        ladder_rows(s).iter().any(|(_, r)| r.starts_with('✔'))
    });
    let rows = ladder_rows(&screen);
    assert_eq!(rows.len(), 5, "{screen}");
    assert!(
        rows[..3]
            .iter()
            .all(|(_, r)| r.starts_with('✘') && r.contains("failed: ")),
        "{screen}"
    );
    assert!(
        rows[3].1.starts_with("✔ mmst") && rows[4].1.starts_with("– mmsh   not needed"),
        "{screen}"
    );
    let screen = tmux.wait_for("a bitrate", long, bitrate_nonzero);
    assert!(
        screen.contains("Demo tone") && screen.contains("received"),
        "{screen}"
    );
    // The example writes to stderr like ALSA does, and logs: both go to the log file, never to
    // the screen.
    let log = std::fs::read_to_string(tmp.join("mmsplay-tui-fake.log")).unwrap();
    assert!(
        log.contains("ALSA lib pcm.c") && log.contains("from the fake player"),
        "{log}"
    );
    assert!(
        !screen.contains("ALSA") && !screen.contains("fake player"),
        "{screen}"
    );
    tmux.keys(&["a"]);
    tmux.wait_for("the name prompt", long, |s| {
        s.contains("Add bookmark: name")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the save", long, |s| s.contains("saved Demo tone"));
    tmux.quit_and_check_restored();
    drop(tmux);

    let tmux = Tmux::start(100, 30, &bin.display().to_string(), &env_refs(&env));
    let screen = tmux.wait_for("the bookmark", long, |s| {
        s.contains("Bookmarks") && s.contains("Demo tone")
    });
    assert!(
        screen
            .lines()
            .any(|l| l.contains("Demo tone") && l.contains("mmst")),
        "{screen}"
    );
    // Resizing keeps the screen whole.
    assert!(
        tmux.run(&["resize-window", "-t", "t", "-x", "80", "-y", "24"])
            .status
            .success()
    );
    // Redrawn for the new size: the panel's bottom border is on row 23 of 24 and the footer on
    // row 24 (tmux only clips the old frame, whose border was on row 29).
    tmux.wait_for("the redraw at 80x24", long, |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() == 24
            && lines[22].starts_with('└')
            && lines[22].chars().count() == 80
            && lines[23].contains("enter play")
    });
    tmux.quit_and_check_restored();
}

/// A panic anywhere gives the terminal back and shows its message (not in the log file).
#[test]
fn a_panic_restores_the_terminal() {
    let bin = example_binary("tui_fake");
    let (dir, mut env) = temp_env();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    env.push(("TMPDIR", tmp.clone()));
    let command = format!(
        "RUST_BACKTRACE=0 TUI_FAKE_PANIC_AFTER_MS=1500 {} mms://h/x",
        bin.display()
    );
    let tmux = Tmux::start(100, 30, &command, &env_refs(&env));
    let long = Duration::from_secs(20);
    tmux.wait_for("the TUI", long, |s| s.contains("1 Player"));
    let screen = tmux.wait_for("the exit", long, |s| s.contains("MMSPLAY-EXIT="));
    assert!(
        screen.contains("fake player bug"),
        "the panic message is not shown:\n{screen}"
    );
    assert!(screen.contains("MMSPLAY-EXIT=1"), "{screen}");
    assert!(
        screen.contains("BEFORE-MMSPLAY") && !screen.contains("1 Player"),
        "{screen}"
    );
    assert!(!tmux.alternate_on());
}

/// The path of an example binary, built (once per test run, so never stale) with the features
/// this test binary was built with.
fn example_binary(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    let deps_dir = Path::new(env!("CARGO_BIN_EXE_mmsplay"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = deps_dir.join("examples").join(name);
    if !built.iter().any(|b| b == name) {
        let mut args = vec!["build", "--quiet", "--example", name];
        if !cfg!(feature = "cpal") {
            args.push("--no-default-features");
        }
        if !cfg!(debug_assertions) {
            args.push("--release");
        }
        let status = Command::new(env!("CARGO"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building the {name} example");
        built.push(name.to_string());
    }
    assert!(path.exists(), "{} missing", path.display());
    path
}

/// A server that wants a password: the TUI asks for the user name and the password (shown
/// masked), then plays; the password is never on the screen.
#[test]
fn the_tui_asks_for_credentials_in_tmux() {
    let bin = env!("CARGO_BIN_EXE_mmsplay");
    let (_dir, env) = temp_env();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.wma");
    let server = crate::common::ServeProcess::start(&[&demo], &["--auth", "alice:Op3nSesame"]);
    let url = format!("mmsh://127.0.0.1:{}/demo.wma", server.http);
    let tmux = Tmux::start(
        100,
        30,
        &format!("{bin} --output null {url}"),
        &env_refs(&env),
    );
    let long = Duration::from_secs(60);
    tmux.wait_for("the user name prompt", long, |s| {
        s.contains("asks for a user name")
    });
    tmux.keys(&["-l", "alice"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the password prompt", long, |s| s.contains("Password"));
    tmux.keys(&["-l", "Op3nSesame"]);
    let screen = tmux.wait_for("the masked password", long, |s| s.contains("**********"));
    assert!(!screen.contains("Op3nSesame"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the stream to play", long, bitrate_nonzero);
    assert!(!screen.contains("Op3nSesame"), "{screen}");
    tmux.quit_and_check_restored();
}
