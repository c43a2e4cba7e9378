//! What installing mmsplay ships beside the binary: shell completions and the manual page
//! (generated from the command-line definition) and the desktop entry that makes it the
//! handler of mms:// links and Windows Media files.

use std::path::Path;
use std::time::Duration;

use crate::common::*;

fn stdout_of(args: &[&str]) -> String {
    let out = run_with_deadline(mmsplay().args(args), Duration::from_secs(10));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completion_scripts_cover_the_commands_and_options() {
    let bash = stdout_of(&["completions", "bash"]);
    let zsh = stdout_of(&["completions", "zsh"]);
    let fish = stdout_of(&["completions", "fish"]);
    assert!(zsh.starts_with("#compdef mmsplay"), "{zsh}");
    assert!(fish.contains("complete -c mmsplay"), "{fish}");
    for script in [&bash, &zsh, &fish] {
        for word in ["serve", "bookmarks", "headless", "transports", "mms-port"] {
            assert!(script.contains(word), "{word} missing from\n{script}");
        }
    }
    if have_tool("bash") {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mmsplay.bash");
        std::fs::write(&file, &bash).unwrap();
        let check = std::process::Command::new("bash")
            .arg("-n")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    // Only the shells of the contract.
    let out = run_with_deadline(
        mmsplay().args(["completions", "powershell"]),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_manual_page_renders() {
    let page = stdout_of(&["manpage"]);
    assert!(page.contains(".TH mmsplay 1"), "{page}");
    for word in [
        "headless",
        "transports",
        "serve",
        "bookmarks",
        "completions",
    ] {
        assert!(page.contains(word), "{word} missing from the manual page");
    }
    if !have_tool("man") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mmsplay.1");
    std::fs::write(&file, &page).unwrap();
    let out = std::process::Command::new("man")
        .env("MANWIDTH", "80")
        .arg("-l")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("SYNOPSIS") && text.contains("mmsplay"),
        "{text}"
    );
}

#[test]
fn the_desktop_entry_handles_mms_links_in_a_terminal() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/mmsplay.desktop");
    let entry = std::fs::read_to_string(&path).unwrap();
    assert!(entry.lines().any(|l| l == "Terminal=true"), "{entry}");
    assert!(entry.lines().any(|l| l == "Exec=mmsplay %u"), "{entry}");
    let mime = entry
        .lines()
        .find_map(|l| l.strip_prefix("MimeType="))
        .unwrap_or_default();
    for scheme in ["mms", "mmsh", "mmst", "mmsu", "rtspu", "rtspt"] {
        assert!(
            mime.split(';')
                .any(|m| m == format!("x-scheme-handler/{scheme}")),
            "{scheme} missing from {mime}"
        );
    }
    for kind in ["audio/x-ms-asx", "audio/x-ms-wax", "audio/x-ms-wma"] {
        assert!(
            mime.split(';').any(|m| m == kind),
            "{kind} missing from {mime}"
        );
    }
    if !have_tool("desktop-file-validate") {
        return;
    }
    let out = std::process::Command::new("desktop-file-validate")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_file_url_plays_the_file() {
    // What a desktop passes when a .wma file is opened with mmsplay.
    let url = format!("file://{}", asset("pcm_s16_8k_mono.asf").display());
    let ev = play_to_null(mmsplay(), &url);
    assert!(ev.iter().any(|e| e["event"] == "first_audio"), "{ev:?}");
    assert_eq!(ev.last().unwrap()["reason"], "eos", "{ev:?}");
}
