//! The runtime loop on a `TestBackend`, with a scripted player on the other end of the
//! channels.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures::Stream;
use mmsplay::app::{PlayState, StepState};
use mmsplay::events::UiCommand;
use mmsplay::tui::{TuiOptions, fake_player, run_loop};
use tokio::sync::mpsc;

use super::*;

fn input(rx: mpsc::UnboundedReceiver<Msg>) -> impl Stream<Item = Msg> + Unpin {
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|m| (m, rx))
    }))
}

/// Waits for the next command, bounded so that a broken loop fails instead of hanging.
async fn next_command(rx: &mut mpsc::UnboundedReceiver<UiCommand>) -> Option<UiCommand> {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no command within 10 s")
}

#[tokio::test]
async fn a_bookmark_plays_connects_records_and_quits() {
    let (dir, path) = temp_store(&[Bookmark::new("Station", "mms://example.net/station")]);
    let opts = TuiOptions {
        start_target: Some("Station".into()),
        log_path: dir.path().join("log"),
        bookmarks_path: Some(path.clone()),
        ..TuiOptions::default()
    };
    let (event_tx, event_rx) = mpsc::channel(64);
    let (command_tx, mut command_rx) = mpsc::unbounded_channel();
    let (key_tx, key_rx) = mpsc::unbounded_channel();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();

    let player = async {
        // A bookmark name is played by its URL.
        let play = UiCommand::Play {
            target: "mms://example.net/station".into(),
        };
        assert_eq!(next_command(&mut command_rx).await, Some(play));
        for e in [
            attempt(Transport::Rtspu),
            failed(Transport::Rtspu, "no RTP packets within 3 s"),
            attempt(Transport::Mmst),
            PlayerEvent::Connected {
                transport: Transport::Mmst,
            },
            PlayerEvent::Stream(stream_info(false)),
            PlayerEvent::Stats(Stats {
                bitrate_bps: 128_000,
                packets_received: 40,
                ..Stats::default()
            }),
        ] {
            event_tx.send(e).await.unwrap();
        }
        // Player events are handled before keys, so these see the connected stream.
        key_tx.send(ch(' ')).unwrap();
        assert_eq!(
            next_command(&mut command_rx).await,
            Some(UiCommand::SetPaused(true))
        );
        key_tx.send(ch('+')).unwrap();
        assert_eq!(
            next_command(&mut command_rx).await,
            Some(UiCommand::SetVolume(1.05))
        );
        key_tx.send(ch('q')).unwrap();
        assert_eq!(next_command(&mut command_rx).await, Some(UiCommand::Quit));
    };
    let (model, ()) = tokio::join!(
        run_loop(&mut terminal, &opts, input(key_rx), event_rx, command_tx),
        player
    );
    let model = model.unwrap();

    assert!(model.should_quit);
    let session = model.session.as_ref().unwrap();
    assert_eq!(session.connected, Some(Transport::Mmst));
    assert!(matches!(session.steps[0].state, StepState::Failed { .. }));
    let text = buffer_text(terminal.backend().buffer());
    assert!(
        text.contains("✔ mmst") && text.contains("Evening Jazz") && text.contains("⏸ paused"),
        "{text}"
    );
    // The transport that worked is in the file now.
    let store = Store::load_from(&path).unwrap();
    let b = store.get("Station").unwrap();
    assert_eq!(b.last_transport, Some(Transport::Mmst));
    assert!(b.last_played.is_some());
}

#[tokio::test]
async fn without_a_target_it_opens_on_the_bookmarks_and_plays_the_selection() {
    let (dir, path) = temp_store(&bookmarks());
    let opts = TuiOptions {
        log_path: dir.path().join("log"),
        bookmarks_path: Some(path),
        ..TuiOptions::default()
    };
    let (_event_tx, event_rx) = mpsc::channel(64);
    let (command_tx, mut command_rx) = mpsc::unbounded_channel();
    let (key_tx, key_rx) = mpsc::unbounded_channel();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let user = async {
        key_tx.send(ch('j')).unwrap();
        key_tx.send(key(KeyCode::Enter)).unwrap();
        // Nothing was played before the user chose.
        let play = UiCommand::Play {
            target: "mmsh://news.example.org/live".into(),
        };
        assert_eq!(next_command(&mut command_rx).await, Some(play));
        key_tx.send(ch('q')).unwrap();
        assert_eq!(next_command(&mut command_rx).await, Some(UiCommand::Quit));
    };
    let (model, ()) = tokio::join!(
        run_loop(&mut terminal, &opts, input(key_rx), event_rx, command_tx),
        user
    );
    let model = model.unwrap();
    assert_eq!(
        model.session.as_ref().unwrap().bookmark.as_deref(),
        Some("News")
    );
    assert_eq!(
        model.session.as_ref().unwrap().steps.len(),
        1,
        "mmsh:// has one step"
    );
}

