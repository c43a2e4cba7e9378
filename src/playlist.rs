//! Playing what a TARGET names when it is, or may be, a metafile, the way Windows Media Player
//! did: the metafile's entries play one after the other, and the references inside one entry
//! are alternatives, tried in order until one plays.
//!
//! - A local file that is not ASF but an ASX, `[Reference]` or NSC file is parsed.
//! - An `http://` URL is fetched first and judged by its Content-Type and first bytes
//!   (`mmsplay_net::mmsh::classify_http`): an MS-WMSP stream goes to the rollover as before; a
//!   metafile is parsed; a plain ASF file is played as it downloads.
//! - Entries of a metafile may be metafiles themselves (`ENTRYREF`, a `REF` to an `.asx`): they
//!   are expanded in place, to a bounded depth and a bounded number of fetches.
//!
//! Each try shows in the `attempt` / `attempt_failed` events; only the last failure is the
//! `error`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mmsplay_net::StreamUrl;
use mmsplay_net::mmsh::{HttpContent, classify_http};

use crate::audio::AudioControl;
use crate::events::EndReason;
use crate::metafile::{self, Item, MAX_METAFILE_LEN, Metafile, fetch};
use crate::player::{self, Candidate, Events, PlayError, PlayOptions, Target};

/// Deepest chain of metafiles pointing at metafiles.
pub const MAX_NESTING: usize = 5;
/// Most metafiles read or fetched for one TARGET.
pub const MAX_FETCHES: usize = 16;
/// Most entries tried for one TARGET.
pub const MAX_CANDIDATES: usize = 64;
/// Longest wait for a metafile or for the first bytes of an `http://` answer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest time spent resolving metafiles before playing what was found.
const EXPAND_TIMEOUT: Duration = Duration::from_secs(20);

/// Plays a target, expanding metafiles into the entries they list.
pub async fn play(
    target: Target,
    opts: PlayOptions,
    control: Arc<AudioControl>,
    events: Events,
    mut stop_rx: tokio::sync::watch::Receiver<bool>,
) -> Result<EndReason, PlayError> {
    // `--user` belongs to the server of the target the user named, not to those its
    // metafile or redirects lead to.
    if let (Some(c), Target::Url(url) | Target::HttpFile(url)) = (&opts.credentials, &target) {
        c.bind_to_target(mmsplay_net::auth::Owner::of_url(url, &opts.ports));
    }
    let mut x = Expander {
        events: &events,
        default_port: opts.ports.http,
        proxy: opts.proxy.clone(),
        credentials: opts.credentials.clone(),
        fetches: 0,
        last_error: None,
        out: Vec::new(),
        entries: 0,
        titles: std::collections::HashMap::new(),
    };
    tokio::select! {
        r = tokio::time::timeout(EXPAND_TIMEOUT, x.expand(target)) => {
            if r.is_err() {
                x.last_error = Some(PlayError::Input(format!(
                    "resolving the metafiles took longer than {} s",
                    EXPAND_TIMEOUT.as_secs()
                )));
            }
        }
        _ = stop_rx.changed() => return player::stopped_before_start(&events),
    }
    let Expander {
        out,
        last_error,
        mut titles,
        ..
    } = x;
    // Consecutive candidates of one entry are alternatives; entries play in turn.
    let mut entries: Vec<PlaylistEntry> = Vec::new();
    let mut current = None;
    for (entry, c) in out {
        if current != Some(entry) || entries.is_empty() {
            entries.push(PlaylistEntry {
                title: titles.remove(&entry),
                alternatives: Vec::new(),
            });
            current = Some(entry);
        }
        if let Some(last) = entries.last_mut() {
            last.alternatives.push(c);
        }
    }
    if entries.len() <= 1 {
        let only = entries.pop().map(|e| e.alternatives).unwrap_or_default();
        return player::play_first(only, last_error, opts, control, events, stop_rx).await;
    }
    play_entries(entries, last_error, opts, control, events, stop_rx).await
}

/// `out.wav` as `out.2.wav` for the second entry of a playlist.
pub(crate) fn numbered_path(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("wav");
    path.with_file_name(format!("{stem}.{n}.{ext}"))
}

/// A move within a playlist that the user asked for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Next,
    Previous,
}

