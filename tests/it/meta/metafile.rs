//! Metafiles in the shapes real servers produced, resolved and played against `mmsplay serve`
//! (metafiles served by a tiny HTTP thread), and malformed ones failing clearly and quickly.

use std::time::{Duration, Instant};

use super::support::*;
use crate::common::*;

const MEDIA: &str = "pcm_s16_8k_mono.asf";

fn wav_args(dir: &std::path::Path, target: &str, extra: &[String]) -> Vec<String> {
    let mut a = vec![
        "--output".to_string(),
        format!("wav:{}", dir.join("out.wav").display()),
    ];
    a.extend_from_slice(extra);
    a.push(target.to_string());
    a
}

/// The played audio equals ffmpeg's decoding of the served file.
fn assert_same_audio(dir: &std::path::Path) {
    let audio = read_wav(&dir.join("out.wav"));
    let reference = ffmpeg_decode(asset(MEDIA).to_str().unwrap(), audio.rate, audio.channels);
    assert_eq!(audio.frames(), reference.frames());
    assert!(
        audio.samples == reference.samples,
        "audio differs from the file's"
    );
}

fn assert_played(out: &std::process::Output, ev: &[serde_json::Value]) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(of(ev, "error").is_empty(), "{ev:?}");
    assert_eq!(ev.last().unwrap()["reason"], "eos", "{ev:?}");
}

/// The one error event, after a failed run.
fn error_message(out: &std::process::Output, ev: &[serde_json::Value]) -> String {
    assert_eq!(out.status.code(), Some(1), "{ev:?}");
    let errors = of(ev, "error");
    assert_eq!(errors.len(), 1, "{ev:?}");
    errors[0]["message"].as_str().unwrap().to_string()
}

