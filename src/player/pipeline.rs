//! The decode side of playback: ASF header and packets in, audio out to a sink. Runs on its own
//! thread, fed by the transport through a bounded channel.

use mmsplay_asf::{Demuxer, Header, MediaObject, parse_header};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error as SymError;
use symphonia::core::packet::Packet;
use symphonia::core::units::{Duration as SymDuration, Timestamp};

use super::codec::{ChosenStream, CodecError, Framing, choose_stream};
use super::convert::Converter;
use super::mp3_frames::FrameSplitter;
use super::select::Selection;
use super::switch::PendingSwitch;

mod switching;
use crate::audio::{ChannelLayout, Sink};
use crate::events::StreamInfo;

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Asf(#[from] mmsplay_asf::AsfError),
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("decoder: {0}")]
    Decoder(String),
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error("data arrived before the stream header")]
    NoHeader,
    #[error("the stream changed format mid-stream ({0}), which this output cannot follow")]
    FormatChange(String),
}

/// The `stream` event's description of one audio stream.
fn stream_info(
    header: &Header,
    number: u8,
    w: &mmsplay_asf::WaveFormatEx,
    codec: &str,
) -> StreamInfo {
    let c = &header.content;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    StreamInfo {
        codec: codec.to_string(),
        sample_rate: w.sample_rate,
        channels: w.channels,
        channel_layout: Some(super::codec::declared_layout(w).name()),
        bits_per_sample: super::codec::bits_per_sample(w),
        lossless: w.format_tag == super::codec::tag::WMA_LOSSLESS,
        bitrate: header.stream_bitrate(number),
        live: header.file.broadcast,
        stream_number: u16::from(number),
        language: header.stream_language(number).map(str::to_string),
        title: some(&c.title),
        author: some(&c.author),
        copyright: some(&c.copyright),
        description: some(&c.description),
        duration_ms: header.file.duration_ms(),
        tags: header
            .tags
            .iter()
            .filter(|t| matches!(t.value, mmsplay_asf::header::TagValue::Text(_)))
            .take(32)
            .map(|t| (t.name.clone(), t.value.display()))
            .collect(),
    }
}

/// What the pipeline reports back to its owner as it goes.
pub trait PipelineObserver {
    fn stream(&mut self, info: StreamInfo);
    fn first_audio(&mut self);
    fn log(&mut self, message: String);
    /// Playback resumed at `position_ms` after a seek: the first sample written is there.
    fn seeked(&mut self, position_ms: u64) {
        let _ = position_ms;
    }
    /// A script command (caption, URL…) from the stream.
    fn script(&mut self, kind: String, text: String) {
        let _ = (kind, text);
    }
    /// A move to stream `to` was asked for; it happens once that stream's data arrive. A
    /// transport that delivers only the streams asked for must ask the server for `to` here
    /// (and may stop the old one once `stream_switch` reports the move).
    fn switch_requested(&mut self, to: u8) {
        let _ = to;
    }
    /// Playback moved to another stream (a bitrate variant or a language).
    fn stream_switch(&mut self, to: &StreamSwitch) {
        let _ = to;
    }
}

/// A completed move to another stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSwitch {
    pub stream_number: u8,
    pub bitrate: u32,
    pub codec: &'static str,
    pub sample_rate: u32,
    pub channels: u16,
    pub language: Option<String>,
    /// `loss`, `underrun`, `recovered` or `language`.
    pub reason: String,
}

/// The decoder for the chosen stream. Our WMA decoder is held as itself rather than behind
/// the registry's trait object, because playback uses one thing the trait has no room for:
/// its final overlap, flushed at the end of the stream as FFmpeg does.
enum Decoder {
    Generic(Box<dyn AudioDecoder>),
    Wma(Box<mmsplay_wma::WmaDecoder>),
}

impl Decoder {
    fn get(&mut self) -> &mut dyn AudioDecoder {
        match self {
            Decoder::Generic(d) => d.as_mut(),
            Decoder::Wma(d) => d.as_mut(),
        }
    }

    /// How far after its first object's time a fresh decoder's output starts. WMA drops two
    /// frames at the start, as FFmpeg does, but holds back only one (its overlap, which a
    /// flush gives back): its audio starts one frame, half the dropped delay, late.
    fn start_lag_frames(&self) -> usize {
        match self {
            Decoder::Generic(_) => 0,
            Decoder::Wma(d) => d.codec_delay() / 2,
        }
    }
}

