//! Shared pieces: fixtures, an in-process server, external tools, child-process guards.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mmsplay_asf::FileLayout;
use mmsplay_net::{AsfEvent, ConnectOptions, Session, StreamUrl, Transport};
use mmsplay_server::Faults;

pub use crate::common::{ChildGuard, have_tool};

/// A non-periodic two-channel chirp (unambiguous alignment), encoded as WMA v2 in ASF.
pub fn chirp_asf(dir: &Path, name: &str, secs: u32) -> Option<PathBuf> {
    if !have_tool("ffmpeg") {
        return None;
    }
    let path = dir.join(name);
    let src = format!(
        "aevalsrc=0.5*sin(2*PI*(100*t+190*t*t))|0.5*sin(2*PI*(3000*t-140*t*t)):d={secs}:s=44100"
    );
    let st = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &src,
        ])
        .args(["-c:a", "wmav2", "-b:a", "64k"])
        .arg(&path)
        .status()
        .expect("run ffmpeg");
    assert!(st.success(), "ffmpeg could not make the fixture");
    Some(path)
}

/// The file's header bytes (Header Object + Data Object prefix) and data packets.
pub fn file_packets(path: &Path) -> (Vec<u8>, Vec<Vec<u8>>, Vec<u32>) {
    let bytes = std::fs::read(path).unwrap();
    let layout = FileLayout::parse(&bytes, bytes.len() as u64).unwrap();
    let header = bytes[..layout.header_bytes_len()].to_vec();
    let packets: Vec<Vec<u8>> = layout.packets(&bytes).map(|p| p.to_vec()).collect();
    let mut scratch = Vec::new();
    let times = packets
        .iter()
        .map(|p| {
            mmsplay_asf::parse_packet(p, layout.packet_size, &mut scratch)
                .unwrap()
                .send_time_ms
        })
        .collect();
    (header, packets, times)
}

/// An in-process server and the lines it reports.
pub struct Server(crate::common::InProcessServer);

impl std::ops::Deref for Server {
    type Target = crate::common::InProcessServer;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Server {
    pub async fn start(file: &Path, faults: Faults, live: bool, fast: bool) -> Server {
        Server(
            crate::common::InProcessServer::start(vec![file.to_path_buf()], live, fast, faults)
                .await,
        )
    }

    pub fn url(&self, scheme: &str, name: &str) -> String {
        format!("{scheme}://127.0.0.1:{}/{name}", self.bound.rtsp.port())
    }

    /// Waits (briefly) for a `session_end` line and returns it parsed.
    pub async fn session_end(&self) -> serde_json::Value {
        self.wait_session_ends(1).await.remove(0)
    }
}

/// What our client got from a whole session.
#[derive(Default)]
pub struct Received {
    pub header: Vec<u8>,
    pub packets: Vec<Vec<u8>>,
    pub gaps: u64,
    pub ended: bool,
}

pub fn options(connect_ms: u64) -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Duration::from_millis(connect_ms),
        idle_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// Opens a session and reads it to the end (or `max_packets`), within `limit`.
pub async fn receive(
    url: &str,
    t: Transport,
    opts: &ConnectOptions,
    max_packets: usize,
    limit: Duration,
) -> Received {
    let url = StreamUrl::parse(url).unwrap();
    let fut = async {
        let mut s = Session::open(&url, t, opts).await.expect("session opens");
        assert_eq!(s.transport(), t);
        let mut r = Received::default();
        loop {
            match s.next_event().await.expect("next event") {
                AsfEvent::Header(h) => r.header = h.to_vec(),
                AsfEvent::Packet(p) => {
                    r.packets.push(p.to_vec());
                    if r.packets.len() >= max_packets {
                        break;
                    }
                }
                AsfEvent::Gap { lost } => r.gaps += lost,
                AsfEvent::Script { .. } => {}
                AsfEvent::End => {
                    r.ended = true;
                    break;
                }
            }
        }
        s.close().await;
        r
    };
    tokio::time::timeout(limit, fut)
        .await
        .expect("session within its time limit")
}

/// Runs a command to completion within `limit`; returns whether it succeeded and its stderr.
pub fn run_with_limit(cmd: &mut Command, limit: Duration) -> (bool, String) {
    let stderr_path = std::env::temp_dir().join(format!(
        "mmsplay-rtsp-{}-{}.log",
        std::process::id(),
        rand_suffix()
    ));
    let err = std::fs::File::create(&stderr_path).unwrap();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .expect("spawn");
    let mut g = ChildGuard(child);
    let deadline = Instant::now() + limit;
    let ok = loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            break st.success();
        }
        if Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(g);
    let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let _ = std::fs::remove_file(&stderr_path);
    (ok, log.chars().take(4000).collect())
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// f32le samples of a file.
pub fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// ffmpeg's decode of a local file, f32le interleaved.
pub fn ffmpeg_decode(input: &Path, out: &Path) -> Vec<f32> {
    let (ok, log) = run_with_limit(
        Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-i"])
            .arg(input)
            .args(["-f", "f32le"])
            .arg(out),
        Duration::from_secs(20),
    );
    assert!(ok, "ffmpeg decode failed: {log}");
    read_f32(out)
}

/// Finds the lag (in interleaved samples, `test[i + lag] ~ reference[i]`) and returns it with
/// the SNR over the overlap and the overlap length.
pub fn align(test: &[f32], reference: &[f32], max_lag: usize, step: usize) -> (isize, f64, usize) {
    let probe_start = reference.len() / 4;
    let probe = 4000.min(reference.len() / 4);
    let mut best = (f64::MAX, 0isize);
    let mut lag = -(max_lag as isize);
    while lag <= max_lag as isize {
        let mut err = 0f64;
        let mut ok = true;
        for (i, r) in reference.iter().enumerate().skip(probe_start).take(probe) {
            let j = i as isize + lag;
            if j < 0 || j as usize >= test.len() {
                ok = false;
                break;
            }
            let d = f64::from(test[j as usize]) - f64::from(*r);
            err += d * d;
        }
        if ok && err < best.0 {
            best = (err, lag);
        }
        lag += step as isize;
    }
    let lag = best.1;
    let (mut sig, mut err, mut n) = (0f64, 0f64, 0usize);
    for (i, r) in reference.iter().enumerate() {
        let j = i as isize + lag;
        if j < 0 || j as usize >= test.len() {
            continue;
        }
        let d = f64::from(test[j as usize]) - f64::from(*r);
        sig += f64::from(*r) * f64::from(*r);
        err += d * d;
        n += 1;
    }
    let snr = if err == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (sig / err).log10()
    };
    (lag, snr, n)
}
