//! Stream metadata and script commands: Content Description and Extended Content Description
//! in the `stream` event; the header's Script Command Object and a Command Media stream as
//! `script` events, played from a file and through the server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mmsplay_asf::header::{ContentDescription, WaveFormatEx};
use mmsplay_asf::writer::{
    append_header_objects, command_stream_properties, script_command_object,
};
use mmsplay_asf::{AudioStreamSpec, HeaderSpec, Packetizer};

use super::support::*;

const SECONDS: u32 = 3;

/// PCM 8 kHz mono with a command stream (number 2) carrying a caption each second, and a
/// header script command at 0.5 s.
fn captioned_asf(dir: &Path) -> PathBuf {
    let preroll = 500u32;
    let mut p = Packetizer::new(1000);
    for i in 0..SECONDS * 10 {
        let t = preroll + i * 100;
        let data: Vec<u8> = (0..1600u32)
            .map(|b| (b ^ i).wrapping_mul(13) as u8)
            .collect();
        p.push_object(1, t, true, &data);
        if i % 10 == 0 {
            let cmd =
                mmsplay::player::script::encode_command("TEXT", &format!("caption {}", i / 10));
            p.push_object(2, t, true, &cmd);
        }
    }
    p.flush();
    let packets = p.take_packets();
    let spec = HeaderSpec {
        packet_size: 1000,
        data_packets: packets.len() as u64,
        play_duration: u64::from(SECONDS * 1000 + preroll) * 10_000,
        preroll_ms: u64::from(preroll),
        streams: vec![AudioStreamSpec {
            number: 1,
            format: WaveFormatEx {
                format_tag: 1,
                channels: 1,
                sample_rate: 8000,
                avg_bytes_per_sec: 16000,
                block_align: 2,
                bits_per_sample: 16,
                extra: vec![],
            },
            spread: None,
            bitrate: 128_000,
        }],
        content: ContentDescription {
            title: "Evening News".into(),
            author: "Radio Test".into(),
            ..ContentDescription::default()
        },
        tags: vec![("WM/AlbumTitle".into(), "Broadcasts".into())],
        ..HeaderSpec::default()
    };
    let mut file = mmsplay_asf::write_header(&spec);
    assert!(append_header_objects(
        &mut file,
        &[
            command_stream_properties(2),
            script_command_object(&[(preroll + 500, "URL", "http://example.org/now")]),
        ]
    ));
    for pk in &packets {
        file.extend_from_slice(pk);
    }
    let path = dir.join("captioned.asf");
    std::fs::write(&path, file).unwrap();
    path
}

fn check(target: &str, extra: &[String]) {
    let mut args: Vec<String> = vec!["--output".into(), "null".into()];
    args.extend_from_slice(extra);
    args.push(target.into());
    let (out, ev) = run_player(&args, Duration::from_secs(30));
    assert!(out.status.success(), "{target}: {ev:?}");
    let stream = of(&ev, "stream");
    assert_eq!(stream[0]["title"], "Evening News", "{target}");
    assert_eq!(stream[0]["author"], "Radio Test", "{target}");
    assert_eq!(stream[0]["tags"]["WM/AlbumTitle"], "Broadcasts", "{target}");
    let scripts: Vec<(String, String)> = of(&ev, "script")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let captions: Vec<&str> = scripts
        .iter()
        .filter(|(k, _)| k == "TEXT")
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(
        captions,
        ["caption 0", "caption 1", "caption 2"],
        "{target}: {scripts:?}"
    );
    assert!(
        scripts.contains(&("URL".into(), "http://example.org/now".into())),
        "{target}: {scripts:?}"
    );
}

#[test]
fn metadata_and_script_commands_are_events() {
    let dir = tempfile::tempdir().unwrap();
    let file = captioned_asf(dir.path());
    check(file.to_str().unwrap(), &[]);
    let server = Server::start(&[&file], &["--fast"]);
    check(
        &format!("mmst://127.0.0.1:{}/captioned.asf", server.mms),
        &[],
    );
    check(
        &format!("mmsh://127.0.0.1:{}/captioned.asf", server.http),
        &[],
    );
    check(
        &format!("rtspt://127.0.0.1:{}/captioned.asf", server.rtsp),
        &[],
    );
}