/// The entry a playlist of `count` entries plays after entry `index` when `step` is asked for
/// (`Step::Next` is also where it goes when an entry ends); `None` ends the playlist. Next at
/// the last entry ends it; previous at the first plays the first again.
pub fn step(index: usize, count: usize, step: Step) -> Option<usize> {
    match step {
        Step::Next => index.checked_add(1).filter(|&i| i < count),
        Step::Previous => Some(index.saturating_sub(1)).filter(|&i| i < count),
    }
}

/// Requests to move within the playlist that is playing (the `n`/`p` keys, MPRIS
/// Next/Previous). Clones share the requests; a playback that is no playlist ignores them.
#[derive(Clone, Debug, Default)]
pub struct PlaylistNav {
    inner: Arc<NavInner>,
}

#[derive(Debug, Default)]
struct NavInner {
    pending: std::sync::Mutex<std::collections::VecDeque<Step>>,
    notify: tokio::sync::Notify,
}

/// At most this many requests wait for a playlist; older ones are let go.
const MAX_PENDING_STEPS: usize = 64;

impl PlaylistNav {
    /// Asks the playlist to move.
    pub fn request(&self, step: Step) {
        {
            let mut pending = self.pending();
            if pending.len() >= MAX_PENDING_STEPS {
                pending.pop_front();
            }
            pending.push_back(step);
        }
        self.inner.notify.notify_one();
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<Step>> {
        // A poisoned lock still holds a usable queue.
        self.inner
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The requests made so far, oldest first; they are taken.
    fn take(&self) -> Vec<Step> {
        self.pending().drain(..).collect()
    }

    /// Waits for the next request.
    async fn next_request(&self) -> Step {
        loop {
            if let Some(s) = self.pending().pop_front() {
                return s;
            }
            self.inner.notify.notified().await;
        }
    }
}

/// How a target is named in the `entry` event.
pub(crate) fn target_label(t: &Target) -> String {
    match t {
        Target::File(path) => path.display().to_string(),
        Target::Url(u) | Target::HttpFile(u) => {
            let port = u.port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{}{port}{}", u.scheme, u.host, u.path)
        }
    }
}

fn entry_label(alternatives: &[Candidate]) -> String {
    match alternatives.first() {
        Some(Candidate::Play(t)) => target_label(t),
        Some(Candidate::Failed { label, .. }) => label.clone(),
        None => String::new(),
    }
}

/// One entry of a playlist: its title, where the metafile gives one, and its alternatives.
struct PlaylistEntry {
    title: Option<String>,
    alternatives: Vec<Candidate>,
}

/// Plays a metafile's entries one after the other, or in the order `opts.playlist_nav` asks
/// for. The list ends at its end, when the user stops it, or at `--duration`; it fails only
/// when no entry played.
async fn play_entries(
    entries: Vec<PlaylistEntry>,
    mut last_error: Option<PlayError>,
    opts: PlayOptions,
    control: Arc<AudioControl>,
    events: Events,
    stop_rx: tokio::sync::watch::Receiver<bool>,
) -> Result<EndReason, PlayError> {
    let count = entries.len();
    let nav = opts.playlist_nav.clone();
    // Requests made before this playlist started were not meant for it.
    nav.take();
    let mut played = 0usize;
    let mut index = Some(0usize);
    while let Some(i) = index {
        let Some(entry) = entries.get(i) else { break };
        if *stop_rx.borrow() {
            break;
        }
        events.emit(crate::events::PlayerEvent::Entry {
            index: i,
            count: Some(count),
            url: entry_label(&entry.alternatives),
            title: entry.title.clone(),
        });
        let prior = last_error.take();
        let item_events = events.for_playlist_item();
        let mut item_opts = opts.clone();
        // A WAV file holds one format: each entry played after the first gets a file of its
        // own beside it (an entry that fails never creates its file).
        if let (crate::audio::OutputSpec::Wav(path), true) = (&opts.output, played > 0) {
            let numbered = numbered_path(path, played + 1);
            events.log(
                "info",
                format!("entry {} goes to {}", i + 1, numbered.display()),
            );
            item_opts.output = crate::audio::OutputSpec::Wav(numbered);
        }
        if let (Some(path), true) = (&opts.record, played > 0) {
            item_opts.record = Some(numbered_path(path, played + 1));
        }
        // The entry stops when the whole list does, or when the user moves on.
        let (item_stop, item_stop_rx) = tokio::sync::watch::channel(false);
        let playing = player::play_first(
            entry.alternatives.clone(),
            prior,
            item_opts,
            control.clone(),
            item_events,
            item_stop_rx,
        );
        tokio::pin!(playing);
        let mut outer = stop_rx.clone();
        let mut outer_open = true;
        let mut requested: Option<Step> = None;
        let r = loop {
            tokio::select! {
                r = &mut playing => break r,
                changed = outer.changed(), if outer_open => {
                    if changed.is_err() {
                        outer_open = false;
                    } else if *outer.borrow() {
                        outer_open = false;
                        let _ = item_stop.send(true);
                    }
                }
                s = nav.next_request(), if requested.is_none() => {
                    requested = Some(s);
                    let _ = item_stop.send(true);
                }
            }
        };
        if *stop_rx.borrow() {
            break;
        }
        match (r, requested) {
            // Moved on by the user: whatever it played counts.
            (Ok(_), Some(_)) => played += 1,
            (Ok(EndReason::Eos), None) => played += 1,
            (Ok(reason), None) => {
                events.emit(crate::events::PlayerEvent::End { reason });
                return Ok(reason);
            }
            (Err(e), _) => last_error = Some(e),
        }
        // Where the list goes: on by one, or as the user asked (each request in turn).
        let mut steps = requested.into_iter().chain(nav.take());
        let first = steps.next().unwrap_or(Step::Next);
        index = steps.fold(step(i, count, first), |at, s| {
            at.and_then(|at| step(at, count, s))
        });
        if let Some(s) = requested {
            let to = index.map_or_else(|| "the end".to_string(), |n| format!("entry {}", n + 1));
            events.log(
                "info",
                format!("{s:?} asked for: on to {to}").to_lowercase(),
            );
        }
    }
    if *stop_rx.borrow() {
        events.emit(crate::events::PlayerEvent::End {
            reason: EndReason::Stopped,
        });
        return Ok(EndReason::Stopped);
    }
    if played > 0 {
        events.emit(crate::events::PlayerEvent::End {
            reason: EndReason::Eos,
        });
        return Ok(EndReason::Eos);
    }
    let e = last_error.unwrap_or_else(|| PlayError::Input("nothing to play".into()));
    crate::player::emit_error(&events, &e);
    Err(e)
}

/// Where an entry came from, to resolve relative references.
#[derive(Clone)]
enum Base {
    Dir(PathBuf),
    Url(String),
    None,
}

struct Expander<'a> {
    events: &'a Events,
    default_port: u16,
    /// Metafiles are fetched through the HTTP proxy too.
    proxy: mmsplay_net::proxy::ProxyConfig,
    /// `--user` or the TUI's: for a metafile server that asks, when it owns them.
    credentials: Option<mmsplay_net::auth::GivenCredentials>,
    fetches: usize,
    last_error: Option<PlayError>,
    out: Vec<(usize, Candidate)>,
    /// The last entry number handed out; each ENTRY of a metafile gets its own.
    entries: usize,
    /// The titles the metafiles give their entries, by entry number.
    titles: std::collections::HashMap<usize, String>,
}

/// What an `http://` URL turned out to be.
enum Probed {
    /// Leave it to the rollover (an MS-WMSP stream, or nothing the probe could tell).
    Stream,
    PlainAsf,
    /// The metafile, and the URL that served it (after redirects), for relative references.
    Metafile(Vec<u8>, String),
}

impl Expander<'_> {
    /// Expands `target` depth-first, in document order, into `self.out`.
    async fn expand(&mut self, target: Target) {
        // A stack of (target, nesting depth), popped in document order.
        let mut stack = vec![(target, 0usize, 0usize)];
        while let Some((t, depth, entry)) = stack.pop() {
            if self.out.len() >= MAX_CANDIDATES {
                break;
            }
            let mut served_from = None;
            let (label, read) = match &t {
                Target::File(path) => (path.display().to_string(), self.read_local(path)),
                Target::Url(u) if u.scheme == "http" => {
                    let label = url_text(u, self.default_port);
                    match self.probe(u).await {
                        Ok(Probed::Stream) => {
                            self.out.push((entry, Candidate::Play(t)));
                            continue;
                        }
                        Ok(Probed::PlainAsf) => {
                            self.out
                                .push((entry, Candidate::Play(Target::HttpFile(u.clone()))));
                            continue;
                        }
                        Ok(Probed::Metafile(bytes, from)) => {
                            served_from = Some(from);
                            (label, Ok(Some(bytes)))
                        }
                        Err(e) => (label, Err(e)),
                    }
                }
                _ => {
                    self.out.push((entry, Candidate::Play(t)));
                    continue;
                }
            };
            let bytes = match read {
                Ok(Some(b)) => b,
                // A local file that is not a metafile: the player reads it.
                Ok(None) => {
                    self.out.push((entry, Candidate::Play(t)));
                    continue;
                }
                Err(reason) => {
                    self.fail(entry, &label, reason);
                    continue;
                }
            };
            if depth >= MAX_NESTING {
                self.fail(
                    entry,
                    &label,
                    format!("metafiles nested more than {MAX_NESTING} deep"),
                );
                continue;
            }
            let m = match metafile::parse(&bytes) {
                Ok(m) => m,
                Err(e) => {
                    self.fail(entry, &label, format!("{label}: {e}"));
                    continue;
                }
            };
            self.describe(&label, &m);
            let base = match &t {
                Target::File(p) => Base::Dir(p.parent().map(Path::to_path_buf).unwrap_or_default()),
                Target::Url(_) => Base::Url(served_from.unwrap_or_else(|| label.clone())),
                Target::HttpFile(_) => Base::None,
            };
            let mut children = Vec::new();
            for item in &m.items {
                // Each entry (and each ENTRYREF) is its own item of the playlist; the REFs
                // inside one entry are alternatives.
                self.entries += 1;
                let id = self.entries;
                let refs: Vec<&String> = match item {
                    Item::Entry(e) => {
                        if let Some(t) = e.title.clone().filter(|t| !t.is_empty()) {
                            self.titles.insert(id, t);
                        }
                        e.refs.iter().collect()
                    }
                    Item::EntryRef(u) => vec![u],
                };
                for r in refs {
                    match self.child(&base, r) {
                        Ok(c) => children.push((c, depth + 1, id)),
                        Err(reason) => self.fail(id, &mmsplay_net::url::redact(r), reason),
                    }
                }
            }
            stack.extend(children.into_iter().rev());
        }
    }

