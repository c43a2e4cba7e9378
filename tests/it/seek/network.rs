//! Seeking and pausing over each of the five transports, against `mmsplay serve` on loopback:
//! `--start`, a seek during playback and a long pause all give what ffmpeg decodes from the
//! file, by the same rule as for local files (see the parent module).

use std::path::{Path, PathBuf};
use std::time::Duration;

use mmsplay::events::PlayerEvent;
use mmsplay::player::Target;
use mmsplay_net::{StreamUrl, Transport};

use super::{check_seek_of, check_start_of, wma_file, wma_file_of};
use crate::common::*;

/// Every transport, in the rollover's order.
const TRANSPORTS: [Transport; 5] = Transport::LADDER;

/// The test file, its ffmpeg decode, and a server for it (`fast`: as fast as read).
async fn served(dir: &Path, fast: bool) -> (PathBuf, Audio, InProcessServer) {
    serve_file(wma_file(dir), fast).await
}

async fn serve_file(file: PathBuf, fast: bool) -> (PathBuf, Audio, InProcessServer) {
    let reference = ffmpeg_decode(file.to_str().unwrap(), 44100, 2);
    let server = InProcessServer::start(
        vec![file.clone()],
        false,
        fast,
        mmsplay_server::Faults::default(),
    )
    .await;
    (file, reference, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn start_over_every_transport_matches_ffmpeg() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_file, reference, server) = served(dir.path(), true).await;
    let reference = std::sync::Arc::new(reference);
    let mut sessions = 0;
    for t in TRANSPORTS {
        for start in [5.0, 12.345] {
            let (target, r) = (server.url(t, "tones.wma"), reference.clone());
            let pos = tokio::task::spawn_blocking(move || {
                println!("{t}:");
                check_start_of(&target, &[], &r, start, 2048)
            })
            .await
            .unwrap();
            assert!(pos > 0, "{t}");
            // The server reports the position it started from: the player asks for a little
            // before the target, so that the decoder has the frames before it.
            sessions += 1;
            let ends = server.wait_session_ends(sessions).await;
            let from = ends[sessions - 1]["start_ms"].as_u64().unwrap();
            let want = (start * 1000.0) as u64;
            assert!(
                from <= want && want - from <= 1500,
                "{t} --start {start}: the server started at {from} ms"
            );
            assert_eq!(ends[sessions - 1]["transport"], t.as_str());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn seeking_during_playback_over_every_transport_matches_ffmpeg() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_file, reference, server) = served(dir.path(), true).await;
    for t in TRANSPORTS {
        println!("{t}:");
        let target = Target::Url(StreamUrl::parse(&server.url(t, "tones.wma")).unwrap());
        check_seek_of(target, &reference, 10_000, None).await;
    }
    // Back past the start: the start.
    let target = Target::Url(StreamUrl::parse(&server.url(Transport::Mmst, "tones.wma")).unwrap());
    check_seek_of(target, &reference, -60_000, Some(0)).await;
}

/// Plays `url` to a WAV file, pausing for `pause` a second after the first audio; with the
/// server let go after `release_after`. Returns the audio and the events.
async fn play_with_pause(
    url: &str,
    pause: Duration,
    release_after: Duration,
) -> (Audio, Vec<PlayerEvent>) {
    use mmsplay::player::{Events, PlayOptions, play};
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    let opts = PlayOptions {
        output: mmsplay::audio::OutputSpec::Wav(wav.clone()),
        release_after,
        // Real-time pacing: the stream is still coming when the pause starts.
        fast_start: false,
        ..PlayOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let control = std::sync::Arc::new(mmsplay::audio::AudioControl::default());
    let target = Target::Url(StreamUrl::parse(url).unwrap());
    let playing = tokio::spawn(play(
        target,
        opts,
        control.clone(),
        Events::new(tx),
        stop_rx,
    ));
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let (mut audio, mut paused) = (false, false);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        audio |= e == PlayerEvent::FirstAudio;
        // The first stats after the audio started: the server's preroll burst is in, and
        // the stream is being paced.
        if audio && matches!(e, PlayerEvent::Stats(_)) && !paused {
            paused = true;
            control.set_paused(true);
            tokio::time::sleep(pause).await;
            control.set_paused(false);
        }
        let end = matches!(e, PlayerEvent::End { .. } | PlayerEvent::Error { .. });
        events.push(e);
        if end {
            break;
        }
    }
    let end = tokio::time::timeout(Duration::from_secs(10), playing)
        .await
        .expect("playback ends");
    assert!(matches!(end, Ok(Ok(_))), "{end:?}: {events:?}");
    (read_wav(&wav), events)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_pause_pauses_the_server_and_resumes_without_gap_or_repeat() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Paced as Windows Media Services did: the stream is still coming when the pause starts.
    let (_file, reference, server) = serve_file(wma_file_of(dir.path(), 8), false).await;
    let server = std::sync::Arc::new(server);
    let reference = std::sync::Arc::new(reference);
    // The five at once: each plays in real time.
    let runs = TRANSPORTS.map(|t| {
        let (server, reference) = (server.clone(), reference.clone());
        tokio::spawn(async move {
            let (ours, events) = play_with_pause(
                &server.url(t, "tones.wma"),
                Duration::from_millis(1500),
                Duration::from_millis(300),
            )
            .await;
            (t, ours, events, reference)
        })
    });
    for run in runs {
        let (t, ours, events, reference) = run.await.unwrap();
        let logged = |s: &str| {
            events
                .iter()
                .any(|e| matches!(e, PlayerEvent::Log { message, .. } if message.contains(s)))
        };
        assert!(logged("the server is paused"), "{t}: {events:?}");
        assert!(logged("resuming at"), "{t}: {events:?}");
        assert!(
            !events.iter().any(|e| matches!(e, PlayerEvent::Seek { .. })),
            "{t}: a resume is not a seek"
        );
        // The whole file, once: no gap, no repeat.
        let snr = snr_db(&reference.samples, &ours.samples);
        println!(
            "{t}: {} frames vs {}, SNR {snr:.1} dB",
            ours.frames(),
            reference.frames()
        );
        assert!(
            ours.frames().abs_diff(reference.frames()) <= 2048,
            "{t}: {} frames, the file has {}",
            ours.frames(),
            reference.frames()
        );
        assert!(snr >= 90.0, "{t}: SNR {snr:.1} dB below 90 dB");
    }
    // Two sessions each: the one let go during the pause, and the one the resume started
    // where the first one's audio ended.
    let ends = server.wait_session_ends(10).await;
    for t in TRANSPORTS {
        let starts: Vec<u64> = ends
            .iter()
            .filter(|e| e["transport"] == t.as_str())
            .map(|e| e["start_ms"].as_u64().unwrap())
            .collect();
        assert_eq!(starts.len(), 2, "{t}: {ends:?}");
        assert!(
            starts.contains(&0) && starts.iter().any(|s| *s > 0),
            "{t}: {starts:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_stream_refuses_to_seek_and_ignores_start() {
    let file = asset("pcm_s16_8k_mono.asf");
    let server =
        InProcessServer::start(vec![file], true, false, mmsplay_server::Faults::default()).await;
    let target = server.url(Transport::Mmst, "pcm_s16_8k_mono.asf");
    let out = tokio::task::spawn_blocking(move || {
        run_with_deadline(
            mmsplay()
                .args(["--headless", "--events", "json", "--output", "null"])
                .args(["--start", "3", "--duration", "1"])
                .arg(target),
            Duration::from_secs(30),
        )
    })
    .await
    .unwrap();
    let ev = events(&out.stdout);
    assert!(
        ev.iter().any(|e| e["event"] == "log"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("--start is ignored: the stream is live")),
        "{ev:?}"
    );
    assert!(!ev.iter().any(|e| e["event"] == "seek"), "{ev:?}");
    assert_eq!(ev.last().unwrap()["event"], "end");
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_end_ends_cleanly_over_every_transport() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_file, _reference, server) = served(dir.path(), true).await;
    for t in TRANSPORTS {
        // `--start` past the end: some transports' servers end such a stream before any data;
        // the player reads the length from the stream's start and ends there.
        let target = server.url(t, "tones.wma");
        let ev = tokio::task::spawn_blocking(move || {
            let mut player = mmsplay();
            player.args(["--start", "30"]);
            play_to_null(player, target)
        })
        .await
        .unwrap();
        assert!(!ev.iter().any(|e| e["event"] == "seek"), "{t}: {ev:?}");
        assert!(
            ev.iter()
                .any(|e| e["event"] == "log"
                    && e["message"].as_str().unwrap().contains("past the end")),
            "{t}: {ev:?}"
        );
        assert_eq!(ev.last().unwrap()["event"], "end", "{t}: {ev:?}");
        assert_eq!(ev.last().unwrap()["reason"], "eos", "{t}: {ev:?}");
        // A seek past the end during playback ends it too.
        let target = Target::Url(StreamUrl::parse(&server.url(t, "tones.wma")).unwrap());
        let (_audio, events) = super::play_with_seek(target, 60_000).await;
        assert!(
            events
                .iter()
                .any(|e| matches!(e, PlayerEvent::Log { message, .. }
                if message.contains("the seek is past the end"))),
            "{t}: {events:?}"
        );
        assert!(
            events.contains(&PlayerEvent::End {
                reason: mmsplay::events::EndReason::Eos
            }),
            "{t}: {events:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_seek_during_the_first_moves_on_from_its_target() {
    use mmsplay::player::{Events, PlayOptions, play};
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_file, reference, server) = served(dir.path(), true).await;
    let wav = dir.path().join("out.wav");
    let opts = PlayOptions {
        output: mmsplay::audio::OutputSpec::Wav(wav.clone()),
        ..PlayOptions::default()
    };
    let seek = opts.seek.clone();
    seek.request(5_000);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let control = std::sync::Arc::new(mmsplay::audio::AudioControl::default());
    let target = Target::Url(StreamUrl::parse(&server.url(Transport::Mmst, "tones.wma")).unwrap());
    let playing = tokio::spawn(play(target, opts, control, Events::new(tx), stop_rx));
    let (mut seeks, mut pressed) = (Vec::new(), false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        match e {
            // The first is taken: the second comes as it is carried out.
            PlayerEvent::Log { message, .. } if message.starts_with("seeking +5 s") && !pressed => {
                pressed = true;
                seek.request(5_000);
            }
            PlayerEvent::Seek { position_ms } => seeks.push(position_ms),
            PlayerEvent::End { .. } | PlayerEvent::Error { .. } => break,
            _ => {}
        }
    }
    assert!(matches!(playing.await, Ok(Ok(_))));
    // The first seek went to 5.1 s (from the first audio); the second on from there, whether
    // it landed already (one `seek` event each) or not (one for both).
    let last = *seeks.last().expect("a seek event");
    assert!((1..=2).contains(&seeks.len()), "{seeks:?}");
    assert!((10_000..10_600).contains(&last), "{seeks:?}");
    // From the last seek on, the file as ffmpeg decodes it: nothing repeated after it.
    let (snr, before) = super::snr_after_seek(&reference, &read_wav(&wav), last);
    println!("seeks {seeks:?}: {before} frames before, SNR {snr:.1} dB after");
    assert!(snr >= 90.0, "SNR {snr:.1} dB");
}
