//! Streams declared in Extended Stream Properties, mutual exclusions and languages: written by
//! the crate's writer and by Microsoft's encoder, parsed back.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use std::path::PathBuf;

use mmsplay_asf::{
    AudioStreamSpec, ExclusionKind, HeaderSpec, MutualExclusion, StreamKind, WaveFormatEx,
    parse_header, write_header,
};

fn stream(number: u8, rate: u32) -> AudioStreamSpec {
    AudioStreamSpec {
        number,
        format: WaveFormatEx::pcm(1, rate, 16),
        spread: None,
        bitrate: rate * 16,
    }
}

/// Three audio streams: 1 and 2 the same English content at two bitrates, 3 in Portuguese.
fn spec() -> HeaderSpec {
    HeaderSpec {
        packet_size: 1000,
        streams: vec![stream(1, 16000), stream(2, 8000), stream(3, 16000)],
        languages: vec!["en-US".into(), "pt-BR".into()],
        stream_languages: vec![(1, 0), (2, 0), (3, 1)],
        exclusions: vec![
            MutualExclusion {
                kind: ExclusionKind::Bitrate,
                streams: vec![1, 2],
            },
            MutualExclusion {
                kind: ExclusionKind::Language,
                streams: vec![1, 3],
            },
        ],
        extended_streams: true,
        ..Default::default()
    }
}

#[test]
fn streams_declared_only_in_extended_stream_properties_are_streams() {
    let bytes = write_header(&spec());
    let h = parse_header(&bytes).unwrap();
    let numbers: Vec<u8> = h.streams.iter().map(|s| s.number).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    let s3 = h.stream(3).unwrap();
    assert_eq!(s3.kind, StreamKind::Audio);
    assert_eq!(s3.audio.as_ref().unwrap().sample_rate, 16000);
    assert_eq!(h.stream_bitrate(2), 128_000);
    assert_eq!(h.stream_language(1), Some("en-us"));
    assert_eq!(h.stream_language(3), Some("pt-br"));
    assert_eq!(h.alternatives(2, &ExclusionKind::Bitrate), vec![1, 2]);
    assert_eq!(h.alternatives(3, &ExclusionKind::Language), vec![1, 3]);
    assert!(h.alternatives(3, &ExclusionKind::Bitrate).is_empty());
}

#[test]
fn damaged_headers_fail_or_parse_but_never_panic() {
    let bytes = write_header(&spec());
    let len = parse_header(&bytes).unwrap().len;
    for i in 30..len {
        for v in [0x00, 0x7F, 0xFF] {
            let mut b = bytes.clone();
            b[i] = v;
            let _ = parse_header(&b);
        }
    }
}

/// Audio-Scan's test files, encoded by Microsoft's tools; `.ci/run` fetches them.
fn audio_scan(name: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/third-party/Audio-Scan-1.01/t/asf")
        .join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{}: {e} (.ci/run fetches it)", path.display())
        }
        Err(e) => {
            eprintln!(
                "skipping: {}: {e} (bash .ci/run fetches it)",
                path.display()
            );
            None
        }
    }
}

#[test]
fn microsofts_multi_bitrate_header() {
    let Some(b) = audio_scan("wma92-mbr.wma") else {
        return;
    };
    let h = parse_header(&b).unwrap();
    // Stream 1 is declared only inside its Extended Stream Properties.
    let s1 = h.stream(1).unwrap();
    assert_eq!(s1.audio.as_ref().unwrap().sample_rate, 16000);
    assert_eq!(
        h.stream(2).unwrap().audio.as_ref().unwrap().sample_rate,
        8000
    );
    assert_eq!(h.alternatives(2, &ExclusionKind::Bitrate), vec![1, 2]);
    assert!(h.stream_bitrate(1) > h.stream_bitrate(2));
    assert_eq!(h.languages, vec!["en-us"]);
    assert_eq!(h.stream_language(1), Some("en-us"));
}

#[test]
fn microsofts_video_and_audio_header() {
    let Some(b) = audio_scan("wmv92-with-audio.wmv") else {
        return;
    };
    let h = parse_header(&b).unwrap();
    let kinds: Vec<(u8, StreamKind)> = h
        .streams
        .iter()
        .map(|s| (s.number, s.kind.clone()))
        .collect();
    assert_eq!(kinds, vec![(1, StreamKind::Audio), (2, StreamKind::Video)]);
    assert_eq!(h.stream_language(2), Some("en-us"));
    assert!(h.exclusions.is_empty());
}

#[test]
fn the_demuxer_knows_which_streams_arrive() {
    let h = parse_header(&write_header(&spec())).unwrap();
    let mut p = mmsplay_asf::Packetizer::new(1000);
    p.push_object(1, 100, true, &[1; 300]);
    p.push_object(3, 100, true, &[3; 300]);
    p.flush();
    let mut d = mmsplay_asf::Demuxer::new(&h, 1);
    assert!(!d.has_seen(1));
    for pk in p.take_packets() {
        d.push_packet(&pk).unwrap();
    }
    assert!(d.has_seen(1) && d.has_seen(3) && !d.has_seen(2));
    assert_eq!(d.pop().unwrap().data, vec![1; 300]);
    assert!(d.pop().is_none());
}
