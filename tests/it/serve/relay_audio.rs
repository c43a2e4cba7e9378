//! Relayed audio equals the source. A relay of `ffmpeg ... -f asf -` on standard input and a
//! relay of a live `mmsplay serve` stream are each played by mmsplay over every one of the
//! five transports; what it decodes must equal ffmpeg's decoding of the source (at least
//! 90 dB) from where it joined, once its decoder has the frame it joined on behind it (that
//! one lacks the previous frame's overlap).

use std::process::Command;
use std::time::Duration;

use super::TRANSPORTS;
use crate::common::*;

/// Seconds of source audio.
const SECONDS: u32 = 20;
/// Frames of a listener's audio not compared: the frame it joined on and the next.
const SKIP: usize = 2 * 2048;
/// Frames of a listener's audio used to find where in the source it is.
const PROBE: usize = 512;
/// Fewest frames compared (half a second).
const MIN_COMPARED: usize = 22_050;

/// What `ffmpeg ... -f asf -` writes to a pipe: 128 kb/s WMA v2, a rising tone on the left
/// and a wavering one on the right, so that every stretch of it is unlike any other.
fn encoder_output() -> Vec<u8> {
    // (All of its output is read as it comes: it is larger than a pipe holds.)
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!(
            "aevalsrc=0.4*sin(2*PI*(200*t+30*t*t))|0.3*sin(2*PI*330*t+3*sin(2*PI*0.7*t)):s=44100:d={SECONDS}"
        ))
        .args(["-c:a", "wmav2", "-b:a", "128k", "-f", "asf", "-"])
        .output()
        .expect("run ffmpeg");
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffmpeg: {why}");
    out.stdout
}

/// The frame of `reference` where `probe` (interleaved, `ch` channels) fits best: least
/// squared error, each candidate given up as soon as it is worse than the best so far.
fn locate(reference: &[f32], probe: &[f32], ch: usize) -> usize {
    let frames = reference.len() / ch;
    let probe_frames = probe.len() / ch;
    let mut best = (f32::INFINITY, 0);
    for at in 0..frames.saturating_sub(probe_frames) {
        let r = &reference[at * ch..at * ch + probe.len()];
        let mut err = 0.0f32;
        for (a, b) in r.iter().zip(probe) {
            err += (a - b) * (a - b);
            if err >= best.0 {
                break;
            }
        }
        if err < best.0 {
            best = (err, at);
        }
    }
    best.1
}

/// Checks a listener's audio against the source's: found in it, and equal from there on (a
/// stretch that runs past the end of the source, where a live loop starts over, is looked
/// for again after the loop's start).
fn check(what: &str, reference: &Audio, ours: &Audio) {
    let ch = usize::from(ours.channels);
    assert_eq!(ours.channels, reference.channels, "{what}");
    assert_eq!(ours.rate, reference.rate, "{what}");
    let mut from = SKIP;
    while from + PROBE < ours.frames() {
        let probe = &ours.samples[from * ch..(from + PROBE) * ch];
        let at = locate(&reference.samples, probe, ch);
        let n = (ours.frames() - from).min(reference.frames() - at);
        if n < MIN_COMPARED {
            // Too close to the end of the source: look again past the loop's start.
            from += n + SKIP;
            continue;
        }
        let snr = snr_db(
            &reference.samples[at * ch..(at + n) * ch],
            &ours.samples[from * ch..(from + n) * ch],
        );
        println!("{what}: frames {from}.. are the source's from {at}: {snr:.1} dB over {n}");
        assert!(snr >= 90.0, "{what}: {snr:.1} dB over {n} frames");
        return;
    }
    panic!(
        "{what}: only {} frames of audio, too few to compare",
        ours.frames()
    );
}

#[test]
fn relayed_audio_equals_the_source_on_every_transport() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stream = encoder_output();
    let file = dir.path().join("source.asf");
    std::fs::write(&file, &stream).unwrap();
    let reference = ffmpeg_decode(file.to_str().unwrap(), 44_100, 2);

    // A live origin, and one server relaying both standard input and the origin.
    let origin = ServeProcess::start(&[file.as_path()], &["--live"]);
    let upstream = format!("up=mmsh://127.0.0.1:{}/source.asf", origin.http);
    let (_server, ports) = super::stdin_relay(stream, &["--relay", &upstream]);
    let port = |k: &str| ports[k].as_u64().unwrap() as u16;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for name in ["/radio", "/up"] {
        let up = rt.block_on(async {
            for _ in 0..200 {
                if super::wire::mmsh_describe(port("http"), name).await == 200 {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        });
        assert!(up, "relay {name} never came up");
    }

    // Ten listeners at once: each relay on each transport, three seconds of audio each.
    let mut players = Vec::new();
    for name in ["radio", "up"] {
        for t in TRANSPORTS {
            let p = match t.as_str() {
                "rtspu" | "rtspt" => port("rtsp"),
                "mmsu" | "mmst" => port("mms"),
                _ => port("http"),
            };
            let url = format!("{}://127.0.0.1:{p}/{name}", t.as_str());
            players.push((
                format!("{name} over {t:?}"),
                std::thread::spawn(move || play_to_wav(&url, &["--duration", "3"]).0),
            ));
        }
    }
    for (what, player) in players {
        let ours = player
            .join()
            .unwrap_or_else(|_| panic!("{what}: the player failed"));
        check(&what, &reference, &ours);
    }
}
