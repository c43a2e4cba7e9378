//! `mmsplay serve`: runs the built-in server until interrupted.

use anyhow::Context;

use crate::cli::ServeArgs;
use std::time::Duration;

use mmsplay_net::auth::ServerAuth;
use mmsplay_server::access::{Access, parse_redirect};
use mmsplay_server::{Faults, Limits, ServerOptions, faults::parse_list};

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
    if !(a.handshake_timeout > 0.0 && a.handshake_timeout <= 3600.0) {
        anyhow::bail!(
            "--handshake-timeout must be between 0 and 3600 seconds, not {}",
            a.handshake_timeout
        );
    }
    let relays = a
        .relays
        .iter()
        .map(|r| mmsplay_server::relay::parse_spec(r))
        .collect::<Result<Vec<_>, _>>()?;
    let playlists = a
        .playlists
        .iter()
        .map(|p| {
            let (name, paths) = mmsplay_server::playlist::parse_spec(p)?;
            mmsplay_server::playlist::load(&name, &paths)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let access = Access {
        auth: a
            .auth
            .as_deref()
            .map(ServerAuth::from_spec)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        redirects: a
            .redirects
            .iter()
            .map(|r| parse_redirect(r))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
    };
    Ok(ServerOptions {
        access,
        relays,
        files: a.files.clone(),
        media: playlists,
        bind: a.bind.join(","),
        rtsp_port: a.rtsp_port,
        mms_port: a.mms_port,
        http_port: a.http_port,
        faults,
        live: a.live,
        fast: a.fast,
        limits: Limits {
            max_clients: a.max_clients,
            max_clients_per_ip: a.max_clients_per_ip,
        },
        handshake_timeout: Duration::from_secs_f64(a.handshake_timeout),
        queue: a.queue as usize,
    })
}

/// How long a shutdown waits for sessions to say goodbye.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Prints a line on stdout and flushes it at once: scripts wait for these lines.
pub fn print_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub async fn run(a: &ServeArgs) -> anyhow::Result<()> {
    let opts = server_options(a).map_err(crate::usage)?;
    let server = mmsplay_server::launch(opts, Box::new(print_line)).await?;
    print_line(&server.bound.listening_line());
    crate::signals::wait_for_stop().await;
    // Every session ends with its protocol's end-of-stream message and its session_end line.
    server.shutdown(SHUTDOWN_GRACE).await;
    Ok(())
}
