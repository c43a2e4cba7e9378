//! `mmsplay completions SHELL` and `mmsplay manpage`: shell completion scripts and the manual
//! page, generated from the command-line definition in [`crate::cli`] so they never drift
//! from it. Packaging (`packaging/build-deb.sh`) installs their output.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionShell};

/// Writes the completion script for `shell` on stdout.
pub fn completions(shell: CompletionShell) -> anyhow::Result<()> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mmsplay", &mut out);
    write_stdout(&out)
}

/// Writes the manual page, in roff, on stdout.
pub fn manpage() -> anyhow::Result<()> {
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(Cli::command());
    man.render(&mut out)?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| anyhow::anyhow!("cannot write to stdout: {e}"))
}
