//! `update`: applies one message to the model and says what the runtime must do.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::keymap::{self, Action};
use super::model::{
    HISTORY_LEN, LOG_LEN, LogLine, Model, Overlay, PlayState, Prompt, PromptKind, Session, Step,
    StepState, View,
};
use super::msg::{BookmarkOp, Cmd, Msg};
use crate::bookmarks::Bookmark;
use crate::events::{EndReason, PlayerEvent, Stats, UiCommand};
use crate::remote::RemoteCommand;
use mmsplay_net::auth::Credentials;
use mmsplay_net::url::without_password;

/// Volume step for one key press, and the maximum, in percent of unity gain.
const VOLUME_STEP: i32 = 5;
const VOLUME_MAX: i32 = 200;

pub fn update(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Tick { now_ms } => {
            model.now_ms = model.now_ms.max(now_ms);
            Vec::new()
        }
        Msg::Resize => Vec::new(),
        Msg::Quit => quit(model),
        Msg::Key(key) => on_key(model, key),
        Msg::Remote(command) => on_remote(model, command),
        Msg::Player { event, now_ms } => {
            model.now_ms = model.now_ms.max(now_ms);
            on_player_event(model, event)
        }
        Msg::Play { target, bookmark } => play(model, target, bookmark),
        Msg::BookmarksLoaded(Ok(list)) | Msg::BookmarksSaved(Ok(list)) => {
            model.bookmarks = list;
            model.selected = model.selected.min(model.bookmarks.len().saturating_sub(1));
            Vec::new()
        }
        Msg::BookmarksLoaded(Err(message)) => {
            // Shown in the bookmarks view until mmsplay is restarted with a fixed file.
            model.bookmarks_error = Some(message);
            Vec::new()
        }
        Msg::BookmarksSaved(Err(message)) => {
            // The list stays as it was; say why in the status line.
            model.status = Some(message);
            Vec::new()
        }
    }
}

/// Starts a new playback: a fresh ladder, the player view, and the `Play` command.
fn play(model: &mut Model, target: String, bookmark: Option<String>) -> Vec<Cmd> {
    // The playback this one replaces is left where it is: remember the place.
    let mut cmds: Vec<Cmd> = leave_position(model).into_iter().collect();
    // A bookmark's remembered place: the new playback starts there.
    let resume = bookmark
        .as_ref()
        .and_then(|name| model.bookmarks.iter().find(|b| &b.name == name))
        .and_then(|b| b.position_ms)
        .filter(|ms| *ms > 0);
    let ladder = model.ladder_for(&target);
    model.session = Some(Session::new(target.clone(), bookmark, ladder));
    model.paused = false;
    model.view = View::Player;
    model.status = None;
    if let Some(ms) = resume {
        let secs = ms / 1000;
        model.status = Some(format!(
            "resuming where you left off ({}:{:02})",
            secs / 60,
            secs % 60
        ));
        cmds.push(Cmd::Player(UiCommand::StartAt { ms }));
    }
    cmds.push(Cmd::Player(UiCommand::Play { target }));
    // The volume is the user's, not the stream's: carry it over to the new playback.
    if model.volume != 1.0 {
        cmds.push(Cmd::Player(UiCommand::SetVolume(model.volume)));
    }
    cmds
}

fn on_player_event(model: &mut Model, event: PlayerEvent) -> Vec<Cmd> {
    let now = model.now_ms;
    // Every event also lands in the log, so the log view tells the connection's story.
    // (Stats are the charts' business: one a second would drown the log.)
    if !matches!(event, PlayerEvent::Stats(_)) {
        let (level, line) = match &event {
            PlayerEvent::AttemptFailed { transport, reason }
                if model
                    .session
                    .as_ref()
                    .is_some_and(|s| dropped(s, *transport)) =>
            {
                ("info", format!("{transport}: {reason}"))
            }
            _ => log_line_for(&event),
        };
        push_log(model, level, line);
    }

    let Some(session) = model.session.as_mut() else {
        return Vec::new();
    };
    match event {
        PlayerEvent::Attempt { transport, url } => {
            // A transport tried again (a reconnect, or the next entry of a metafile) starts a new
            // round of the ladder: the old outcomes no longer describe what is happening.
            let again = session
                .steps
                .iter()
                .any(|s| s.transport == transport && s.state != StepState::Waiting);
            if again {
                for step in &mut session.steps {
                    step.state = StepState::Waiting;
                }
            }
            let state = StepState::Trying { since_ms: now };
            match session.steps.iter_mut().find(|s| s.transport == transport) {
                Some(step) => {
                    step.state = state;
                    step.url = Some(url);
                }
                None => session.steps.push(Step {
                    transport,
                    state,
                    url: Some(url),
                }),
            }
            if !matches!(session.state, PlayState::Reconnecting { .. }) {
                session.state = PlayState::Connecting;
            }
        }
        PlayerEvent::AttemptFailed { transport, reason } => {
            let other_connected = dropped(session, transport);
            if let Some(step) = session.steps.iter_mut().find(|s| s.transport == transport) {
                step.state = match step.state {
                    _ if other_connected => StepState::Dropped { reason },
                    StepState::Trying { since_ms } => StepState::Failed {
                        reason,
                        after_ms: now.saturating_sub(since_ms),
                    },
                    _ => StepState::Failed {
                        reason,
                        after_ms: 0,
                    },
                };
            }
        }
        PlayerEvent::Connected { transport } => {
            if let Some(step) = session.steps.iter_mut().find(|s| s.transport == transport) {
                let after_ms = match step.state {
                    StepState::Trying { since_ms } => now.saturating_sub(since_ms),
                    _ => 0,
                };
                step.state = StepState::Connected { after_ms };
            }
            session.connected = Some(transport);
            session.state = PlayState::Playing;
            // Remember what worked in the bookmark this playback belongs to.
            if let Some(name) = bookmark_of(&model.bookmarks, session) {
                return vec![Cmd::Bookmarks(BookmarkOp::RecordPlayed { name, transport })];
            }
        }
        PlayerEvent::Stream(info) => session.stream = Some(info),
        PlayerEvent::FirstAudio => session.first_audio = true,
        PlayerEvent::StreamSwitch {
            stream_number,
            bitrate,
            language,
            codec,
            sample_rate,
            channels,
            ..
        } => {
            if let Some(s) = session.stream.as_mut() {
                s.stream_number = stream_number;
                s.bitrate = bitrate;
                s.language = language;
                s.codec = codec;
                s.sample_rate = sample_rate;
                s.channels = channels;
            }
        }
        // The position bar moves at once, not at the next stats tick.
        PlayerEvent::Seek { position_ms } => session.stats.position_ms = position_ms,
        PlayerEvent::Stats(stats) => {
            // A reconnect is over when media flows again (the player says "reconnecting" but
            // not "reconnected" as an event of its own).
            if matches!(session.state, PlayState::Reconnecting { .. })
                && stats.packets_received > session.stats.packets_received
            {
                session.state = PlayState::Playing;
            }
            let loss = interval_loss_permille(&session.stats, &stats);
            push_capped(&mut session.bitrate_history, stats.bitrate_bps);
            push_capped(&mut session.loss_history, loss);
            session.stats = stats;
        }
        PlayerEvent::Script { kind, text } => session.caption = Some(format!("{kind}: {text}")),
        PlayerEvent::Reconnect { attempt, reason } => {
            session.state = PlayState::Reconnecting { attempt, reason };
        }
        PlayerEvent::Log { .. } => {}
        PlayerEvent::Entry {
            index,
            count: Some(count),
            ..
        } => session.entry = Some((index, count)),
        // A server-side playlist's entry: its title comes with the stream event.
        PlayerEvent::Entry { count: None, .. } => {}
        PlayerEvent::End { reason } => {
            session.state = PlayState::Ended(reason);
            // Played to its end: the next play starts from the beginning again.
            let had_place = bookmark_of(&model.bookmarks, session).filter(|name| {
                model
                    .bookmarks
                    .iter()
                    .any(|b| &b.name == name && b.position_ms.is_some())
            });
            if reason == EndReason::Eos
                && let Some(name) = had_place
            {
                return vec![Cmd::Bookmarks(BookmarkOp::RecordPosition {
                    name,
                    position_ms: None,
                })];
            }
            // A step still spinning when playback ends will never finish.
            for step in &mut session.steps {
                if matches!(step.state, StepState::Trying { .. }) {
                    step.state = StepState::Waiting;
                }
            }
        }
        PlayerEvent::CredentialsNeeded { user, .. } => {
            // Ask, unless the user is busy with another window; Esc gives up.
            if model.overlay.is_none() {
                let (target, bookmark) = (session.target.clone(), session.bookmark.clone());
                model.overlay = Some(Overlay::Prompt(match user {
                    Some(user) => Prompt {
                        kind: PromptKind::Password {
                            target,
                            bookmark,
                            user,
                        },
                        text: String::new(),
                    },
                    None => Prompt {
                        kind: PromptKind::User { target, bookmark },
                        text: String::new(),
                    },
                }));
            }
        }
        PlayerEvent::Error { message } => {
            for step in &mut session.steps {
                if let StepState::Trying { since_ms } = step.state {
                    step.state = StepState::Failed {
                        reason: message.clone(),
                        after_ms: now.saturating_sub(since_ms),
                    };
                }
            }
            session.state = PlayState::Failed(message);
        }
    }
    Vec::new()
}

