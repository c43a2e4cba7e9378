mod bookmarks;
mod tui;
