//! Writer → parser → demuxer round trips, and malformed input classes.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use mmsplay_asf::{
    AudioSpread, AudioStreamSpec, ContentDescription, Demuxer, FileLayout, HeaderSpec, Packetizer,
    WaveFormatEx, parse_header, write_header,
};

fn spec(packets: u64, spread: Option<AudioSpread>) -> HeaderSpec {
    HeaderSpec {
        packet_size: 1000,
        data_packets: packets,
        play_duration: 30_000_000,
        preroll_ms: 500,
        streams: vec![AudioStreamSpec {
            number: 1,
            format: WaveFormatEx::pcm(2, 8000, 16),
            spread,
            bitrate: 256_000,
        }],
        content: ContentDescription {
            title: "Tone".into(),
            author: "mmsplay".into(),
            ..Default::default()
        },
        tags: vec![("WM/AlbumTitle".into(), "Fixtures".into())],
        ..Default::default()
    }
}

fn objects() -> Vec<Vec<u8>> {
    // Sizes that fit, straddle and exceed a packet.
    [10usize, 600, 2500, 1, 999, 3000]
        .iter()
        .enumerate()
        .map(|(i, n)| (0..*n).map(|b| (b * 7 + i) as u8).collect())
        .collect()
}

fn build(spread: Option<AudioSpread>, objs: &[Vec<u8>]) -> Vec<u8> {
    let mut p = Packetizer::new(1000);
    for (i, o) in objs.iter().enumerate() {
        p.push_object(1, 500 + i as u32 * 100, true, o);
    }
    p.flush();
    let packets = p.take_packets();
    let mut file = write_header(&spec(packets.len() as u64, spread));
    for pk in &packets {
        assert_eq!(pk.len(), 1000);
        file.extend_from_slice(pk);
    }
    file
}

fn demux(file: &[u8], strip_padding: bool) -> Vec<(i64, Vec<u8>)> {
    let layout = FileLayout::parse(file, file.len() as u64).unwrap();
    let mut d = Demuxer::new(&layout.header, 1);
    let mut out = Vec::new();
    for pk in layout.packets(file) {
        let pk = if strip_padding {
            let pad = u16::from_le_bytes([pk[5], pk[6]]) as usize;
            &pk[..pk.len() - pad]
        } else {
            pk
        };
        d.push_packet(pk).unwrap();
        while let Some(o) = d.pop() {
            out.push((o.pts_ms, o.data));
        }
    }
    out
}

#[test]
fn header_round_trips() {
    let file = build(None, &objects());
    let layout = FileLayout::parse(&file, file.len() as u64).unwrap();
    let h = &layout.header;
    assert_eq!(h.packet_size(), 1000);
    assert_eq!(h.file.preroll_ms, 500);
    assert_eq!(h.file.duration_ms(), Some(2500));
    assert_eq!(h.content.title, "Tone");
    assert_eq!(h.content.author, "mmsplay");
    assert_eq!(h.tag_text("wm/albumtitle").as_deref(), Some("Fixtures"));
    assert_eq!(h.streams.len(), 1);
    let a = h.streams[0].audio.as_ref().unwrap();
    assert_eq!((a.channels, a.sample_rate, a.block_align), (2, 8000, 4));
    assert_eq!(h.stream_bitrate(1), 256_000);
    assert_eq!(
        layout.packet_count as usize,
        (file.len() - layout.header_bytes_len()) / 1000
    );
}

#[test]
fn objects_round_trip_padded_and_stripped() {
    let objs = objects();
    let file = build(None, &objs);
    for strip in [false, true] {
        let got = demux(&file, strip);
        assert_eq!(got.len(), objs.len());
        for (i, (pts, data)) in got.iter().enumerate() {
            assert_eq!(*pts, i as i64 * 100);
            assert_eq!(data, &objs[i]);
        }
    }
}

#[test]
fn audio_spread_is_undone() {
    let sp = AudioSpread {
        span: 3,
        virtual_packet_len: 200,
        virtual_chunk_len: 50,
        silence: vec![0],
    };
    let objs: Vec<Vec<u8>> = (0..4)
        .map(|k| (0..600).map(|b| (b / 50 + k) as u8).collect())
        .collect();
    let scrambled: Vec<Vec<u8>> = objs
        .iter()
        .map(|o| mmsplay_asf::reassembly::scramble(&sp, o.clone()))
        .collect();
    assert_ne!(scrambled[0], objs[0]);
    let file = build(Some(sp), &scrambled);
    let got: Vec<Vec<u8>> = demux(&file, false).into_iter().map(|(_, d)| d).collect();
    assert_eq!(got, objs);
}

