//! The bookmarks file: loading, saving, hand-edited files with errors, and the command line.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use mmsplay::bookmarks::{
    Bookmark, BookmarksError, Store, datetime_from_unix, run_bookmarks_command_at,
};
use mmsplay::cli::BookmarksCommand;
use mmsplay::events::Transport;

fn temp_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("bookmarks.toml");
    (dir, path)
}

/// Loading `text` fails with an `Invalid` error at `line`; a save through the command line is
/// refused, and the file is left byte for byte as the user wrote it.
fn assert_rejected(text: &str, line: usize, message_part: &str) {
    let (_dir, path) = temp_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    match Store::load_from(&path) {
        Err(BookmarksError::Invalid {
            path: p,
            line: l,
            message,
            ..
        }) => {
            assert_eq!(p, path);
            assert_eq!(l, line, "line of {message:?} in {text:?}");
            assert!(
                message.contains(message_part),
                "{message:?} lacks {message_part:?}"
            );
        }
        other => panic!("expected an Invalid error, got {other:?}"),
    }
    let error = Store::load_from(&path).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("{}:{line}:", path.display())),
        "{error}"
    );
    let add = BookmarksCommand::Add {
        name: "New".into(),
        url: "mms://h/new".into(),
    };
    assert!(run_bookmarks_command_at(&add, &path, &mut Vec::new()).is_err());
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        text,
        "the file was overwritten"
    );
}

#[test]
fn broken_toml_is_reported_with_its_line_and_kept() {
    let text = "[[bookmark]]\nname = \"A\"\nurl = \"mms://h/a\"\n\n[[bookmark]]\nname = \"B\nurl = \"mms://h/b\"\n";
    assert_rejected(text, 6, "");
}

#[test]
fn a_missing_field_is_reported_with_its_line_and_kept() {
    let text = "[[bookmark]]\nname = \"A\"\nurl = \"mms://h/a\"\n\n[[bookmark]]\nname = \"B\"\n";
    assert_rejected(text, 5, "url");
}

#[test]
fn an_unknown_transport_is_reported_with_its_line_and_kept() {
    let text =
        "[[bookmark]]\nname = \"A\"\nurl = \"mms://h/a\"\nlast_transport = \"carrier-pigeon\"\n";
    assert_rejected(text, 4, "carrier-pigeon");
}

#[test]
fn a_wrong_type_is_reported_with_its_line_and_kept() {
    let text = "# my stations\n[[bookmark]]\nname = 3\nurl = \"mms://h/a\"\n";
    assert_rejected(text, 3, "");
}

#[test]
fn a_missing_file_is_an_empty_store_and_is_created_on_the_first_save() {
    let (_dir, path) = temp_path();
    let mut store = Store::load_from(&path).unwrap();
    assert!(store.bookmarks().is_empty());
    assert!(!path.exists(), "loading must not create the file");
    store.add("Radio", "mms://h/radio").unwrap();
    store.save().unwrap();
    let again = Store::load_from(&path).unwrap();
    assert_eq!(
        again.bookmarks(),
        &[Bookmark::new("Radio", "mms://h/radio")]
    );
    // No temporary file is left beside it.
    let names: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["bookmarks.toml"]);
}

#[test]
fn a_file_broken_after_loading_is_not_overwritten() {
    let (_dir, path) = temp_path();
    let mut store = Store::load_from(&path).unwrap();
    store.add("A", "mms://h/a").unwrap();
    store.save().unwrap();
    // The user starts editing the file while mmsplay runs.
    fs::write(&path, "[[bookmark]\n").unwrap();
    store.add("B", "mms://h/b").unwrap();
    assert!(matches!(
        store.save(),
        Err(BookmarksError::Invalid { line: 1, .. })
    ));
    assert_eq!(fs::read_to_string(&path).unwrap(), "[[bookmark]\n");
}

