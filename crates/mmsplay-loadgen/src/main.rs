//! `mmsplay-loadgen`: holds many listeners on a live `mmsplay serve` (MMSH over raw sockets,
//! MMS over UDP and RTSP over TCP through mmsplay's own client), then MMSH listeners on VLC's
//! MMSH output, and prints per transport the share of listeners that kept real-time rate, the
//! server's CPU seconds per delivered GB and its peak RSS.
//!
//! VLC is measured at growing listener counts (`--vlc-steps`, ascending) until one it does not
//! sustain (fewer than 99 % of its listeners at real-time rate); its figures at the largest
//! count it sustained are printed beside ours, with the ratio of CPU per GB.
//!
//! ```text
//! ulimit -n 20000
//! cargo run --release -p mmsplay-loadgen -- --mmsh 10000 --mmsu 1000 --rtspt 1000 --seconds 60 \
//!     --vlc-steps 500,1000,2000,4000
//! ```
//!
//! Needs ffmpeg (to make the 128 kb/s content), and cvlc with setpriv for the VLC run.

mod listeners;
mod measure;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use listeners::{Counts, Kind};

/// The content bitrate, bits per second.
const BITRATE: u64 = 128_000;
/// A server sustains a listener count when at least this share of them kept real-time rate.
const SUSTAINED_SHARE: f64 = 0.99;

struct Args {
    mmsh: usize,
    mmsu: usize,
    rtspt: usize,
    seconds: u64,
    /// VLC listener counts to try, ascending (empty: VLC is not measured).
    vlc_steps: Vec<usize>,
    mmsplay: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        mmsh: 1000,
        mmsu: 100,
        rtspt: 100,
        seconds: 60,
        vlc_steps: Vec::new(),
        mmsplay: default_mmsplay(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
        match flag.as_str() {
            "--mmsh" => a.mmsh = num(value()?)?,
            "--mmsu" => a.mmsu = num(value()?)?,
            "--rtspt" => a.rtspt = num(value()?)?,
            "--seconds" => a.seconds = num(value()?)? as u64,
            "--vlc-mmsh" => a.vlc_steps = vec![num(value()?)?],
            "--vlc-steps" => {
                a.vlc_steps = value()?
                    .split(',')
                    .map(|v| num(v.trim().to_string()))
                    .collect::<Result<_, _>>()?;
                if !a.vlc_steps.is_sorted() || a.vlc_steps.len() > 8 {
                    return Err("--vlc-steps: at most 8 counts, ascending".into());
                }
            }
            "--mmsplay" => a.mmsplay = PathBuf::from(value()?),
            "--help" | "-h" => {
                return Err("usage: mmsplay-loadgen [--mmsh N] [--mmsu N] [--rtspt N] \
                            [--seconds S] [--vlc-steps N,N,...] [--mmsplay PATH]"
                    .into());
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

/// The mmsplay binary next to this one (same target directory).
fn default_mmsplay() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("mmsplay")))
        .unwrap_or_else(|| PathBuf::from("mmsplay"))
}

/// A 128 kb/s WMA file, long enough that VLC (which serves only while it plays) lasts.
fn make_content(dir: &std::path::Path, seconds: u64) -> Result<PathBuf, String> {
    let file = dir.join("load.asf");
    let st = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!(
            "aevalsrc=0.4*sin(2*PI*(220+20*sin(t))*t)|0.4*sin(2*PI*330*t):s=44100:d={seconds}"
        ))
        .args(["-c:a", "wmav2", "-b:a", "128k"])
        .arg(&file)
        .status()
        .map_err(|e| format!("ffmpeg: {e}"))?;
    if !st.success() {
        return Err("ffmpeg could not make the content".into());
    }
    Ok(file)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run(args)) {
        eprintln!("mmsplay-loadgen: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("mmsplay-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // World-readable: VLC runs as nobody.
    let _ = Command::new("chmod").arg("0777").arg(&dir).status();
    let content = make_content(&dir, args.seconds + 120)?;
    let _ = Command::new("chmod").arg("0644").arg(&content).status();
    let window = Duration::from_secs(args.seconds);

    println!(
        "load: {} MMSH + {} MMS/UDP + {} RTSP/TCP listeners on 128 kb/s content, {} s",
        args.mmsh, args.mmsu, args.rtspt, args.seconds
    );
    let ours = measure::Server::mmsplay(&args.mmsplay, &content)?;
    let plan = [
        (Kind::Mmsh, args.mmsh, ours.port("http")),
        (Kind::Mmsu, args.mmsu, ours.port("mms")),
        (Kind::Rtspt, args.rtspt, ours.port("rtsp")),
    ];
    let report = listeners::run(&ours, &plan, "load.asf", window, BITRATE).await;
    drop(ours);
    print_report("mmsplay serve", &report);

    // VLC at growing counts, each on a fresh VLC, until one it does not sustain.
    let mut best: Option<(usize, listeners::Report)> = None;
    for &n in &args.vlc_steps {
        let port = measure::free_port()?;
        let vlc = measure::Server::vlc(&dir, &content, port)?;
        let plan = [(Kind::Mmsh, n, port)];
        let r = listeners::run(&vlc, &plan, "", window, BITRATE).await;
        drop(vlc);
        print_report(&format!("VLC MMSH output, {n} listeners"), &r);
        let sustained = r.share() >= SUSTAINED_SHARE;
        println!(
            "  VLC {} {n} listeners",
            if sustained {
                "sustains"
            } else {
                "does not sustain"
            }
        );
        if !sustained {
            break;
        }
        best = Some((n, r));
    }
    if !args.vlc_steps.is_empty() {
        summarize(&report, best.as_ref());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Our figures beside VLC's at the largest count it sustained.
fn summarize(ours: &listeners::Report, vlc: Option<&(usize, listeners::Report)>) {
    let Some((n, vlc)) = vlc else {
        println!("VLC sustained none of the counts tried");
        return;
    };
    println!("summary (CPU s per delivered GB, peak RSS):");
    println!(
        "  mmsplay serve, {} listeners: {:.2} CPU s/GB, {:.1} MB",
        ours.listeners(),
        ours.cpu_per_gb(),
        ours.peak_rss_kb as f64 / 1024.0
    );
    println!(
        "  VLC MMSH output, {n} listeners (its largest sustained count): {:.2} CPU s/GB, {:.1} MB",
        vlc.cpu_per_gb(),
        vlc.peak_rss_kb as f64 / 1024.0
    );
    if vlc.cpu_per_gb() > 0.0 && ours.bytes > 0 {
        println!(
            "  mmsplay's CPU per GB is {:.0} % of VLC's (target: at most 33 %)",
            100.0 * ours.cpu_per_gb() / vlc.cpu_per_gb()
        );
    }
}

fn print_report(who: &str, r: &listeners::Report) {
    println!("{who}:");
    for (kind, c) in &r.per_kind {
        print_kind(*kind, c);
    }
    println!(
        "  delivered {:.3} GB, server CPU {:.2} s = {:.2} CPU s per GB, peak RSS {:.1} MB",
        r.bytes as f64 / 1e9,
        r.cpu_seconds,
        r.cpu_per_gb(),
        r.peak_rss_kb as f64 / 1024.0
    );
}

fn print_kind(kind: Kind, c: &Counts) {
    let share = if c.listeners > 0 {
        100.0 * c.real_time as f64 / c.listeners as f64
    } else {
        0.0
    };
    println!(
        "  {:>9}: {} listeners, {} connected, {:.1} % at real-time rate",
        kind.name(),
        c.listeners,
        c.connected,
        share
    );
}