#[test]
fn lost_packet_drops_only_the_broken_object() {
    let objs = objects();
    let file = build(None, &objs);
    let layout = FileLayout::parse(&file, file.len() as u64).unwrap();
    let mut d = Demuxer::new(&layout.header, 1);
    let mut got = Vec::new();
    for (i, pk) in layout.packets(&file).enumerate() {
        if i == 2 {
            d.note_gap();
            continue;
        }
        d.push_packet(pk).unwrap();
        while let Some(o) = d.pop() {
            got.push(o.data);
        }
    }
    assert!(got.len() < objs.len());
    assert!(
        got.iter().all(|g| objs.contains(g)),
        "no damaged object is emitted"
    );
    assert!(d.stats().incomplete_objects >= 1);
}

#[test]
fn malformed_headers_are_errors() {
    let file = build(None, &objects());
    let hlen = mmsplay_asf::header_object_len(&file).unwrap();
    // Truncated anywhere inside the header.
    for cut in [0, 10, 24, 29, 100, hlen - 1] {
        assert!(parse_header(&file[..cut]).is_err(), "cut at {cut}");
    }
    // An absurd header size.
    let mut big = file.clone();
    big[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(parse_header(&big).is_err());
    // A child object whose size points past the end.
    let mut bad = file.clone();
    bad[30 + 16..30 + 24].copy_from_slice(&1_000_000u64.to_le_bytes());
    assert!(parse_header(&bad).is_err());
    // Zero packet size.
    let mut zero = file.clone();
    let fp = 30; // File Properties is the first child
    zero[fp + 92..fp + 100].copy_from_slice(&[0; 8]);
    let message = parse_header(&zero).unwrap_err().to_string();
    assert_eq!(
        message,
        format!("asf: the data packet size is 0 at byte {}", fp + 96)
    );
    // Not ASF at all.
    assert!(parse_header(b"RIFF....WAVEfmt ").is_err());
}

#[test]
fn garbage_packets_never_panic() {
    let file = build(None, &objects());
    let layout = FileLayout::parse(&file, file.len() as u64).unwrap();
    let mut d = Demuxer::new(&layout.header, 1);
    let mut state = 0x1234_5678u32;
    for pk in layout.packets(&file) {
        for _ in 0..50 {
            let mut p = pk.to_vec();
            for _ in 0..4 {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = (state >> 8) as usize % p.len();
                p[i] = (state >> 24) as u8;
            }
            let _ = d.push_packet(&p);
            let cut = (state as usize) % p.len();
            let _ = d.push_packet(&p[..cut]);
        }
    }
    while d.pop().is_some() {}
}

/// A stable-toolchain stand-in for the fuzz target: thousands of mutated headers, each either
/// parsed or rejected, never a panic.
#[test]
fn mutated_headers_never_panic() {
    let file = build(None, &objects());
    let hlen = mmsplay_asf::header_object_len(&file).unwrap() + 50;
    let mut state = 0x9E37_79B9u32;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let (mut ok, mut err) = (0, 0);
    for _ in 0..20_000 {
        let mut h = file[..hlen].to_vec();
        for _ in 0..(1 + next() % 6) {
            let i = next() as usize % h.len();
            h[i] = match next() % 3 {
                0 => 0xFF,
                1 => 0,
                _ => next() as u8,
            };
        }
        let cut = if next() % 4 == 0 {
            next() as usize % h.len()
        } else {
            h.len()
        };
        match FileLayout::parse(&h[..cut], 1 << 20) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    assert!(
        ok > 0 && err > 0,
        "mutations both parse and fail ({ok} ok, {err} errors)"
    );
}

/// One demuxer on two streams parses each packet once and keeps their objects apart.
#[test]
fn one_demuxer_serves_two_streams() {
    let mut s = spec(0, None);
    s.streams.push(AudioStreamSpec {
        number: 2,
        format: WaveFormatEx::pcm(1, 8000, 16),
        spread: None,
        bitrate: 128_000,
    });
    let mut p = Packetizer::new(1000);
    let objs = objects();
    for (i, o) in objs.iter().enumerate() {
        p.push_object(1, 500 + i as u32 * 100, true, o);
        p.push_object(2, 550 + i as u32 * 100, true, &[i as u8; 40]);
    }
    p.flush();
    let packets = p.take_packets();
    s.data_packets = packets.len() as u64;
    let header = parse_header(&write_header(&s)).unwrap();
    let mut d = Demuxer::for_streams(&header, &[1, 2]);
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for pk in &packets {
        d.push_packet(pk).unwrap();
        while let Some(o) = d.pop_stream(2) {
            assert_eq!(o.stream, 2);
            two.push(o.data);
        }
        while let Some(o) = d.pop_stream(1) {
            assert_eq!(o.stream, 1);
            one.push(o.data);
        }
    }
    assert_eq!(one, objs);
    assert_eq!(
        two,
        (0..objs.len())
            .map(|i| vec![i as u8; 40])
            .collect::<Vec<_>>()
    );
    assert_eq!(d.stats().packets, packets.len() as u64);
    assert_eq!(d.stats().objects, 2 * objs.len() as u64);
}