#[test]
fn history_and_unknown_keys_survive_a_round_trip() {
    let (_dir, path) = temp_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = "[[bookmark]]\nname = \"A\"\nurl = \"mms://h/a\"\nfuture_key = 1\nlast_transport = \"MMSH\"\nlast_played = 2026-01-02T03:04:05Z\n";
    fs::write(&path, text).unwrap();
    let mut store = Store::load_from(&path).unwrap();
    let a = store.get("A").unwrap();
    assert_eq!(a.last_transport, Some(Transport::Mmsh));
    assert_eq!(
        a.last_played.as_ref().unwrap().to_string(),
        "2026-01-02T03:04:05Z"
    );
    store
        .record_played("A", Transport::Rtspt, datetime_from_unix(86_400))
        .unwrap();
    store.save().unwrap();
    let saved = fs::read_to_string(&path).unwrap();
    assert!(saved.contains("last_transport = \"rtspt\""), "{saved}");
    assert!(
        saved.contains("last_played = 1970-01-02T00:00:00Z"),
        "{saved}"
    );
}

#[test]
fn edits_keep_names_unique() {
    let mut store = Store::empty(Path::new("unused"));
    store.add("A", "mms://h/a").unwrap();
    store.add("B", "mms://h/b").unwrap();
    assert!(matches!(
        store.add("A", "mms://h/x"),
        Err(BookmarksError::Duplicate(_))
    ));
    assert!(matches!(
        store.add(" ", "mms://h/x"),
        Err(BookmarksError::Empty("name"))
    ));
    assert!(matches!(
        store.add("C", ""),
        Err(BookmarksError::Empty("URL"))
    ));
    assert!(matches!(
        store.rename("A", "B"),
        Err(BookmarksError::Duplicate(_))
    ));
    store.rename("A", "Alpha").unwrap();
    assert_eq!(
        store.bookmarks()[0].name,
        "Alpha",
        "a rename keeps the place"
    );
    assert!(matches!(
        store.remove("A"),
        Err(BookmarksError::NotFound(_))
    ));
    assert_eq!(store.remove("B").unwrap().url, "mms://h/b");
    assert_eq!(
        store.find_by_url("mms://h/a").map(|b| b.name.as_str()),
        Some("Alpha")
    );
    assert_eq!(
        store.get("Alpha").map(|b| b.url.as_str()),
        Some("mms://h/a")
    );
}

#[test]
fn the_command_line_adds_lists_and_removes() {
    let (_dir, path) = temp_path();
    let run = |cmd: BookmarksCommand| {
        let mut out = Vec::new();
        run_bookmarks_command_at(&cmd, &path, &mut out).map(|()| String::from_utf8(out).unwrap())
    };
    assert_eq!(run(BookmarksCommand::List).unwrap(), "");
    run(BookmarksCommand::Add {
        name: "Jazz".into(),
        url: "mms://h/jazz".into(),
    })
    .unwrap();
    run(BookmarksCommand::Add {
        name: "News".into(),
        url: "mmsh://h/news".into(),
    })
    .unwrap();
    let err = run(BookmarksCommand::Add {
        name: "Jazz".into(),
        url: "mms://h/2".into(),
    });
    assert!(err.unwrap_err().to_string().contains("already"));
    assert_eq!(
        run(BookmarksCommand::List).unwrap(),
        "Jazz\tmms://h/jazz\t-\t-\nNews\tmmsh://h/news\t-\t-\n"
    );
    run(BookmarksCommand::Remove {
        name: "Jazz".into(),
    })
    .unwrap();
    assert!(
        run(BookmarksCommand::Remove {
            name: "Jazz".into()
        })
        .is_err()
    );
    assert_eq!(
        run(BookmarksCommand::List).unwrap(),
        "News\tmmsh://h/news\t-\t-\n"
    );
}

/// A password saved in a bookmark stays in the file (the user put it there) and is masked
/// when the list is shown.
#[test]
fn listed_bookmarks_mask_their_passwords() {
    let (_dir, path) = temp_path();
    let run = |cmd: BookmarksCommand| {
        let mut out = Vec::new();
        run_bookmarks_command_at(&cmd, &path, &mut out).map(|()| String::from_utf8(out).unwrap())
    };
    run(BookmarksCommand::Add {
        name: "Members".into(),
        url: "mmsh://bob:Hunter2@h/members".into(),
    })
    .unwrap();
    assert_eq!(
        run(BookmarksCommand::List).unwrap(),
        "Members\tmmsh://bob:***@h/members\t-\t-\n"
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("bob:Hunter2@h")
    );
}

#[test]
fn the_example_file_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/bookmarks.example.toml");
    let store = Store::load_from(&path).unwrap();
    assert!(store.bookmarks().len() >= 2);
    assert!(store.bookmarks().iter().any(|b| b.last_transport.is_some()));
}