#[test]
fn nested_uppercase_asx_fails_over_to_the_second_entry() {
    if !tool("ffmpeg") {
        return;
    }
    let server = Server::start(&[&asset(MEDIA)], &["--fast"]);
    let http = HttpFiles::start();
    let good = format!("mmsh://127.0.0.1:{}/{MEDIA}", server.http);
    // A missing stream first: the server answers 404 at once.
    let bad = format!("mmsh://127.0.0.1:{}/missing.asf", server.http);
    // The innermost metafile is only served for the decoded query: `&amp;` must become `&`.
    http.route(
        "/station.asx?id=7&fmt=wma",
        reply("video/x-ms-asf", format!("[Reference]\r\nRef1={good}\r\n")),
    );
    let station = http.url("/station.asx?id=7&amp;fmt=wma");
    http.route(
        "/inner.wax",
        reply(
            "audio/x-ms-wax",
            format!(
                "<ASX VERSION=\"3.0\">\r\n<TITLE>Inner</TITLE>\r\n<ENTRY><REF HREF=\"{bad}\"/></ENTRY>\r\n\
                 <ENTRY><TITLE>Good & proper</TITLE><REF HREF=\"{station}\"></ENTRY>\r\n</ASX>"
            ),
        ),
    );
    http.route(
        "/top.asx",
        reply(
            "video/x-ms-asf",
            format!(
                "<Asx Version=\"3.0\"><EntryRef HREF=\"{}\" /></ASX>",
                http.url("/inner.wax")
            ),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let (out, ev) = run_player(
        &wav_args(dir.path(), &http.url("/top.asx"), &server.port_args()),
        Duration::from_secs(30),
    );
    assert_played(&out, &ev);
    // The bad entry was tried and failed, then the good one connected.
    let attempts: Vec<&str> = of(&ev, "attempt")
        .iter()
        .map(|e| e["url"].as_str().unwrap())
        .collect();
    assert!(
        attempts.iter().any(|u| u.contains("missing.asf")),
        "{attempts:?}"
    );
    assert!(attempts.last().unwrap().contains(MEDIA), "{attempts:?}");
    assert!(!of(&ev, "attempt_failed").is_empty());
    assert_eq!(of(&ev, "connected").len(), 1);
    let asked = http.requests.lock().unwrap().clone();
    assert!(
        asked.contains(&"/station.asx?id=7&fmt=wma".to_string()),
        "{asked:?}"
    );
    assert_same_audio(dir.path());
}

#[test]
fn reference_file_local_and_over_http() {
    if !tool("ffmpeg") {
        return;
    }
    let server = Server::start(&[&asset(MEDIA)], &["--fast"]);
    let dir = tempfile::tempdir().unwrap();
    // Windows Media Services' own shape: http:// URLs with MSWMExt, which are MS-WMSP streams.
    let refs = format!(
        "[Reference]\r\nRef1=mmst://127.0.0.1:1/nothing-listens.asf\r\nRef2=http://127.0.0.1:{}/{MEDIA}?MSWMExt=.asf\r\n",
        server.http
    );
    let local = dir.path().join("radio.asx");
    std::fs::write(&local, &refs).unwrap();
    let (out, ev) = run_player(
        &wav_args(dir.path(), local.to_str().unwrap(), &[]),
        Duration::from_secs(30),
    );
    assert_played(&out, &ev);
    let failed = of(&ev, "attempt_failed");
    assert_eq!(failed.len(), 1, "{ev:?}");
    assert_eq!(failed[0]["transport"], "mmst");
    assert_eq!(of(&ev, "connected")[0]["transport"], "mmsh");
    assert_same_audio(dir.path());

    // A station file's unicast rollover URL.
    let nsc = dir.path().join("station.nsc");
    std::fs::write(
        &nsc,
        format!(
            "[Address]\r\nName=Test station\r\nUnicast URL=mmsh://127.0.0.1:{}/{MEDIA}\r\n[Formats]\r\nFormat1=0\r\n",
            server.http
        ),
    )
    .unwrap();
    let (out, ev) = run_player(
        &wav_args(dir.path(), nsc.to_str().unwrap(), &[]),
        Duration::from_secs(30),
    );
    assert_played(&out, &ev);
    assert_same_audio(dir.path());

    // The same file served over HTTP as application/octet-stream, as old servers did, behind
    // a redirect.
    let http = HttpFiles::start();
    http.route("/lists/next", reply("application/octet-stream", refs));
    // A relative reference resolves against where the metafile was served from, after the
    // redirect.
    http.route(
        "/lists/radio.asx",
        reply(
            "video/x-ms-asf",
            "<asx version=\"3.0\"><entry><ref href=\"next\"/></entry></asx>",
        ),
    );
    let moved = redirect_server(http.url("/lists/radio.asx"));
    let (out, ev) = run_player(&wav_args(dir.path(), &moved, &[]), Duration::from_secs(30));
    assert_played(&out, &ev);
    // The log shows where the metafile was redirected.
    assert!(
        of(&ev, "log").iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.contains("redirects to") && m.ends_with("/lists/radio.asx"))),
        "{ev:?}"
    );
    assert_same_audio(dir.path());
    let asked = http.requests.lock().unwrap().clone();
    assert_eq!(asked, ["/lists/radio.asx", "/lists/next"]);
}

#[test]
fn plain_asf_over_http_plays_as_a_download() {
    if !tool("ffmpeg") {
        return;
    }
    let http = HttpFiles::start();
    http.route(
        "/song.asf",
        reply("video/x-ms-asf", std::fs::read(asset(MEDIA)).unwrap()),
    );
    let dir = tempfile::tempdir().unwrap();
    let (out, ev) = run_player(
        &wav_args(dir.path(), &http.url("/song.asf"), &[]),
        Duration::from_secs(30),
    );
    assert_played(&out, &ev);
    assert_eq!(of(&ev, "connected")[0]["transport"], "file");
    assert_same_audio(dir.path());
}

#[test]
fn all_entries_failing_reports_the_last_failure() {
    let dir = tempfile::tempdir().unwrap();
    // A nested metafile that is broken, among entries that are refused: tried in document
    // order, whichever way each fails.
    std::fs::write(dir.path().join("broken.asx"), b"\x00\x01 not xml").unwrap();
    let refused = "mmst://127.0.0.1:1/a.asf";
    for (doc, last_transport, last_says) in [
        (
            format!(
                "<asx><entry><ref href=\"broken.asx\"/></entry><entry><ref href=\"{refused}\"/></entry></asx>"
            ),
            "mmst",
            "",
        ),
        (
            format!(
                "<asx><entry><ref href=\"{refused}\"/></entry><entry><ref href=\"broken.asx\"/></entry></asx>"
            ),
            "file",
            "not a metafile",
        ),
    ] {
        let asx = dir.path().join("dead.asx");
        std::fs::write(&asx, doc).unwrap();
        let (out, ev) = run_player(
            &["--output".into(), "null".into(), asx.display().to_string()],
            Duration::from_secs(30),
        );
        let msg = error_message(&out, &ev);
        let failed = of(&ev, "attempt_failed");
        assert_eq!(failed.len(), 2, "{ev:?}");
        assert_eq!(failed[1]["transport"], last_transport, "{ev:?}");
        assert_eq!(failed[1]["reason"].as_str().unwrap(), msg);
        assert!(msg.contains(last_says), "{msg}");
        // Each failure follows its own attempt.
        let order: Vec<&str> = ev
            .iter()
            .filter_map(|e| e["event"].as_str())
            .filter(|k| k.starts_with("attempt"))
            .collect();
        assert_eq!(
            order,
            ["attempt", "attempt_failed", "attempt", "attempt_failed"]
        );
    }
}

