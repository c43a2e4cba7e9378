//! Saved streams: a TOML file in the user's configuration directory.
//!
//! ```toml
//! [[bookmark]]
//! name = "Radio One"
//! url = "mms://example.net/radio1"
//! last_transport = "mmst"            # the rollover step that last worked (optional)
//! last_played = 2026-11-25T20:30:00Z # when it was last played (optional)
//! position_ms = 754200               # where an on-demand stream was left (optional)
//! ```
//!
//! The file is `$XDG_CONFIG_HOME/mmsplay/bookmarks.toml` (`MMSPLAY_CONFIG_DIR` overrides the
//! directory). Users edit it by hand, so two rules protect their work:
//! - a file that does not parse (broken TOML, a missing field, an unknown transport) is reported
//!   with its path and line, and is never overwritten: [`Store::load_from`] fails, so there is no
//!   `Store` to save, and [`Store::save`] re-reads the file first in case it was broken since;
//! - every save is atomic (a temporary file in the same directory, then a rename), so a crash
//!   never leaves half a file.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
pub use toml::value::Datetime;

use crate::cli::BookmarksCommand;
use crate::events::Transport;

/// The environment variable that overrides the configuration directory.
pub const CONFIG_DIR_ENV: &str = "MMSPLAY_CONFIG_DIR";
/// The bookmarks file's name inside the configuration directory.
pub const FILE_NAME: &str = "bookmarks.toml";

/// One saved stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bookmark {
    pub name: String,
    pub url: String,
    /// The rollover step that last delivered media for this stream.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_transport",
        deserialize_with = "de_transport"
    )]
    pub last_transport: Option<Transport>,
    /// When the stream last connected (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_played: Option<Datetime>,
    /// Where playback of an on-demand stream was left (milliseconds): the next play resumes
    /// there. Cleared when it plays to its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_ms: Option<u64>,
}

impl Bookmark {
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Bookmark {
            name: name.into(),
            url: url.into(),
            last_transport: None,
            last_played: None,
            position_ms: None,
        }
    }
}

// Transport has no serde impls of its own (it lives in mmsplay-net, which does not use serde);
// it is stored by its command-line name. Going through `FromStr` inside the deserializer makes an
// unknown name a TOML error that carries the value's position, so the user gets a line number.
fn ser_transport<S: Serializer>(t: &Option<Transport>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(t.as_str()),
        None => s.serialize_none(),
    }
}

fn de_transport<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Transport>, D::Error> {
    let name = String::deserialize(d)?;
    name.parse::<Transport>()
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The file's shape: an array of `[[bookmark]]` tables. Unknown keys are ignored so that a file
/// written by a newer mmsplay still loads.
#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    #[serde(default, rename = "bookmark")]
    bookmarks: Vec<Bookmark>,
}

/// What can go wrong with the bookmarks file.
#[derive(Debug, thiserror::Error)]
pub enum BookmarksError {
    /// The file exists but is not a valid bookmarks file. `line` and `column` are 1-based.
    #[error("{}:{line}:{column}: {message} (fix the file by hand; mmsplay will not overwrite it)", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no configuration directory: set {CONFIG_DIR_ENV} or XDG_CONFIG_HOME")]
    NoConfigDir,
    #[error("there is already a bookmark named {0:?}")]
    Duplicate(String),
    #[error("there is no bookmark named {0:?}")]
    NotFound(String),
    #[error("a bookmark needs a {0}")]
    Empty(&'static str),
}

impl BookmarksError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        BookmarksError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The bookmarks file's default path: `$MMSPLAY_CONFIG_DIR/bookmarks.toml`, else the platform's
/// configuration directory (`$XDG_CONFIG_HOME/mmsplay/bookmarks.toml` on Linux).
pub fn default_path() -> Result<PathBuf, BookmarksError> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join(FILE_NAME));
    }
    directories::ProjectDirs::from("", "", "mmsplay")
        .map(|dirs| dirs.config_dir().join(FILE_NAME))
        .ok_or(BookmarksError::NoConfigDir)
}

/// The bookmarks, as loaded from one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Store {
    path: PathBuf,
    bookmarks: Vec<Bookmark>,
}

impl Store {
    /// Loads the bookmarks from [`default_path`].
    pub fn load() -> Result<Store, BookmarksError> {
        Store::load_from(default_path()?)
    }

