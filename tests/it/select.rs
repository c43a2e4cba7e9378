//! Choosing the audio stream: out of a video file, among bitrate variants, among languages;
//! from local files and over every transport (whose server sends every stream today).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::*;

/// Runs ffmpeg to make `name` in `dir` from `args` (inputs, maps, codecs); `None` without it.
fn ffmpeg_make(dir: &Path, name: &str, args: &[&str]) -> Option<PathBuf> {
    if !have_tool("ffmpeg") {
        return None;
    }
    let path = dir.join(name);
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(path)
}

/// Three seconds of 320x240 WMV video and a 440 Hz WMA tone.
pub fn video_and_audio(dir: &Path) -> Option<PathBuf> {
    ffmpeg_make(
        dir,
        "video.asf",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25:duration=3",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:sample_rate=22050:duration=3",
            "-c:v",
            "wmv2",
            "-b:v",
            "400k",
            "-c:a",
            "wmav2",
            "-b:a",
            "32k",
        ],
    )
}

/// A file of WMA tones made by ffmpeg: one stream per (frequency, bitrate, language).
fn wma_tones(
    dir: &Path,
    name: &str,
    secs: u32,
    streams: &[(u32, &str, Option<&str>)],
) -> Option<PathBuf> {
    let mut args: Vec<String> = Vec::new();
    for (f, _, _) in streams {
        let source = format!("sine=f={f}:sample_rate=22050:duration={secs}");
        args.extend(["-f", "lavfi", "-i", &source].map(String::from));
    }
    for (i, (_, kbps, lang)) in streams.iter().enumerate() {
        args.extend(["-map".into(), format!("{i}:a")]);
        args.extend([format!("-b:a:{i}"), kbps.to_string()]);
        if let Some(l) = lang {
            args.extend([format!("-metadata:s:a:{i}"), format!("language={l}")]);
        }
    }
    args.extend(["-c:a", "wmav2"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ffmpeg_make(dir, name, &args)
}

/// Two WMA streams, English (440 Hz, 64 kb/s) and German (660 Hz, 32 kb/s): ffmpeg writes a
/// Language List and each stream's language index.
pub fn two_languages(dir: &Path) -> Option<PathBuf> {
    let streams = [(440, "64k", Some("eng")), (660, "32k", Some("deu"))];
    wma_tones(dir, "languages.asf", 3, &streams)
}

/// One tone at 64 and 32 kb/s, declared as bitrate alternatives (an Advanced Mutual Exclusion
/// the crate's writer adds to ffmpeg's header).
pub fn two_bitrates(dir: &Path, secs: u32) -> Option<PathBuf> {
    use mmsplay_asf::writer::{advanced_mutual_exclusion, append_header_objects, header_extension};
    let path = wma_tones(
        dir,
        "mbr.asf",
        secs,
        &[(440, "64k", None), (440, "32k", None)],
    )?;
    let mut bytes = std::fs::read(&path).unwrap();
    let exclusion = mmsplay_asf::MutualExclusion {
        kind: mmsplay_asf::ExclusionKind::Bitrate,
        streams: vec![1, 2],
    };
    let ext = header_extension(&[advanced_mutual_exclusion(&exclusion)]);
    assert!(append_header_objects(&mut bytes, &[ext]));
    std::fs::write(&path, bytes).unwrap();
    Some(path)
}

/// Audio-Scan's Microsoft-encoded test files; `.ci/run` fetches them.
pub fn audio_scan(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/third-party/Audio-Scan-1.01/t/asf")
        .join(name);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is missing: .ci/run fetches it", path.display());
    }
    eprintln!(
        "skipping: {} is missing (bash .ci/run fetches it)",
        path.display()
    );
    None
}

/// Plays `target` and checks that stream `number` was chosen and sounds as ffmpeg decodes the
/// file's `index`th audio stream. Returns the events.
pub fn plays_stream(
    target: &str,
    file: &Path,
    extra: &[&str],
    number: u64,
    index: usize,
) -> Vec<serde_json::Value> {
    let (ours, ev) = play_to_wav(target, extra);
    let stream = ev.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(stream["stream_number"], number, "{target} {extra:?}");
    let reference = ffmpeg_decode_stream(s(file), Some(index), ours.rate, ours.channels);
    assert_eq!(ours.frames(), reference.frames(), "{target} {extra:?}");
    let snr = snr_db(&reference.samples, &ours.samples);
    assert!(snr > 90.0, "{target} {extra:?}: {snr:.1} dB");
    ev
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_audio_of_a_video_file_plays() {
    let dir = tempfile::tempdir().unwrap();
    if let Some(f) = video_and_audio(dir.path()) {
        plays_stream(s(&f), &f, &[], 2, 0);
    }
    if let Some(f) = audio_scan("wmv92-with-audio.wmv") {
        plays_stream(s(&f), &f, &[], 1, 0);
    }
}

#[test]
fn the_highest_bitrate_variant_plays_unless_capped() {
    let dir = tempfile::tempdir().unwrap();
    if let Some(f) = two_bitrates(dir.path(), 3) {
        plays_stream(s(&f), &f, &[], 1, 0);
        plays_stream(s(&f), &f, &["--max-bitrate", "48"], 2, 1);
    }
    // Microsoft's MBR file: stream 1 is declared only in Extended Stream Properties.
    if let Some(f) = audio_scan("wma92-mbr.wma") {
        plays_stream(s(&f), &f, &[], 1, 0);
        plays_stream(s(&f), &f, &["--max-bitrate", "9"], 2, 1);
        plays_stream(s(&f), &f, &["--stream", "1", "--max-bitrate", "9"], 1, 0);
    }
}

/// Plays with the locale variables set as given (and the others removed).
fn stream_number_with_locale(file: &Path, lang: &str, extra: &[&str]) -> serde_json::Value {
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output", "null"])
            .args(extra)
            .arg(file)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang),
        Duration::from_secs(30),
    );
    let ev = events(&out.stdout);
    let s = ev.iter().find(|e| e["event"] == "stream").unwrap();
    s["stream_number"].clone()
}

