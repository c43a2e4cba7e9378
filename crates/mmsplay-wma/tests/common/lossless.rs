//! WMA Lossless helpers: decoding packets to integer samples, ffmpeg's integer output, and
//! the WAV wrapping that lets ffmpeg decode packets we made or changed.

use std::path::Path;
use std::process::Command;

use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

use super::append_planes;

/// Our decode of a stream: per-channel integer samples, and per packet Ok(samples) or the
/// error.
pub struct Lossless {
    pub planes: Vec<Vec<i32>>,
    pub packets: Vec<Result<usize, String>>,
    pub bits: u32,
}

/// The bit depth in a WMA Lossless WAVEFORMATEX (its first two extra bytes).
pub fn bits_of(wfx: &[u8]) -> u32 {
    u32::from(u16::from_le_bytes([wfx[18], wfx[19]]))
}

/// Converts our f32 output back to integers, requiring every value to be exact.
pub fn to_int(planes: &[Vec<f32>], bits: u32) -> Vec<Vec<i32>> {
    let scale = (1u32 << (bits - 1)) as f32;
    planes
        .iter()
        .map(|p| {
            p.iter()
                .map(|&v| {
                    let x = v * scale;
                    assert!(x == x.trunc(), "{v} is not an exact {bits}-bit sample");
                    x as i32
                })
                .collect()
        })
        .collect()
}

/// Decodes `packets` (one `decode` call each, raw output), then flushes.
pub fn decode_packets(wfx: &[u8], packets: &[Vec<u8>]) -> Lossless {
    let params = codec_params_from_waveformatex(wfx).expect("params");
    let mut opts = AudioDecoderOptions::default();
    opts.gapless = false;
    let mut dec = WmaDecoder::try_new(&params, &opts).expect("decoder");
    let channels = usize::from(u16::from_le_bytes([wfx[2], wfx[3]]));
    let mut planes = vec![Vec::new(); channels];
    let mut results = Vec::new();
    for data in packets {
        let pkt = Packet::new(0, Timestamp::new(0), Duration::new(0), data.clone());
        match dec.decode(&pkt) {
            Ok(buf) => {
                results.push(Ok(buf.frames()));
                append_planes(&buf, &mut planes);
            }
            Err(e) => results.push(Err(e.to_string())),
        }
    }
    append_planes(&dec.flush(), &mut planes);
    let bits = bits_of(wfx);
    Lossless {
        planes: to_int(&planes, bits),
        packets: results,
        bits,
    }
}

/// ffmpeg's integer samples of the first audio stream (s16, or the top 24 bits of its s32
/// via `pcm_s24le`), planar.
pub fn ffmpeg_ints(path: &Path, channels: usize, bits: u32) -> Vec<Vec<i32>> {
    let (fmt, codec, width) = if bits == 16 {
        ("s16le", "pcm_s16le", 2)
    } else {
        ("s24le", "pcm_s24le", 3)
    };
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-f", fmt, "-c:a", codec, "-"])
        .output()
        .expect("run ffmpeg");
    // With length-prefixed frames ffmpeg's end-of-stream drain keeps decoding the last
    // packet's zero padding as a frame until it gives up with "Too many errors when
    // draining" and a failing exit status; its samples are complete all the same.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("Too many errors when draining"),
        "{stderr}"
    );
    let mut planes = vec![Vec::new(); channels];
    for (i, s) in out.stdout.chunks_exact(width).enumerate() {
        let v = if width == 2 {
            i32::from(i16::from_le_bytes([s[0], s[1]]))
        } else {
            i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8
        };
        planes[i % channels].push(v);
    }
    planes
}

/// A WAV file holding WMA packets: ffmpeg decodes WMA Lossless in WAV exactly as in ASF
/// (one packet per read when `nBlockAlign` ≥ 4096).
pub fn wav_wrap(wfx: &[u8], packets: &[Vec<u8>]) -> Vec<u8> {
    let data = packets.concat();
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&((4 + 8 + wfx.len() + 8 + data.len()) as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&(wfx.len() as u32).to_le_bytes());
    w.extend_from_slice(wfx);
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(data.len() as u32).to_le_bytes());
    w.extend_from_slice(&data);
    w
}

/// ffmpeg's integer decode of `packets` (wrapped in WAV in a temporary directory).
pub fn ffmpeg_packets(wfx: &[u8], packets: &[Vec<u8>]) -> Vec<Vec<i32>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("stream.wav");
    std::fs::write(&path, wav_wrap(wfx, packets)).expect("write wav");
    let channels = usize::from(u16::from_le_bytes([wfx[2], wfx[3]]));
    ffmpeg_ints(&path, channels, bits_of(wfx))
}
