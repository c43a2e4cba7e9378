//! mmsplay: a terminal player for Microsoft Media Server streams.
//!
//! The binary is a thin shell over this library so that integration tests can drive the player
//! headless.

pub mod cli;
pub mod events;
pub mod serve;
pub mod signals;

/// Plays a target as the command line asked.
pub async fn run_play(args: cli::PlayArgs) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("playback is not wired yet")
}