#[test]
fn malformed_metafiles_fail_clearly_and_quickly() {
    let http = HttpFiles::start();
    // Binary garbage labelled as ASX.
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    http.route("/garbage.asx", reply("video/x-ms-asx", garbage.clone()));
    // A metafile that refers to itself for ever.
    http.route(
        "/loop.asx",
        reply(
            "video/x-ms-asf",
            format!("<asx><entryref href=\"{}\"/></asx>", http.url("/loop.asx")),
        ),
    );
    // An enormous metafile.
    let mut huge = b"<asx version=\"3.0\">".to_vec();
    huge.resize(8 * 1024 * 1024, b' ');
    http.route("/huge.asx", reply("video/x-ms-asx", huge));
    // Element nesting without end.
    let deep = format!("<asx>{}", "<entry><repeat>".repeat(5_000));
    http.route("/deep.asx", reply("video/x-ms-asx", deep));
    let cases = [
        ("/garbage.asx", "not a metafile"),
        ("/loop.asx", "nested more than"),
        ("/huge.asx", "larger than"),
        ("/deep.asx", "nested more than"),
    ];
    for (path, want) in cases {
        let started = Instant::now();
        let (out, ev) = run_player(
            &["--output".into(), "null".into(), http.url(path)],
            Duration::from_secs(20),
        );
        let msg = error_message(&out, &ev);
        assert!(msg.contains(want), "{path}: {msg}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    // A server that trickles a metafile a byte at a time, for ever.
    let trickle = trickle_server();
    let started = Instant::now();
    let (out, ev) = run_player(
        &["--output".into(), "null".into(), trickle],
        Duration::from_secs(20),
    );
    let msg = error_message(&out, &ev);
    assert!(msg.contains("timed out"), "{msg}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    // A local file named .asx that is not XML at all.
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("broken.asx");
    std::fs::write(&local, &garbage).unwrap();
    let (out, ev) = run_player(
        &[
            "--output".into(),
            "null".into(),
            local.display().to_string(),
        ],
        Duration::from_secs(20),
    );
    let msg = error_message(&out, &ev);
    assert!(msg.contains("not a metafile"), "{msg}");
    // And an enormous local one.
    let mut huge = b"<ASX>".to_vec();
    huge.resize(4 * 1024 * 1024, b'\n');
    std::fs::write(&local, &huge).unwrap();
    let (out, ev) = run_player(
        &[
            "--output".into(),
            "null".into(),
            local.display().to_string(),
        ],
        Duration::from_secs(20),
    );
    let msg = error_message(&out, &ev);
    assert!(msg.contains("larger than"), "{msg}");
}

#[test]
fn metafile_parsers_survive_random_input() {
    // The no-panic property of the fuzz targets, on stable: mutated real shapes and noise.
    let seeds: [&[u8]; 4] = [
        b"<ASX version=\"3.0\"><TITLE>t</TITLE><ENTRY><REF HREF=\"mms://h/a?x=1&amp;y\"/></ENTRY><ENTRYREF HREF='http://h/b.asx'/></ASX>",
        b"[Reference]\r\nRef1=http://h/a?MSWMExt=.asf\r\nRef2=mms://h/b\r\n",
        b"[Address]\r\nName=x\r\nUnicast URL=mms://h/live\r\n",
        b"<?xml version=\"1.0\"?><!-- c --><asx><entry><ref href=mms://x/y></entry>",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..4000 {
        let mut input = seeds[i % seeds.len()].to_vec();
        for _ in 0..(next() % 8) {
            let pos = (next() as usize) % (input.len() + 1);
            match next() % 4 {
                0 if pos < input.len() => input[pos] = next() as u8,
                1 if pos < input.len() => {
                    input.remove(pos);
                }
                2 => input.insert(pos, b"<>&;\"'=/\r\n\0\xFF"[(next() % 12) as usize]),
                _ => {
                    let piece = input[pos..].to_vec();
                    input.splice(pos..pos, piece.into_iter().take(64));
                }
            }
        }
        if i % 10 == 0 {
            input = (0..(next() % 512)).map(|_| next() as u8).collect();
        }
        let _ = mmsplay::metafile::parse(&input);
        let _ = mmsplay::metafile::sniff(&input);
    }
}

/// An HTTP server that sends a metafile's head and then one byte every 100 ms (at most 30 s,
/// or until the client goes away).
fn trickle_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 2048];
        let _ = conn.read(&mut buf);
        let head = b"HTTP/1.0 200 OK\r\nContent-Type: video/x-ms-asx\r\n\r\n<asx version=\"3.0\">";
        if conn.write_all(head).is_err() {
            return;
        }
        for _ in 0..300 {
            std::thread::sleep(Duration::from_millis(100));
            if conn.write_all(b" ").is_err() {
                return;
            }
        }
    });
    format!("http://127.0.0.1:{port}/slow.asx")
}

