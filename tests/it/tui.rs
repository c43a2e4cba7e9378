//! The TUI: every panel in every state rendered on ratatui's `TestBackend` (with text snapshots
//! in `tests/it/snapshots/`), the event loop driven by a scripted player, and the whole program
//! in tmux.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent};
use mmsplay::app::{Model, Msg, View, update};
use mmsplay::bookmarks::{Bookmark, Store, datetime_from_unix};
use mmsplay::events::{EndReason, PlayerEvent, Stats, StreamInfo, Transport};
use mmsplay::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub mod e2e;
mod event_loop;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Renders `model` into a `width` x `height` buffer, through the same `ui::view` the runtime
/// uses, and returns its text with trailing spaces trimmed.
pub fn screen(model: &Model, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::view(model, frame)).unwrap();
    buffer_text(terminal.backend().buffer())
}

pub fn buffer_text(buf: &Buffer) -> String {
    let width = usize::from(buf.area.width);
    let mut out = String::new();
    if width == 0 {
        return out;
    }
    for row in buf.content().chunks(width) {
        let line: String = row.iter().map(|c| c.symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Compares `text` with `tests/it/snapshots/NAME.txt`. With `UPDATE_SNAPSHOTS=1` (or when the
/// file does not exist yet) the file is written instead, and a missing one fails the test so
/// that a new snapshot is always looked at before it is committed.
fn assert_snapshot(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots")
        .join(format!("{name}.txt"));
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    match std::fs::read_to_string(&path) {
        Ok(expected) if !update => {
            assert_eq!(
                text, expected,
                "snapshot {name} differs (UPDATE_SNAPSHOTS=1 to accept)"
            );
        }
        _ => {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            assert!(
                update,
                "new snapshot written to {}: review it",
                path.display()
            );
        }
    }
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::from(code))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn event(model: &mut Model, now_ms: u64, event: PlayerEvent) {
    update(model, Msg::Player { event, now_ms });
}

fn attempt(t: Transport) -> PlayerEvent {
    PlayerEvent::Attempt {
        transport: t,
        url: format!("{t}://example.net/station"),
    }
}

fn failed(t: Transport, reason: &str) -> PlayerEvent {
    PlayerEvent::AttemptFailed {
        transport: t,
        reason: reason.to_string(),
    }
}

fn stream_info(live: bool) -> StreamInfo {
    StreamInfo {
        codec: "wmav2".into(),
        sample_rate: 44_100,
        channels: 2,
        channel_layout: Some("stereo".into()),
        bits_per_sample: None,
        lossless: false,
        bitrate: 128_000,
        live,
        stream_number: 1,
        title: Some("Evening Jazz".into()),
        author: Some("Radio Example".into()),
        copyright: Some("2003 Example Corp".into()),
        description: Some("Smooth tunes all night".into()),
        duration_ms: (!live).then_some(240_000),
        tags: Vec::new(),
        ..Default::default()
    }
}

fn bookmarks() -> Vec<Bookmark> {
    let mut jazz = Bookmark::new("Evening Jazz", "mms://example.net/station");
    jazz.last_transport = Some(Transport::Mmst);
    jazz.last_played = Some(datetime_from_unix(1_700_000_000));
    vec![
        jazz,
        Bookmark::new("News", "mmsh://news.example.org/live"),
        Bookmark::new("Tone", "/music/tone.wma"),
    ]
}

/// A fresh model showing a `mms://` playback that has just started (rtspu trying for 1.2 s).
fn connecting() -> Model {
    let mut m = Model::default();
    update(&mut m, Msg::BookmarksLoaded(Ok(bookmarks())));
    update(
        &mut m,
        Msg::Play {
            target: "mms://example.net/station".into(),
            bookmark: None,
        },
    );
    event(&mut m, 100, attempt(Transport::Rtspu));
    update(&mut m, Msg::Tick { now_ms: 1300 });
    m
}

/// The rollover walked down to mmst, which connected; `seconds` of stats after that, with a
/// lost packet every 5 s.
fn playing(live: bool, seconds: u64) -> Model {
    playing_stream(stream_info(live), seconds)
}

/// [`playing`] with the given stream.
fn playing_stream(info: StreamInfo, seconds: u64) -> Model {
    let mut m = connecting();
    event(
        &mut m,
        3100,
        failed(Transport::Rtspu, "no RTP packets within 3 s (UDP blocked?)"),
    );
    event(&mut m, 3150, attempt(Transport::Rtspt));
    event(
        &mut m,
        3350,
        failed(Transport::Rtspt, "server refused the transport (RTSP 461)"),
    );
    event(&mut m, 3400, attempt(Transport::Mmsu));
    event(
        &mut m,
        6400,
        failed(Transport::Mmsu, "no UDP data packets within 3 s"),
    );
    event(&mut m, 6450, attempt(Transport::Mmst));
    // mmsh started early beside mmst, and is dropped when mmst connects.
    event(&mut m, 6750, attempt(Transport::Mmsh));
    event(
        &mut m,
        6850,
        PlayerEvent::Connected {
            transport: Transport::Mmst,
        },
    );
    event(
        &mut m,
        6850,
        failed(Transport::Mmsh, "not needed: mmst connected first"),
    );
    event(&mut m, 6900, PlayerEvent::Stream(info));
    event(&mut m, 7000, PlayerEvent::FirstAudio);
    let mut stats = Stats::default();
    for s in 1..=seconds {
        stats.bitrate_bps = 120_000 + (s * 37 % 17) * 1000;
        stats.packets_received += 10;
        stats.packets_lost += u64::from(s % 5 == 0);
        stats.packets_recovered += u64::from(s % 10 == 0);
        stats.packets_late += u64::from(s % 9 == 0);
        stats.buffer_ms = 2500;
        stats.position_ms = s * 1000;
        event(&mut m, 7000 + s * 1000, PlayerEvent::Stats(stats.clone()));
    }
    m
}

/// Every size the layout must survive, from nothing to a very large terminal.
const SIZES: &[(u16, u16)] = &[
    (0, 0),
    (1, 1),
    (0, 24),
    (80, 0),
    (10, 3),
    (39, 11),
    (40, 12),
    (60, 15),
    (80, 24),
    (100, 30),
    (250, 80),
    (1000, 400),
];

/// Every state worth drawing, by name.
fn all_states() -> Vec<(&'static str, Model)> {
    let mut states = vec![("bookmarks_empty", Model::default())];
    let mut m = Model::default();
    update(&mut m, Msg::BookmarksLoaded(Ok(bookmarks())));
    states.push(("bookmarks", m.clone()));
    update(&mut m, ch('?'));
    states.push(("help", m));
    states.push(("connecting", connecting()));
    states.push(("playing", playing(false, 90)));
    states.push(("live", playing(true, 5)));
    let mut m = playing(false, 30);
    update(&mut m, ch(' '));
    states.push(("paused", m));
    let mut m = playing(true, 10);
    event(
        &mut m,
        20_000,
        PlayerEvent::Reconnect {
            attempt: 2,
            reason: "connection reset".into(),
        },
    );
    states.push(("reconnecting", m));
    let mut m = playing(false, 240);
    event(
        &mut m,
        250_000,
        PlayerEvent::End {
            reason: EndReason::Eos,
        },
    );
    states.push(("ended", m));
    let mut m = connecting();
    for (i, t) in Transport::LADDER.iter().enumerate() {
        let at = 100 + i as u64 * 1000;
        event(&mut m, at, attempt(*t));
        if i < 4 {
            event(&mut m, at + 900, failed(*t, "connection refused"));
        }
    }
    event(
        &mut m,
        6000,
        PlayerEvent::Error {
            message: "every transport failed".into(),
        },
    );
    states.push(("failed", m));
    states
}

// ---------------------------------------------------------------------------------------------
// Rendering

#[test]
fn every_state_renders_at_every_size() {
    for (name, model) in all_states() {
        for &(w, h) in SIZES {
            let text = screen(&model, w, h);
            assert_eq!(
                text.lines().count(),
                usize::from(if w == 0 { 0 } else { h }),
                "{name} {w}x{h}"
            );
            // (The help window may cover the header in a small terminal.)
            if w >= ui::MIN_WIDTH && h >= ui::MIN_HEIGHT && name != "help" {
                assert!(
                    text.contains("mmsplay"),
                    "{name} {w}x{h} lost the header:\n{text}"
                );
            }
        }
    }
}

#[test]
fn snapshots_at_80x24() {
    for (name, model) in all_states() {
        assert_snapshot(&format!("{name}_80x24"), &screen(&model, 80, 24));
    }
}

#[test]
fn snapshots_at_other_sizes() {
    let m = playing(false, 90);
    assert_snapshot("playing_100x30", &screen(&m, 100, 30));
    assert_snapshot("playing_40x12", &screen(&m, 40, 12));
    assert_snapshot("playing_10x3", &screen(&m, 10, 3));
    assert_snapshot(
        "bookmarks_10x3",
        &screen(
            &Model {
                bookmarks: bookmarks(),
                ..Model::default()
            },
            10,
            3,
        ),
    );
}

#[test]
fn rollover_shows_each_step_in_order_with_its_state() {
    let text = screen(&connecting(), 100, 30);
    let row = |t: &str| {
        text.lines()
            .find(|l| l.contains(&format!(" {t} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("rtspu").contains("trying… 1.2 s"), "{text}");
    for t in ["rtspt", "mmsu", "mmst", "mmsh"] {
        assert!(
            row(t).contains("· ") && row(t).contains("waiting"),
            "{t}: {text}"
        );
    }
    let positions: Vec<usize> = ["rtspu", "rtspt", "mmsu", "mmst", "mmsh"]
        .iter()
        .map(|t| text.find(&format!(" {t} ")).unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "ladder out of order:\n{text}"
    );

    let text = screen(&playing(false, 3), 160, 30);
    assert!(
        text.contains("✘ rtspu  failed: no RTP packets within 3 s (UDP blocked?) · 3.0 s"),
        "{text}"
    );
    assert!(
        text.contains("✘ rtspt  failed: server refused the transport (RTSP 461) · 0.2 s"),
        "{text}"
    );
    assert!(text.contains("✔ mmst   connected in 0.4 s"), "{text}");
    assert!(text.contains("Rollover → mmst"), "{text}");
    assert!(
        text.contains("– mmsh   not needed: mmst connected first"),
        "{text}"
    );
}

#[test]
fn the_ladder_marks_what_worked_last_time_and_follows_transports() {
    let mut m = Model {
        bookmarks: bookmarks(),
        ..Model::default()
    };
    update(&mut m, key(KeyCode::Enter)); // Evening Jazz, which last worked on mmst
    event(&mut m, 10, attempt(Transport::Rtspu));
    let text = screen(&m, 100, 30);
    let mmst = text.lines().find(|l| l.contains(" mmst ")).unwrap();
    assert!(mmst.contains("waiting (worked last time)"), "{text}");
    assert!(
        !text
            .lines()
            .find(|l| l.contains(" rtspu "))
            .unwrap()
            .contains("last time")
    );

    // `--transports mmsh,mmst` is the ladder the panel shows.
    let mut m = Model {
        ladder_override: Some(vec![Transport::Mmsh, Transport::Mmst]),
        ..Model::default()
    };
    update(
        &mut m,
        Msg::Play {
            target: "mms://h/x".into(),
            bookmark: None,
        },
    );
    let text = screen(&m, 80, 24);
    let mmsh = text.find(" mmsh ").unwrap();
    assert!(
        mmsh < text.find(" mmst ").unwrap() && !text.contains("rtspu"),
        "{text}"
    );
}

#[test]
fn an_unknown_scheme_waits_for_the_players_steps() {
    let mut m = Model::default();
    update(
        &mut m,
        Msg::Play {
            target: "gopher://h/x".into(),
            bookmark: None,
        },
    );
    assert!(screen(&m, 80, 24).contains("waiting for the player"));
    // A step the player reports that was not expected is added to the ladder.
    event(&mut m, 10, attempt(Transport::Mmsh));
    let text = screen(&m, 80, 24);
    assert!(
        text.contains(" mmsh   trying… 0.0 s") && !text.contains("waiting for the player"),
        "{text}"
    );
}

#[test]
fn a_file_has_one_step() {
    let mut m = Model::default();
    update(
        &mut m,
        Msg::Play {
            target: "/music/tone.wma".into(),
            bookmark: None,
        },
    );
    event(
        &mut m,
        10,
        PlayerEvent::Attempt {
            transport: Transport::File,
            url: "/music/tone.wma".into(),
        },
    );
    event(
        &mut m,
        20,
        PlayerEvent::Connected {
            transport: Transport::File,
        },
    );
    let text = screen(&m, 80, 24);
    assert!(text.contains("✔ file   connected in 0.0 s"), "{text}");
    assert!(!text.contains("rtspu") && !text.contains("mmsh"), "{text}");
}

#[test]
fn the_spinner_turns_and_the_time_runs() {
    let mut m = connecting();
    let before = screen(&m, 80, 24);
    update(&mut m, Msg::Tick { now_ms: 2400 });
    let after = screen(&m, 80, 24);
    assert!(
        before.contains("trying… 1.2 s") && after.contains("trying… 2.3 s"),
        "{after}"
    );
    let spinner = |t: &str| {
        t.lines()
            .find(|l| l.contains("rtspu"))
            .unwrap()
            .chars()
            .nth(1)
            .unwrap()
    };
    assert_ne!(spinner(&before), spinner(&after));
}

#[test]
fn now_playing_shows_the_header_and_the_position() {
    let text = screen(&playing(false, 90), 100, 30);
    for part in [
        "Evening Jazz",
        "by Radio Example",
        "© 2003 Example Corp",
        "Smooth tunes all night",
        "wmav2 · 44.1 kHz · stereo · 128 kb/s",
        "Now playing · on demand",
        "1:30 / 4:00 ━",
        "buffer 2.5 s",
        "volume 100%",
        // The URL of the step that connected, not of the last one tried (mmsh).
        "via mmst  mmst://example.net/station",
    ] {
        assert!(text.contains(part), "missing {part:?}:\n{text}");
    }
    let text = screen(&playing(true, 5), 100, 30);
    assert!(
        text.contains("Now playing · live") && text.contains("0:05 elapsed (live"),
        "{text}"
    );
    assert!(
        !text.contains(" / "),
        "a live stream has no duration:\n{text}"
    );
}

#[test]
fn now_playing_shows_the_layout_and_bit_depth_of_a_multichannel_stream() {
    let info = StreamInfo {
        codec: "wmalossless".into(),
        sample_rate: 96_000,
        channels: 6,
        channel_layout: Some("5.1".into()),
        bits_per_sample: Some(24),
        lossless: true,
        bitrate: 2_304_000,
        ..stream_info(false)
    };
    let mut m = playing_stream(info.clone(), 90);
    let text = screen(&m, 160, 30);
    assert!(
        text.contains("wmalossless · 96.0 kHz · 5.1 · 24-bit · 2304 kb/s"),
        "{text}"
    );
    assert_snapshot("multichannel_80x24", &screen(&m, 80, 24));
    assert_snapshot("multichannel_40x12", &screen(&m, 40, 12));
    // Without a layout name, the channel count.
    let info = StreamInfo {
        channel_layout: None,
        ..info
    };
    event(&mut m, 98_000, PlayerEvent::Stream(info));
    assert!(screen(&m, 160, 30).contains("96.0 kHz · 6 ch · 24-bit"));
}

#[test]
fn the_description_and_album_may_come_from_the_tags() {
    let mut m = Model::default();
    update(
        &mut m,
        Msg::Play {
            target: "mms://h/x".into(),
            bookmark: None,
        },
    );
    let info = StreamInfo {
        description: None,
        tags: vec![
            ("Description".into(), "From the tags".into()),
            ("WM/AlbumTitle".into(), "Greatest Hits".into()),
        ],
        ..stream_info(false)
    };
    event(&mut m, 10, PlayerEvent::Stream(info));
    let text = screen(&m, 100, 30);
    assert!(
        text.contains("From the tags") && text.contains("album: Greatest Hits"),
        "{text}"
    );
}

#[test]
fn paused_volume_and_ended_are_shown() {
    let mut m = playing(false, 3);
    update(&mut m, ch(' '));
    update(&mut m, ch('-'));
    update(&mut m, ch('-'));
    let text = screen(&m, 80, 24);
    assert!(
        text.contains("⏸ paused") && text.contains("volume 90%"),
        "{text}"
    );
    event(
        &mut m,
        99_000,
        PlayerEvent::End {
            reason: EndReason::Eos,
        },
    );
    assert!(screen(&m, 80, 24).contains("end of stream"));
}

#[test]
fn bitrate_panel_shows_current_and_average() {
    let empty = screen(&connecting(), 80, 24);
    assert!(empty.contains("now 0.0 kb/s  avg 0.0 kb/s"), "{empty}");
    let mut m = playing(false, 0);
    for (i, bps) in [100_000u64, 120_000, 140_000].into_iter().enumerate() {
        event(
            &mut m,
            8000 + i as u64 * 1000,
            PlayerEvent::Stats(Stats {
                bitrate_bps: bps,
                ..Stats::default()
            }),
        );
    }
    let text = screen(&m, 100, 30);
    assert!(text.contains("now 140.0 kb/s  avg 120.0 kb/s"), "{text}");
    // Three bars, the newest (highest) at the right edge of the chart.
    let bars: Vec<&str> = text.lines().filter(|l| l.contains('█')).collect();
    assert!(!bars.is_empty(), "{text}");
}

#[test]
fn the_bitrate_chart_holds_a_minute_even_when_narrow() {
    let m = playing(false, 120);
    let s = m.session.as_ref().unwrap();
    assert_eq!(s.bitrate_history.len(), 60);
    // In a 40-column panel the 60 samples are averaged in pairs: 30 bars.
    let text = screen(&m, 80, 24);
    let chart_rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains('▁') || l.contains('█'))
        .collect();
    assert!(!chart_rows.is_empty(), "{text}");
}

#[test]
fn packet_panel_counts_and_rates_loss() {
    let zero = screen(&connecting(), 80, 24);
    assert!(zero.contains("loss        0.00 %"), "{zero}");
    let text = screen(&playing(false, 20), 80, 24);
    // 20 s: 200 received, 4 lost, 2 recovered, 2 late.
    for part in [
        "received       200",
        "lost           4",
        "recovered        2",
        "late           2",
        "loss        1.96 %",
        "underruns      0",
        "peak 9.0 %",
    ] {
        assert!(text.contains(part), "missing {part:?}:\n{text}");
    }
}

#[test]
fn the_log_tells_the_connection_story() {
    let mut m = playing(false, 2);
    event(
        &mut m,
        9500,
        PlayerEvent::Log {
            level: "warn".into(),
            message: "late packet 77".into(),
        },
    );
    update(&mut m, ch('3'));
    assert_eq!(m.view, View::Log);
    let text = screen(&m, 100, 30);
    for part in [
        "rtspu: trying rtspu://example.net/station",
        "rtspu: failed: no RTP packets within 3 s (UDP blocked?)",
        "mmst: connected",
        "stream wmav2: 44100 Hz, 2 ch, 128 kb/s",
        "late packet 77",
    ] {
        assert!(text.contains(part), "missing {part:?}:\n{text}");
    }
    // Scrolling back hides the newest line.
    update(&mut m, ch('k'));
    assert!(!screen(&m, 100, 30).contains("late packet 77"));
}

#[test]
fn bookmarks_browser_lists_history_and_selection() {
    let mut m = Model {
        bookmarks: bookmarks(),
        ..Model::default()
    };
    let text = screen(&m, 100, 30);
    assert!(
        text.contains("Evening Jazz") && text.contains("mms://example.net/station"),
        "{text}"
    );
    assert!(
        text.contains("mmst") && text.contains("2023-11-14 22:13"),
        "{text}"
    );
    assert!(text.contains("never"), "{text}");
    update(&mut m, ch('j'));
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    terminal.draw(|f| ui::view(&m, f)).unwrap();
    // The selected row (News) is drawn reversed, the others are not.
    let buf = terminal.backend().buffer();
    let row_of = |name: &str| {
        (0..buf.area.height)
            .find(|&y| buffer_row(buf, y).contains(name))
            .unwrap()
    };
    let reversed = |y: u16| {
        buf[(2, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    };
    assert!(reversed(row_of("News")) && !reversed(row_of("Evening Jazz")));
}

fn buffer_row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

#[test]
fn a_broken_bookmarks_file_is_shown() {
    let mut m = Model::default();
    update(
        &mut m,
        Msg::BookmarksLoaded(Err("/x/bookmarks.toml:3:1: missing field `url`".into())),
    );
    let text = screen(&m, 80, 24);
    assert!(
        text.contains("/x/bookmarks.toml:3:1: missing field `url`"),
        "{text}"
    );
    assert!(text.contains("fix it and restart"), "{text}");
}

#[test]
fn prompts_and_confirmations_are_drawn_over_the_view() {
    let mut m = Model {
        bookmarks: bookmarks(),
        ..Model::default()
    };
    update(&mut m, ch('a'));
    for c in "mms://new".chars() {
        update(&mut m, ch(c));
    }
    let text = screen(&m, 80, 24);
    assert!(
        text.contains("Add bookmark: URL") && text.contains("mms://new▏"),
        "{text}"
    );
    update(&mut m, key(KeyCode::Esc));
    update(&mut m, ch('d'));
    assert!(screen(&m, 80, 24).contains("Delete bookmark \"Evening Jazz\"? y/n"));
    update(&mut m, ch('n'));
    update(&mut m, ch('?'));
    let text = screen(&m, 80, 24);
    assert!(
        text.contains("Keys") && text.contains("pause / resume"),
        "{text}"
    );
    // Windows stay inside tiny terminals too.
    let tiny = screen(&m, 12, 4);
    assert_eq!(tiny.lines().count(), 4);
}

#[test]
fn a_small_buffer_renders_without_a_frame() {
    // The view also draws into any buffer area, not only a whole frame.
    let m = playing(false, 5);
    let area = Rect::new(3, 2, 50, 14);
    let mut buf = Buffer::empty(area);
    ui::render(&m, area, &mut buf);
    assert!(buffer_text(&buf).contains("Rollover"));
}

/// A store in a temp dir, for the loop tests.
pub fn temp_store(bookmarks: &[Bookmark]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bookmarks.toml");
    let mut store = Store::empty(&path);
    for b in bookmarks {
        store.add(&b.name, &b.url).unwrap();
    }
    store.save().unwrap();
    (dir, path)
}

/// A stream played with a password in its URL and the password prompt: the screen never
/// shows the password, in any view.
#[test]
fn passwords_are_never_on_screen() {
    let mut m = Model::default();
    update(&mut m, Msg::BookmarksLoaded(Ok(bookmarks())));
    update(
        &mut m,
        Msg::Play {
            target: "mms://bob:Hunter2@example.net/station".into(),
            bookmark: None,
        },
    );
    event(
        &mut m,
        100,
        PlayerEvent::CredentialsNeeded {
            user: Some("bob".into()),
            rejected: true,
        },
    );
    for c in "Hunter2".chars() {
        update(&mut m, ch(c));
    }
    let text = screen(&m, 100, 30);
    assert!(
        text.contains("*******"),
        "the typed password is not masked:\n{text}"
    );
    assert!(text.contains("bob:***@example.net"), "{text}");
    for view in ['1', '2', '3'] {
        update(&mut m, key(KeyCode::Esc));
        update(&mut m, ch(view));
        let text = screen(&m, 100, 30);
        assert!(!text.contains("Hunter2"), "view {view}:\n{text}");
    }
}