    /// Loads the bookmarks from `path`. A missing file is an empty store (the file is created on
    /// the first save); a file that does not parse is an error with its line.
    pub fn load_from(path: impl Into<PathBuf>) -> Result<Store, BookmarksError> {
        let path = path.into();
        let bookmarks = match read_file(&path)? {
            Some(text) => parse(&path, &text)?,
            None => Vec::new(),
        };
        Ok(Store { path, bookmarks })
    }

    /// An empty store that will save to `path` (for tests and first runs).
    pub fn empty(path: impl Into<PathBuf>) -> Store {
        Store {
            path: path.into(),
            bookmarks: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn bookmarks(&self) -> &[Bookmark] {
        &self.bookmarks
    }

    /// The bookmark with this exact name: how a TARGET that is not a URL or file is resolved.
    pub fn get(&self, name: &str) -> Option<&Bookmark> {
        self.bookmarks.iter().find(|b| b.name == name)
    }

    /// The first bookmark whose URL is `url`.
    pub fn find_by_url(&self, url: &str) -> Option<&Bookmark> {
        self.bookmarks.iter().find(|b| b.url == url)
    }

    /// Adds a bookmark at the end. Names are unique.
    pub fn add(&mut self, name: &str, url: &str) -> Result<(), BookmarksError> {
        let (name, url) = (name.trim(), url.trim());
        if name.is_empty() {
            return Err(BookmarksError::Empty("name"));
        }
        if url.is_empty() {
            return Err(BookmarksError::Empty("URL"));
        }
        if self.get(name).is_some() {
            return Err(BookmarksError::Duplicate(name.to_string()));
        }
        self.bookmarks.push(Bookmark::new(name, url));
        Ok(())
    }

    /// Removes the bookmark named `name` and returns it.
    pub fn remove(&mut self, name: &str) -> Result<Bookmark, BookmarksError> {
        let i = self.index(name)?;
        Ok(self.bookmarks.remove(i))
    }

    /// Renames a bookmark, keeping its place and history.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), BookmarksError> {
        let to = to.trim();
        if to.is_empty() {
            return Err(BookmarksError::Empty("name"));
        }
        let i = self.index(from)?;
        if to != from && self.get(to).is_some() {
            return Err(BookmarksError::Duplicate(to.to_string()));
        }
        self.bookmarks[i].name = to.to_string();
        Ok(())
    }

    /// Remembers that `name` connected on `transport` at `at`.
    pub fn record_played(
        &mut self,
        name: &str,
        transport: Transport,
        at: Datetime,
    ) -> Result<(), BookmarksError> {
        let i = self.index(name)?;
        self.bookmarks[i].last_transport = Some(transport);
        self.bookmarks[i].last_played = Some(at);
        Ok(())
    }

    /// Remembers where playback of `name` was left (`None`: at its end, or live).
    pub fn record_position(
        &mut self,
        name: &str,
        position_ms: Option<u64>,
    ) -> Result<(), BookmarksError> {
        let i = self.index(name)?;
        self.bookmarks[i].position_ms = position_ms;
        Ok(())
    }

    fn index(&self, name: &str) -> Result<usize, BookmarksError> {
        self.bookmarks
            .iter()
            .position(|b| b.name == name)
            .ok_or_else(|| BookmarksError::NotFound(name.to_string()))
    }

    /// Writes the file atomically, creating its directory if needed. Refuses to replace a file
    /// that no longer parses (the user may be in the middle of editing it).
    pub fn save(&self) -> Result<(), BookmarksError> {
        if let Some(text) = read_file(&self.path)? {
            parse(&self.path, &text)?;
        }
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(|e| BookmarksError::io(&dir, e))?;
        let text = self.to_toml();
        // Same directory as the target, so the rename never crosses file systems and replaces
        // the old file in one step.
        let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
        let written = fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
            .and_then(|()| fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(BookmarksError::io(&self.path, e));
        }
        Ok(())
    }

    /// The file's text, as [`Store::save`] writes it.
    pub fn to_toml(&self) -> String {
        let file = File {
            bookmarks: self.bookmarks.clone(),
        };
        // Serialising plain strings, enums-as-strings and datetimes cannot fail; fall back to an
        // empty body rather than panic if it ever did.
        let body = toml::to_string_pretty(&file).unwrap_or_default();
        format!(
            "# mmsplay bookmarks: edit freely; `mmsplay bookmarks --help` for the commands.\n\n{body}"
        )
    }
}

fn read_file(path: &Path) -> Result<Option<String>, BookmarksError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BookmarksError::io(path, e)),
    }
}