/// The decoder state for one header.
struct Active {
    header: Header,
    chosen: ChosenStream,
    demuxer: Demuxer,
    decoder: Decoder,
    mpeg: FrameSplitter,
    /// The header's script commands and the command stream, if any.
    scripts: super::script::Scripts,
}

impl Active {
    fn pop_audio(&mut self) -> Option<MediaObject> {
        self.demuxer.pop_stream(self.chosen.number)
    }
}

/// A seek in progress: decoded audio before the target is dropped.
#[derive(Clone, Copy, Debug)]
struct PendingSeek {
    target_ms: u64,
    /// The target as a stream position in frames, when it is known to the sample (a resume
    /// where playback stopped); otherwise it is `target_ms` at the stream's rate.
    target_frame: Option<u64>,
    /// Whether reaching it is a `seek` event (a resume where playback was is not).
    announce: bool,
    /// The stream position, in frames, of the next decoded frame: known from the first object
    /// decoded after the seek (its presentation time, preroll excluded), counted on from there.
    next_frame: Option<u64>,
}

pub struct Pipeline {
    registry: CodecRegistry,
    selection: Selection,
    active: Option<Active>,
    /// The format the sink was started with.
    sink_format: Option<(u32, u16)>,
    samples: Vec<f32>,
    /// Frames written to the sink.
    pub frames_out: u64,
    /// Objects that failed to decode and were skipped.
    pub bad_objects: u64,
    /// Stop after this many frames (`--duration`).
    pub frame_limit: Option<u64>,
    first_audio_sent: bool,
    /// A move to another stream, waiting for its start.
    pending: Option<PendingSwitch>,
    /// Frames of the new stream's first output already played from the old one.
    skip_frames: u64,
    /// Set while a switch left the decoder's format different from the sink's.
    converter: Option<Converter>,
    converted: Vec<f32>,
    /// While a new stream's first output is dated, it is held here instead of played.
    held: Option<Vec<f32>>,
    /// Bitrate adaptation among the chosen stream's variants, when it has some.
    adapter: Option<switching::Ladder>,
    seek: Option<PendingSeek>,
    /// Where playback last (re)started: its stream position in frames, and `frames_out` then.
    base_frame: u64,
    base_frames: u64,
}

impl Pipeline {
    pub fn new(selection: Selection) -> Pipeline {
        Pipeline {
            registry: super::codec::registry(),
            selection,
            active: None,
            sink_format: None,
            samples: Vec::new(),
            frames_out: 0,
            bad_objects: 0,
            frame_limit: None,
            first_audio_sent: false,
            pending: None,
            skip_frames: 0,
            converter: None,
            converted: Vec::new(),
            held: None,
            adapter: None,
            seek: None,
            base_frame: 0,
            base_frames: 0,
        }
    }

    /// Starts playback at `target_ms` (presentation time, preroll excluded): the packets fed
    /// from here on start at or before it, and what they decode to before it is dropped, to
    /// the sample. The decoder must be fresh (a new header) or have been reset.
    pub fn seek_to(&mut self, target_ms: u64) {
        self.seek = Some(PendingSeek {
            target_ms,
            target_frame: None,
            announce: true,
            next_frame: None,
        });
    }

    /// [`Pipeline::seek_to`] a stream position given in frames: playback continues at exactly
    /// that sample (a resume after the server was paused).
    pub fn seek_to_frame(&mut self, frame: u64) {
        let rate = u64::from(self.sample_rate().unwrap_or(0).max(1));
        self.seek = Some(PendingSeek {
            target_ms: frame * 1000 / rate,
            target_frame: Some(frame),
            announce: false,
            next_frame: None,
        });
    }

    /// Drops a seek that has not reached its target (`--start` on a stream found to be live).
    pub fn cancel_seek(&mut self) {
        self.seek = None;
    }

    /// Whether a seek has not reached its target yet (at the end: it was past the end).
    pub fn seeking(&self) -> bool {
        self.seek.is_some()
    }

    /// Where a seek that has not landed yet goes (ms).
    pub fn seek_target_ms(&self) -> Option<u64> {
        self.seek.map(|s| s.target_ms)
    }

