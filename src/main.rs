use std::process::ExitCode;

use clap::Parser;
use mmsplay::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mmsplay: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = match &cli.command {
        Some(Command::Serve(args)) => runtime.block_on(mmsplay::serve::run(args)),
        Some(Command::Bookmarks { command }) => mmsplay::bookmarks::run_bookmarks_command(command),
        Some(Command::Completions { shell }) => mmsplay::docgen::completions(*shell),
        Some(Command::Manpage) => mmsplay::docgen::manpage(),
        None => runtime.block_on(mmsplay::run_play(cli.play.clone())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mmsplay: {e:#}");
            let usage = e.downcast_ref::<mmsplay::UsageError>().is_some();
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}