#[test]
fn the_chosen_language_plays() {
    let dir = tempfile::tempdir().unwrap();
    let Some(f) = two_languages(dir.path()) else {
        return;
    };
    let ev = plays_stream(s(&f), &f, &["--lang", "de"], 2, 1);
    let st = ev.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(st["language"], "de");
    plays_stream(s(&f), &f, &["--lang", "en-GB"], 1, 0);
    assert_eq!(stream_number_with_locale(&f, "de_AT.UTF-8", &[]), 2);
    assert_eq!(stream_number_with_locale(&f, "C", &[]), 1);
    assert_eq!(stream_number_with_locale(&f, "fr_FR.UTF-8", &[]), 1);
    assert_eq!(stream_number_with_locale(&f, "de_DE", &["--lang", "en"]), 1);
}

/// The five transports' URL schemes.
const SCHEMES: [&str; 5] = ["mmst", "mmsu", "mmsh", "rtspt", "rtspu"];

/// The URL of `file` on `server` over the transport of `scheme`.
fn served_url(server: &ServeProcess, scheme: &str, file: &Path) -> String {
    let port = match scheme {
        "mmst" | "mmsu" => server.mms,
        "mmsh" => server.http,
        _ => server.rtsp,
    };
    let name = file.file_name().unwrap().to_str().unwrap();
    format!("{scheme}://127.0.0.1:{port}/{name}")
}

/// Each transport plays the stream the rules choose, and the server sends only that one.
#[test]
fn every_transport_plays_the_chosen_stream() {
    let dir = tempfile::tempdir().unwrap();
    let (Some(video), Some(langs), Some(mbr)) = (
        video_and_audio(dir.path()),
        two_languages(dir.path()),
        two_bitrates(dir.path(), 2),
    ) else {
        return;
    };
    let (server, out) = ServeProcess::start_reading(&[&video, &langs, &mbr], &["--fast"]);
    let mut next_end = session_ends(out);
    for scheme in SCHEMES {
        let url = |f: &Path| served_url(&server, scheme, f);
        let mut sent_only = |stream: u8| {
            let end = next_end();
            assert_eq!(
                end["streams"],
                serde_json::json!([stream]),
                "{scheme}: {end}"
            );
        };
        plays_stream(&url(&video), &video, &[], 2, 0);
        sent_only(2);
        plays_stream(&url(&langs), &langs, &["--lang", "de"], 2, 1);
        sent_only(2);
        plays_stream(&url(&mbr), &mbr, &[], 1, 0);
        sent_only(1);
        plays_stream(&url(&mbr), &mbr, &["--max-bitrate", "48"], 2, 1);
        sent_only(2);
    }
}