    /// The stream position of the audio written so far, in milliseconds.
    pub fn position_ms(&self) -> u64 {
        let rate = u64::from(self.sample_rate().unwrap_or(0).max(1));
        self.position_frames() * 1000 / rate
    }

    /// The stream position of the audio written so far, in frames.
    pub fn position_frames(&self) -> u64 {
        self.base_frame + (self.frames_out - self.base_frames)
    }

    pub fn header(&self) -> Option<&Header> {
        self.active.as_ref().map(|a| &a.header)
    }

    pub fn sample_rate(&self) -> Option<u32> {
        self.sink_format.map(|f| f.0)
    }

    /// Whether `--duration` is reached.
    pub fn done(&self) -> bool {
        self.frame_limit.is_some_and(|l| self.frames_out >= l)
    }

    /// A (new) ASF header: choose the stream, build demuxer and decoder.
    pub fn on_header(
        &mut self,
        bytes: &[u8],
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        let header = parse_header(bytes)?;
        let chosen = match choose_stream(&header, &self.selection, &self.registry) {
            Ok(c) => c,
            Err(e) => {
                // Name the codec we cannot play in the stream event too, so a script or the
                // TUI can say what the stream was.
                if let Some((n, w)) = header.streams.iter().find_map(|s| {
                    let w = s.audio.as_ref().map(super::codec::resolve_extensible);
                    w.map(|w| (s.number, w))
                }) {
                    let codec = super::codec::codec_name(w.format_tag);
                    obs.stream(stream_info(&header, n, &w, codec));
                }
                return Err(match e {
                    CodecError::Unsupported(name) => {
                        CodecError::Unsupported(format!("{name} (not supported yet)")).into()
                    }
                    other => other.into(),
                });
            }
        };
        let decoder = self.make_decoder(&chosen)?;
        let w = &chosen.format;
        if let Some((rate, ch)) = self.sink_format
            && (rate, ch) != (w.sample_rate, w.channels)
        {
            return Err(PipelineError::FormatChange(format!(
                "{rate} Hz {ch} ch to {} Hz {} ch",
                w.sample_rate, w.channels
            )));
        }
        obs.stream(stream_info(&header, chosen.number, w, chosen.codec));
        let scripts = super::script::Scripts::new(&header);
        self.pending = None;
        self.adapter = switching::Ladder::new(&header, &chosen, &self.selection, &self.registry);
        // One demuxer for the audio and the command stream: each packet is parsed once.
        let streams: Vec<u8> = std::iter::once(chosen.number)
            .chain(scripts.command_stream())
            .collect();
        let demuxer = Demuxer::for_streams(&header, &streams);
        self.active = Some(Active {
            scripts,
            header,
            chosen,
            demuxer,
            decoder,
            mpeg: FrameSplitter::default(),
        });
        Ok(())
    }

    /// A decoder for a chosen stream. With the default `gapless` option every decoder drops its
    /// own start-up delay.
    fn make_decoder(&self, chosen: &ChosenStream) -> Result<Decoder, PipelineError> {
        let opts = AudioDecoderOptions::default();
        Ok(if chosen.framing == Framing::Object {
            let d = mmsplay_wma::WmaDecoder::try_new(&chosen.params, &opts)
                .map_err(|e| PipelineError::Decoder(e.to_string()))?;
            Decoder::Wma(Box::new(d))
        } else {
            let d = self
                .registry
                .make_audio_decoder(&chosen.params, &opts)
                .map_err(|e| PipelineError::Decoder(e.to_string()))?;
            Decoder::Generic(d)
        })
    }

    /// Packets were lost: drop half-built objects and MPEG bytes.
    pub fn on_gap(&mut self) {
        if let Some(a) = self.active.as_mut() {
            a.demuxer.note_gap();
            a.mpeg.reset();
        }
        if let Some(p) = self.pending.as_mut() {
            p.demuxer.note_gap();
        }
    }

