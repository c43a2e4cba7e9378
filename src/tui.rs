//! The TUI runtime: sets the terminal up, turns keys, player events and clock ticks into
//! messages for `app::update`, carries out the commands it returns, draws `ui::view`, and puts
//! the terminal back however it ends (return, error or panic).
//!
//! While the TUI is up, file descriptor 2 points at the log file: ALSA and other C libraries
//! print to stderr behind Rust's back, and anything written there would garble the screen.
//!
//! The player runtime drives it through two channels:
//!
//! ```text
//! let (event_tx, event_rx) = tokio::sync::mpsc::channel::<PlayerEvent>(256);
//! let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel::<UiCommand>();
//! // the runtime executes what arrives on command_rx (Play, Stop, SetPaused, SetVolume, Seek, Quit)
//! // and sends each playback's PlayerEvents on event_tx
//! tui::run(TuiOptions { start_target, log_path, ..Default::default() }, event_rx, command_tx).await?;
//! ```
//!
//! `fake_player` is a scripted stand-in for the runtime, used by the tests and the `tui_fake`
//! example.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::Stdout;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::cursor::Show;
use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::sync::mpsc::{Receiver, UnboundedReceiver, UnboundedSender};

use crate::app::{self, BookmarkOp, Cmd, Model, Msg};
use crate::bookmarks::{self, Store};
use crate::events::{PlayerEvent, Transport, UiCommand};
use crate::remote::RemoteCommand;
use crate::ui;

pub mod fake_player;

/// Set by the panic hook while the TUI is up: the terminal has been restored, stop drawing.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// At most this many queued player events are handled between two frames.
const MAX_EVENTS_PER_FRAME: usize = 256;

/// How often the screen is redrawn when nothing else happens (spinners, elapsed times).
const TICK: Duration = Duration::from_millis(100);

/// How to start the TUI. Build it with `..Default::default()` so that new fields do not break
/// callers.
#[derive(Clone, Debug, Default)]
pub struct TuiOptions {
    /// Play this at once (URL, file, metafile or bookmark name) and show the player; with `None`
    /// the TUI opens on the bookmarks.
    pub start_target: Option<String>,
    /// Where logs and anything written to stderr go while the TUI is up (empty: the default,
    /// [`default_log_path`]).
    pub log_path: PathBuf,
    /// The bookmarks file; `None` for the default (`bookmarks::default_path`).
    pub bookmarks_path: Option<PathBuf>,
    /// The rollover ladder from `--transports`, so the rollover panel lists the steps that will
    /// really be tried; `None` to derive it from each URL's scheme.
    pub transports: Option<Vec<Transport>>,
    /// A URL that works only while this process runs (`--demo`'s loopback server): never
    /// offered as a bookmark.
    pub ephemeral_target: Option<String>,
}

/// Where the log goes by default while the TUI is up: `mmsplay.log` in the platform's cache
/// directory (`$XDG_CACHE_HOME/mmsplay/` on Linux), else in the temporary directory.
pub fn default_log_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "mmsplay")
        .map(|d| d.cache_dir().to_path_buf())
        .unwrap_or_else(std::env::temp_dir)
        .join("mmsplay.log")
}

/// Runs the TUI on the real terminal until the user quits.
///
/// Sends `UiCommand`s to the player on `commands` (at once `Play` if `start_target` is set, and
/// `Quit` last) and shows the `PlayerEvent`s that arrive on `events`.
pub async fn run(
    opts: TuiOptions,
    events: Receiver<PlayerEvent>,
    commands: UnboundedSender<UiCommand>,
) -> anyhow::Result<()> {
    let (_no_remote, remote) = tokio::sync::mpsc::unbounded_channel();
    run_with_remote(opts, events, commands, remote).await
}

/// [`run`], with the commands of remote controllers (MPRIS) as a second input beside the
/// keyboard: they change the model the way keys do.
pub async fn run_with_remote(
    opts: TuiOptions,
    events: Receiver<PlayerEvent>,
    commands: UnboundedSender<UiCommand>,
    remote: UnboundedReceiver<RemoteCommand>,
) -> anyhow::Result<()> {
    let log_path = if opts.log_path.as_os_str().is_empty() {
        default_log_path()
    } else {
        opts.log_path.clone()
    };
    let log = open_log(&log_path)?;
    init_file_logging(&log);
    install_panic_hook();
    stderr::redirect_to(&log)
        .with_context(|| format!("redirecting stderr to {}", log_path.display()))?;
    let mut terminal = match enter_terminal() {
        Ok(t) => t,
        Err(e) => {
            leave_terminal();
            return Err(e).context("setting up the terminal");
        }
    };
    // The end of the terminal's input still ends the TUI, whatever the remote side does.
    let keyboard = terminal_input().chain(futures::stream::iter([Msg::Quit]));
    let remote = futures::stream::unfold(remote, |mut rx| async move {
        rx.recv().await.map(|command| (Msg::Remote(command), rx))
    });
    let input = futures::stream::select(keyboard, Box::pin(remote));
    let result = run_loop(&mut terminal, &opts, input, events, commands).await;
    leave_terminal();
    result.map(drop)
}