    /// A reference from a metafile as a target.
    fn child(&self, base: &Base, r: &str) -> Result<Target, String> {
        match base {
            Base::Url(b) => {
                let abs = metafile::resolve_ref(Some(b), r);
                StreamUrl::parse(&abs)
                    .map(Target::Url)
                    .map_err(|e| e.to_string())
            }
            Base::Dir(dir) if !r.contains("://") => Ok(Target::File(dir.join(r))),
            _ => StreamUrl::parse(r)
                .map(Target::Url)
                .map_err(|e| e.to_string()),
        }
    }

    /// A failed entry: kept in its place, to show as a failed try in its turn.
    fn fail(&mut self, entry: usize, label: &str, reason: String) {
        self.out.push((
            entry,
            Candidate::Failed {
                label: label.to_string(),
                reason,
            },
        ));
    }

    fn describe(&self, label: &str, m: &Metafile) {
        let entries = m.items.len();
        let title = m
            .title
            .as_deref()
            .map(|t| format!(" \"{t}\""))
            .unwrap_or_default();
        self.events.log(
            "info",
            format!("metafile {label}{title}: {entries} entries"),
        );
    }

    /// Reads a local file when it is a metafile (`Ok(None)`: it is not one).
    fn read_local(&mut self, path: &Path) -> Result<Option<Vec<u8>>, String> {
        let named_metafile = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "asx" | "wax" | "wvx" | "wmx" | "nsc"
            )
        });
        let mut prefix = vec![0u8; 2048];
        let n = {
            let Ok(mut f) = std::fs::File::open(path) else {
                // Let the player report it.
                return Ok(None);
            };
            read_up_to(&mut f, &mut prefix)
        };
        prefix.truncate(n);
        if metafile::sniff(&prefix).is_none() && !named_metafile {
            return Ok(None);
        }
        self.count_fetch()?;
        let err = |e: String| format!("{}: {e}", path.display());
        let f = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
        // Read one byte past the limit to tell "at the limit" from "over it", never more.
        let mut bytes = Vec::new();
        f.take(MAX_METAFILE_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| err(e.to_string()))?;
        if bytes.len() > MAX_METAFILE_LEN {
            return Err(err(metafile::MetafileError::TooLarge.to_string()));
        }
        Ok(Some(bytes))
    }

    fn count_fetch(&mut self) -> Result<(), String> {
        self.fetches += 1;
        if self.fetches > MAX_FETCHES {
            return Err(format!("more than {MAX_FETCHES} metafiles"));
        }
        Ok(())
    }

    /// Looks at what an `http://` URL serves.
    async fn probe(&mut self, url: &StreamUrl) -> Result<Probed, String> {
        let deadline = fetch::deadline_in(FETCH_TIMEOUT);
        let mut body = match fetch::get(
            url,
            self.default_port,
            &self.proxy,
            self.credentials.as_ref(),
            deadline,
        )
        .await
        {
            Ok(b) => b,
            // The rollover's MMSH step reports what is wrong with the server, as for any URL.
            Err(_) => return Ok(Probed::Stream),
        };
        let mut prefix = Vec::new();
        // A slow server still gets judged on what it sent in time.
        if body.read_at_least(&mut prefix, 64, deadline).await.is_err() && prefix.is_empty() {
            return Ok(Probed::Stream);
        }
        match classify_http(body.content_type(), &prefix) {
            HttpContent::Wmsp | HttpContent::Other => Ok(Probed::Stream),
            HttpContent::PlainAsf => Ok(Probed::PlainAsf),
            HttpContent::Metafile => {
                self.count_fetch()?;
                let label = url_text(url, self.default_port);
                let served_from = url_text(&body.url, self.default_port);
                if served_from != label {
                    // The chain's ends; an MMSH stream's redirects are logged by its transport.
                    self.events.log(
                        "info",
                        format!("metafile: {label} redirects to {served_from}"),
                    );
                }
                body.read_to_end(&mut prefix, MAX_METAFILE_LEN, deadline)
                    .await
                    .map_err(|e| format!("{label}: {e}"))?;
                Ok(Probed::Metafile(prefix, served_from))
            }
        }
    }
}