    /// One data packet: demux, decode, write to the sink.
    pub fn on_packet(
        &mut self,
        packet: &[u8],
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        let Some(a) = self.active.as_mut() else {
            return Err(PipelineError::NoHeader);
        };
        if let Err(e) = a.demuxer.push_packet(packet) {
            obs.log(format!("skipped a damaged data packet: {e}"));
        }
        if let Some(n) = a.scripts.command_stream() {
            while let Some(obj) = a.demuxer.pop_stream(n) {
                if let Some((kind, text)) = super::script::decode_command(&obj.data) {
                    obs.script(kind, text);
                }
            }
        }
        if let Some(p) = self.pending.as_mut() {
            p.push_packet(packet);
        }
        while let Some(obj) = self.active.as_mut().and_then(Active::pop_audio) {
            // A pending switch happens at the first object the new stream can take over at;
            // the old stream's remaining objects go with its demuxer.
            if let Some(start) = self.pending.as_mut().and_then(|p| p.start_at(obj.pts_ms)) {
                self.complete_switch(start, sink, obs)?;
                break;
            }
            self.decode_object(obj, sink, obs)?;
            if self.done() {
                break;
            }
        }
        if let Some(start) = self.pending.as_mut().and_then(|p| p.start_alone()) {
            self.complete_switch(start, sink, obs)?;
        }
        let position_ms = self.position_ms();
        if let (Some(_), Some(a)) = (self.sample_rate(), self.active.as_mut()) {
            for (kind, text) in a.scripts.due(position_ms) {
                obs.script(kind, text);
            }
        }
        Ok(())
    }

    /// A server-side playlist's entry ended (a new entry's header follows): what it still
    /// holds is played out, and the next entry starts the sink afresh with its own format and
    /// its own position from 0.
    pub fn end_entry(
        &mut self,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        self.decode_held_objects(sink, obs)?;
        self.flush_decoder(sink, obs)?;
        self.active = None;
        self.pending = None;
        self.converter = None;
        self.held = None;
        self.skip_frames = 0;
        self.sink_format = None;
        self.base_frame = 0;
        self.base_frames = self.frames_out;
        Ok(())
    }

    /// Decodes the objects the demuxer still holds (the last, maybe incomplete, included).
    fn decode_held_objects(
        &mut self,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        if let Some(a) = self.active.as_mut() {
            a.demuxer.flush();
        }
        while let Some(obj) = self.active.as_mut().and_then(Active::pop_audio) {
            self.decode_object(obj, sink, obs)?;
        }
        Ok(())
    }

    /// End of stream: flush what is pending.
    pub fn on_end(
        &mut self,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        self.decode_held_objects(sink, obs)?;
        if self.active.is_some() && self.sink_format.is_none() {
            // A header-only file, or a stream that ended before its first audio: nothing to
            // flush, and the sink never started. A normal end, said plainly.
            obs.log("the stream has no audio data: it ended before any audio packet".into());
            return Ok(());
        }
        self.flush_decoder(sink, obs).map(|_| ())
    }