/// Whether the terminal is in TUI mode (raw, alternate screen, stderr redirected). Whoever
/// swaps it to false first, the normal exit or the panic hook, restores the terminal: exactly
/// once, because a second "leave alternate screen" moves the cursor over what was printed.
static TUI_ACTIVE: AtomicBool = AtomicBool::new(false);

fn enter_terminal() -> std::io::Result<Terminal<CrosstermBackend<Stdout>>> {
    TUI_ACTIVE.store(true, Ordering::SeqCst);
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), EnterAlternateScreen)?;
    Terminal::new(CrosstermBackend::new(std::io::stdout()))
}

/// Gives the terminal and stderr back, if nobody has yet.
fn leave_terminal() {
    if TUI_ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = crossterm::terminal::disable_raw_mode();
        let _ = crossterm::execute!(std::io::stdout(), LeaveAlternateScreen, Show);
        stderr::restore();
    }
}

/// On a panic anywhere (also on the player's threads) while the TUI is up: give the terminal
/// and stderr back first, so that the message is readable and reaches the user rather than the
/// log file, then stop the loop, since drawing on a restored terminal would garble it.
fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let was_active = TUI_ACTIVE.load(Ordering::SeqCst);
            leave_terminal();
            previous(info);
            // Set after the message is out, so that the loop's own error line follows it.
            if was_active {
                PANICKED.store(true, Ordering::SeqCst);
            }
        }));
    });
}

/// The event loop, on any backend: `run` uses the real terminal, tests a `TestBackend` and a
/// scripted input stream. Returns the final model.
pub async fn run_loop<B, I>(
    terminal: &mut Terminal<B>,
    opts: &TuiOptions,
    mut input: I,
    mut events: Receiver<PlayerEvent>,
    commands: UnboundedSender<UiCommand>,
) -> anyhow::Result<Model>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    I: Stream<Item = Msg> + Unpin,
{
    let started = Instant::now();
    let now_ms = || started.elapsed().as_millis() as u64;
    let mut model = Model {
        ladder_override: opts.transports.clone(),
        ephemeral_target: opts.ephemeral_target.clone(),
        ..Model::default()
    };

    // A broken bookmarks file is shown, never overwritten: without a `Store` nothing is saved.
    let path = match &opts.bookmarks_path {
        Some(p) => Ok(p.clone()),
        None => bookmarks::default_path(),
    };
    let mut store = path.and_then(Store::load_from).map_err(|e| e.to_string());
    // Messages waiting for `update`, in order: the initial ones, then each input followed by
    // the replies to the commands it caused.
    let mut pending = VecDeque::from([Msg::BookmarksLoaded(
        store
            .as_ref()
            .map(|s| s.bookmarks().to_vec())
            .map_err(Clone::clone),
    )]);
    if let Some(target) = &opts.start_target {
        pending.push_back(start_message(target, store.as_ref().ok()));
    }

    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut events_open = true;
    loop {
        while let Some(msg) = pending.pop_front() {
            for cmd in app::update(&mut model, msg) {
                if let Some(reply) = execute(cmd, &mut store, &commands) {
                    pending.push_back(reply);
                }
            }
        }
        if PANICKED.load(Ordering::SeqCst) {
            anyhow::bail!("stopped after a panic (reported above)");
        }
        terminal.draw(|frame| ui::view(&model, frame))?;
        if model.should_quit {
            break;
        }
        let msg = tokio::select! {
            event = events.recv(), if events_open => match event {
                Some(event) => Msg::Player { event, now_ms: now_ms() },
                None => {
                    // The player is gone; keep the screen up so the user can read why.
                    events_open = false;
                    continue;
                }
            },
            msg = input.next() => match msg {
                Some(msg) => msg,
                // No more input (the terminal went away): leave as if the user quit.
                None => Msg::Quit,
            },
            _ = ticker.tick() => Msg::Tick { now_ms: now_ms() },
        };
        // Take every player event already queued before drawing again, so that a burst costs
        // one frame, not one per event. Events queued before a key are handled before it.
        let mut queued = Vec::new();
        while queued.len() < MAX_EVENTS_PER_FRAME
            && let Ok(event) = events.try_recv()
        {
            queued.push(Msg::Player {
                event,
                now_ms: now_ms(),
            });
        }
        if matches!(msg, Msg::Player { .. }) {
            pending.push_back(msg);
            pending.extend(queued);
        } else {
            pending.extend(queued);
            pending.push_back(msg);
        }
        for msg in &pending {
            if let Msg::Player { event, .. } = msg {
                tracing::debug!(?event, "player event");
            }
        }
    }
    Ok(model)
}

