//! The command line, as `../shared/docs/interface.md` defines it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A terminal player for Microsoft Media Server streams, with the whole protocol rollover.
#[derive(Debug, Parser)]
#[command(
    name = "mmsplay",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub play: PlayArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve ASF files over RTSP, MMS (TCP and UDP) and MMSH, like Windows Media Services.
    Serve(ServeArgs),
    /// List, add or remove saved streams.
    Bookmarks {
        #[command(subcommand)]
        command: BookmarksCommand,
    },
}

#[derive(Debug, Subcommand, Clone, PartialEq)]
pub enum BookmarksCommand {
    /// Print the saved streams.
    List,
    /// Save a stream under a name.
    Add { name: String, url: String },
    /// Forget a saved stream.
    Remove { name: String },
}

/// How to play: the options of `mmsplay [OPTIONS] [TARGET]`.
#[derive(Debug, Args, Clone, Default)]
pub struct PlayArgs {
    /// A stream URL (mms://, mmst://, mmsu://, mmsh://, rtsp://, rtspu://, rtspt://, http://),
    /// a local .asf/.wma/.wmv file, a metafile (.asx, .wax, .wvx, [Reference], .nsc) or a
    /// bookmark name. Without one the TUI opens on the bookmarks.
    pub target: Option<String>,

    /// No TUI: play until end of stream, --duration, or SIGINT/SIGTERM.
    #[arg(long)]
    pub headless: bool,

    /// With --headless: print one JSON object per line on stdout.
    #[arg(long, value_name = "FORMAT", value_parser = ["json"])]
    pub events: Option<String>,

    /// Where the audio goes: cpal, cpal:NAME, wav:PATH or null.
    #[arg(long, value_name = "SINK", default_value = "cpal")]
    pub output: String,

    /// The rollover ladder, in order: comma list from rtspu,rtspt,mmsu,mmst,mmsh.
    #[arg(long, value_name = "LIST")]
    pub transports: Option<String>,

    /// Port for rtsp, mms or http attempts, as PROTO=N (repeatable).
    #[arg(long = "port", value_name = "PROTO=N")]
    pub ports: Vec<String>,

    /// Start an on-demand stream or file at SECS seconds (fractions allowed); ignored, with a
    /// log line, on a live stream.
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub start: Option<f64>,

    /// Stop after SECS seconds of decoded audio.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Also write the received stream to PATH as an ASF file.
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,

    /// Play the built-in demo stream through the whole rollover.
    #[arg(long)]
    pub demo: bool,

    /// Play this ASF stream number instead of the best decodable audio stream.
    #[arg(long, value_name = "N")]
    pub stream: Option<u16>,

    /// Write the log to this file (default: stderr when headless, a file under the cache
    /// directory while the TUI is up).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

/// Options of `mmsplay serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// The ASF files to serve; each under its file name as the URL path.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,

    /// RTSP port (0 picks a free port).
    #[arg(long, default_value_t = 554)]
    pub rtsp_port: u16,

    /// MMS port (0 picks a free port).
    #[arg(long, default_value_t = 1755)]
    pub mms_port: u16,

    /// HTTP (MMSH) port (0 picks a free port).
    #[arg(long, default_value_t = 80)]
    pub http_port: u16,

    /// Transports to refuse at once, as a comma list.
    #[arg(long, value_name = "LIST")]
    pub refuse: Option<String>,

    /// Transports whose media never arrives, as a comma list.
    #[arg(long, value_name = "LIST")]
    pub blackhole: Option<String>,

    /// Drop this fraction of UDP media packets, reproducibly.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub udp_loss: f64,

    /// Seed for --udp-loss.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Serve each file as a looping live broadcast.
    #[arg(long)]
    pub live: bool,

    /// Send on-demand media as fast as the client reads it.
    #[arg(long)]
    pub fast: bool,
}