/// Whether a failure of `transport` only means it was dropped: the player starts later steps
/// early beside a slow one, and once a more preferred step connects it ends them with a
/// "failure" that says nothing about their transport.
fn dropped(session: &Session, transport: crate::events::Transport) -> bool {
    session
        .steps
        .iter()
        .any(|s| s.transport != transport && matches!(s.state, StepState::Connected { .. }))
}

/// Loss between two stats samples, in tenths of a percent (what the loss chart plots).
fn interval_loss_permille(before: &Stats, after: &Stats) -> u64 {
    let lost = after.packets_lost.saturating_sub(before.packets_lost);
    let received = after
        .packets_received
        .saturating_sub(before.packets_received);
    (lost * 1000).checked_div(lost + received).unwrap_or(0)
}

fn push_capped(history: &mut std::collections::VecDeque<u64>, value: u64) {
    if history.len() == HISTORY_LEN {
        history.pop_front();
    }
    history.push_back(value);
}

fn push_log(model: &mut Model, level: &str, message: String) {
    if model.log.len() == LOG_LEN {
        model.log.pop_front();
    }
    model.log.push_back(LogLine {
        at_ms: model.now_ms,
        level: level.to_string(),
        message,
    });
}

/// A `stream_switch` event as a log line.
pub fn switch_line(event: &PlayerEvent) -> String {
    let PlayerEvent::StreamSwitch {
        stream_number,
        bitrate,
        reason,
        language,
        ..
    } = event
    else {
        return String::new();
    };
    let language = language
        .as_deref()
        .map(|l| format!(", {l}"))
        .unwrap_or_default();
    format!(
        "switched to stream {stream_number} ({} kb/s{language}): {reason}",
        bitrate / 1000
    )
}

/// An `entry` event as a log line.
pub fn entry_line(event: &PlayerEvent) -> String {
    let PlayerEvent::Entry {
        index,
        count,
        url,
        title,
    } = event
    else {
        return String::new();
    };
    let title = title
        .as_deref()
        .map(|t| format!(" \"{t}\""))
        .unwrap_or_default();
    match count {
        Some(count) => format!("playlist entry {} of {count}{title}: {url}", index + 1),
        None => format!("server playlist entry {}{title}: {url}", index + 1),
    }
}

/// How a player event reads in the log.
fn log_line_for(event: &PlayerEvent) -> (&str, String) {
    match event {
        PlayerEvent::Attempt { transport, url } => ("info", format!("{transport}: trying {url}")),
        PlayerEvent::AttemptFailed { transport, reason } => {
            ("warn", format!("{transport}: failed: {reason}"))
        }
        PlayerEvent::Connected { transport } => ("info", format!("{transport}: connected")),
        PlayerEvent::Stream(s) => (
            "info",
            format!(
                "stream {}: {} Hz, {} ch, {} kb/s{}",
                s.codec,
                s.sample_rate,
                s.channels,
                s.bitrate / 1000,
                if s.live { ", live" } else { "" }
            ),
        ),
        PlayerEvent::FirstAudio => ("info", "first audio reached the output".to_string()),
        PlayerEvent::StreamSwitch { .. } => ("info", switch_line(event)),
        PlayerEvent::Entry { .. } => ("info", entry_line(event)),
        PlayerEvent::Seek { position_ms } => (
            "info",
            format!("playing from {:.3} s", *position_ms as f64 / 1000.0),
        ),
        PlayerEvent::Stats(s) => ("debug", format!("stats: {} b/s", s.bitrate_bps)),
        PlayerEvent::Script { kind, text } => ("info", format!("script {kind}: {text}")),
        PlayerEvent::Reconnect { attempt, reason } => (
            "warn",
            format!("reconnecting (attempt {attempt}): {reason}"),
        ),
        PlayerEvent::Log { level, message } => (level.as_str(), message.clone()),
        PlayerEvent::End { reason } => (
            "info",
            match reason {
                EndReason::Eos => "end of stream",
                EndReason::Duration => "duration reached",
                EndReason::Stopped => "stopped",
            }
            .to_string(),
        ),
        PlayerEvent::Error { message } => ("error", format!("error: {message}")),
        PlayerEvent::CredentialsNeeded { rejected, .. } => (
            "warn",
            if *rejected {
                "the server refused the credentials: asking again".to_string()
            } else {
                "the server asks for a user name and password".to_string()
            },
        ),
    }
}

fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    // A status message has been seen once the user acts again.
    model.status = None;
    // Windows first: they own the keyboard while open.
    match model.overlay.take() {
        Some(Overlay::Prompt(prompt)) => return on_prompt_key(model, prompt, key),
        Some(Overlay::ConfirmDelete { name }) => {
            if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                model.status = Some(format!("deleted {name}"));
                return vec![Cmd::Bookmarks(BookmarkOp::Remove { name })];
            }
            return Vec::new();
        }
        Some(Overlay::Help) => {
            // Any key closes the help, and quit still quits.
            if keymap::action(&key, model.view) == Some(Action::Quit) {
                return quit(model);
            }
            return Vec::new();
        }
        None => {}
    }
    let Some(action) = keymap::action(&key, model.view) else {
        return Vec::new();
    };
    on_action(model, action)
}

/// Carries out a keymap action: from a key, or from a remote command that means the same.
fn on_action(model: &mut Model, action: Action) -> Vec<Cmd> {
    match action {
        Action::Quit => return quit(model),
        Action::Help => model.overlay = Some(Overlay::Help),
        Action::Close => {
            if model.view != View::Player && model.session.is_some() {
                model.view = View::Player;
            }
        }
        Action::NextView => {
            model.view = match model.view {
                View::Player => View::Bookmarks,
                View::Bookmarks => View::Log,
                View::Log => View::Player,
            }
        }
        Action::ShowPlayer => model.view = View::Player,
        Action::ShowBookmarks => model.view = View::Bookmarks,
        Action::ShowLog => model.view = View::Log,
        Action::NextLanguage => {
            if model.session.is_some() {
                return vec![Cmd::Player(UiCommand::NextLanguage)];
            }
        }
        Action::NextEntry => {
            if model.session.as_ref().is_some_and(|s| s.entry.is_some()) {
                return vec![Cmd::Player(UiCommand::NextEntry)];
            }
        }
        Action::PreviousEntry => {
            if model.session.as_ref().is_some_and(|s| s.entry.is_some()) {
                return vec![Cmd::Player(UiCommand::PreviousEntry)];
            }
        }
        Action::TogglePause => {
            if model.session.is_some() {
                model.paused = !model.paused;
                return vec![Cmd::Player(UiCommand::SetPaused(model.paused))];
            }
        }
        Action::Stop => {
            let mut cmds: Vec<Cmd> = leave_position(model).into_iter().collect();
            if let Some(session) = &mut model.session
                && matches!(session.state, PlayState::Connecting | PlayState::Playing)
            {
                session.state = PlayState::Ended(EndReason::Stopped);
                cmds.push(Cmd::Player(UiCommand::Stop));
                return cmds;
            }
        }
        Action::VolumeUp | Action::VolumeDown => {
            // Work in whole percent so that repeated presses land on clean values.
            let step = if action == Action::VolumeUp {
                VOLUME_STEP
            } else {
                -VOLUME_STEP
            };
            let percent = (model.volume * 100.0).round() as i32 + step;
            model.volume = percent.clamp(0, VOLUME_MAX) as f32 / 100.0;
            return vec![Cmd::Player(UiCommand::SetVolume(model.volume))];
        }
        Action::Seek(secs) => {
            if model.session.is_some() {
                return vec![Cmd::Player(UiCommand::Seek {
                    by_ms: i64::from(secs) * 1000,
                })];
            }
        }
        Action::Up | Action::Down | Action::Top | Action::Bottom => move_cursor(model, action),
        Action::Play => {
            if model.view == View::Bookmarks
                && let Some(b) = model.selected_bookmark()
            {
                let (target, name) = (b.url.clone(), b.name.clone());
                return play(model, target, Some(name));
            }
        }
        Action::Open => {
            model.overlay = Some(Overlay::Prompt(Prompt {
                kind: PromptKind::Open,
                text: String::new(),
            }))
        }
        Action::Add => start_add(model),
        Action::Rename => {
            if model.view == View::Bookmarks
                && let Some(b) = model.selected_bookmark()
            {
                let from = b.name.clone();
                model.overlay = Some(Overlay::Prompt(Prompt {
                    text: from.clone(),
                    kind: PromptKind::Rename { from },
                }));
            }
        }
        Action::Delete => {
            if model.view == View::Bookmarks
                && let Some(b) = model.selected_bookmark()
            {
                model.overlay = Some(Overlay::ConfirmDelete {
                    name: b.name.clone(),
                });
            }
        }
    }
    Vec::new()
}

/// A remote controller's command, carried out as the matching key would be.
fn on_remote(model: &mut Model, command: RemoteCommand) -> Vec<Cmd> {
    let playing = model
        .session
        .as_ref()
        .is_some_and(|s| matches!(s.state, PlayState::Connecting | PlayState::Playing));
    let entry = model.session.as_ref().and_then(|s| s.entry);
    match command {
        RemoteCommand::PlayPause if playing => on_action(model, Action::TogglePause),
        RemoteCommand::Play if playing && model.paused => on_action(model, Action::TogglePause),
        RemoteCommand::Pause if playing && !model.paused => on_action(model, Action::TogglePause),
        RemoteCommand::Stop => on_action(model, Action::Stop),
        RemoteCommand::SetVolume(v) => {
            model.volume = crate::remote::player_volume(v);
            vec![Cmd::Player(UiCommand::SetVolume(model.volume))]
        }
        RemoteCommand::Quit => quit(model),
        RemoteCommand::Seek(by_ms) if playing => vec![Cmd::Player(UiCommand::Seek { by_ms })],
        RemoteCommand::SetPosition(ms) if playing => vec![Cmd::Player(UiCommand::SeekTo { ms })],
        // MPRIS: without such an entry, Next and Previous do nothing.
        RemoteCommand::Next if entry.is_some_and(|(i, n)| i.saturating_add(1) < n) => {
            on_action(model, Action::NextEntry)
        }
        RemoteCommand::Previous if entry.is_some_and(|(i, _)| i > 0) => {
            on_action(model, Action::PreviousEntry)
        }
        RemoteCommand::PlayPause
        | RemoteCommand::Play
        | RemoteCommand::Pause
        | RemoteCommand::Next
        | RemoteCommand::Previous
        | RemoteCommand::Seek(_)
        | RemoteCommand::SetPosition(_) => Vec::new(),
    }
}