fn read_up_to(r: &mut impl std::io::Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

fn url_text(u: &StreamUrl, default_port: u16) -> String {
    format!(
        "http://{}{}",
        u.authority(u.port.unwrap_or(default_port)),
        u.path
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_moves_within_bounds() {
        // Next walks on and ends after the last entry.
        assert_eq!(step(0, 3, Step::Next), Some(1));
        assert_eq!(step(1, 3, Step::Next), Some(2));
        assert_eq!(step(2, 3, Step::Next), None);
        // Previous goes back, and restarts the first entry at the first.
        assert_eq!(step(2, 3, Step::Previous), Some(1));
        assert_eq!(step(1, 3, Step::Previous), Some(0));
        assert_eq!(step(0, 3, Step::Previous), Some(0));
        // Nothing to move to in an empty list; no overflow at the top.
        assert_eq!(step(0, 0, Step::Previous), None);
        assert_eq!(step(usize::MAX, usize::MAX, Step::Next), None);
    }

    #[tokio::test]
    async fn requests_wait_in_order_and_are_taken_once() {
        let nav = PlaylistNav::default();
        let other = nav.clone();
        other.request(Step::Next);
        other.request(Step::Previous);
        assert_eq!(nav.next_request().await, Step::Next);
        assert_eq!(nav.take(), vec![Step::Previous]);
        assert!(nav.take().is_empty());
        // A request made while waiting wakes the waiter.
        let waiter = tokio::spawn({
            let nav = nav.clone();
            async move { nav.next_request().await }
        });
        tokio::task::yield_now().await;
        other.request(Step::Previous);
        let got = tokio::time::timeout(Duration::from_secs(5), waiter).await;
        assert!(matches!(got, Ok(Ok(Step::Previous))));
    }

    #[test]
    fn entries_are_named_by_their_first_reference() {
        let url = StreamUrl::parse("mms://host:1755/a/b.asf?x=1").unwrap();
        assert_eq!(
            entry_label(&[Candidate::Play(Target::Url(url))]),
            "mms://host:1755/a/b.asf?x=1"
        );
        assert_eq!(
            entry_label(&[Candidate::Play(Target::File("/m/x.wma".into()))]),
            "/m/x.wma"
        );
    }
}
