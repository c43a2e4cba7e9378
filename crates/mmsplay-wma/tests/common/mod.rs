//! Shared helpers of the integration tests: ASF demuxing (via `mmsplay-asf`), decoding with
//! `WmaDecoder`, ffmpeg reference PCM, and the comparison metric.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use mmsplay_wma::{DecodeStats, WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::audio::GenericAudioBufferRef;
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

/// The raw decoder output, as FFmpeg's `-flags2 +skip_manual` gives it: no gapless trim.
fn raw() -> AudioDecoderOptions {
    let mut o = AudioDecoderOptions::default();
    o.gapless = false;
    o
}

pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A Microsoft-encoded test file (see tests/data/SOURCES.md). They are other projects' test
/// data under GPL-2.0, so they are not committed: `.ci/run` unpacks them into
/// `target/third-party/`. A copy in tests/data/ms is used first. Missing: fails under
/// CI=true, skipped with a printed reason otherwise.
pub fn ms_file(name: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let third_party = root.join("../../target/third-party");
    let found = [
        data_path(&format!("ms/{name}")),
        third_party.join("mutagen-1.48.1/tests/data").join(name),
        third_party.join("Audio-Scan-1.01/t/asf").join(name),
    ]
    .into_iter()
    .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is missing: bash .ci/run fetches it into target/third-party"
        );
        eprintln!("skipped: {name} not found (bash .ci/run fetches it into target/third-party)");
    }
    found
}

/// `Some(())` when ffmpeg can be run. Without it the test fails under CI=true and is
/// skipped (with a printed reason) otherwise.
pub fn require_ffmpeg() -> Option<()> {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(());
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("ffmpeg is required for this test under CI=true but was not found");
    }
    eprintln!("skipped: ffmpeg not found");
    None
}

/// The WAVEFORMATEX and the media objects of the first audio stream of an ASF file.
pub struct AsfAudio {
    pub wfx: Vec<u8>,
    pub objects: Vec<Vec<u8>>,
}

/// Demuxes the `audio_index`-th audio stream (in header order).
pub fn demux(file: &[u8], audio_index: usize) -> AsfAudio {
    let layout = mmsplay_asf::FileLayout::parse(file, file.len() as u64).expect("ASF layout");
    let stream = layout
        .header
        .streams
        .iter()
        .filter(|s| s.audio.is_some())
        .nth(audio_index)
        .expect("an audio stream");
    let wfx = stream.type_specific.clone();
    let mut demuxer = mmsplay_asf::Demuxer::new(&layout.header, stream.number);
    let mut objects = Vec::new();
    for p in layout.packets(file) {
        let _ = demuxer.push_packet(p);
        while let Some(o) = demuxer.pop() {
            objects.push(o.data);
        }
    }
    demuxer.flush();
    while let Some(o) = demuxer.pop() {
        objects.push(o.data);
    }
    AsfAudio { wfx, objects }
}

pub fn append_planes(buf: &GenericAudioBufferRef<'_>, out: &mut [Vec<f32>]) {
    let mut tmp: Vec<Vec<f32>> = vec![vec![0.0; buf.frames()]; out.len()];
    {
        let mut slices: Vec<&mut [f32]> = tmp.iter_mut().map(|v| &mut v[..]).collect();
        buf.copy_to_slice_planar(&mut slices);
    }
    for (o, t) in out.iter_mut().zip(tmp) {
        o.extend_from_slice(&t);
    }
}

/// Result of decoding a file with our decoder.
pub struct Decoded {
    pub planes: Vec<Vec<f32>>,
    pub frame_len: usize,
    /// Per superframe: Ok(frames decoded) or Err(message).
    pub superframes: Vec<Result<usize, String>>,
    pub stats: DecodeStats,
    pub flags2: u16,
}

/// Decodes every superframe of the file, one `decode` call per superframe (as FFmpeg's
/// generic layer feeds its decoder), then the end-of-stream tail. A trailing piece shorter
/// than a superframe is reported as an error, as in FFmpeg.
pub fn decode_file(path: &Path) -> Decoded {
    decode_stream(path, 0)
}

