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

use mmsplay_asf::timing::{shift_times, time_fields};
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
    /// The recording of a server-side playlist's entry `n` (from 1), in a numbered file beside
    /// `first` (`show.2.asf`) after the first entry's.
    pub fn for_entry(first: &std::path::Path, n: usize) -> Recorder {
        if n <= 1 {
            Recorder::new(first.to_path_buf())
        } else {
            Recorder::new(crate::playlist::numbered_path(first, n))
        }
    }

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
        if let Some(fields) = time_fields(&p) {
            let (send, duration) = (i64::from(fields.send_time_ms), fields.duration_ms);
            let base = *self.base_ms.get_or_insert(send);
            let mut out = send - base;
            if out < self.last_out_ms - CLOCK_JUMP_MS {
                // The clock went back: continue from where the recording is.
                self.base_ms = Some(send - self.end_ms);
                out = self.end_ms;
            }
            let delta = self.base_ms.unwrap_or(base);
            shift_times(&mut p, -delta);
            // The same fields, read again after the move.
            for pts in fields.presentation_times(&p) {
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