/// The first message for a command-line TARGET: a bookmark name plays the bookmark's URL (and
/// records what worked in it); anything else is played as given.
fn start_message(target: &str, store: Option<&Store>) -> Msg {
    match store.and_then(|s| s.get(target)) {
        Some(b) => Msg::Play {
            target: b.url.clone(),
            bookmark: Some(b.name.clone()),
        },
        None => Msg::Play {
            target: target.to_string(),
            bookmark: None,
        },
    }
}

/// Carries out one command; a bookmark change answers with the new list (or the error).
fn execute(
    cmd: Cmd,
    store: &mut Result<Store, String>,
    commands: &UnboundedSender<UiCommand>,
) -> Option<Msg> {
    match cmd {
        Cmd::Player(command) => {
            tracing::debug!(?command, "ui command");
            // A closed channel means the player runtime has stopped; the TUI can still quit.
            let _ = commands.send(command);
            None
        }
        Cmd::Bookmarks(op) => {
            let result = match store {
                Ok(current) => apply_bookmark_op(current, &op).map(|next| {
                    *current = next;
                    current.bookmarks().to_vec()
                }),
                Err(load_error) => Err(format!("bookmarks not changed: {load_error}")),
            };
            if let Err(e) = &result {
                tracing::warn!("bookmarks: {e}");
            }
            Some(Msg::BookmarksSaved(result))
        }
    }
}

/// Applies `op` to a copy of the store and saves it; the copy replaces the store only once it
/// is on disk, so a failed save leaves the screen and the file in agreement.
pub fn apply_bookmark_op(store: &Store, op: &BookmarkOp) -> Result<Store, String> {
    let mut next = store.clone();
    let changed = match op {
        BookmarkOp::Add { name, url } => next.add(name, url),
        BookmarkOp::Rename { from, to } => next.rename(from, to),
        BookmarkOp::Remove { name } => next.remove(name).map(drop),
        BookmarkOp::RecordPlayed { name, transport } => {
            next.record_played(name, *transport, bookmarks::now_utc())
        }
        BookmarkOp::RecordPosition { name, position_ms } => {
            next.record_position(name, *position_ms)
        }
    };
    changed
        .and_then(|()| next.save())
        .map_err(|e| e.to_string())?;
    Ok(next)
}

/// Keys and resizes from the terminal, plus SIGTERM as a request to quit.
fn terminal_input() -> impl Stream<Item = Msg> + Unpin {
    let keys = EventStream::new().filter_map(|event| async move {
        match event {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
            Ok(Event::Resize(..)) => Some(Msg::Resize),
            Ok(_) => None,
            Err(e) => {
                tracing::error!("reading the terminal: {e}");
                Some(Msg::Quit)
            }
        }
    });
    futures::stream::select(keys, termination()).boxed()
}

/// One `Msg::Quit` when SIGTERM or SIGHUP arrives (the terminal closing), then nothing.
fn termination() -> impl Stream<Item = Msg> {
    futures::stream::once(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match (
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) {
                (Ok(mut term), Ok(mut hup)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = hup.recv() => {}
                    }
                }
                _ => futures::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        futures::future::pending::<()>().await;
        Msg::Quit
    })
}

fn open_log(path: &Path) -> anyhow::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the log file {}", path.display()))
}

/// Sends `tracing` output to the log file, unless the program already set a subscriber (then
/// that one stays; if it writes to stderr, the redirection takes it to the same file).
fn init_file_logging(log: &File) {
    let Ok(writer) = log.try_clone() else { return };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(writer))
        .try_init();
}

/// Pointing file descriptor 2 somewhere else and back, with no `unsafe` (nix does the `dup2`).
mod stderr {
    use std::fs::File;
    use std::sync::Mutex;

    #[cfg(unix)]
    static SAVED: Mutex<Option<std::os::fd::OwnedFd>> = Mutex::new(None);

    /// Sends everything written to fd 2 into `file`, remembering the real stderr.
    #[cfg(unix)]
    pub fn redirect_to(file: &File) -> std::io::Result<()> {
        let mut saved = SAVED.lock().unwrap_or_else(|p| p.into_inner());
        if saved.is_none() {
            *saved = Some(nix::unistd::dup(std::io::stderr())?);
        }
        nix::unistd::dup2_stderr(file)?;
        Ok(())
    }

    /// Puts the real stderr back; does nothing if it was not redirected. Safe to call twice and
    /// from a panic hook.
    #[cfg(unix)]
    pub fn restore() {
        let mut saved = SAVED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(fd) = saved.take() {
            let _ = nix::unistd::dup2_stderr(&fd);
        }
    }

    #[cfg(not(unix))]
    pub fn redirect_to(_file: &File) -> std::io::Result<()> {
        Ok(())
    }

    #[cfg(not(unix))]
    pub fn restore() {}
}
