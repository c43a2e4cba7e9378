use std::process::ExitCode;

use clap::Parser;
use mmsplay::cli::{Cli, Command};

/// The error and its causes on one line, each said once: a network error's sentence already
/// ends with its cause, which is also its `source()`.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    line
}

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
            eprintln!("mmsplay: {}", one_line(&e));
            let usage = e.downcast_ref::<mmsplay::UsageError>().is_some();
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}