    /// Writes out the last frame's overlap of a WMA decoder, which only the end of its stream
    /// (or a switch away from it) releases. Returns how many frames that was.
    fn flush_decoder(
        &mut self,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<usize, PipelineError> {
        let mut flushed = 0;
        if let Some(Active {
            decoder: Decoder::Wma(d),
            ..
        }) = self.active.as_mut()
        {
            let tail = d.flush();
            flushed = tail.frames();
            if tail.frames() > 0 {
                let spec = (
                    tail.spec().rate(),
                    ChannelLayout::from_symphonia(tail.spec().channels()),
                );
                self.samples.clear();
                tail.copy_to_vec_interleaved::<f32>(&mut self.samples);
                let samples = std::mem::take(&mut self.samples);
                let r = self.emit(&samples, spec, sink, obs);
                self.samples = samples;
                r?;
            }
        }
        Ok(flushed)
    }

    pub fn demux_stats(&self) -> Option<&mmsplay_asf::DemuxStats> {
        self.active.as_ref().map(|a| a.demuxer.stats())
    }

    fn decode_object(
        &mut self,
        obj: MediaObject,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        let Some(a) = self.active.as_mut() else {
            return Ok(());
        };
        let pts = Timestamp::new(obj.pts_ms);
        if let Some(s) = self.seek.as_mut()
            && s.next_frame.is_none()
        {
            let rate = u64::from(a.chosen.format.sample_rate);
            let mut at = (obj.pts_ms.max(0) as u64 * rate + 500) / 1000;
            // Presentation times are whole milliseconds, so `at` may be off by half a
            // millisecond's worth of samples. A WMA object holds whole frames counted from
            // the start, so the nearest frame boundary is exact (when frames are long enough
            // for the rounding not to reach the next one).
            if let Decoder::Wma(d) = &a.decoder {
                let len = d.frame_len() as u64;
                if len * 1000 >= 2 * rate.max(1) {
                    at = (at + len / 2) / len * len;
                }
            }
            s.next_frame = Some(at);
        }
        match a.chosen.framing {
            Framing::Object => {
                let p = Packet::new(0, pts, SymDuration::new(0), obj.data);
                self.decode_packet(&p, sink, obs)?;
            }
            Framing::Blocks {
                block_align,
                frames_per_block,
            } => {
                let per_packet =
                    (super::codec::MAX_FRAMES_PER_PACKET / frames_per_block).max(1) as usize;
                let whole = obj.data.len() / block_align.max(1) * block_align.max(1);
                for chunk in obj.data[..whole].chunks(per_packet * block_align.max(1)) {
                    let frames = (chunk.len() / block_align.max(1)) as u64 * frames_per_block;
                    let p = Packet::new(0, pts, SymDuration::new(frames), chunk.to_vec());
                    self.decode_packet(&p, sink, obs)?;
                }
            }
            Framing::Mpeg => {
                a.mpeg.push(&obj.data);
                while let Some((h, frame)) = self.active.as_mut().and_then(|a| a.mpeg.next_frame())
                {
                    let p = Packet::new(0, pts, SymDuration::new(u64::from(h.samples)), frame);
                    self.decode_packet(&p, sink, obs)?;
                }
            }
        }
        Ok(())
    }

    /// Writes interleaved frames to the sink, up to the `--duration` limit.
    fn write(
        &mut self,
        samples: &[f32],
        ch: usize,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        let ch = ch.max(1);
        let mut samples = samples;
        if let Some(s) = self.seek.as_mut() {
            // Drop what lies before the target, then say where playback resumed.
            let rate = u64::from(self.sink_format.map_or(1, |f| f.0).max(1));
            let next = s.next_frame.unwrap_or(0);
            // Saturating: a start far past the end is simply never reached.
            let target = s
                .target_frame
                .unwrap_or_else(|| s.target_ms.saturating_mul(rate).div_ceil(1000));
            let have = (samples.len() / ch) as u64;
            let skip = target.saturating_sub(next).min(have);
            s.next_frame = Some(next + have);
            if skip == have {
                return Ok(());
            }
            samples = &samples[skip as usize * ch..];
            let at_ms = (next + skip) * 1000 / rate;
            let announce = s.announce;
            self.seek = None;
            (self.base_frame, self.base_frames) = (next + skip, self.frames_out);
            if announce {
                obs.seeked(at_ms);
            }
        }
        let mut frames = samples.len() / ch;
        if let Some(limit) = self.frame_limit {
            frames = frames.min(limit.saturating_sub(self.frames_out) as usize);
        }
        if frames == 0 {
            return Ok(());
        }
        sink.write(&samples[..frames * ch])?;
        self.frames_out += frames as u64;
        if !self.first_audio_sent {
            self.first_audio_sent = true;
            obs.first_audio();
        }
        Ok(())
    }

    fn decode_packet(
        &mut self,
        p: &Packet,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        let Some(a) = self.active.as_mut() else {
            return Ok(());
        };
        match a.decoder.get().decode(p) {
            Ok(buf) => {
                if buf.frames() == 0 {
                    return Ok(());
                }
                // The decoder's own positions (WMA Pro's mask, say), else the defaults.
                let spec = (
                    buf.spec().rate(),
                    ChannelLayout::from_symphonia(buf.spec().channels()),
                );
                self.samples.clear();
                buf.copy_to_vec_interleaved::<f32>(&mut self.samples);
                let samples = std::mem::take(&mut self.samples);
                let r = self.emit(&samples, spec, sink, obs);
                self.samples = samples;
                r
            }
            Err(SymError::DecodeError(e)) => {
                self.bad_objects += 1;
                obs.log(format!("skipped an undecodable packet: {e}"));
                Ok(())
            }
            Err(SymError::IoError(e)) => {
                self.bad_objects += 1;
                obs.log(format!("skipped a short packet: {e}"));
                Ok(())
            }
            Err(SymError::ResetRequired) => {
                a.decoder.get().reset();
                Ok(())
            }
            Err(e) => Err(PipelineError::Decoder(e.to_string())),
        }
    }
}
