//! Playing what a TARGET names when it is, or may be, a metafile: the metafile's entries are
//! tried in order, the way Windows Media Player did, until one plays.
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
    let mut x = Expander {
        events: &events,
        default_port: opts.ports.http,
        fetches: 0,
        last_error: None,
        out: Vec::new(),
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
        out, last_error, ..
    } = x;
    player::play_first(out, last_error, opts, control, events, stop_rx).await
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
    fetches: usize,
    last_error: Option<PlayError>,
    out: Vec<Candidate>,
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
        let mut stack = vec![(target, 0usize)];
        while let Some((t, depth)) = stack.pop() {
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
                            self.out.push(Candidate::Play(t));
                            continue;
                        }
                        Ok(Probed::PlainAsf) => {
                            self.out.push(Candidate::Play(Target::HttpFile(u.clone())));
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
                    self.out.push(Candidate::Play(t));
                    continue;
                }
            };
            let bytes = match read {
                Ok(Some(b)) => b,
                // A local file that is not a metafile: the player reads it.
                Ok(None) => {
                    self.out.push(Candidate::Play(t));
                    continue;
                }
                Err(reason) => {
                    self.fail(&label, reason);
                    continue;
                }
            };
            if depth >= MAX_NESTING {
                self.fail(
                    &label,
                    format!("metafiles nested more than {MAX_NESTING} deep"),
                );
                continue;
            }
            let m = match metafile::parse(&bytes) {
                Ok(m) => m,
                Err(e) => {
                    self.fail(&label, format!("{label}: {e}"));
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
                let refs: Vec<&String> = match item {
                    Item::Entry(e) => e.refs.iter().collect(),
                    Item::EntryRef(u) => vec![u],
                };
                for r in refs {
                    match self.child(&base, r) {
                        Ok(c) => children.push((c, depth + 1)),
                        Err(reason) => self.fail(r, reason),
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
    fn fail(&mut self, label: &str, reason: String) {
        self.out.push(Candidate::Failed {
            label: label.to_string(),
            reason,
        });
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
        let mut body = match fetch::get(url, self.default_port, deadline).await {
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
                body.read_to_end(&mut prefix, MAX_METAFILE_LEN, deadline)
                    .await
                    .map_err(|e| format!("{label}: {e}"))?;
                Ok(Probed::Metafile(
                    prefix,
                    url_text(&body.url, self.default_port),
                ))
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