fn quit(model: &mut Model) -> Vec<Cmd> {
    model.should_quit = true;
    let mut cmds: Vec<Cmd> = leave_position(model).into_iter().collect();
    cmds.push(Cmd::Player(UiCommand::Quit));
    cmds
}

/// The bookmark a playback belongs to: the one it was started from, or one saved with the same
/// URL.
fn bookmark_of(bookmarks: &[Bookmark], session: &Session) -> Option<String> {
    session.bookmark.clone().or_else(|| {
        let url = session.connected_url();
        bookmarks
            .iter()
            .find(|b| b.url == session.target || Some(b.url.as_str()) == url)
            .map(|b| b.name.clone())
    })
}

/// When an on-demand stream that belongs to a bookmark is left in the middle (stopped, quit,
/// or replaced), remembers where, so that playing the bookmark again resumes there.
fn leave_position(model: &Model) -> Option<Cmd> {
    let session = model.session.as_ref()?;
    let on_demand = session.stream.as_ref().is_some_and(|s| !s.live);
    let position_ms = session.stats.position_ms;
    if session.state != PlayState::Playing || !on_demand || position_ms == 0 {
        return None;
    }
    let name = bookmark_of(&model.bookmarks, session)?;
    Some(Cmd::Bookmarks(BookmarkOp::RecordPosition {
        name,
        position_ms: Some(position_ms),
    }))
}

fn move_cursor(model: &mut Model, action: Action) {
    match model.view {
        View::Bookmarks => {
            let last = model.bookmarks.len().saturating_sub(1);
            model.selected = match action {
                Action::Up => model.selected.saturating_sub(1),
                Action::Down => (model.selected + 1).min(last),
                Action::Top => 0,
                _ => last,
            };
        }
        View::Log => {
            // Scrolling counts lines back from the newest.
            let max = model.log.len().saturating_sub(1);
            model.log_scroll = match action {
                Action::Up => (model.log_scroll + 1).min(max),
                Action::Down => model.log_scroll.saturating_sub(1),
                Action::Top => max,
                _ => 0,
            };
        }
        View::Player => {}
    }
}

/// `a`: in the player view, bookmark the current stream (ask only for a name, suggesting the
/// stream's title); elsewhere ask for a URL first, suggesting the current stream's.
fn start_add(model: &mut Model) {
    if model.view == View::Player && is_ephemeral(model, model.session.as_ref().map(|s| &s.target))
    {
        model.status = Some(EPHEMERAL_REFUSAL.into());
        return;
    }
    let current = model.session.as_ref().map(|s| {
        let title = s
            .stream
            .as_ref()
            .and_then(|i| i.title.clone())
            .filter(|t| !t.is_empty());
        // A password typed into the URL is asked for again, not saved.
        (without_password(&s.target).into_owned(), title)
    });
    model.overlay = Some(Overlay::Prompt(match (model.view, current) {
        (View::Player, Some((url, title))) => {
            let text = title.unwrap_or_else(|| url.clone());
            Prompt {
                kind: PromptKind::AddName { url },
                text,
            }
        }
        (_, current) => Prompt {
            kind: PromptKind::AddUrl,
            text: current
                .map(|(url, _)| url)
                .filter(|url| !is_ephemeral(model, Some(url)))
                .unwrap_or_default(),
        },
    }));
}

/// Why the demo's stream is not saved: its server and port live only as long as this process.
const EPHEMERAL_REFUSAL: &str =
    "the demo stream lives only while the demo runs: not saved as a bookmark";

fn is_ephemeral(model: &Model, url: Option<&String>) -> bool {
    url.is_some_and(|u| model.ephemeral_target.as_ref() == Some(u))
}

