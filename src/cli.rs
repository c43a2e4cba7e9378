//! The command line, as `docs/interface.md` defines it.

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
    Serve(Box<ServeArgs>),
    /// List, add or remove saved streams.
    Bookmarks {
        #[command(subcommand)]
        command: BookmarksCommand,
    },
    /// Print a completion script for SHELL on stdout.
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the manual page (roff) on stdout.
    #[command(hide = true)]
    Manpage,
}

/// The shells `mmsplay completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
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

    /// Among audio streams in several languages, prefer TAG (BCP 47, prefix match: pt matches
    /// pt-br). Default: the locale's language, else the first audio stream.
    #[arg(long, value_name = "TAG")]
    pub lang: Option<String>,

    /// Among alternative bitrates of the same audio, never choose one above KBPS (kbit/s).
    /// Default: no cap, the highest the link sustains (over MMSH a packet-pair probe at
    /// connect measures the link and caps the choice).
    #[arg(long, value_name = "KBPS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_bitrate: Option<u32>,

    /// Credentials for the server the target names, when it asks (HTTP Basic or Digest on
    /// MMSH, RTSP and HTTP metafiles; a redirect or metafile entry on another server does not
    /// get them); without :PASS the TUI asks for the password. Also taken from the URL's
    /// user:pass@.
    #[arg(long, value_name = "USER[:PASS]")]
    pub user: Option<String>,

    /// HTTP proxy for MMSH and HTTP metafiles (the other transports go direct); `none` for
    /// none. Default: http_proxy or HTTP_PROXY, except for the hosts no_proxy names.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Write the log to this file (default: stderr when headless, a file under the cache
    /// directory while the TUI is up).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Do not ask the server for fast start (an accelerated start that fills the buffer in a
    /// fraction of the preroll): the stream comes in real time from its start.
    #[arg(long)]
    pub no_fast_start: bool,
}

/// Options of `mmsplay serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// The ASF files to serve, each under its file name as the URL path; a directory serves
    /// every ASF/WMA/WMV file under it by its relative path.
    #[arg(required_unless_present_any = ["relays", "playlists"])]
    pub files: Vec<PathBuf>,

    /// Serve a live source under /NAME on all transports: SOURCE is a URL mmsplay can play
    /// that yields ASF, or `-` for an ASF stream on standard input (repeatable).
    #[arg(long = "relay", value_name = "NAME=SOURCE")]
    pub relays: Vec<String>,

    /// Serve the files in sequence as one stream under /NAME, a server-side playlist: each
    /// session plays them in turn from the first (repeatable).
    #[arg(long = "playlist", value_name = "NAME=A,B,...")]
    pub playlists: Vec<String>,

    /// Address to listen on (repeatable; IPv6 too, e.g. `::1` or `::`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: Vec<String>,

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

    /// Most client sessions at once; more get the protocol's "server busy" answer.
    #[arg(long, value_name = "N")]
    pub max_clients: Option<usize>,

    /// Most connections from one address at once; more get the "server busy" answer.
    #[arg(long, value_name = "N")]
    pub max_clients_per_ip: Option<usize>,

    /// Require these credentials (HTTP Basic or Digest) on MMSH and RTSP, and refuse the MMS
    /// transports, which cannot carry them.
    #[arg(long, value_name = "USER:PASS")]
    pub auth: Option<String>,

    /// Send requests for /NAME to URL: an HTTP 302 on MMSH, an RTSP 302, an MMS redirect
    /// report (repeatable).
    #[arg(long = "redirect", value_name = "NAME=URL")]
    pub redirects: Vec<String>,

    /// Seconds a new connection may take to send its first complete request.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub handshake_timeout: f64,

    /// Packets a listener may fall behind before it is dropped.
    #[arg(long, value_name = "N", default_value_t = mmsplay_server::outbox::QUEUE_PACKETS as u64,
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub queue: u64,
}
