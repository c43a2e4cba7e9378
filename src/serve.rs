//! `mmsplay serve`: runs the built-in server until interrupted.

use anyhow::Context;

use crate::cli::ServeArgs;
use mmsplay_server::{Faults, ServerOptions, faults::parse_list};

/// Turns the command-line options into server options, checking the lists.
pub fn server_options(a: &ServeArgs) -> anyhow::Result<ServerOptions> {
    if !(0.0..=1.0).contains(&a.udp_loss) {
        anyhow::bail!("--udp-loss must be between 0 and 1, not {}", a.udp_loss);
    }
    let faults = Faults {
        refuse: parse_list(a.refuse.as_deref())
            .map_err(anyhow::Error::msg)
            .context("--refuse")?,
        blackhole: parse_list(a.blackhole.as_deref())
            .map_err(anyhow::Error::msg)
            .context("--blackhole")?,
        udp_loss: a.udp_loss,
        seed: a.seed,
    };
    Ok(ServerOptions {
        files: a.files.clone(),
        media: Vec::new(),
        bind: a.bind.clone(),
        rtsp_port: a.rtsp_port,
        mms_port: a.mms_port,
        http_port: a.http_port,
        faults,
        live: a.live,
        fast: a.fast,
    })
}

/// Prints a line on stdout and flushes it at once: scripts wait for these lines.
pub fn print_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub async fn run(a: &ServeArgs) -> anyhow::Result<()> {
    let opts = server_options(a).map_err(crate::usage)?;
    let bound = mmsplay_server::start(opts, Box::new(print_line)).await?;
    print_line(&bound.listening_line());
    crate::signals::wait_for_stop().await;
    Ok(())
}