fn on_prompt_key(model: &mut Model, mut prompt: Prompt, key: KeyEvent) -> Vec<Cmd> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        match key.code {
            KeyCode::Char('c') => return quit(model),
            // Ctrl-U clears the line, as in a shell.
            KeyCode::Char('u') => prompt.text.clear(),
            _ => {}
        }
        model.overlay = Some(Overlay::Prompt(prompt));
        return Vec::new();
    }
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Enter => {
            let text = prompt.text.trim().to_string();
            if text.is_empty() {
                model.overlay = Some(Overlay::Prompt(prompt));
                return Vec::new();
            }
            return match prompt.kind {
                // A bookmark name typed here plays the bookmark, as on the command line.
                PromptKind::Open => {
                    let bookmark = model.bookmarks.iter().find(|b| b.name == text);
                    let (target, name) = match bookmark {
                        Some(b) => (b.url.clone(), Some(b.name.clone())),
                        None => (text, None),
                    };
                    play(model, target, name)
                }
                PromptKind::AddUrl => {
                    model.overlay = Some(Overlay::Prompt(Prompt {
                        kind: PromptKind::AddName { url: text.clone() },
                        text,
                    }));
                    Vec::new()
                }
                PromptKind::AddName { url } if is_ephemeral(model, Some(&url)) => {
                    model.status = Some(EPHEMERAL_REFUSAL.into());
                    Vec::new()
                }
                PromptKind::AddName { url } => {
                    model.status = Some(format!("saved {text}"));
                    let mut cmds = vec![Cmd::Bookmarks(BookmarkOp::Add {
                        name: text.clone(),
                        url: url.clone(),
                    })];
                    // Bookmarking the stream that is playing: it belongs to the bookmark from now
                    // on, and if it has already connected, what worked is recorded at once
                    // rather than at the next play.
                    if let Some(session) = model.session.as_mut()
                        && without_password(&session.target) == url.as_str()
                    {
                        session.bookmark.get_or_insert_with(|| text.clone());
                        if let Some(transport) = session.connected {
                            cmds.push(Cmd::Bookmarks(BookmarkOp::RecordPlayed {
                                name: text,
                                transport,
                            }));
                        }
                    }
                    cmds
                }
                PromptKind::User { target, bookmark } => {
                    model.overlay = Some(Overlay::Prompt(Prompt {
                        kind: PromptKind::Password {
                            target,
                            bookmark,
                            user: text,
                        },
                        text: String::new(),
                    }));
                    Vec::new()
                }
                PromptKind::Password {
                    target,
                    bookmark,
                    user,
                } => {
                    // The password as typed: spaces may belong to it.
                    let credentials = Credentials {
                        user,
                        password: Some(prompt.text),
                    };
                    let mut cmds = vec![Cmd::Player(UiCommand::SetCredentials(credentials))];
                    cmds.extend(play(model, target, bookmark));
                    cmds
                }
                PromptKind::Rename { from } => {
                    if from == text {
                        return Vec::new();
                    }
                    model.status = Some(format!("renamed {from} to {text}"));
                    vec![Cmd::Bookmarks(BookmarkOp::Rename { from, to: text })]
                }
            };
        }
        KeyCode::Backspace => {
            prompt.text.pop();
        }
        KeyCode::Char(c) => prompt.text.push(c),
        _ => {}
    }
    model.overlay = Some(Overlay::Prompt(prompt));
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bookmarks::Bookmark;
    use crate::events::{StreamInfo, Transport};

    /// Starts playing a stream, as choosing a bookmark or typing a URL does.
    fn play_stream(model: &mut Model) {
        update(
            model,
            Msg::Play {
                target: "mms://h/x".into(),
                bookmark: None,
            },
        );
    }

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::from(KeyCode::Char(c)))
    }

    fn ev(model: &mut Model, event: PlayerEvent, now_ms: u64) -> Vec<Cmd> {
        update(model, Msg::Player { event, now_ms })
    }

    /// A server that wants credentials: the TUI asks for the user name, then the password
    /// (typed, Enter), and plays the same stream again with them.
    #[test]
    fn asks_for_credentials_and_plays_again() {
        let mut m = Model::default();
        play_stream(&mut m);
        let needed = PlayerEvent::CredentialsNeeded {
            user: None,
            rejected: false,
        };
        assert!(ev(&mut m, needed, 10).is_empty());
        let enter = || Msg::Key(KeyEvent::from(KeyCode::Enter));
        for c in "bob".chars() {
            update(&mut m, key(c));
        }
        assert!(update(&mut m, enter()).is_empty());
        match &m.overlay {
            Some(Overlay::Prompt(p)) => assert!(p.kind.is_secret()),
            other => panic!("no password prompt: {other:?}"),
        }
        for c in "s3 cret".chars() {
            update(&mut m, key(c));
        }
        let cmds = update(&mut m, enter());
        assert_eq!(
            cmds[0],
            Cmd::Player(UiCommand::SetCredentials(Credentials {
                user: "bob".into(),
                password: Some("s3 cret".into()),
            }))
        );
        assert!(cmds.contains(&Cmd::Player(UiCommand::Play {
            target: "mms://h/x".into()
        })));
        assert!(m.overlay.is_none());
        // A user already known: straight to the password; Esc gives up.
        let needed = PlayerEvent::CredentialsNeeded {
            user: Some("bob".into()),
            rejected: true,
        };
        ev(&mut m, needed, 20);
        assert!(matches!(&m.overlay, Some(Overlay::Prompt(p)) if p.kind.is_secret()));
        assert!(update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Esc))).is_empty());
        assert!(m.overlay.is_none());
    }

    /// A bookmark made from a stream played with a password in its URL keeps the user, not
    /// the password.
    #[test]
    fn bookmarks_leave_the_password_out() {
        let mut m = Model::default();
        update(
            &mut m,
            Msg::Play {
                target: "mms://bob:pw@h/x".into(),
                bookmark: None,
            },
        );
        m.view = View::Player;
        update(&mut m, key('a'));
        match &m.overlay {
            Some(Overlay::Prompt(p)) => {
                assert_eq!(
                    p.kind,
                    PromptKind::AddName {
                        url: "mms://bob@h/x".into()
                    }
                );
                assert!(!p.text.contains("pw"), "{}", p.text);
            }
            other => panic!("no bookmark prompt: {other:?}"),
        }
    }

    #[test]
    fn rollover_steps_follow_the_events() {
        let mut m = Model::default();
        let cmds = update(
            &mut m,
            Msg::Play {
                target: "mms://h/x".into(),
                bookmark: Some("X".into()),
            },
        );
        assert_eq!(
            cmds,
            vec![Cmd::Player(UiCommand::Play {
                target: "mms://h/x".into()
            })]
        );
        assert_eq!(m.view, View::Player);
        let url = "rtspu://h/x".to_string();
        ev(
            &mut m,
            PlayerEvent::Attempt {
                transport: Transport::Rtspu,
                url,
            },
            100,
        );
        ev(
            &mut m,
            PlayerEvent::AttemptFailed {
                transport: Transport::Rtspu,
                reason: "timed out".into(),
            },
            600,
        );
        ev(
            &mut m,
            PlayerEvent::Attempt {
                transport: Transport::Rtspt,
                url: "u".into(),
            },
            700,
        );
        let cmds = ev(
            &mut m,
            PlayerEvent::Connected {
                transport: Transport::Rtspt,
            },
            900,
        );
        let s = m.session.as_ref().unwrap();
        assert_eq!(
            s.steps[0].state,
            StepState::Failed {
                reason: "timed out".into(),
                after_ms: 500
            }
        );
        assert_eq!(s.steps[1].state, StepState::Connected { after_ms: 200 });
        assert_eq!(s.steps[2].state, StepState::Waiting);
        assert_eq!(s.state, PlayState::Playing);
        assert_eq!(
            cmds,
            vec![Cmd::Bookmarks(BookmarkOp::RecordPlayed {
                name: "X".into(),
                transport: Transport::Rtspt
            })]
        );
    }

    #[test]
    fn steps_ended_after_another_connected_are_dropped_not_failed() {
        let mut m = Model::default();
        play_stream(&mut m);
        for (t, at) in [
            (Transport::Rtspu, 0),
            (Transport::Rtspt, 300),
            (Transport::Mmsu, 600),
        ] {
            ev(
                &mut m,
                PlayerEvent::Attempt {
                    transport: t,
                    url: "u".into(),
                },
                at,
            );
        }
        let failed = |t, reason: &str| PlayerEvent::AttemptFailed {
            transport: t,
            reason: reason.into(),
        };
        ev(&mut m, failed(Transport::Rtspu, "no RTP"), 3000);
        ev(
            &mut m,
            PlayerEvent::Connected {
                transport: Transport::Rtspt,
            },
            3000,
        );
        ev(
            &mut m,
            failed(Transport::Mmsu, "not needed: rtspt connected first"),
            3000,
        );
        let s = m.session.as_ref().unwrap();
        assert!(matches!(s.steps[0].state, StepState::Failed { .. }));
        assert!(matches!(
            s.steps[1].state,
            StepState::Connected { after_ms: 2700 }
        ));
        assert_eq!(
            s.steps[2].state,
            StepState::Dropped {
                reason: "not needed: rtspt connected first".into()
            }
        );
        assert_eq!(s.steps[3].state, StepState::Waiting);
    }

    /// A model playing the on-demand bookmark "Lecture" at `position_ms`.
    fn playing_lecture(position_ms: u64, live: bool) -> Model {
        let mut m = Model {
            bookmarks: vec![Bookmark::new("Lecture", "mms://h/lecture")],
            ..Model::default()
        };
        update(
            &mut m,
            Msg::Play {
                target: "mms://h/lecture".into(),
                bookmark: Some("Lecture".into()),
            },
        );
        ev(
            &mut m,
            PlayerEvent::Connected {
                transport: Transport::Mmst,
            },
            5,
        );
        let info = StreamInfo {
            live,
            ..StreamInfo::default()
        };
        ev(&mut m, PlayerEvent::Stream(info), 6);
        ev(&mut m, PlayerEvent::Seek { position_ms }, 7);
        m
    }

    #[test]
    fn leaving_an_on_demand_bookmark_remembers_the_place() {
        let place = Cmd::Bookmarks(BookmarkOp::RecordPosition {
            name: "Lecture".into(),
            position_ms: Some(754_200),
        });
        let mut m = playing_lecture(754_200, false);
        assert_eq!(
            update(&mut m, key('q')),
            vec![place.clone(), Cmd::Player(UiCommand::Quit)]
        );
        let mut m = playing_lecture(754_200, false);
        assert_eq!(
            update(&mut m, key('s')),
            vec![place.clone(), Cmd::Player(UiCommand::Stop)]
        );
        // Another target replaces it.
        let mut m = playing_lecture(754_200, false);
        let cmds = update(
            &mut m,
            Msg::Play {
                target: "mms://h/other".into(),
                bookmark: None,
            },
        );
        assert_eq!(cmds[0], place);
        // A live stream has no place to return to.
        let mut m = playing_lecture(754_200, true);
        assert_eq!(update(&mut m, key('q')), vec![Cmd::Player(UiCommand::Quit)]);
    }

    #[test]
    fn a_bookmark_with_a_place_resumes_there_until_it_plays_to_its_end() {
        let mut lecture = Bookmark::new("Lecture", "mms://h/lecture");
        lecture.position_ms = Some(754_200);
        let mut m = Model {
            bookmarks: vec![lecture],
            ..Model::default()
        };
        let cmds = update(
            &mut m,
            Msg::Play {
                target: "mms://h/lecture".into(),
                bookmark: Some("Lecture".into()),
            },
        );
        assert_eq!(
            cmds,
            vec![
                Cmd::Player(UiCommand::StartAt { ms: 754_200 }),
                Cmd::Player(UiCommand::Play {
                    target: "mms://h/lecture".into()
                })
            ]
        );
        assert!(m.status.as_deref().unwrap().contains("12:34"));
        // To the end: forgotten.
        let cmds = ev(
            &mut m,
            PlayerEvent::End {
                reason: EndReason::Eos,
            },
            9,
        );
        assert_eq!(
            cmds,
            vec![Cmd::Bookmarks(BookmarkOp::RecordPosition {
                name: "Lecture".into(),
                position_ms: None,
            })]
        );
    }

    #[test]
    fn connected_records_a_bookmark_with_the_same_url() {
        let mut m = Model {
            bookmarks: vec![Bookmark::new("Radio", "mms://h/r")],
            ..Model::default()
        };
        update(
            &mut m,
            Msg::Play {
                target: "mms://h/r".into(),
                bookmark: None,
            },
        );
        let cmds = ev(
            &mut m,
            PlayerEvent::Connected {
                transport: Transport::Mmsh,
            },
            5,
        );
        assert_eq!(
            cmds,
            vec![Cmd::Bookmarks(BookmarkOp::RecordPlayed {
                name: "Radio".into(),
                transport: Transport::Mmsh
            })]
        );
        update(
            &mut m,
            Msg::Play {
                target: "mms://h/other".into(),
                bookmark: None,
            },
        );
        assert!(
            ev(
                &mut m,
                PlayerEvent::Connected {
                    transport: Transport::Mmsh
                },
                6
            )
            .is_empty()
        );
    }

    #[test]
    fn stats_build_the_histories() {
        let mut m = Model::default();
        update(
            &mut m,
            Msg::Play {
                target: "mmsu://h/x".into(),
                bookmark: None,
            },
        );
        for i in 1..=70u64 {
            let stats = Stats {
                bitrate_bps: i * 1000,
                packets_received: i * 9,
                packets_lost: i,
                ..Stats::default()
            };
            ev(&mut m, PlayerEvent::Stats(stats), i * 1000);
        }
        let s = m.session.as_ref().unwrap();
        assert_eq!(s.bitrate_history.len(), HISTORY_LEN);
        assert_eq!(s.current_bitrate(), 70_000);
        assert_eq!(s.average_bitrate(), (11..=70).sum::<u64>() * 1000 / 60);
        assert_eq!(s.loss_history.back(), Some(&100)); // 1 lost of 10 = 10.0 %
        assert!((s.loss_percent() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn n_and_p_move_in_a_playlist_and_mpris_only_where_there_is_an_entry() {
        let mut m = Model::default();
        assert!(update(&mut m, key('n')).is_empty(), "nothing playing");
        update(
            &mut m,
            Msg::Play {
                target: "/m/list.asx".into(),
                bookmark: None,
            },
        );
        // A single stream is no playlist.
        assert!(update(&mut m, key('n')).is_empty());
        assert!(update(&mut m, Msg::Remote(RemoteCommand::Next)).is_empty());
        let entry = |index| PlayerEvent::Entry {
            index,
            count: Some(2),
            url: format!("/m/{index}.asf"),
            title: Some("Tone".into()),
        };
        ev(&mut m, entry(0), 1);
        assert_eq!(m.session.as_ref().unwrap().entry, Some((0, 2)));
        assert!(
            m.log
                .iter()
                .any(|l| l.message.contains("playlist entry 1 of 2 \"Tone\""))
        );
        assert_eq!(
            update(&mut m, key('n')),
            vec![Cmd::Player(UiCommand::NextEntry)]
        );
        // Previous at the first entry plays it again from the key, not from MPRIS.
        assert_eq!(
            update(&mut m, key('p')),
            vec![Cmd::Player(UiCommand::PreviousEntry)]
        );
        assert!(update(&mut m, Msg::Remote(RemoteCommand::Previous)).is_empty());
        assert_eq!(
            update(&mut m, Msg::Remote(RemoteCommand::Next)),
            vec![Cmd::Player(UiCommand::NextEntry)]
        );
        ev(&mut m, entry(1), 2);
        assert!(update(&mut m, Msg::Remote(RemoteCommand::Next)).is_empty());
        assert_eq!(
            update(&mut m, Msg::Remote(RemoteCommand::Previous)),
            vec![Cmd::Player(UiCommand::PreviousEntry)]
        );
        assert!(!m.paused, "p no longer pauses");
    }

    #[test]
    fn the_language_key_asks_the_player_and_a_switch_shows() {
        let mut m = Model::default();
        assert!(update(&mut m, key('l')).is_empty(), "nothing playing");
        play_stream(&mut m);
        assert_eq!(
            update(&mut m, key('l')),
            vec![Cmd::Player(UiCommand::NextLanguage)]
        );
        ev(&mut m, PlayerEvent::Stream(StreamInfo::default()), 1);
        let switch = PlayerEvent::StreamSwitch {
            stream_number: 3,
            bitrate: 32_000,
            reason: "language".into(),
            language: Some("de".into()),
            codec: "wmav2".into(),
            sample_rate: 8000,
            channels: 1,
        };
        ev(&mut m, switch, 2);
        let s = m.session.as_ref().unwrap().stream.as_ref().unwrap();
        assert_eq!((s.stream_number, s.language.as_deref()), (3, Some("de")));
        assert_eq!((s.sample_rate, s.channels), (8000, 1));
        assert!(
            m.log
                .iter()
                .any(|l| l.message == "switched to stream 3 (32 kb/s, de): language")
        );
    }

    #[test]
    fn a_seek_moves_the_position_at_once_and_is_logged() {
        let mut m = Model::default();
        update(
            &mut m,
            Msg::Play {
                target: "a.wma".into(),
                bookmark: None,
            },
        );
        ev(
            &mut m,
            PlayerEvent::Seek {
                position_ms: 65_000,
            },
            10,
        );
        assert_eq!(m.session.as_ref().unwrap().stats.position_ms, 65_000);
        let last = m.log.back().unwrap();
        assert!(last.message.contains("playing from 65.000 s"), "{last:?}");
    }

    #[test]
    fn keys_drive_the_player() {
        let mut m = Model::default();
        assert!(update(&mut m, key(' ')).is_empty(), "nothing to pause yet");
        play_stream(&mut m);
        assert_eq!(
            update(&mut m, key(' ')),
            vec![Cmd::Player(UiCommand::SetPaused(true))]
        );
        assert_eq!(
            update(&mut m, key('+')),
            vec![Cmd::Player(UiCommand::SetVolume(1.05))]
        );
        for _ in 0..100 {
            update(&mut m, key('-'));
        }
        assert_eq!(m.volume, 0.0);
        assert_eq!(
            update(&mut m, key('0')),
            vec![Cmd::Player(UiCommand::SetVolume(0.05))]
        );
        assert_eq!(
            update(&mut m, key('9')),
            vec![Cmd::Player(UiCommand::SetVolume(0.0))]
        );
        // The arrows seek, as in mpv; shift goes further.
        let arrow = |code, shift| {
            let mods = if shift {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            Msg::Key(KeyEvent::new(code, mods))
        };
        for (code, shift, by_ms) in [
            (KeyCode::Left, false, -10_000),
            (KeyCode::Right, false, 10_000),
            (KeyCode::Left, true, -60_000),
            (KeyCode::Right, true, 60_000),
        ] {
            assert_eq!(
                update(&mut m, arrow(code, shift)),
                vec![Cmd::Player(UiCommand::Seek { by_ms })]
            );
        }
        assert_eq!(m.volume, 0.0, "arrows no longer touch the volume");
        assert_eq!(update(&mut m, key('s')), vec![Cmd::Player(UiCommand::Stop)]);
        assert_eq!(update(&mut m, key('q')), vec![Cmd::Player(UiCommand::Quit)]);
        assert!(m.should_quit);
    }

    #[test]
    fn bookmarks_keys_add_rename_delete_play() {
        let bookmarks = vec![
            Bookmark::new("A", "mms://h/a"),
            Bookmark::new("B", "mmsh://h/b"),
        ];
        let mut m = Model {
            bookmarks,
            ..Model::default()
        };
        update(&mut m, key('j'));
        update(&mut m, key('j'));
        assert_eq!(m.selected, 1);
        // Rename: the prompt starts with the old name.
        update(&mut m, key('r'));
        update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Backspace)));
        update(&mut m, key('2'));
        let cmds = update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(
            cmds,
            vec![Cmd::Bookmarks(BookmarkOp::Rename {
                from: "B".into(),
                to: "2".into()
            })]
        );
        // Delete asks first; anything but y keeps it.
        update(&mut m, key('d'));
        assert!(update(&mut m, key('n')).is_empty());
        update(&mut m, key('d'));
        assert_eq!(
            update(&mut m, key('y')),
            vec![Cmd::Bookmarks(BookmarkOp::Remove { name: "B".into() })]
        );
        // Add: URL, then name; q is text inside a prompt, not quit.
        update(&mut m, key('a'));
        for c in "mmst://q".chars() {
            update(&mut m, key(c));
        }
        update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert!(!m.should_quit);
        for c in "Q".chars() {
            update(&mut m, key(c));
        }
        let cmds = update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(
            cmds,
            vec![Cmd::Bookmarks(BookmarkOp::Add {
                name: "mmst://qQ".into(),
                url: "mmst://q".into()
            })]
        );
        // Enter plays the selection, from its URL.
        update(&mut m, key('g'));
        let cmds = update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(
            cmds,
            vec![Cmd::Player(UiCommand::Play {
                target: "mms://h/a".into()
            })]
        );
        assert_eq!(m.session.as_ref().unwrap().bookmark.as_deref(), Some("A"));
    }

    #[test]
    fn a_server_side_playlist_entry_shows_its_title_and_keeps_n_and_p_off() {
        let mut m = Model::default();
        play_stream(&mut m);
        let titled = |t: &str| {
            PlayerEvent::Stream(StreamInfo {
                title: Some(t.into()),
                ..StreamInfo::default()
            })
        };
        ev(&mut m, titled("First"), 1);
        let entry = PlayerEvent::Entry {
            index: 1,
            count: None,
            url: "mms://h/x".into(),
            title: Some("Second".into()),
        };
        ev(&mut m, entry, 2);
        ev(&mut m, titled("Second"), 3);
        let s = m.session.as_ref().unwrap();
        assert_eq!(s.stream.as_ref().unwrap().title.as_deref(), Some("Second"));
        // The server's playlist is no metafile playlist: n/p have nothing to move in.
        assert_eq!(s.entry, None);
        assert!(update(&mut m, key('n')).is_empty());
        assert!(m.log.iter().any(|l| {
            l.message
                .contains("server playlist entry 2 \"Second\": mms://h/x")
        }));
    }

    #[test]
    fn add_from_the_player_suggests_the_title() {
        let mut m = Model::default();
        play_stream(&mut m);
        let info = StreamInfo {
            title: Some("Tone".into()),
            ..StreamInfo::default()
        };
        ev(&mut m, PlayerEvent::Stream(info), 1);
        update(&mut m, key('a'));
        let cmds = update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(
            cmds,
            vec![Cmd::Bookmarks(BookmarkOp::Add {
                name: "Tone".into(),
                url: "mms://h/x".into()
            })]
        );
    }

    #[test]
    fn the_demo_stream_is_never_saved_as_a_bookmark() {
        let demo = "mms://127.0.0.1/demo.wma";
        let mut m = Model {
            ephemeral_target: Some(demo.into()),
            ..Model::default()
        };
        update(
            &mut m,
            Msg::Play {
                target: demo.into(),
                bookmark: None,
            },
        );
        // From the player: no prompt, a status line that says why.
        assert!(update(&mut m, key('a')).is_empty());
        assert!(m.overlay.is_none());
        assert!(m.status.as_deref().unwrap_or("").contains("not saved"));
        // From the bookmarks: the URL is not suggested, and typed by hand it is refused.
        update(&mut m, key('2'));
        update(&mut m, key('a'));
        match &m.overlay {
            Some(Overlay::Prompt(p)) => assert_eq!(p.text, ""),
            other => panic!("expected the URL prompt, got {other:?}"),
        }
        for c in demo.chars() {
            update(&mut m, key(c));
        }
        update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        let cmds = update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert!(cmds.is_empty(), "{cmds:?}");
        assert!(m.status.as_deref().unwrap_or("").contains("not saved"));
        // Any other stream is saved as usual.
        update(&mut m, key('a'));
        for c in "mmsh://radio/live".chars() {
            update(&mut m, key(c));
        }
        update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        let cmds = update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(cmds.len(), 1, "{cmds:?}");
    }

    #[test]
    fn open_plays_a_typed_url_or_bookmark_name() {
        let mut m = Model {
            bookmarks: vec![Bookmark::new("A", "mms://h/a")],
            ..Model::default()
        };
        update(&mut m, key('o'));
        for c in "mmsh://h/z".chars() {
            update(&mut m, key(c));
        }
        let cmds = update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(
            cmds,
            vec![Cmd::Player(UiCommand::Play {
                target: "mmsh://h/z".into()
            })]
        );
        assert_eq!(m.session.as_ref().unwrap().steps.len(), 1);
        update(&mut m, key('o'));
        update(&mut m, key('A'));
        let cmds = update(&mut m, Msg::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(
            cmds,
            vec![Cmd::Player(UiCommand::Play {
                target: "mms://h/a".into()
            })]
        );
        assert_eq!(m.session.as_ref().unwrap().bookmark.as_deref(), Some("A"));
    }

    #[test]
    fn a_refused_edit_keeps_the_list_and_says_why() {
        let mut m = Model {
            bookmarks: vec![Bookmark::new("A", "mms://h/a")],
            ..Model::default()
        };
        update(
            &mut m,
            Msg::BookmarksSaved(Err("there is already a bookmark named \"A\"".into())),
        );
        assert_eq!(m.bookmarks.len(), 1);
        assert!(m.status.as_deref().unwrap_or_default().contains("already"));
        assert_eq!(
            m.bookmarks_error, None,
            "a refused edit is not a broken file"
        );
        // The next key clears the status line.
        update(&mut m, key('j'));
        assert_eq!(m.status, None);
    }

    #[test]
    fn the_volume_carries_over_to_the_next_playback() {
        let mut m = Model::default();
        update(&mut m, key('-'));
        let cmds = update(
            &mut m,
            Msg::Play {
                target: "mms://h/x".into(),
                bookmark: None,
            },
        );
        assert_eq!(
            cmds,
            vec![
                Cmd::Player(UiCommand::Play {
                    target: "mms://h/x".into()
                }),
                Cmd::Player(UiCommand::SetVolume(0.95))
            ]
        );
    }

    #[test]
    fn media_flowing_again_ends_a_reconnect() {
        let mut m = Model::default();
        update(
            &mut m,
            Msg::Play {
                target: "mmst://h/x".into(),
                bookmark: None,
            },
        );
        ev(
            &mut m,
            PlayerEvent::Connected {
                transport: Transport::Mmst,
            },
            1,
        );
        let stats = |n| {
            PlayerEvent::Stats(Stats {
                packets_received: n,
                ..Stats::default()
            })
        };
        ev(&mut m, stats(10), 1000);
        ev(
            &mut m,
            PlayerEvent::Reconnect {
                attempt: 1,
                reason: "reset".into(),
            },
            1500,
        );
        ev(&mut m, stats(10), 2000);
        assert!(matches!(
            m.session.as_ref().unwrap().state,
            PlayState::Reconnecting { .. }
        ));
        ev(&mut m, stats(14), 3000);
        assert_eq!(m.session.as_ref().unwrap().state, PlayState::Playing);
    }

    #[test]
    fn a_repeated_attempt_starts_a_new_round() {
        let mut m = Model::default();
        play_stream(&mut m);
        ev(
            &mut m,
            PlayerEvent::Attempt {
                transport: Transport::Mmst,
                url: "u".into(),
            },
            1,
        );
        ev(
            &mut m,
            PlayerEvent::Connected {
                transport: Transport::Mmst,
            },
            2,
        );
        ev(
            &mut m,
            PlayerEvent::Reconnect {
                attempt: 1,
                reason: "reset".into(),
            },
            3,
        );
        ev(
            &mut m,
            PlayerEvent::Attempt {
                transport: Transport::Mmst,
                url: "u".into(),
            },
            4,
        );
        let s = m.session.as_ref().unwrap();
        assert_eq!(s.steps[3].state, StepState::Trying { since_ms: 4 });
        assert!(matches!(
            s.state,
            PlayState::Reconnecting { attempt: 1, .. }
        ));
    }
}
