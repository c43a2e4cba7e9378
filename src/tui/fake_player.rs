//! A stand-in for the player runtime that answers `Play` with a scripted rollover and stream.
//!
//! It drives the TUI through exactly the channels the real player uses, so tests and the
//! `tui_fake` example exercise the whole TUI (rollover, stats, loss, bookmarks) with no network
//! and no audio device.

use std::time::Duration;

use tokio::sync::mpsc::{Sender, UnboundedReceiver};
use tokio::task::JoinHandle;

use crate::events::{EndReason, PlayerEvent, Stats, StreamInfo, Transport, UiCommand};

/// One scripted event and the delay before it.
pub type ScriptStep = (Duration, PlayerEvent);

/// How the fake player behaves.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// Multiplies every delay of the script (0.0 plays it as fast as the channel takes it).
    pub time_scale: f64,
    /// Seconds of stream after connecting (one stats event each).
    pub stream_secs: u64,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            time_scale: 1.0,
            stream_secs: 180,
        }
    }
}

/// The demo: a `mms://` rollover behind a firewall, walked the way the player's driver walks
/// it (each step gets a 300 ms head start, then the next one starts beside it; a step that
/// connects is used once every more preferred one has failed): UDP is blackholed (rtspu and
/// mmsu time out), RTSP over TCP is refused, MMS over TCP connects, and mmsh, started early, is
/// dropped. Then a three-minute on-demand tone with a little loss. For a target that is not
/// `mms://`, its first transport connects at once.
pub fn demo_script(target: &str, stream_secs: u64) -> Vec<ScriptStep> {
    use PlayerEvent::{Attempt, AttemptFailed, Connected};
    use Transport::{Mmsh, Mmst, Mmsu, Rtspt, Rtspu};
    let ms = Duration::from_millis;
    let ladder = crate::app::model::ladder_for_target(target);
    let url_for = |t: Transport| match target.split_once("://") {
        Some((_, rest)) if t != Transport::File => format!("{t}://{rest}"),
        _ => target.to_string(),
    };
    let attempt = |t: Transport| Attempt {
        transport: t,
        url: url_for(t),
    };
    let failed = |t: Transport, reason: &str| AttemptFailed {
        transport: t,
        reason: reason.into(),
    };
    let mut script = if ladder == Transport::LADDER {
        vec![
            (ms(0), attempt(Rtspu)),
            (ms(300), attempt(Rtspt)),
            (
                ms(150),
                failed(Rtspt, "server refused the transport (RTSP 461)"),
            ),
            (
                ms(2550),
                failed(Rtspu, "no RTP packets within 3 s (UDP blocked?)"),
            ),
            (ms(0), attempt(Mmsu)),
            (ms(300), attempt(Mmst)),
            (ms(300), attempt(Mmsh)),
            (ms(2400), failed(Mmsu, "no UDP data packets within 3 s")),
            (ms(0), Connected { transport: Mmst }),
            (ms(0), failed(Mmsh, "not needed: mmst connected first")),
        ]
    } else {
        let t = ladder.first().copied().unwrap_or(Transport::File);
        vec![(ms(0), attempt(t)), (ms(200), Connected { transport: t })]
    };
    script.push((
        ms(50),
        PlayerEvent::Stream(StreamInfo {
            codec: "wmav2".into(),
            sample_rate: 44_100,
            channels: 2,
            channel_layout: Some("stereo".into()),
            bits_per_sample: None,
            lossless: false,
            bitrate: 128_000,
            live: false,
            stream_number: 1,
            title: Some("Demo tone".into()),
            author: Some("mmsplay".into()),
            copyright: Some("public domain".into()),
            description: Some("A 440 Hz tone for trying the rollover".into()),
            duration_ms: Some(stream_secs * 1000),
            tags: Vec::new(),
            ..Default::default()
        }),
    ));
    script.push((ms(100), PlayerEvent::FirstAudio));
    let mut stats = Stats::default();
    for second in 1..=stream_secs {
        // A deterministic wobble around 128 kb/s and a lost packet every 7 s, half of them
        // recovered by a resend.
        let wobble = (second * 7919 % 13) * 1000;
        stats.bitrate_bps = 122_000 + wobble;
        stats.bytes_received += stats.bitrate_bps / 8;
        stats.packets_received += 4;
        if second % 7 == 0 {
            stats.packets_lost += 1;
            if second % 14 == 0 {
                stats.packets_recovered += 1;
            }
        }
        stats.packets_late += u64::from(second % 11 == 0);
        stats.buffer_ms = 2000 + (second % 5) * 100;
        stats.position_ms = second * 1000;
        script.push((ms(1000), PlayerEvent::Stats(stats.clone())));
    }
    script.push((
        ms(0),
        PlayerEvent::End {
            reason: EndReason::Eos,
        },
    ));
    script
}

/// Runs until `Quit` or until the TUI drops its side: each `Play` (re)starts the script.
pub async fn run(
    mut commands: UnboundedReceiver<UiCommand>,
    events: Sender<PlayerEvent>,
    opts: FakeOptions,
) {
    let mut playing: Option<JoinHandle<()>> = None;
    while let Some(command) = commands.recv().await {
        match command {
            UiCommand::Play { target } => {
                if let Some(task) = playing.take() {
                    task.abort();
                }
                let script = demo_script(&target, opts.stream_secs);
                playing = Some(tokio::spawn(play_script(
                    script,
                    events.clone(),
                    opts.time_scale,
                )));
            }
            UiCommand::Stop => {
                if let Some(task) = playing.take() {
                    task.abort();
                    let _ = events
                        .send(PlayerEvent::End {
                            reason: EndReason::Stopped,
                        })
                        .await;
                }
            }
            UiCommand::SetPaused(_)
            | UiCommand::SetVolume(_)
            | UiCommand::NextLanguage
            | UiCommand::SetCredentials(_)
            | UiCommand::NextEntry
            | UiCommand::PreviousEntry
            | UiCommand::Seek { .. }
            | UiCommand::SeekTo { .. }
            | UiCommand::StartAt { .. } => {}
            UiCommand::Quit => break,
        }
    }
    if let Some(task) = playing {
        task.abort();
    }
}

async fn play_script(script: Vec<ScriptStep>, events: Sender<PlayerEvent>, time_scale: f64) {
    for (delay, event) in script {
        let delay = delay.mul_f64(time_scale.max(0.0));
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if events.send(event).await.is_err() {
            return;
        }
    }
}
