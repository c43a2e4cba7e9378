//! A directory served: its files by relative path on every transport, and nothing outside it,
//! whatever the request path tries (dot segments, escapes, symlinks out, absolute paths, NUL).

use std::path::{Path, PathBuf};

use mmsplay_net::mmsp::hresult::NS_E_FILE_NOT_FOUND;

use super::wire::{mms_open, mmsh_describe, rtsp_describe};
use crate::common::{InProcessServer, asset};

/// `tmp/root` (served) and `tmp/outside` (not):
///
/// ```text
/// root/top.asf  root/sub/inner.wma  root/Sub Dir/spaced.wmv  root/notes.txt
/// root/inlink.asf -> sub/inner.wma          (inside: served)
/// root/out.asf -> ../outside/secret.asf     (out: refused)
/// root/outdir -> ../outside                 (out: refused)
/// outside/secret.asf
/// ```
fn tree() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    for d in [root.join("sub"), root.join("Sub Dir"), outside.clone()] {
        std::fs::create_dir_all(d).unwrap();
    }
    let media = asset("adpcm_ms_8k_mono.asf");
    std::fs::copy(&media, root.join("top.asf")).unwrap();
    std::fs::copy(&media, root.join("sub/inner.wma")).unwrap();
    std::fs::copy(&media, root.join("Sub Dir/spaced.wmv")).unwrap();
    std::fs::copy(&media, outside.join("secret.asf")).unwrap();
    std::fs::write(root.join("notes.txt"), "not media").unwrap();
    std::os::unix::fs::symlink("sub/inner.wma", root.join("inlink.asf")).unwrap();
    std::os::unix::fs::symlink("../outside/secret.asf", root.join("out.asf")).unwrap();
    std::os::unix::fs::symlink("../outside", root.join("outdir")).unwrap();
    (tmp, root)
}

const SERVED: [&str; 4] = [
    "/top.asf",
    "/sub/inner.wma",
    "/Sub%20Dir/spaced.wmv",
    "/inlink.asf",
];

/// Request paths that must find nothing; `{outside}` is the absolute path of `outside`.
fn refused(outside: &Path) -> Vec<String> {
    let abs = outside.join("secret.asf").display().to_string();
    [
        "/../outside/secret.asf",
        "/sub/../../outside/secret.asf",
        "/%2e%2e/outside/secret.asf",
        "/%2E%2E/outside/secret.asf",
        "/sub/..%2f..%2foutside%2fsecret.asf",
        "/%2e%2e%2foutside%2fsecret.asf",
        "/sub/%2e%2e/%2e%2e/outside/secret.asf",
        "/..%5coutside%5csecret.asf",
        "/out.asf",
        "/outdir/secret.asf",
        "/top.asf%00.txt",
        "/notes.txt",
        "/sub",
        "/secret.asf",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([abs.clone(), format!("/{abs}"), format!("/..{abs}")])
    .collect()
}

async fn serve_tree() -> (tempfile::TempDir, PathBuf, InProcessServer) {
    let (tmp, root) = tree();
    let srv = InProcessServer::start(vec![root.clone()], false, true, Default::default()).await;
    (tmp, root, srv)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mmsh_serves_a_directory_and_nothing_outside() {
    let (tmp, _root, srv) = serve_tree().await;
    let port = srv.bound.http.port();
    for p in SERVED {
        assert_eq!(mmsh_describe(port, p).await, 200, "{p}");
    }
    for p in refused(&tmp.path().join("outside")) {
        let status = mmsh_describe(port, &p).await;
        assert!((400..500).contains(&status), "{p}: {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtsp_serves_a_directory_and_nothing_outside() {
    let (tmp, _root, srv) = serve_tree().await;
    let port = srv.bound.rtsp.port();
    for p in SERVED {
        assert_eq!(rtsp_describe(port, p).await, 200, "{p}");
    }
    for p in refused(&tmp.path().join("outside")) {
        let status = rtsp_describe(port, &p).await;
        assert!((400..500).contains(&status), "{p}: {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mms_serves_a_directory_and_nothing_outside() {
    let (tmp, _root, srv) = serve_tree().await;
    let port = srv.bound.mms.port();
    for p in SERVED {
        // MMS clients send the path without its leading slash.
        assert_eq!(mms_open(port, &p[1..]).await, Some(0), "{p}");
    }
    for p in refused(&tmp.path().join("outside")) {
        let name = p.strip_prefix('/').unwrap_or(&p);
        assert_eq!(mms_open(port, name).await, Some(NS_E_FILE_NOT_FOUND), "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_player_plays_a_file_from_a_directory() {
    let (_tmp, root) = tree();
    let server = crate::common::ServeProcess::start(&[root.as_path()], &["--fast"]);
    let url = format!("mmsh://127.0.0.1:{}/sub/inner.wma", server.http);
    let (audio, _) = tokio::task::spawn_blocking(move || {
        crate::common::play_to_wav(&url, &["--duration", "0.5"])
    })
    .await
    .unwrap();
    assert!(audio.frames() > 0);
}