#[tokio::test]
async fn a_broken_bookmarks_file_is_shown_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bookmarks.toml");
    let broken = "[[bookmark]]\nname = \"A\"\n";
    std::fs::write(&path, broken).unwrap();
    let opts = TuiOptions {
        log_path: dir.path().join("log"),
        bookmarks_path: Some(path.clone()),
        ..TuiOptions::default()
    };
    let (_event_tx, event_rx) = mpsc::channel(64);
    let (command_tx, mut command_rx) = mpsc::unbounded_channel();
    let (key_tx, key_rx) = mpsc::unbounded_channel();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let user = async {
        // Try to add a bookmark anyway.
        for msg in [
            ch('a'),
            ch('x'),
            key(KeyCode::Enter),
            ch('y'),
            key(KeyCode::Enter),
            ch('q'),
        ] {
            key_tx.send(msg).unwrap();
        }
        assert_eq!(next_command(&mut command_rx).await, Some(UiCommand::Quit));
    };
    let (model, ()) = tokio::join!(
        run_loop(&mut terminal, &opts, input(key_rx), event_rx, command_tx),
        user
    );
    let model = model.unwrap();
    let error = model.bookmarks_error.unwrap();
    assert!(
        error.contains("bookmarks.toml:1:1") && error.contains("url"),
        "{error}"
    );
    assert!(model.bookmarks.is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[tokio::test]
async fn the_fake_player_walks_the_whole_demo() {
    let dir = tempfile::tempdir().unwrap();
    let opts = TuiOptions {
        start_target: Some("mms://127.0.0.1/demo.asf".into()),
        log_path: dir.path().join("log"),
        bookmarks_path: Some(dir.path().join("bookmarks.toml")),
        ..TuiOptions::default()
    };
    let (event_tx, event_rx) = mpsc::channel(64);
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (key_tx, key_rx) = mpsc::unbounded_channel();
    // Between the fake player and the TUI, a relay that says when the stream has ended.
    let (fake_tx, mut fake_rx) = mpsc::channel(64);
    let (ended_tx, ended_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut ended_tx = Some(ended_tx);
        while let Some(event) = fake_rx.recv().await {
            let end = matches!(event, PlayerEvent::End { .. });
            if event_tx.send(event).await.is_err() {
                break;
            }
            if end && let Some(tx) = ended_tx.take() {
                let _ = tx.send(());
            }
        }
    });
    let fake = fake_player::FakeOptions {
        time_scale: 0.01,
        stream_secs: 4,
    };
    let player = tokio::spawn(fake_player::run(command_rx, fake_tx, fake));
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let user = async {
        // The whole script takes about 0.1 s at this scale. The End event is queued before
        // these keys, so the TUI handles it first.
        tokio::time::timeout(Duration::from_secs(10), ended_rx)
            .await
            .unwrap()
            .unwrap();
        key_tx.send(ch('a')).unwrap();
        key_tx.send(key(KeyCode::Enter)).unwrap();
        key_tx.send(ch('q')).unwrap();
    };
    let (model, ()) = tokio::join!(
        run_loop(&mut terminal, &opts, input(key_rx), event_rx, command_tx),
        user
    );
    let model = model.unwrap();
    tokio::time::timeout(Duration::from_secs(5), player)
        .await
        .unwrap()
        .unwrap();
    let session = model.session.unwrap();
    assert_eq!(session.state, PlayState::Ended(EndReason::Eos));
    let states: Vec<_> = session
        .steps
        .iter()
        .map(|s| std::mem::discriminant(&s.state))
        .collect();
    let failed = std::mem::discriminant(&StepState::Failed {
        reason: String::new(),
        after_ms: 0,
    });
    assert_eq!(states[..3], [failed; 3]);
    assert!(
        matches!(session.steps[3].state, StepState::Connected { .. }),
        "{:?}",
        session.steps
    );
    assert!(
        matches!(session.steps[4].state, StepState::Dropped { .. }),
        "{:?}",
        session.steps
    );
    assert_eq!(session.bitrate_history.len(), 4);
    // The bookmark added with `a` carries the title and the transport that worked.
    let store = Store::load_from(dir.path().join("bookmarks.toml")).unwrap();
    let b = store.get("Demo tone").unwrap();
    assert_eq!(
        (b.url.as_str(), b.last_transport),
        ("mms://127.0.0.1/demo.asf", Some(Transport::Mmst))
    );
}