#[test]
fn heavy_loss_moves_down_a_bitrate_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let Some(f) = two_bitrates(dir.path(), 8) else {
        return;
    };
    // Paced in real time, so the loss spreads over seconds the player judges one by one.
    let (server, out) = ServeProcess::start_reading(&[&f], &["--udp-loss", "0.3"]);
    let mut next_end = session_ends(out);
    for scheme in ["mmsu", "rtspu"] {
        moves_down_without_a_gap(&served_url(&server, scheme, &f), &f, &mut next_end);
    }
}

/// Plays the two-bitrate file `f` from `url` over a lossy link: the move down is made by the
/// server and the audio stays continuous.
fn moves_down_without_a_gap(url: &str, f: &Path, next_end: &mut impl FnMut() -> serde_json::Value) {
    // Without fast start, which would bring the whole file within a second.
    let (ours, ev) = play_to_wav(url, &["--no-fast-start"]);
    // The server sent one variant, then the other (both only while the move was made): what
    // it offered, withheld packets included, is well under both streams' bytes.
    let end = next_end();
    assert_eq!(end["streams"], serde_json::json!([1, 2]), "{url}: {end}");
    let (sent, dropped) = (
        end["packets_sent"].as_u64().unwrap(),
        end["packets_dropped"].as_u64().unwrap(),
    );
    let offered = end["bytes_sent"].as_u64().unwrap() * (sent + dropped) / sent.max(1);
    let both = stream_bytes(f, 1) + stream_bytes(f, 2);
    eprintln!("{url}: offered {offered} of {both} bytes");
    assert!(
        offered * 100 < both * 85,
        "{url}: {offered} bytes offered of {both}"
    );
    let switch = ev.iter().find(|e| e["event"] == "stream_switch").unwrap();
    assert_eq!(
        (switch["stream_number"].as_u64(), switch["reason"].as_str()),
        (Some(2), Some("loss"))
    );
    assert_eq!(switch["bitrate"], 32_000);
    assert_eq!(
        (switch["codec"].as_str(), switch["sample_rate"].as_u64()),
        (Some("wmav2"), Some(22050))
    );
    // Continuous: as long as one stream's decoding (to a few frames of millisecond timestamps),
    // and never silent for more than 5 ms.
    let reference = ffmpeg_decode_stream(s(f), Some(0), ours.rate, ours.channels);
    let diff = ours.frames() as i64 - reference.frames() as i64;
    assert!(
        diff.abs() <= 32,
        "{url}: {} frames against {}",
        ours.frames(),
        reference.frames()
    );
    let longest_silence = ours
        .samples
        .split(|s| s.abs() > 1e-4)
        .map(<[f32]>::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_silence < 110,
        "{url}: {longest_silence} silent samples"
    );
}

/// Media packets per stream index as ffmpeg reads them from `input` (every stream mapped).
fn ffmpeg_packets_per_stream(input: &str) -> std::collections::BTreeMap<String, usize> {
    let out = run_with_deadline(
        Command::new("ffmpeg").args([
            "-nostdin", "-v", "error", "-i", input, "-map", "0", "-c", "copy", "-f", "framecrc",
            "-",
        ]),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{input}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((index, _)) = line.split_once(',').filter(|_| !line.starts_with('#')) {
            *counts.entry(index.trim().to_string()).or_insert(0) += 1;
        }
    }
    counts
}

