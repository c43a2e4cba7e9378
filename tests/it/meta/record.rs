//! `--record` over every transport against `mmsplay serve`: ffprobe reads the recording with
//! the source's duration and ffmpeg decodes it to the source's audio; a live recording joined
//! mid-broadcast starts at zero and lasts as long as it was recorded.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::support::*;
use crate::common::*;

/// A 3-second WMA v2 stereo fixture made by ffmpeg.
fn wma_fixture(dir: &Path) -> PathBuf {
    let path = dir.join("tone.asf");
    let ok = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("sine=f=440:d=3:sample_rate=44100")
        .args(["-ac", "2", "-c:a", "wmav2", "-b:a", "64k"])
        .arg(&path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ffmpeg could not make the fixture");
    path
}

/// ffprobe's format duration and start time, in seconds.
fn probe(path: &Path) -> (f64, f64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration,start_time"])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ffprobe failed on {}", path.display());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |k: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {k} in ffprobe's answer: {text}"))
    };
    (field("duration"), field("start_time"))
}

fn record(target: &str, rec: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args: Vec<String> = vec![
        "--output".into(),
        "null".into(),
        "--record".into(),
        rec.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(target.into());
    let (out, ev) = run_player(&args, Duration::from_secs(30));
    assert!(
        out.status.success(),
        "{target}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    ev
}

#[test]
fn recordings_over_every_transport_match_the_source() {
    if !(tool("ffmpeg") && tool("ffprobe")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = wma_fixture(dir.path());
    let gst_reference = tool("gst-launch-1.0").then(|| gst_decode(&src));
    let (src_duration, _) = probe(&src);
    let reference = ffmpeg_decode(src.to_str().unwrap(), 44_100, 2);
    let server = Server::start(&[&src], &["--fast"]);
    // A plain web server for the progressive-download case.
    let web = HttpFiles::start();
    web.route(
        "/tone.asf",
        reply("video/x-ms-asf", std::fs::read(&src).unwrap()),
    );
    let urls = [
        src.display().to_string(),
        web.url("/tone.asf"),
        format!("mmst://127.0.0.1:{}/tone.asf", server.mms),
        format!("mmsu://127.0.0.1:{}/tone.asf", server.mms),
        format!("mmsh://127.0.0.1:{}/tone.asf", server.http),
        format!("rtspt://127.0.0.1:{}/tone.asf", server.rtsp),
        format!("rtspu://127.0.0.1:{}/tone.asf", server.rtsp),
    ];
    for (i, url) in urls.iter().enumerate() {
        let rec = dir.path().join(format!("rec-{i}.asf"));
        let ev = record(url, &rec, &[]);
        let connected = of(&ev, "connected");
        assert_eq!(connected.len(), 1, "{url}: {ev:?}");
        let (duration, start) = probe(&rec);
        assert!(
            (duration - src_duration).abs() < 0.01,
            "{url}: recording lasts {duration} s, the source {src_duration} s"
        );
        assert!(start.abs() < 0.1, "{url}: recording starts at {start} s");
        let audio = ffmpeg_decode(rec.to_str().unwrap(), 44_100, 2);
        assert_eq!(audio.frames(), reference.frames(), "{url}");
        assert!(
            audio.samples == reference.samples,
            "{url}: the recording decodes differently"
        );
        // A second, independent reader: GStreamer's asfdemux reads the recording as it reads
        // the source.
        if let Some(g_src) = &gst_reference {
            let g = gst_decode(&rec);
            assert!(
                g == *g_src,
                "{url}: GStreamer reads the recording differently"
            );
        }
    }
}

/// GStreamer's decoding of an ASF file to interleaved f32.
fn gst_decode(path: &Path) -> Vec<f32> {
    let raw = path.with_extension("raw");
    let ok = Command::new("gst-launch-1.0")
        .arg("-q")
        .arg("filesrc")
        .arg(format!("location={}", path.display()))
        .args(["!", "asfdemux", "!", "decodebin", "!", "audioconvert", "!"])
        .arg("audio/x-raw,format=F32LE")
        .args(["!", "filesink"])
        .arg(format!("location={}", raw.display()))
        .status()
        .unwrap()
        .success();
    assert!(ok, "GStreamer could not read {}", path.display());
    std::fs::read(&raw)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn live_recording_joined_mid_stream_starts_at_zero() {
    if !(tool("ffmpeg") && tool("ffprobe")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = wma_fixture(dir.path());
    let server = Server::start(&[&src], &["--live"]);
    // Join the broadcast a moment after it started, so its clock is not at zero.
    std::thread::sleep(Duration::from_millis(1500));
    let rec = dir.path().join("live.asf");
    let ev = record(
        &format!("mmst://127.0.0.1:{}/tone.asf", server.mms),
        &rec,
        &["--duration", "4"],
    );
    assert_eq!(of(&ev, "stream")[0]["live"], true, "{ev:?}");
    // The broadcast header became a file's: no Broadcast flag, true counts and size.
    let bytes = std::fs::read(&rec).unwrap();
    let layout = mmsplay_asf::FileLayout::parse(&bytes, bytes.len() as u64).unwrap();
    assert!(!layout.header.file.broadcast);
    assert!(layout.data.total_packets > 0);
    assert_eq!(
        layout.packets_offset + layout.data.total_packets * u64::from(layout.packet_size),
        bytes.len() as u64
    );
    assert_eq!(layout.header.file.file_size, bytes.len() as u64);
    let (duration, start) = probe(&rec);
    assert!(start.abs() < 0.5, "recording starts at {start} s");
    // Four seconds played (across a loop of the 3-second file), a little more received.
    assert!(
        (3.5..7.0).contains(&duration),
        "recording lasts {duration} s"
    );
    let audio = ffmpeg_decode(rec.to_str().unwrap(), 44_100, 2);
    let secs = audio.frames() as f64 / 44_100.0;
    assert!(
        (secs - duration).abs() < 0.6,
        "decoded {secs} s, header says {duration} s"
    );
}

#[test]
fn recording_stopped_by_sigint_is_a_valid_file() {
    if !(tool("ffmpeg") && tool("ffprobe")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = wma_fixture(dir.path());
    let server = Server::start(&[&src], &["--live"]);
    let rec = dir.path().join("stopped.asf");
    let child = mmsplay()
        .args([
            "--headless",
            "--events",
            "json",
            "--output",
            "null",
            "--record",
        ])
        .arg(&rec)
        .arg(format!("mmsh://127.0.0.1:{}/tone.asf", server.http))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    std::thread::sleep(Duration::from_millis(2500));
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    let out = wait_output(child, Duration::from_secs(10));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&out.stdout);
    assert_eq!(ev.last().unwrap()["reason"], "stopped", "{ev:?}");
    let (duration, start) = probe(&rec);
    assert!(start.abs() < 0.5, "recording starts at {start} s");
    // What arrived: 2.5 s of broadcast plus the fast-start burst a live join gets.
    assert!(
        (0.5..9.0).contains(&duration),
        "recording lasts {duration} s"
    );
    let audio = ffmpeg_decode(rec.to_str().unwrap(), 44_100, 2);
    let secs = audio.frames() as f64 / 44_100.0;
    assert!(
        (secs - duration).abs() < 0.6,
        "decoded {secs} s, header says {duration} s"
    );
}

/// The header (with the Data Object prefix) and packets of an ASF file.
fn file_packets(path: &Path) -> (Vec<u8>, Vec<Vec<u8>>) {
    let bytes = std::fs::read(path).unwrap();
    let layout = mmsplay_asf::FileLayout::parse(&bytes, bytes.len() as u64).unwrap();
    let head = bytes[..layout.header_bytes_len()].to_vec();
    let packets = layout.packets(&bytes).map(<[u8]>::to_vec).collect();
    (head, packets)
}

/// A fake MMSH server that serves `path` with the packets at `skip` missing (a LocationId
/// gap, as a server that dropped them reports it).
fn gappy_mmsh_server(path: &Path, skip: &'static [usize]) -> String {
    use mmsplay_net::mmsh::ChunkKind;
    use mmsplay_net::mmsh::chunk::{encode_mms_chunk, encode_reason_chunk};
    use std::io::{Read, Write};
    let (head, packets) = file_packets(path);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(4) {
            let Ok(mut sock) = conn else { continue };
            let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
            let mut req = Vec::new();
            let mut b = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 65536 {
                match sock.read(&mut b) {
                    Ok(n) if n > 0 => req.extend_from_slice(&b[..n]),
                    _ => break,
                }
            }
            let h = encode_mms_chunk(ChunkKind::Header, 0, 0, 0x0C, &head).unwrap();
            let mut out;
            if String::from_utf8_lossy(&req).contains("xPlayStrm=1") {
                out = b"HTTP/1.0 200 OK\r\nContent-Type: application/x-mms-framed\r\nPragma: no-cache,client-id=1,features=\"seekable,stridable\"\r\n\r\n".to_vec();
                out.extend(h);
                for (i, p) in packets.iter().enumerate() {
                    if !skip.contains(&i) {
                        out.extend(
                            encode_mms_chunk(ChunkKind::Data, i as u32, 0, i as u8, p).unwrap(),
                        );
                    }
                }
                out.extend(encode_reason_chunk(ChunkKind::End, 0));
            } else {
                out = format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: application/vnd.ms.wms-hdr.asfv1\r\nContent-Length: {}\r\n\r\n",
                    h.len()
                )
                .into_bytes();
                out.extend(h);
            }
            let _ = sock.write_all(&out);
        }
    });
    format!("mmsh://127.0.0.1:{port}/tone.asf")
}

#[test]
fn recording_with_lost_packets_notes_the_gaps_and_stays_readable() {
    if !(tool("ffmpeg") && tool("ffprobe")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = wma_fixture(dir.path());
    let url = gappy_mmsh_server(&src, &[3, 4]);
    let rec = dir.path().join("lossy.asf");
    let ev = record(&url, &rec, &[]);
    let lost = of(&ev, "stats").last().unwrap()["packets_lost"]
        .as_u64()
        .unwrap();
    assert_eq!(lost, 2, "{ev:?}");
    let notes: Vec<&str> = of(&ev, "log")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.contains("recording has gaps"))
        .collect();
    assert_eq!(notes.len(), 1, "{ev:?}");
    assert!(notes[0].contains("2 packets"), "{notes:?}");
    let (duration, start) = probe(&rec);
    assert!(start.abs() < 0.1 && duration > 2.5, "{start} {duration}");
    let (_, all) = file_packets(&src);
    let (_, kept) = file_packets(&rec);
    assert_eq!(kept.len(), all.len() - 2);
    let audio = ffmpeg_decode(rec.to_str().unwrap(), 44_100, 2);
    assert!(
        audio.frames() > 44_100,
        "decoded only {} frames",
        audio.frames()
    );
}
