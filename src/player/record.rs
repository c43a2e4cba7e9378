//! `--record PATH`: the received stream written as an ASF file that ffmpeg and Windows Media
//! Player play, whatever the transport.
//!
//! - The header is the stream's own, with the Data Object's and File Properties' counts, sizes
//!   and durations rewritten when the stream ends (or is stopped), and the Broadcast flag
//!   cleared: a recording is a file (ASF 3.2).
//! - Packets are written as received (full packet size). Their send times and the payloads'
//!   presentation times are rebased so the recording starts at zero: a live stream joined
//!   mid-broadcast would otherwise start minutes in, and a looping broadcast's clock jumps back
//!   at each loop. Readers take the duration from the header and the timestamps, so both must
//!   agree.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;

use mmsplay_asf::{header_object_len, parse_header, patch_header_counts};

/// A jump back in send time larger than this is a new clock (a broadcast loop, a reconnect),
/// not reordering.
const CLOCK_JUMP_MS: i64 = 1000;

pub struct Recorder {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    header: Vec<u8>,
    packet_size: u32,
    preroll_ms: u64,
    packets: u64,
    /// Subtracted from every time in a packet (ms); set by the first packet, moved when the
    /// clock jumps.
    base_ms: Option<i64>,
    /// The latest packet's rebased send time plus its duration: where the recording ends.
    end_ms: i64,
    last_out_ms: i64,
    /// The latest presentation time seen (rebased, preroll included) and the step to it from
    /// the one before: the last object's time plus one object's length is where the media ends.
    max_pts_ms: u64,
    object_ms: u64,
    /// The first header's Header Object, to tell a reconnect (same header) from a new stream.
    first_header: Vec<u8>,
    /// A different stream followed: nothing more is written.
    frozen: bool,
    /// Packets lost while recording (reported in the log).
    pub gaps: u64,
}

impl Recorder {
    pub fn new(path: PathBuf) -> Recorder {
        Recorder {
            path,
            out: None,
            header: Vec::new(),
            packet_size: 0,
            preroll_ms: 0,
            packets: 0,
            base_ms: None,
            end_ms: 0,
            last_out_ms: 0,
            max_pts_ms: 0,
            object_ms: 0,
            first_header: Vec::new(),
            frozen: false,
            gaps: 0,
        }
    }

    fn err(&self, e: impl std::fmt::Display) -> String {
        format!("record {}: {e}", self.path.display())
    }

    /// The stream's header. The same header again (a reconnect) continues the recording; a
    /// different one (the server moved to another stream) ends it there, since one file holds
    /// one stream: that is returned as an error to log.
    pub fn header(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.out.is_some() {
            let same = header_object_len(bytes)
                .ok()
                .and_then(|n| bytes.get(..n))
                .is_some_and(|h| h == self.first_header.as_slice());
            if !same && !self.frozen {
                self.frozen = true;
                return Err(self.err("the stream changed; the recording ends at the change"));
            }
            return Ok(());
        }
        let h = parse_header(bytes).map_err(|e| self.err(e))?;
        let hlen = header_object_len(bytes).map_err(|e| self.err(e))?;
        let need = hlen + mmsplay_asf::header::DATA_OBJECT_FIXED_LEN;
        let mut header = bytes
            .get(..need)
            .ok_or_else(|| self.err("short header"))?
            .to_vec();
        // Valid as a (empty) file from the start, in case the process is killed.
        patch_header_counts(&mut header, 0, h.packet_size(), 0);
        let mut f = BufWriter::new(File::create(&self.path).map_err(|e| self.err(e))?);
        f.write_all(&header).map_err(|e| self.err(e))?;
        self.first_header = bytes[..hlen].to_vec();
        self.header = header;
        self.packet_size = h.packet_size();
        self.preroll_ms = h.file.preroll_ms;
        self.out = Some(f);
        Ok(())
    }