/// An HTTP server that answers every request with a redirect to `to` (at most 8 requests).
fn redirect_server(to: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(8) {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 2048];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                format!("HTTP/1.0 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    format!("http://127.0.0.1:{port}/radio")
}

#[test]
fn chunked_metafile_is_read() {
    if !tool("ffmpeg") {
        return;
    }
    use std::io::{Read, Write};
    let server = Server::start(&[&asset(MEDIA)], &["--fast"]);
    let asx = format!(
        "<asx version=\"3.0\"><entry><ref href=\"mmsh://127.0.0.1:{}/{MEDIA}\"/></entry></asx>",
        server.http
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(2) {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 2048];
            let _ = conn.read(&mut buf);
            let mut out =
                b"HTTP/1.1 200 OK\r\nContent-Type: video/x-ms-asf\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .to_vec();
            for piece in asx.as_bytes().chunks(20) {
                out.extend(format!("{:x}\r\n", piece.len()).into_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            let _ = conn.write_all(&out);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (out, ev) = run_player(
        &wav_args(dir.path(), &format!("http://127.0.0.1:{port}/c.asx"), &[]),
        Duration::from_secs(30),
    );
    assert_played(&out, &ev);
    assert_same_audio(dir.path());
}

/// An ASX with two entries plays them one after the other, as Windows Media Player did; with
/// `wav:` output the second entry goes to a file of its own beside the first.
#[test]
fn asx_entries_play_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let asx = dir.path().join("two.asx");
    std::fs::write(
        &asx,
        format!(
            "<ASX VERSION=\"3.0\"><ENTRY><REF HREF=\"{}\"/></ENTRY>\
             <ENTRY><REF HREF=\"missing.asf\"/><REF HREF=\"{}\"/></ENTRY></ASX>",
            asset("pcm_s16_8k_mono.asf").display(),
            asset("adpcm_ms_22k_stereo.asf").display()
        ),
    )
    .unwrap();
    let wav = dir.path().join("out.wav");
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output"])
            .arg(format!("wav:{}", wav.display()))
            .arg(&asx),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&out.stdout);
    let streams: Vec<_> = ev.iter().filter(|e| e["event"] == "stream").collect();
    assert_eq!(streams.len(), 2, "both entries played: {ev:?}");
    assert_eq!(streams[0]["codec"], "pcm");
    assert_eq!(streams[1]["codec"], "adpcm_ms");
    let ends: Vec<_> = ev.iter().filter(|e| e["event"] == "end").collect();
    assert_eq!(ends.len(), 1, "one end for the whole list");
    assert_eq!(ev.last().unwrap()["event"], "end");
    assert_eq!(ev.last().unwrap()["reason"], "eos");
    assert!(ev.iter().all(|e| e["event"] != "error"));
    let first = read_wav(&wav);
    let second = read_wav(&dir.path().join("out.2.wav"));
    assert_eq!((first.rate, first.channels), (8000, 1));
    assert_eq!((second.rate, second.channels), (22050, 2));
}