pub fn decode_stream(path: &Path, audio_index: usize) -> Decoded {
    let file = std::fs::read(path).expect("read fixture");
    let asf = demux(&file, audio_index);
    let params = codec_params_from_waveformatex(&asf.wfx).expect("params");
    let mut dec = WmaDecoder::try_new(&params, &raw()).expect("decoder");
    let channels = usize::from(u16::from_le_bytes([asf.wfx[2], asf.wfx[3]]));
    let mut planes = vec![Vec::new(); channels];
    let ba = dec.block_align();
    let fl = dec.frame_len();
    let mut superframes = Vec::new();
    for obj in &asf.objects {
        for sf in obj.chunks(ba) {
            if sf.len() < ba {
                superframes.push(Err("short superframe".to_string()));
                continue;
            }
            let pkt = Packet::new(0, Timestamp::new(0), Duration::new(0), sf.to_vec());
            match dec.decode(&pkt) {
                Ok(buf) => {
                    superframes.push(Ok(buf.frames() / fl));
                    append_planes(&buf, &mut planes);
                }
                Err(e) => superframes.push(Err(e.to_string())),
            }
        }
    }
    let tail = dec.flush();
    append_planes(&tail, &mut planes);
    Decoded {
        planes,
        frame_len: fl,
        superframes,
        stats: dec.stats().clone(),
        flags2: dec.flags2(),
    }
}

/// FFmpeg's raw decoder output (no start trimming, plus its end-of-stream frame), planar.
pub fn ffmpeg_reference(path: &Path, channels: usize) -> Vec<Vec<f32>> {
    ffmpeg_reference_stream(path, 0, channels)
}

pub fn ffmpeg_reference_stream(path: &Path, audio_index: usize, channels: usize) -> Vec<Vec<f32>> {
    ffmpeg_pcm(path, audio_index, channels, true)
}

/// ffmpeg's PCM; `raw` selects the untrimmed decoder output (`-flags2 +skip_manual`),
/// otherwise what `ffmpeg -i` plays (the first 2·frame_len samples dropped).
pub fn ffmpeg_pcm(path: &Path, audio_index: usize, channels: usize, raw: bool) -> Vec<Vec<f32>> {
    let out = Command::new("ffmpeg")
        // Raw decoder output (+skip_manual: no start trimming), plain-C DSP, and no giving up
        // on streams with many damaged superframes.
        .args(["-v", "error", "-max_error_rate", "1", "-cpuflags", "0"])
        .args(if raw {
            &["-flags2", "+skip_manual", "-i"][..]
        } else {
            &["-i"][..]
        })
        .arg(path)
        .args([
            "-map",
            &format!("0:a:{audio_index}"),
            "-f",
            "f32le",
            "-c:a",
            "pcm_f32le",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let mut planes = vec![Vec::new(); channels];
    for frame in samples.chunks_exact(channels) {
        for (p, &s) in planes.iter_mut().zip(frame) {
            p.push(s);
        }
    }
    planes
}

/// Per channel: (SNR in dB, max |difference|) over the common length.
pub fn compare(ours: &[Vec<f32>], reference: &[Vec<f32>]) -> Vec<(f64, f64)> {
    ours.iter()
        .zip(reference)
        .map(|(a, b)| {
            let n = a.len().min(b.len());
            let (mut sig, mut err, mut max) = (0f64, 0f64, 0f64);
            for (&x, &y) in a[..n].iter().zip(&b[..n]) {
                let d = f64::from(x) - f64::from(y);
                sig += f64::from(y) * f64::from(y);
                err += d * d;
                max = max.max(d.abs());
            }
            let snr = if err == 0.0 {
                f64::INFINITY
            } else {
                10.0 * (sig / err).log10()
            };
            (snr, max)
        })
        .collect()
}

/// The parity bar: equal length within one frame, and per channel SNR ≥ 90 dB or
/// max |diff| ≤ 1e-4 (near-silent signals). Returns the worst SNR for reporting.
pub fn assert_parity(name: &str, ours: &Decoded, reference: &[Vec<f32>]) -> f64 {
    let (la, lb) = (ours.planes[0].len(), reference[0].len());
    assert!(
        la.abs_diff(lb) <= ours.frame_len,
        "{name}: length {la} vs ffmpeg {lb} (frame {})",
        ours.frame_len
    );
    assert!(la > 0, "{name}: no output");
    let mut worst = f64::INFINITY;
    for (ch, (snr, max)) in compare(&ours.planes, reference).into_iter().enumerate() {
        println!("{name} ch{ch}: SNR {snr:.1} dB, max |diff| {max:.3e}, {la} vs {lb} samples");
        assert!(
            snr >= 90.0 || max <= 1e-4,
            "{name} ch{ch}: SNR {snr:.1} dB, max {max:.3e}"
        );
        worst = worst.min(snr);
    }
    worst
}
