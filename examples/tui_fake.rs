//! The TUI driven by a scripted fake player, for trying the interface without a server:
//! `cargo run --example tui_fake -- mms://example.net/demo` (or no argument for the bookmarks).
//! Logs go to `$TMPDIR/mmsplay-tui-fake.log`.

use mmsplay::tui::{self, TuiOptions, fake_player};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (event_tx, event_rx) = tokio::sync::mpsc::channel(256);
    let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
    let player = tokio::spawn(fake_player::run(command_rx, event_tx, Default::default()));
    let opts = TuiOptions {
        start_target: std::env::args().nth(1),
        log_path: std::env::temp_dir().join("mmsplay-tui-fake.log"),
        ..TuiOptions::default()
    };
    tui::run(opts, event_rx, command_tx).await?;
    player.await?;
    Ok(())
}
