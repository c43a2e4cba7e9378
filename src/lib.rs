//! mmsplay: a terminal player for Microsoft Media Server streams.
//!
//! The binary is a thin shell over this library so that integration tests can drive the player
//! headless.

pub mod app;
pub mod audio;
pub mod bookmarks;
pub mod cli;
pub mod demo;
pub mod docgen;
pub mod events;
pub mod headless;
pub mod metafile;
#[cfg(all(target_os = "linux", feature = "mpris"))]
mod mpris;
pub mod player;
pub mod playlist;
pub mod remote;
pub mod runtime;
pub mod serve;
pub mod signals;
pub mod target;
pub mod tui;
pub mod ui;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use mmsplay_net::auth::{Credentials, GivenCredentials, OwnerRule};
use mmsplay_net::proxy::ProxyConfig;
use mmsplay_net::{Ports, Transport};

use audio::{AudioControl, OutputSpec};
use player::{Events, PlayOptions};

/// A mistake in how the program was called (exit status 2), as opposed to a failure while
/// playing (exit status 1).
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct UsageError(pub anyhow::Error);

/// Marks an error as a usage error.
pub(crate) fn usage(e: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(UsageError(e))
}

/// Turns the play options of the command line into player options.
pub fn play_options(args: &cli::PlayArgs) -> anyhow::Result<PlayOptions> {
    let output: OutputSpec = args.output.parse()?;
    let transports = match &args.transports {
        None => None,
        Some(list) => {
            let mut v = Vec::new();
            for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let t: Transport = part.parse().context("--transports")?;
                if t == Transport::File {
                    anyhow::bail!("--transports: file is not a network transport");
                }
                v.push(t);
            }
            if v.is_empty() {
                anyhow::bail!("--transports: the list is empty");
            }
            Some(v)
        }
    };
    let mut ports = Ports::default();
    for spec in &args.ports {
        let (proto, n) = spec
            .split_once('=')
            .with_context(|| format!("--port {spec}: expected PROTO=N"))?;
        let n: u16 = n
            .parse()
            .with_context(|| format!("--port {spec}: bad port number"))?;
        match proto.to_ascii_lowercase().as_str() {
            "rtsp" => ports.rtsp = n,
            "mms" => ports.mms = n,
            "http" | "mmsh" => ports.http = n,
            other => anyhow::bail!("--port {spec}: unknown protocol {other:?} (rtsp, mms or http)"),
        }
    }
    if let Some(d) = args.duration
        && !(d.is_finite() && d > 0.0)
    {
        anyhow::bail!("--duration must be a positive number of seconds");
    }
    if args.start.is_some_and(|s| !s.is_finite()) {
        anyhow::bail!("--start must be a number of seconds");
    }
    Ok(PlayOptions {
        output,
        duration: args.duration,
        // A start before the beginning is the beginning.
        start: args.start.map(|s| s.max(0.0)),
        seek: Default::default(),
        stream: args.stream,
        lang: args
            .lang
            .as_deref()
            .map(str::to_ascii_lowercase)
            .or_else(|| player::select::locale_language(|k| std::env::var(k).ok())),
        max_bitrate: args.max_bitrate.map(|k| k.saturating_mul(1000)),
        language_key: Arc::default(),
        playlist_nav: playlist::PlaylistNav::default(),
        record: args.record.clone(),
        transports,
        ports,
        connect_timeout: Duration::from_secs(10),
        silent_fallback: false,
        release_after: player::LONG_PAUSE,
        fast_start: !args.no_fast_start,
        credentials: args.user.as_deref().map(|spec| {
            GivenCredentials::new(Credentials::from_spec(spec), OwnerRule::NamedTarget)
        }),
        proxy: ProxyConfig::from_setting(args.proxy.as_deref(), |k| std::env::var(k).ok())
            .map_err(anyhow::Error::msg)?,
    })
}

/// The URL of a saved bookmark, by name (a broken bookmarks file is treated as having none;
/// the TUI and `mmsplay bookmarks` report it).
pub fn lookup_bookmark(name: &str) -> Option<String> {
    bookmarks::Store::load()
        .ok()?
        .get(name)
        .map(|b| b.url.clone())
}

/// Plays a target as the command line asked: the TUI, or headless.
pub async fn run_play(args: cli::PlayArgs) -> anyhow::Result<()> {
    if args.headless {
        return run_headless(args).await;
    }
    if args.events.is_some() {
        return Err(usage(anyhow::anyhow!("--events needs --headless")));
    }
    let mut opts = play_options(&args).map_err(usage)?;
    let start = if args.demo {
        if args.target.is_some() {
            return Err(usage(anyhow::anyhow!(
                "--demo plays its own stream: give no TARGET with it"
            )));
        }
        let demo = demo::start().await?;
        opts.ports = demo.ports;
        opts.silent_fallback = true;
        Some(demo.url)
    } else {
        args.target.clone()
    };
    // The demo's loopback server dies with the process: its URL is no bookmark.
    let ephemeral = if args.demo { start.clone() } else { None };
    let log_path = args.log_file.clone().unwrap_or_else(tui::default_log_path);
    runtime::run_tui(start, ephemeral, opts, log_path).await
}

/// `--headless`: play one target to its end and print events.
async fn run_headless(args: cli::PlayArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut opts = play_options(&args).map_err(usage)?;
    let target = if args.demo {
        if args.target.is_some() {
            return Err(usage(anyhow::anyhow!(
                "--demo plays its own stream: give no TARGET with it"
            )));
        }
        let demo = demo::start().await?;
        opts.ports = demo.ports;
        opts.silent_fallback = true;
        target::resolve(&demo.url, &|_| None).map_err(anyhow::Error::msg)?
    } else {
        let Some(target) = args.target.as_deref() else {
            return Err(usage(anyhow::anyhow!(
                "--headless needs a TARGET (a URL, a file or a bookmark name) or --demo"
            )));
        };
        target::resolve(target, &lookup_bookmark).map_err(anyhow::Error::msg)?
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4096);
    let printer = tokio::spawn(headless::print_events(rx, args.events.is_some(), started));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let on_signal = stop_tx.clone();
    tokio::spawn(async move {
        signals::wait_for_stop().await;
        let _ = on_signal.send(true);
    });
    let control = Arc::new(AudioControl::default());
    // Remote controllers (MPRIS) pause, stop and set the volume here too, and see the stream.
    let remote = remote::start();
    if let Some(target) = &args.target {
        remote.state.send_modify(|s| {
            s.on_command(&events::UiCommand::Play {
                target: target.clone(),
            });
        });
    }
    let (player_tx, player_rx) = tokio::sync::mpsc::channel(4096);
    let tee = tokio::spawn(remote::tee_events(player_rx, tx, remote.state.clone()));
    let remote_task = tokio::spawn(headless::follow_remote(
        remote.commands,
        remote.state,
        control.clone(),
        (opts.playlist_nav.clone(), opts.seek.clone()),
        stop_tx,
    ));
    let result = playlist::play(target, opts, control, Events::new(player_tx), stop_rx).await;
    remote_task.abort();
    let _ = tee.await;
    let _ = printer.await;
    result.map(|_| ()).map_err(anyhow::Error::from)
}