#[test]
fn ffmpeg_still_gets_every_stream_from_our_server() {
    let dir = tempfile::tempdir().unwrap();
    let Some(video) = video_and_audio(dir.path()) else {
        return;
    };
    let local = ffmpeg_packets_per_stream(s(&video));
    assert_eq!(local.len(), 2, "video and audio: {local:?}");
    let server = ServeProcess::start(&[&video], &["--fast"]);
    // mmst copies to the end and exits: its demuxer stops at the Data Object's size before
    // ReportEndOfStream, which only a decoding ffmpeg reads past (and then never ends).
    for url in [
        format!("mmsh://127.0.0.1:{}/video.asf", server.http),
        format!("rtsp://127.0.0.1:{}/video.asf", server.rtsp),
        format!("mmst://127.0.0.1:{}/video.asf", server.mms),
    ] {
        assert_eq!(ffmpeg_packets_per_stream(&url), local, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vlc_still_gets_every_stream_from_our_server() {
    use crate::mmsh::support::{shared_tempdir, vlc_command};
    if !have_tool("cvlc") || !have_tool("setpriv") {
        return;
    }
    let dir = shared_tempdir();
    let Some(video) = video_and_audio(dir.path()) else {
        return;
    };
    let server = ServeProcess::start(&[&video], &["--fast"]);
    let copy = dir.path().join("vlc.asf");
    let sout = format!("#std{{access=file,mux=asf,dst={}}}", copy.display());
    let url = format!("mmsh://127.0.0.1:{}/video.asf", server.http);
    let status = tokio::time::timeout(
        Duration::from_secs(30),
        vlc_command(dir.path())
            .args(["-I", "dummy", "--sout", &sout, &url, "vlc://quit"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status(),
    )
    .await
    .expect("VLC hung")
    .unwrap();
    assert!(status.success());
    let streams = ffmpeg_packets_per_stream(s(&copy));
    assert_eq!(streams.len(), 2, "VLC's copy has {streams:?}");
}

/// The bytes of stream `number`'s payloads in an ASF file (media data, no packet framing).
fn stream_bytes(file: &Path, number: u8) -> u64 {
    let bytes = std::fs::read(file).unwrap();
    let layout = mmsplay_asf::FileLayout::parse(&bytes, bytes.len() as u64).unwrap();
    let mut payloads = Vec::new();
    let mut total = 0;
    for p in layout.packets(&bytes) {
        mmsplay_asf::parse_packet(p, layout.packet_size, &mut payloads).unwrap();
        for pl in payloads.iter().filter(|pl| pl.stream == number) {
            total += match &pl.data {
                mmsplay_asf::PayloadData::Fragment { data, .. }
                | mmsplay_asf::PayloadData::Compressed { data, .. }
                | mmsplay_asf::PayloadData::Bare { data, .. } => data.len() as u64,
            };
        }
    }
    total
}

/// The server's `session_end` lines as they come, each waited for (bounded).
fn session_ends(
    out: std::io::BufReader<std::process::ChildStdout>,
) -> impl FnMut() -> serde_json::Value {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if v["event"] == "session_end" && tx.send(v).is_err() {
                return;
            }
        }
    });
    move || {
        rx.recv_timeout(Duration::from_secs(20))
            .expect("a session_end line from the server")
    }
}

/// What a playback received, from its last `stats` event.
fn bytes_received(ev: &[serde_json::Value]) -> u64 {
    let stats = ev.iter().rev().find(|e| e["event"] == "stats").unwrap();
    stats["bytes_received"].as_u64().unwrap()
}

#[test]
fn only_the_audio_of_a_video_file_crosses_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let Some(video) = video_and_audio(dir.path()) else {
        return;
    };
    let audio = stream_bytes(&video, 2);
    let everything = std::fs::metadata(&video).unwrap().len();
    assert!(audio * 5 < everything, "{audio} of {everything} bytes");
    let limit = audio * 12 / 10;
    let (server, out) = ServeProcess::start_reading(&[&video], &["--fast"]);
    let mut next_end = session_ends(out);
    for scheme in SCHEMES {
        let url = served_url(&server, scheme, &video);
        let ev = plays_stream(&url, &video, &[], 2, 0);
        let received = bytes_received(&ev);
        let end = next_end();
        assert_eq!(end["streams"], serde_json::json!([2]), "{scheme}: {end}");
        let sent = end["bytes_sent"].as_u64().unwrap();
        eprintln!("{scheme}: sent {sent}, received {received}, audio {audio} bytes");
        assert!(
            sent <= limit && received <= limit,
            "{scheme}: sent {sent}, received {received}, audio {audio} bytes"
        );
        assert_eq!(end["packets_dropped"], 0, "{scheme}");
        // Packets the server skipped are not loss to the client.
        let stats = ev.iter().rev().find(|e| e["event"] == "stats").unwrap();
        assert_eq!(stats["packets_lost"], 0, "{scheme}: {stats}");
    }
}

/// The audio stream numbers of the payloads in `packet`.
fn payload_streams(packet: &[u8], packet_size: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = mmsplay_asf::parse_packet(packet, packet_size, &mut out);
    out.iter().map(|p| p.stream).collect()
}

/// Mid-stream, each transport asks the server for another stream (as a language or bitrate
/// move does): first both, then the new one alone; the server sends exactly that, from its
/// next packets on, and reports both streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_moves_to_another_stream_mid_stream() {
    use mmsplay_net::{AsfEvent, ConnectOptions, Session, StreamUrl, Transport};
    let dir = tempfile::tempdir().unwrap();
    // Six seconds: past the preroll burst, the server paces, so the moves land mid-file.
    let streams = [(440, "64k", Some("eng")), (660, "32k", Some("deu"))];
    let Some(langs) = wma_tones(dir.path(), "languages.asf", 6, &streams) else {
        return;
    };
    let server = InProcessServer::start(
        vec![langs.clone()],
        false,
        false,
        mmsplay_server::Faults::default(),
    )
    .await;
    let b = server.bound;
    let transports = [
        (Transport::Mmst, "mmst", b.mms.port()),
        (Transport::Mmsu, "mmsu", b.mms.port()),
        (Transport::Mmsh, "mmsh", b.http.port()),
        (Transport::Rtspt, "rtspt", b.rtsp.port()),
        (Transport::Rtspu, "rtspu", b.rtsp.port()),
    ];
    for (n, (t, scheme, port)) in transports.into_iter().enumerate() {
        let url = StreamUrl::parse(&format!("{scheme}://127.0.0.1:{port}/languages.asf")).unwrap();
        // A fast start of one preroll (ffmpeg's 3.1 s), then real time: there is a mid-stream
        // to select in.
        let opts = ConnectOptions {
            streams: vec![1],
            accelerate: Some(mmsplay_net::Acceleration {
                bandwidth_bps: 100_000_000,
                duration_ms: 3_100,
            }),
            ..ConnectOptions::default()
        };
        let mut session =
            tokio::time::timeout(Duration::from_secs(20), Session::open(&url, t, &opts))
                .await
                .expect("connect in time")
                .unwrap();
        let mut packet_size = 0;
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut step = 0;
        let start = std::time::Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match session.next_event().await.unwrap() {
                    AsfEvent::Header(h) => {
                        packet_size = mmsplay_asf::parse_header(&h).unwrap().packet_size();
                    }
                    AsfEvent::Packet(p) => {
                        seen.push(payload_streams(&p, packet_size));
                        let at = start.elapsed();
                        if step == 0 && at > Duration::from_millis(500) {
                            assert!(session.select(&[1, 2]).await.unwrap(), "{scheme}");
                            step = 1;
                        }
                        if step == 1 && at > Duration::from_millis(1500) {
                            assert!(session.select(&[2]).await.unwrap(), "{scheme}");
                            step = 2;
                        }
                    }
                    AsfEvent::End => break,
                    _ => {}
                }
            }
        })
        .await;
        session.close().await;
        assert!(result.is_ok(), "{scheme}: the stream did not end");
        assert_eq!(step, 2, "{scheme}: {} packets", seen.len());
        let first: Vec<u8> = seen[..10].concat();
        let last: Vec<u8> = seen[seen.len() - 5..].concat();
        assert!(first.iter().all(|s| *s == 1), "{scheme}: {first:?}");
        assert!(
            last.iter().all(|s| *s == 2) && !last.is_empty(),
            "{scheme}: {last:?}"
        );
        let ends = server.wait_session_ends(n + 1).await;
        assert_eq!(ends[n]["streams"], serde_json::json!([1, 2]), "{scheme}");
    }
}

