//! Shared pieces of the MMS tests: fixtures, an in-process server, tool checks, child guards.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::Duration;

use mmsplay_net::{ConnectOptions, Ports, StreamUrl, Transport};
use mmsplay_server::{Faults, Media};

/// Whether `tool` can run. Missing: a failure when `CI=true`, otherwise a printed skip.
pub fn have_tool(tool: &str, why: &str) -> bool {
    let ok = crate::common::have_tool(tool);
    if !ok {
        eprintln!("  ({tool} is needed for {why})");
    }
    ok
}

/// A test fixture directory with a short ffmpeg-made WMA file (a chirp: aligns unambiguously).
pub struct Fixture {
    pub dir: PathBuf,
    pub asf: PathBuf,
    pub name: &'static str,
}

static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();

/// Fixture directories are per test process, in the system temp dir (VLC runs as nobody and
/// must reach them); the ones of processes that have exited are removed here.
const DIR_PREFIX: &str = "mmsplay-mms-it-";

fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(DIR_PREFIX)
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The shared fixture, or `None` (after a printed skip) without ffmpeg outside CI.
pub fn fixture() -> Option<&'static Fixture> {
    FIXTURE
        .get_or_init(|| {
            if !have_tool("ffmpeg", "makes the ASF test file") {
                return None;
            }
            remove_stale_dirs();
            let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let _ = std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777));
            let asf = dir.join("chirp.asf");
            let st = Command::new("ffmpeg")
                .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
                .arg("aevalsrc=0.5*sin(2*PI*(100*t+190*t*t))|0.5*sin(2*PI*(3000*t-140*t*t)):s=44100:d=6")
                .args(["-c:a", "wmav2", "-b:a", "64k", "-packet_size", "800"])
                .arg(&asf)
                .status()
                .unwrap();
            assert!(st.success());
            Some(Fixture {
                dir,
                asf,
                name: "chirp.asf",
            })
        })
        .as_ref()
}

pub fn media(f: &Fixture) -> Media {
    Media::load(&f.asf).unwrap()
}

/// A server running in this process, and the lines it reported.
pub struct TestServer(crate::common::InProcessServer);

impl std::ops::Deref for TestServer {
    type Target = crate::common::InProcessServer;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl TestServer {
    pub async fn start(f: &Fixture, faults: Faults, live: bool, fast: bool) -> TestServer {
        Self::start_files(vec![f.asf.clone()], faults, live, fast).await
    }

    pub async fn start_files(
        files: Vec<PathBuf>,
        faults: Faults,
        live: bool,
        fast: bool,
    ) -> TestServer {
        TestServer(crate::common::InProcessServer::start(files, live, fast, faults).await)
    }

    pub fn url(&self, scheme: &str, name: &str) -> StreamUrl {
        StreamUrl::parse(&format!(
            "{scheme}://127.0.0.1:{}/{name}",
            self.bound.mms.port()
        ))
        .unwrap()
    }
}

pub fn opts() -> ConnectOptions {
    ConnectOptions {
        ports: Ports::default(),
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        ..ConnectOptions::default()
    }
}

pub fn faults(refuse: &[Transport], blackhole: &[Transport], loss: f64, seed: u64) -> Faults {
    Faults {
        refuse: refuse.iter().copied().collect(),
        blackhole: blackhole.iter().copied().collect(),
        udp_loss: loss,
        seed,
    }
}

/// Kills and reaps a child process when dropped.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads raw little-endian f32 samples.
pub fn read_f32(path: &Path) -> Vec<f32> {
    let b = std::fs::read(path).unwrap_or_default();
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The f32 samples of a WAV file (32-bit float or 16-bit PCM), via hound.
pub fn read_wav(path: &Path) -> Vec<f32> {
    let Ok(r) = hound::WavReader::open(path) else {
        return Vec::new();
    };
    let spec = r.spec();
    match spec.sample_format {
        hound::SampleFormat::Float => r.into_samples::<f32>().map_while(Result::ok).collect(),
        hound::SampleFormat::Int => r
            .into_samples::<i32>()
            .map_while(Result::ok)
            .map(|s| s as f32 / (1u32 << (spec.bits_per_sample - 1)) as f32)
            .collect(),
    }
}

/// ffmpeg's decode of the fixture file, interleaved f32.
pub fn reference_pcm(f: &Fixture) -> Vec<f32> {
    let out = f.dir.join("ref.f32le");
    if !out.exists() {
        let st = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-i"])
            .arg(&f.asf)
            .args(["-f", "f32le"])
            .arg(&out)
            .status()
            .unwrap();
        assert!(st.success());
    }
    read_f32(&out)
}

/// Best SNR (dB) of `test` against `reference` over interleaved-frame lags in `lags`, comparing
/// the overlap while skipping `edge` frames at both ends (decoders differ at the edges).
pub fn best_snr(
    test: &[f32],
    reference: &[f32],
    channels: usize,
    lags: &[isize],
    edge: usize,
) -> (isize, f64, usize) {
    let mut best = (0, f64::NEG_INFINITY, 0);
    for &lag in lags {
        let off = lag * channels as isize;
        let (t0, r0) = if off >= 0 {
            (off as usize, 0)
        } else {
            (0, (-off) as usize)
        };
        if t0 >= test.len() || r0 >= reference.len() {
            continue;
        }
        let n = (test.len() - t0).min(reference.len() - r0);
        let skip = edge * channels;
        if n <= 2 * skip {
            continue;
        }
        let (mut sig, mut noise) = (0f64, 0f64);
        for i in skip..n - skip {
            let r = f64::from(reference[r0 + i]);
            let d = f64::from(test[t0 + i]) - r;
            sig += r * r;
            noise += d * d;
        }
        let snr = if noise == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (sig / noise).log10()
        };
        if snr > best.1 {
            best = (lag, snr, (n - 2 * skip) / channels);
        }
    }
    best
}
