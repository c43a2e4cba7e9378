//! Shared helpers for the integration tests: oracle tools, running mmsplay, comparing audio.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The mmsplay binary under test.
pub fn mmsplay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mmsplay"))
}

pub fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/media")
        .join(name)
}

/// Whether an external tool is available. In CI (`CI=true`) a missing tool is a failure; here
/// the caller skips with a printed reason.
pub fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{tool} is required in CI but is not installed");
        }
        eprintln!("skipping: {tool} is not installed");
    }
    found
}

/// Decoded audio: interleaved f32 frames.
#[derive(Clone, Debug)]
pub struct Audio {
    pub rate: u32,
    pub channels: u16,
    pub samples: Vec<f32>,
}

impl Audio {
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }
}

/// ffmpeg's decoding of a file (or URL), at its native rate and channel count.
pub fn ffmpeg_decode(input: &str, rate: u32, channels: u16) -> Audio {
    ffmpeg_decode_stream(input, None, rate, channels)
}

/// ffmpeg's decoding of the `index`th audio stream of a file (its own choice with `None`).
pub fn ffmpeg_decode_stream(input: &str, index: Option<usize>, rate: u32, channels: u16) -> Audio {
    let map = index.map(|i| format!("0:a:{i}"));
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-i", input])
        .args(map.iter().flat_map(|m| ["-map", m.as_str()]))
        .args(["-f", "f32le", "-c:a", "pcm_f32le"])
        .args(["-ar", &rate.to_string(), "-ac", &channels.to_string(), "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Audio {
        rate,
        channels,
        samples,
    }
}

pub fn read_wav(path: &Path) -> Audio {
    let mut r = hound::WavReader::open(path).expect("open wav");
    let spec = r.spec();
    assert_eq!(spec.sample_format, hound::SampleFormat::Float);
    assert_eq!(spec.bits_per_sample, 32);
    let samples = r.samples::<f32>().map(|s| s.expect("sample")).collect();
    Audio {
        rate: spec.sample_rate,
        channels: spec.channels,
        samples,
    }
}

/// Signal-to-noise ratio of `test` against `reference` over their common length, in dB.
pub fn snr_db(reference: &[f32], test: &[f32]) -> f64 {
    let n = reference.len().min(test.len());
    let (mut sig, mut err) = (0.0f64, 0.0f64);
    for i in 0..n {
        let r = f64::from(reference[i]);
        let d = r - f64::from(test[i]);
        sig += r * r;
        err += d * d;
    }
    if err == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (sig / err).log10()
    }
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Runs mmsplay to completion with a deadline, returning its output.
pub fn run_with_deadline(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mmsplay");
    wait_output(child, limit)
}

pub fn wait_output(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().expect("collect output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect output");
            panic!(
                "process did not finish within {limit:?}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Parses `--events json` output into JSON values.
pub fn events(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad event line {l:?}: {e}")))
        .collect()
}

/// A child process killed when the guard drops.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Plays a target headless into a WAV file and returns the audio and the events.
pub fn play_to_wav(target: &str, extra: &[&str]) -> (Audio, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("out.wav");
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output"])
            .arg(format!("wav:{}", wav.display()))
            .args(extra)
            .arg(target),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "mmsplay failed on {target}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    (read_wav(&wav), events(&out.stdout))
}

/// An in-process `mmsplay serve` on loopback; the lines it reports are collected. The
/// protocol test modules wrap it with their own URL helpers.
pub struct InProcessServer {
    pub bound: mmsplay_server::Bound,
    pub lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl InProcessServer {
    /// Serves `files` on `bind` with every port picked by the system; fails if it cannot bind
    /// (no IPv6, say).
    pub async fn start_on(
        bind: &str,
        files: Vec<PathBuf>,
        live: bool,
        fast: bool,
        faults: mmsplay_server::Faults,
    ) -> Result<InProcessServer, mmsplay_server::ServerError> {
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        let bound = mmsplay_server::start(
            mmsplay_server::ServerOptions {
                files,
                media: Vec::new(),
                bind: bind.into(),
                rtsp_port: 0,
                mms_port: 0,
                http_port: 0,
                faults,
                live,
                fast,
                ..Default::default()
            },
            Box::new(move |l: &str| sink.lock().unwrap().push(l.to_string())),
        )
        .await?;
        Ok(InProcessServer { bound, lines })
    }

    /// [`InProcessServer::start_on`] on 127.0.0.1.
    pub async fn start(
        files: Vec<PathBuf>,
        live: bool,
        fast: bool,
        faults: mmsplay_server::Faults,
    ) -> InProcessServer {
        Self::start_on("127.0.0.1", files, live, fast, faults)
            .await
            .expect("server starts")
    }

    /// The URL of `name` for one transport (its scheme names it, so no rollover), on the
    /// right port.
    pub fn url(&self, t: mmsplay_net::Transport, name: &str) -> String {
        use mmsplay_net::Transport;
        let b = &self.bound;
        let port = match t {
            Transport::Rtspu | Transport::Rtspt => b.rtsp.port(),
            Transport::Mmsu | Transport::Mmst => b.mms.port(),
            _ => b.http.port(),
        };
        format!("{}://127.0.0.1:{port}/{name}", t.as_str())
    }

    /// The `session_end` lines so far, parsed.
    pub fn session_ends(&self) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["event"] == "session_end")
            .collect()
    }

    /// Waits (bounded) until `n` sessions have ended.
    pub async fn wait_session_ends(&self, n: usize) -> Vec<serde_json::Value> {
        for _ in 0..100 {
            let v = self.session_ends();
            if v.len() >= n {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "fewer than {n} session_end lines: {:?}",
            self.lines.lock().unwrap()
        );
    }
}

/// `mmsplay serve FILES` as a process on loopback, with its ports; killed when dropped.
pub struct ServeProcess {
    _guard: ChildGuard,
    pub rtsp: u16,
    pub mms: u16,
    pub http: u16,
}

impl ServeProcess {
    /// Serves `files` on ports the system picks; the server's later stdout lines are drained
    /// so it never blocks on a full pipe.
    pub fn start(files: &[&Path], extra: &[&str]) -> ServeProcess {
        let (server, out) = Self::spawn(files, 0, extra);
        drain(out);
        server
    }

    /// The same on a given HTTP port (0: any), to restart a server where it was.
    pub fn start_on_http_port(files: &[&Path], http_port: u16, extra: &[&str]) -> ServeProcess {
        let (server, out) = Self::spawn(files, http_port, extra);
        drain(out);
        server
    }

    /// The same, handing back the server's later stdout lines (`session_end`) to the caller.
    pub fn start_reading(
        files: &[&Path],
        extra: &[&str],
    ) -> (ServeProcess, BufReader<std::process::ChildStdout>) {
        Self::spawn(files, 0, extra)
    }

    fn spawn(
        files: &[&Path],
        http_port: u16,
        extra: &[&str],
    ) -> (ServeProcess, BufReader<std::process::ChildStdout>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mmsplay"))
            .arg("serve")
            .args(files)
            .args(["--rtsp-port", "0", "--mms-port", "0", "--http-port"])
            .arg(http_port.to_string())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let guard = ChildGuard(child);
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"], "listening", "{line}");
        let port = |k: &str| v[k].as_u64().unwrap() as u16;
        let server = ServeProcess {
            rtsp: port("rtsp"),
            mms: port("mms"),
            http: port("http"),
            _guard: guard,
        };
        (server, out)
    }

    /// The server's process id (to signal it).
    pub fn pid(&self) -> u32 {
        self._guard.0.id()
    }

    /// Waits (bounded) for the server to exit; its status code.
    pub fn wait_exit(mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(st)) = self._guard.0.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// `--port` options for the player, so `mms://` rollover finds every listener.
    pub fn port_args(&self) -> Vec<String> {
        vec![
            "--port".into(),
            format!("rtsp={}", self.rtsp),
            "--port".into(),
            format!("mms={}", self.mms),
            "--port".into(),
            format!("http={}", self.http),
        ]
    }
}

/// Reads a child's output to its end on a thread of its own.
fn drain(mut out: BufReader<std::process::ChildStdout>) {
    std::thread::spawn(move || {
        let mut sink = String::new();
        while out.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
}

/// `N` different loopback ports free a moment ago, for a program that must be told its ports
/// before it starts (a taker in between makes that program fail to start, and the test say
/// so).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().map_or(0, |a| a.port()))
}

/// Runs the player headless to the null sink with JSON events and `args`, whatever comes of
/// it: whether it succeeded, its events and its stderr (the log and the error line).
pub fn play_outcome(args: &[&str], target: &str) -> (bool, Vec<serde_json::Value>, String) {
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output", "null"])
            .args(args)
            .arg(target),
        Duration::from_secs(30),
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status.success(), events(&out.stdout), err)
}

/// Plays `target` with `player` (`mmsplay()`, maybe with some environment) headless to the
/// null sink; asserts that it exits cleanly and returns its events.
pub fn play_to_null(
    mut player: Command,
    target: impl AsRef<std::ffi::OsStr>,
) -> Vec<serde_json::Value> {
    let out = run_with_deadline(
        player
            .args(["--headless", "--events", "json", "--output", "null"])
            .arg(target),
        Duration::from_secs(20),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    events(&out.stdout)
}

/// A small deterministic generator (xorshift64*), so that random inputs are the same on every
/// run and a failure reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A copy of `seed` with a few bytes flipped, inserted, removed or truncated.
    pub fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..1 + self.below(8) {
            match self.below(5) {
                0 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] ^= 1 << self.below(8);
                }
                1 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] = self.next() as u8;
                }
                2 => {
                    let i = self.below(v.len() + 1);
                    v.insert(i, self.next() as u8);
                }
                3 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v.remove(i);
                }
                _ => {
                    let n = self.below(v.len() + 1);
                    v.truncate(n);
                }
            }
        }
        v
    }

    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        (0..n).map(|_| self.next() as u8).collect()
    }

    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}
