//! Shared helpers: fixtures, an in-process server, external tools, child guards, comparison.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mmsplay_asf::{AudioStreamSpec, FileLayout, HeaderSpec, Packetizer, WaveFormatEx};
use mmsplay_net::{AsfEvent, ConnectOptions, Session, StreamUrl, Transport};
use mmsplay_server::Faults;

/// Whether an external tool is installed. Missing: a failure under `CI=true`, else a printed
/// skip.
pub fn require(tool: &str) -> bool {
    crate::common::have_tool(tool)
}

/// A synthetic PCM file (8 kHz stereo 16-bit), `seconds` long, made with our ASF writer: no
/// external tool needed. Every media object is distinct, so byte comparisons mean something.
pub fn synthetic_asf(dir: &Path, name: &str, seconds: u32) -> PathBuf {
    synthetic_asf_sized(dir, name, seconds, 1000)
}

/// [`synthetic_asf`] with a chosen packet size.
pub fn synthetic_asf_sized(dir: &Path, name: &str, seconds: u32, packet_size: u32) -> PathBuf {
    synthetic_asf_tagged(dir, name, seconds, packet_size, Vec::new())
}

/// [`synthetic_asf_sized`] with string tags in the header (to make it large, say).
pub fn synthetic_asf_tagged(
    dir: &Path,
    name: &str,
    seconds: u32,
    packet_size: u32,
    tags: Vec<(String, String)>,
) -> PathBuf {
    let object_ms = 50u32;
    let object_len = 32 * object_ms as usize; // 32000 B/s
    let mut p = Packetizer::new(packet_size);
    let count = seconds * 1000 / object_ms;
    for i in 0..count {
        let data: Vec<u8> = (0..object_len)
            .map(|b| ((b as u32).wrapping_mul(31) ^ i.wrapping_mul(7)) as u8)
            .collect();
        p.push_object(1, 500 + i * object_ms, true, &data);
    }
    p.flush();
    let packets = p.take_packets();
    let spec = HeaderSpec {
        packet_size,
        data_packets: packets.len() as u64,
        play_duration: u64::from(seconds * 1000 + 500) * 10_000,
        preroll_ms: 500,
        streams: vec![AudioStreamSpec {
            number: 1,
            format: WaveFormatEx::pcm(2, 8000, 16),
            spread: None,
            bitrate: 256_000,
        }],
        tags,
        ..Default::default()
    };
    let mut file = mmsplay_asf::write_header(&spec);
    for pk in &packets {
        file.extend_from_slice(pk);
    }
    let path = dir.join(name);
    std::fs::write(&path, file).unwrap();
    path
}

/// An ffmpeg-made WMA v2 file from a chirp (non-periodic, so alignment is unambiguous).
pub fn ffmpeg_wma(dir: &Path, name: &str, seconds: u32, bitrate: &str) -> PathBuf {
    let path = dir.join(name);
    let src = format!(
        "aevalsrc=0.5*sin(2*PI*(100*t+190*t*t))|0.5*sin(2*PI*(3000*t-140*t*t)):d={seconds}:s=44100"
    );
    let st = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &src,
            "-ac",
            "2",
        ])
        .args(["-c:a", "wmav2", "-b:a", bitrate])
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success(), "ffmpeg could not make the fixture");
    path
}

/// ffmpeg's decode of a file or URL as interleaved f32.
pub fn ffmpeg_decode(input: &str) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-i", input, "-f", "f32le", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "ffmpeg failed to decode {input}");
    f32_samples(&out.stdout)
}