    pub fn packet(&mut self, p: &[u8]) -> Result<(), String> {
        if self.out.is_none() || self.frozen || p.len() != self.packet_size as usize {
            return Ok(());
        }
        let mut p = p.to_vec();
        if let Some((send, duration)) = packet_times(&p) {
            let send = i64::from(send);
            let base = *self.base_ms.get_or_insert(send);
            let mut out = send - base;
            if out < self.last_out_ms - CLOCK_JUMP_MS {
                // The clock went back: continue from where the recording is.
                self.base_ms = Some(send - self.end_ms);
                out = self.end_ms;
            }
            let delta = self.base_ms.unwrap_or(base);
            rebase_times(&mut p, delta);
            for pts in presentation_times(&p) {
                if pts > self.max_pts_ms {
                    if self.max_pts_ms > 0 {
                        self.object_ms = pts - self.max_pts_ms;
                    }
                    self.max_pts_ms = pts;
                }
            }
            self.last_out_ms = out;
            self.end_ms = self.end_ms.max(out + i64::from(duration));
        }
        let Some(w) = self.out.as_mut() else {
            return Ok(());
        };
        if let Err(e) = w.write_all(&p) {
            return Err(format!("record {}: {e}", self.path.display()));
        }
        self.packets += 1;
        Ok(())
    }

    /// Rewrites the header with the final counts and duration.
    pub fn finish(&mut self) -> Result<(), String> {
        let Some(mut out) = self.out.take() else {
            return Ok(());
        };
        // Play duration includes the preroll (ASF 3.2), in 100 ns units: the end of the last
        // object, or of the last packet's send window when that is later (readers such as
        // GStreamer cut the stream at this time, so too short loses the last frame).
        let span = u64::try_from(self.end_ms).unwrap_or(0);
        let by_packets = span + self.preroll_ms;
        let by_objects = self.max_pts_ms + self.object_ms;
        let play_duration = by_packets.max(by_objects) * 10_000;
        patch_header_counts(
            &mut self.header,
            self.packets,
            self.packet_size,
            play_duration,
        );
        let r = (|| -> std::io::Result<()> {
            out.flush()?;
            let mut f = out.into_inner().map_err(|e| e.into_error())?;
            f.seek(SeekFrom::Start(0))?;
            f.write_all(&self.header)?;
            f.sync_all()
        })();
        r.map_err(|e| self.err(e))
    }
}

/// Sizes of the variable-width fields: length type 0, 1, 2, 3 → 0, 1, 2, 4 bytes (ASF 5.2.2).
fn var_len(t: u8) -> usize {
    match t & 3 {
        0 => 0,
        1 => 1,
        2 => 2,
        _ => 4,
    }
}

/// Where the time fields of a data packet are (ASF 5.2): the send time, and each payload's
/// presentation time (in replicated data, or the offset field of a compressed payload), with
/// the width of each. `None` when the packet does not parse.
struct TimeFields {
    send_at: usize,
    duration: u16,
    /// (offset, width in bytes)
    presentation: Vec<(usize, usize)>,
}

fn time_fields(p: &[u8]) -> Option<TimeFields> {
    let mut pos = 0usize;
    let mut first = *p.first()?;
    if first & 0x80 != 0 {
        pos += 1 + usize::from(first & 0x0F);
        first = *p.get(pos)?;
    }
    let length_flags = first;
    let property_flags = *p.get(pos + 1)?;
    pos += 2;
    pos += var_len(length_flags >> 5) + var_len(length_flags >> 1) + var_len(length_flags >> 3);
    let send_at = pos;
    let duration = u16::from_le_bytes([*p.get(pos + 4)?, *p.get(pos + 5)?]);
    pos += 6;
    let (rep_t, off_t, obj_t) = (property_flags, property_flags >> 2, property_flags >> 4);
    let mut presentation = Vec::new();
    let (count, len_t, multiple) = if length_flags & 1 != 0 {
        let f = *p.get(pos)?;
        pos += 1;
        (usize::from(f & 0x3F), f >> 6, true)
    } else {
        (1, 0, false)
    };
    for _ in 0..count {
        pos += 1 + var_len(obj_t);
        let offset_at = pos;
        pos += var_len(off_t);
        let rep_len = read_var(p, pos, rep_t)?;
        pos += var_len(rep_t);
        match rep_len {
            1 => presentation.push((offset_at, var_len(off_t))),
            n if n >= 8 => presentation.push((pos + 4, 4)),
            _ => {}
        }
        pos = pos.checked_add(rep_len)?;
        if multiple {
            let len = read_var(p, pos, len_t)?;
            pos = pos.checked_add(var_len(len_t))?.checked_add(len)?;
        }
        if pos > p.len() {
            return None;
        }
    }
    p.get(send_at..send_at + 4)?;
    Some(TimeFields {
        send_at,
        duration,
        presentation,
    })
}