/// Parses a bookmarks file, turning toml's byte span into a line and column.
fn parse(path: &Path, text: &str) -> Result<Vec<Bookmark>, BookmarksError> {
    toml::from_str::<File>(text)
        .map(|f| f.bookmarks)
        .map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, column) = line_column(text, offset);
            BookmarksError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The current time as a TOML datetime in UTC, to the second.
pub fn now_utc() -> Datetime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    datetime_from_unix(secs)
}

/// Converts seconds since 1970 to a UTC datetime (Howard Hinnant's `civil_from_days`).
pub fn datetime_from_unix(secs: u64) -> Datetime {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    // The string above is always a valid RFC 3339 datetime.
    text.parse().unwrap_or(Datetime {
        date: None,
        time: None,
        offset: None,
    })
}

/// A short form for lists: `2026-11-25 20:30`.
pub fn short_datetime(d: &Datetime) -> String {
    match (&d.date, &d.time) {
        (Some(date), Some(time)) => format!("{date} {:02}:{:02}", time.hour, time.minute),
        (Some(date), None) => date.to_string(),
        _ => d.to_string(),
    }
}

/// `mmsplay bookmarks list | add NAME URL | remove NAME`, on the default file.
pub fn run_bookmarks_command(cmd: &BookmarksCommand) -> anyhow::Result<()> {
    run_bookmarks_command_at(cmd, &default_path()?, &mut std::io::stdout().lock())
}

/// The same on the file at `path`, printing `list` to `out`.
pub fn run_bookmarks_command_at(
    cmd: &BookmarksCommand,
    path: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut store = Store::load_from(path)?;
    match cmd {
        BookmarksCommand::List => write!(out, "{}", ListDisplay(store.bookmarks()))?,
        BookmarksCommand::Add { name, url } => {
            store.add(name, url)?;
            store.save()?;
        }
        BookmarksCommand::Remove { name } => {
            store.remove(name)?;
            store.save()?;
        }
    }
    Ok(())
}

/// The `bookmarks list` output: one bookmark a line, tab-separated so scripts can cut it:
/// name, URL, last transport (or `-`), last played (or `-`).
pub struct ListDisplay<'a>(pub &'a [Bookmark]);

impl fmt::Display for ListDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            let transport = b.last_transport.map_or("-", Transport::as_str);
            let played = b
                .last_played
                .as_ref()
                .map_or_else(|| "-".to_string(), |d| d.to_string());
            // A password saved in a bookmark stays in the file, not on the screen.
            let url = mmsplay_net::url::redact(&b.url);
            writeln!(f, "{}\t{url}\t{transport}\t{played}", b.name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_civil_dates() {
        assert_eq!(datetime_from_unix(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            datetime_from_unix(951_782_400).to_string(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            datetime_from_unix(1_795_638_645).to_string(),
            "2026-11-25T20:30:45Z"
        );
    }

    #[test]
    fn verify_line_column() {
        assert_eq!(line_column("ab\ncd\nef", 4), (2, 2));
        assert_eq!(line_column("ab", 0), (1, 1));
        assert_eq!(line_column("ab", 99), (1, 3));
    }

    #[test]
    fn round_trips_through_toml() {
        let mut store = Store::empty("unused.toml");
        store.add("One", "mms://h/one").unwrap();
        store.add("Two", "mmsh://h/two").unwrap();
        store
            .record_played("Two", Transport::Mmst, datetime_from_unix(0))
            .unwrap();
        store.record_position("Two", Some(754_200)).unwrap();
        let text = store.to_toml();
        let back = parse(Path::new("x"), &text).unwrap();
        assert_eq!(back, store.bookmarks());
        assert!(text.contains("last_transport = \"mmst\""), "{text}");
        assert!(text.contains("position_ms = 754200"), "{text}");
        // Played to its end: the line goes.
        store.record_position("Two", None).unwrap();
        assert!(!store.to_toml().contains("position_ms"));
    }
}