pub fn f32_samples(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The samples of a 32-bit float WAV file (the `data` chunk).
pub fn wav_f32(path: &Path) -> Vec<f32> {
    let b = std::fs::read(path).unwrap();
    let mut pos = 12;
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap()) as usize;
        if id == b"data" {
            let end = (pos + 8 + len).min(b.len());
            return f32_samples(&b[pos + 8..end]);
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk in {}", path.display());
}

/// SNR in dB of `test` against `reference` (interleaved, same alignment), skipping `edge`
/// values at both ends.
pub fn snr_db(reference: &[f32], test: &[f32], edge: usize) -> f64 {
    let n = reference.len().min(test.len());
    assert!(
        n > 2 * edge + 1000,
        "too little audio to compare ({n} values)"
    );
    let (mut sig, mut err) = (0f64, 0f64);
    for i in edge..n - edge {
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

/// The data packets of a file, as our server sends them (padded, full size).
pub fn file_packets(path: &Path) -> (Vec<u8>, Vec<Vec<u8>>) {
    let bytes = std::fs::read(path).unwrap();
    let layout = FileLayout::parse(&bytes, bytes.len() as u64).unwrap();
    let header = bytes[..layout.header_bytes_len()].to_vec();
    let packets = layout.packets(&bytes).map(<[u8]>::to_vec).collect();
    (header, packets)
}

/// An in-process `mmsplay serve` on loopback; its report lines are collected.
pub struct TestServer(crate::common::InProcessServer);

impl std::ops::Deref for TestServer {
    type Target = crate::common::InProcessServer;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl TestServer {
    pub async fn start(files: Vec<PathBuf>, live: bool, fast: bool, faults: Faults) -> TestServer {
        TestServer(crate::common::InProcessServer::start(files, live, fast, faults).await)
    }

    /// [`TestServer::start`] on a given address; fails if it cannot bind (no IPv6, say).
    pub async fn start_on(
        bind: &str,
        files: Vec<PathBuf>,
        live: bool,
        fast: bool,
        faults: Faults,
    ) -> Result<TestServer, mmsplay_server::ServerError> {
        crate::common::InProcessServer::start_on(bind, files, live, fast, faults)
            .await
            .map(TestServer)
    }

    pub fn url(&self, name: &str) -> String {
        format!("mmsh://127.0.0.1:{}/{name}", self.bound.http.port())
    }
}

pub fn opts() -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// Opens an MMSH session on `url`.
pub async fn open(url: &str, o: &ConnectOptions) -> mmsplay_net::error::Result<Session> {
    Session::open(&StreamUrl::parse(url).unwrap(), Transport::Mmsh, o).await
}

/// Collects events until `End`, an error, or `max` events.
pub async fn collect(
    s: &mut Session,
    max: usize,
) -> (Vec<AsfEvent>, Option<mmsplay_net::NetError>) {
    let mut out = Vec::new();
    while out.len() < max {
        match s.next_event().await {
            Ok(AsfEvent::End) => {
                out.push(AsfEvent::End);
                return (out, None);
            }
            Ok(e) => out.push(e),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

/// The packets among events.
pub fn packets(events: &[AsfEvent]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            AsfEvent::Packet(p) => Some(p.to_vec()),
            _ => None,
        })
        .collect()
}

/// The reassembled media objects' data of stream `stream` from a header and packets.
pub fn media_objects(header: &[u8], packets: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let h = mmsplay_asf::parse_header(header).unwrap();
    let stream = h.streams[0].number;
    let mut d = mmsplay_asf::Demuxer::new(&h, stream);
    let mut out = Vec::new();
    for p in packets {
        let _ = d.push_packet(p);
        while let Some(o) = d.pop() {
            out.push(o.data);
        }
    }
    d.flush();
    while let Some(o) = d.pop() {
        out.push(o.data);
    }
    out
}

/// A free loopback TCP port (bound and released: fine for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `cvlc` as `nobody` (VLC refuses root), with its own HOME, killed on drop.
pub fn vlc_command(home: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("setpriv");
    c.args([
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "cvlc",
    ])
    .env("HOME", home)
    .kill_on_drop(true)
    .stdin(std::process::Stdio::null());
    c
}

/// A temp dir that `nobody` can read and write (for VLC).
pub fn shared_tempdir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    d
}

/// Where `probe` (interleaved, `channels` wide) sits in `reference`, if some frame-aligned
/// position matches at ≥ `min_snr` dB. Candidates are found by their first values, so this is
/// fast on long references.
pub fn locate(reference: &[f32], probe: &[f32], channels: usize, min_snr: f64) -> Option<usize> {
    let close = |a: f32, b: f32| (a - b).abs() < 1e-4;
    (0..reference.len().saturating_sub(probe.len()))
        .step_by(channels)
        .filter(|&k| (0..4).all(|j| close(reference[k + j], probe[j])))
        .find(|&k| snr_db(&reference[k..k + probe.len()], probe, 0) >= min_snr)
}