fn read_var(p: &[u8], at: usize, t: u8) -> Option<usize> {
    let b = p.get(at..at + var_len(t))?;
    Some(
        b.iter()
            .rev()
            .fold(0usize, |v, &x| (v << 8) | usize::from(x)),
    )
}

/// The packet's send time and duration (ms).
fn packet_times(p: &[u8]) -> Option<(u32, u16)> {
    let f = time_fields(p)?;
    let s = p.get(f.send_at..f.send_at + 4)?;
    Some((u32::from_le_bytes([s[0], s[1], s[2], s[3]]), f.duration))
}

/// The presentation times (ms) of the packet's payloads.
fn presentation_times(p: &[u8]) -> Vec<u64> {
    let Some(f) = time_fields(p) else {
        return Vec::new();
    };
    f.presentation
        .iter()
        .filter_map(|&(at, width)| {
            let b = p.get(at..at + width)?;
            Some(b.iter().rev().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
        })
        .collect()
}

/// Subtracts `delta_ms` from every time in the packet (never below zero).
fn rebase_times(p: &mut [u8], delta_ms: i64) {
    if delta_ms == 0 {
        return;
    }
    let Some(f) = time_fields(p) else {
        return;
    };
    let fields = std::iter::once((f.send_at, 4)).chain(f.presentation);
    for (at, width) in fields {
        let Some(b) = p.get_mut(at..at + width) else {
            continue;
        };
        let v = b.iter().rev().fold(0i64, |v, &x| (v << 8) | i64::from(x));
        let max = (1i64 << (8 * width)) - 1;
        let new = (v - delta_ms).clamp(0, max);
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = (new >> (8 * i)) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmsplay_asf::writer::Packetizer;

    fn packets() -> Vec<Vec<u8>> {
        let mut pk = Packetizer::new(400);
        for i in 0..20u32 {
            pk.push_object(1, 60_000 + i * 100, true, &[i as u8; 150]);
        }
        pk.flush();
        pk.take_packets()
    }

    #[test]
    fn rebasing_moves_every_time_and_nothing_else() {
        for p in packets() {
            let mut before = Vec::new();
            let info = mmsplay_asf::parse_packet(&p, 400, &mut before).unwrap();
            let mut q = p.clone();
            rebase_times(&mut q, 59_000);
            let mut after = Vec::new();
            let info2 = mmsplay_asf::parse_packet(&q, 400, &mut after).unwrap();
            assert_eq!(info2.send_time_ms, info.send_time_ms - 59_000);
            assert_eq!(before.len(), after.len());
            for (a, b) in before.iter().zip(&after) {
                match (&a.data, &b.data) {
                    (
                        mmsplay_asf::PayloadData::Fragment {
                            pts_ms: x,
                            data: d1,
                            ..
                        },
                        mmsplay_asf::PayloadData::Fragment {
                            pts_ms: y,
                            data: d2,
                            ..
                        },
                    ) => {
                        assert_eq!(*y, x - 59_000);
                        assert_eq!(d1, d2);
                    }
                    other => panic!("unexpected payloads {other:?}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    #[test]
    fn rebasing_garbage_never_panics_or_resizes() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let len = (next() % 600) as usize;
            let mut p: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = packet_times(&p);
            rebase_times(&mut p, (next() % 100_000) as i64);
            assert_eq!(p.len(), len);
        }
    }
}

#[cfg(test)]
mod stream_change {
    use super::*;
    use mmsplay_asf::{HeaderSpec, write_header};

    #[test]
    fn same_header_continues_and_another_stream_ends_the_recording() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.asf");
        let a = write_header(&HeaderSpec {
            packet_size: 400,
            ..HeaderSpec::default()
        });
        let b = write_header(&HeaderSpec {
            packet_size: 400,
            preroll_ms: 3000,
            ..HeaderSpec::default()
        });
        let mut r = Recorder::new(path.clone());
        r.header(&a).unwrap();
        r.packet(&[0u8; 400]).unwrap();
        assert!(r.header(&a).is_ok(), "a reconnect's header continues");
        r.packet(&[0u8; 400]).unwrap();
        assert!(r.header(&b).unwrap_err().contains("stream changed"));
        assert!(r.header(&b).is_ok(), "said once");
        r.packet(&[0u8; 400]).unwrap();
        r.finish().unwrap();
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        assert_eq!(len, a.len() + 2 * 400);
    }
}