/// The kb/s of the "link measured at N kb/s" log line among `ev`, if there is one.
fn link_measured_kbps(ev: &[serde_json::Value]) -> Option<u64> {
    ev.iter()
        .filter(|e| e["event"] == "log")
        .filter_map(|e| e["message"].as_str()?.strip_prefix("link measured at "))
        .find_map(|rest| rest.strip_suffix(" kb/s")?.parse().ok())
}

/// Over MMSH the client asks for a packet-pair experiment and our server answers it; on
/// loopback the link measures far above both variants, so the highest still plays, and the
/// server sends only it.
#[test]
fn a_packet_pair_probe_measures_the_link_before_the_bitrate_choice() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mbr) = two_bitrates(dir.path(), 2) else {
        return;
    };
    let (server, out) = ServeProcess::start_reading(&[&mbr], &["--fast"]);
    let mut next_end = session_ends(out);
    let url = served_url(&server, "mmsh", &mbr);
    let ev = plays_stream(&url, &mbr, &[], 1, 0);
    let kbps = link_measured_kbps(&ev).expect("no \"link measured at N kb/s\" log line");
    assert!(kbps > 64, "loopback measured at only {kbps} kb/s");
    assert_eq!(next_end()["streams"], serde_json::json!([1]));
    // The user's cap still applies below the measured link.
    let ev = plays_stream(&url, &mbr, &["--max-bitrate", "48"], 2, 1);
    assert!(link_measured_kbps(&ev).is_some());
    assert_eq!(next_end()["streams"], serde_json::json!([2]));
}
