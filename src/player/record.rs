//! `--record PATH`: the received stream written as an ASF file, with the header's counts
//! corrected when the stream ends.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;

use mmsplay_asf::{header_object_len, parse_header, patch_header_counts};

pub struct Recorder {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    header: Vec<u8>,
    packet_size: u32,
    preroll_ms: u64,
    packets: u64,
    first_send_ms: Option<u32>,
    last_send_ms: u32,
    last_duration_ms: u16,
    /// Whether packets were lost while recording (reported in the log).
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
            first_send_ms: None,
            last_send_ms: 0,
            last_duration_ms: 0,
            gaps: 0,
        }
    }

    fn err(&self, e: impl std::fmt::Display) -> String {
        format!("record {}: {e}", self.path.display())
    }

    /// The stream's header. A second header (stream change) is ignored: one file holds one
    /// stream.
    pub fn header(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.out.is_some() {
            return Ok(());
        }
        let h = parse_header(bytes).map_err(|e| self.err(e))?;
        let hlen = header_object_len(bytes).map_err(|e| self.err(e))?;
        let need = hlen + mmsplay_asf::header::DATA_OBJECT_FIXED_LEN;
        let mut header = bytes
            .get(..need)
            .ok_or_else(|| self.err("short header"))?
            .to_vec();
        patch_header_counts(&mut header, 0, h.packet_size(), 0);
        let mut f = BufWriter::new(File::create(&self.path).map_err(|e| self.err(e))?);
        f.write_all(&header).map_err(|e| self.err(e))?;
        self.header = header;
        self.packet_size = h.packet_size();
        self.preroll_ms = h.file.preroll_ms;
        self.out = Some(f);
        Ok(())
    }

    pub fn packet(&mut self, p: &[u8]) -> Result<(), String> {
        let size = self.packet_size as usize;
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        if p.len() != size {
            return Ok(());
        }
        let mut scratch = Vec::new();
        if let Ok(info) = mmsplay_asf::parse_packet(p, self.packet_size, &mut scratch) {
            self.first_send_ms.get_or_insert(info.send_time_ms);
            self.last_send_ms = self.last_send_ms.max(info.send_time_ms);
            self.last_duration_ms = info.duration_ms;
        }
        if let Err(e) = out.write_all(p) {
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
        let span = u64::from(
            self.last_send_ms
                .saturating_sub(self.first_send_ms.unwrap_or(0)),
        ) + u64::from(self.last_duration_ms);
        // Play duration includes the preroll (ASF spec 3.2), in 100 ns units.
        let play_duration = (span + self.preroll_ms) * 10_000;
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
