//! The TUI driven by a scripted fake player, for trying the interface without a server:
//! `cargo run --example tui_fake -- mms://example.net/demo` (or no argument for the bookmarks).
//! Logs go to `$TMPDIR/mmsplay-tui-fake.log`.
//!
//! Like ALSA does on a machine without a sound card, it also writes to stderr behind the TUI's
//! back, to show that such chatter lands in the log file and never on the screen.

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
    let chatter = tokio::spawn(async {
        for i in 0..20 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            eprintln!("ALSA lib pcm.c:2722:(snd_pcm_open_noupdate) fake chatter {i}");
            tracing::info!("log line {i} from the fake player");
        }
    });
    // For testing the terminal's restoration: a panic on another thread, as if in the player.
    if let Some(ms) = std::env::var("TUI_FAKE_PANIC_AFTER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            panic!("fake player bug");
        });
    }
    tui::run(opts, event_rx, command_tx).await?;
    chatter.abort();
    player.await?;
    Ok(())
}
