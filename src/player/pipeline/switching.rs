//! The pipeline's moves between streams of one header: asking for a move (bitrate adaptation,
//! the language key), making it at an object boundary, and keeping the sink's format.

use mmsplay_asf::{Demuxer, ExclusionKind, Header};
use symphonia::core::codecs::registry::CodecRegistry;

use super::super::adapt::{Adapter, Second};
use super::super::codec::{ChosenStream, candidates, chosen};
use super::super::convert::Converter;
use super::super::select::{self, Candidate, Selection};
use super::super::switch::{PendingSwitch, Start};
use super::{Pipeline, PipelineError, PipelineObserver, StreamSwitch};
use crate::audio::{ChannelLayout, Sink};

/// The bitrate variants of the stream being played, lowest first, and the policy moving
/// among them.
pub(super) struct Ladder {
    variants: Vec<Candidate>,
    adapter: Adapter,
}

impl Ladder {
    /// `None` when there is nothing to adapt: a stream fixed by `--stream`, or one without
    /// decodable bitrate alternatives.
    pub(super) fn new(
        header: &Header,
        chosen: &ChosenStream,
        sel: &Selection,
        registry: &CodecRegistry,
    ) -> Option<Ladder> {
        if sel.stream.is_some() {
            return None;
        }
        let group = header.alternatives(chosen.number, &ExclusionKind::Bitrate);
        let (cands, _) = candidates(header, registry);
        let mut variants: Vec<Candidate> = cands
            .into_iter()
            .filter(|c| group.contains(&c.number))
            .collect();
        if variants.len() < 2 {
            return None;
        }
        variants.sort_by_key(|c| (c.bitrate, c.number));
        let current = variants.iter().position(|c| c.number == chosen.number)?;
        let top = select::best_within(&variants, sel.max_bitrate, |_| true).unwrap_or(0);
        let adapter = Adapter::new(variants.len(), current, top);
        Some(Ladder { variants, adapter })
    }
}

impl Pipeline {
    /// The stream being played.
    pub fn current_stream(&self) -> Option<u8> {
        self.active.as_ref().map(|a| a.chosen.number)
    }

    /// Asks to move to stream `number` of the current header at the next object boundary the
    /// new stream can start from. Returns whether a move is now pending.
    pub fn switch_to(
        &mut self,
        number: u8,
        reason: &str,
        obs: &mut dyn PipelineObserver,
    ) -> Result<bool, PipelineError> {
        let Some(a) = self.active.as_ref() else {
            return Ok(false);
        };
        if a.chosen.number == number {
            self.pending = None;
            return Ok(false);
        }
        let to = chosen(&a.header, number)?;
        if let Some((rate, ch)) = self.sink_format
            && !Converter::reasonable((to.format.sample_rate, to.format.channels), (rate, ch))
        {
            return Err(PipelineError::FormatChange(format!(
                "{rate} Hz {ch} ch to {} Hz {} ch",
                to.format.sample_rate, to.format.channels
            )));
        }
        // The new demuxer takes over the command stream too, so that it continues unbroken.
        let streams: Vec<u8> = std::iter::once(number)
            .chain(a.scripts.command_stream())
            .collect();
        let demuxer = Demuxer::for_streams(&a.header, &streams);
        self.pending = Some(PendingSwitch::new(to, reason.to_string(), demuxer));
        obs.switch_requested(number);
        Ok(true)
    }

    /// The `l` key: moves to the next language the stream offers (its best variant within
    /// `--max-bitrate`). Returns the language, or `None` when there is only one.
    pub fn next_language(
        &mut self,
        obs: &mut dyn PipelineObserver,
    ) -> Result<Option<String>, PipelineError> {
        let Some(a) = self.active.as_ref() else {
            return Ok(None);
        };
        let (cands, _) = candidates(&a.header, &self.registry);
        let current = self
            .pending
            .as_ref()
            .map_or(&a.chosen.language, |p| &p.to.language);
        let Some(next) = select::next_language(&cands, current.as_deref()) else {
            return Ok(None);
        };
        let sel = Selection {
            stream: None,
            language: Some(next.clone()),
            max_bitrate: self.selection.max_bitrate,
        };
        let Some(i) = select::pick(&cands, &sel) else {
            return Ok(None);
        };
        // A new header (a reconnect) keeps the language the user chose.
        self.selection.language = Some(next.clone());
        self.switch_to(cands[i].number, "language", obs)?;
        Ok(Some(next))
    }

    /// One second of link statistics for bitrate adaptation.
    pub fn on_second(
        &mut self,
        s: Second,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        let Some(ladder) = self.adapter.as_mut() else {
            return Ok(());
        };
        if let Some(d) = ladder.adapter.second(s) {
            let number = ladder.variants[d.to].number;
            self.switch_to(number, d.reason, obs)?;
        }
        Ok(())
    }

    /// Makes a pending move: the old decoder's tail is played, the new stream's decoder takes
    /// over from `start`, and the sink keeps its format.
    pub(super) fn complete_switch(
        &mut self,
        start: Start,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        // The old decoder's tail takes its output to the switch time.
        self.flush_decoder(sink, obs)?;
        let decoder = self.make_decoder(&p.to)?;
        let lag = decoder.start_lag_frames();
        let Some(a) = self.active.as_mut() else {
            return Ok(());
        };
        let event = StreamSwitch {
            stream_number: p.to.number,
            bitrate: p.to.bitrate,
            codec: p.to.codec,
            sample_rate: p.to.format.sample_rate,
            channels: p.to.format.channels,
            language: p.to.language.clone(),
            reason: p.reason,
        };
        // A language switch starts the new language's ladder; an adaptive one keeps its own.
        let reladder = event.reason == "language";
        a.chosen = p.to;
        a.demuxer = p.demuxer;
        a.decoder = decoder;
        a.mpeg.reset();
        if reladder {
            self.adapter = Ladder::new(&a.header, &a.chosen, &self.selection, &self.registry);
        }
        obs.stream_switch(&event);
        self.start_new_stream(start, lag, sink, obs)
    }

    /// Decodes the new stream's first objects and plays its audio from the switch time on.
    ///
    /// Where a fresh decoder's output starts in time varies: a WMA object that begins with
    /// the end of a frame from the previous object loses that frame. So the output is held
    /// until an object's timestamp dates it: after the objects before one at `next` ms, the
    /// output ends `lag` frames (the decoder's latency) before `next`.
    fn start_new_stream(
        &mut self,
        start: Start,
        lag: usize,
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        let Some(at_ms) = start.at_ms else {
            for obj in start.objects {
                self.decode_object(obj, sink, obs)?;
            }
            return Ok(());
        };
        let Some(w) = self.active.as_ref().map(|a| a.chosen.format.clone()) else {
            return Ok(());
        };
        let (rate, ch) = (
            f64::from(w.sample_rate.max(1)),
            usize::from(w.channels.max(1)),
        );
        let first_ms = start.objects.front().map_or(at_ms, |o| o.pts_ms);
        // Without a dating object, assume the output starts `lag` after the first object.
        let mut begins_ms = first_ms as f64 + lag as f64 * 1000.0 / rate;
        let mut objects = start.objects;
        self.held = Some(Vec::new());
        while let Some(obj) = objects.pop_front() {
            self.decode_object(obj, sink, obs)?;
            let held = self.held.as_ref().map_or(0, |h| h.len() / ch);
            if let Some(next) = objects.front()
                && held > 0
            {
                begins_ms = next.pts_ms as f64 - (lag + held) as f64 * 1000.0 / rate;
                break;
            }
        }
        let held = self.held.take().unwrap_or_default();
        // Legitimately a fraction of a second; hostile timestamps cannot make it drop more
        // than a few seconds of audio.
        let skip = ((at_ms as f64 - begins_ms) / 1000.0).clamp(0.0, 5.0) * rate;
        self.skip_frames = skip.round() as u64;
        let layout = ChannelLayout::new(u16::try_from(ch).unwrap_or(u16::MAX), 0);
        self.emit(&held, (w.sample_rate, layout), sink, obs)?;
        for obj in objects {
            self.decode_object(obj, sink, obs)?;
        }
        Ok(())
    }

    /// Decoded audio to the sink: started with the first stream's format, later streams'
    /// output converted to it, and the part of a new stream's first object already played
    /// skipped.
    pub(super) fn emit(
        &mut self,
        samples: &[f32],
        (rate, layout): (u32, ChannelLayout),
        sink: &mut dyn Sink,
        obs: &mut dyn PipelineObserver,
    ) -> Result<(), PipelineError> {
        if let Some(h) = self.held.as_mut() {
            h.extend_from_slice(samples);
            return Ok(());
        }
        let ch = usize::from(layout.channels()).max(1);
        let format = (rate, ch as u16);
        let sink_format = match self.sink_format {
            Some(f) => f,
            None => {
                sink.start(rate, layout)?;
                self.sink_format = Some(format);
                format
            }
        };
        let mut samples = samples;
        if self.skip_frames > 0 {
            let n = (self.skip_frames as usize).min(samples.len() / ch);
            self.skip_frames -= n as u64;
            samples = &samples[n * ch..];
        }
        if format == sink_format {
            self.converter = None;
            return self.write(samples, ch, sink, obs);
        }
        if self.converter.as_ref().is_none_or(|c| c.input() != format) {
            self.converter = Some(Converter::new(format, sink_format));
        }
        let mut out = std::mem::take(&mut self.converted);
        out.clear();
        if let Some(c) = self.converter.as_mut() {
            c.process(samples, &mut out);
        }
        let r = self.write(&out, usize::from(sink_format.1), sink, obs);
        self.converted = out;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::select::Selection;
    use super::*;
    use crate::audio::AudioError;
    use mmsplay_asf::{
        AudioStreamSpec, HeaderSpec, MutualExclusion, Packetizer, WaveFormatEx, write_header,
    };

    #[derive(Default)]
    struct Capture {
        format: Option<(u32, u16)>,
        samples: Vec<f32>,
    }

    impl Sink for Capture {
        fn start(&mut self, rate: u32, layout: ChannelLayout) -> Result<(), AudioError> {
            self.format = Some((rate, layout.channels()));
            Ok(())
        }
        fn write(&mut self, samples: &[f32]) -> Result<(), AudioError> {
            self.samples.extend_from_slice(samples);
            Ok(())
        }
        fn finish(&mut self) -> Result<(), AudioError> {
            Ok(())
        }
    }

    /// The switches made, the streams asked for, and the script commands.
    #[derive(Default)]
    struct Seen(Vec<StreamSwitch>, Vec<u8>, Vec<String>);

    impl PipelineObserver for Seen {
        fn stream(&mut self, _: crate::events::StreamInfo) {}
        fn first_audio(&mut self) {}
        fn log(&mut self, _: String) {}
        fn stream_switch(&mut self, to: &StreamSwitch) {
            self.0.push(to.clone());
        }
        fn switch_requested(&mut self, to: u8) {
            self.1.push(to);
        }
        fn script(&mut self, _: String, text: String) {
            self.2.push(text);
        }
    }

    /// Two bitrate variants of 2 s of PCM in 100 ms objects: stream 1 at `rate1` holding
    /// +0.25, stream 2 at 8 kHz holding -0.25. Returns the header and the packets.
    fn variants(rate1: u32) -> (Vec<u8>, Vec<Vec<u8>>) {
        variants_with(rate1, |_| {})
    }

    fn variants_with(rate1: u32, edit: impl FnOnce(&mut HeaderSpec)) -> (Vec<u8>, Vec<Vec<u8>>) {
        let level = |v: i16, frames: u32| -> Vec<u8> {
            (0..frames).flat_map(|_| v.to_le_bytes()).collect()
        };
        let mut p = Packetizer::new(1500);
        for i in 0..20u32 {
            p.push_object(1, 100 + i * 100, true, &level(8192, rate1 / 10));
            p.push_object(2, 100 + i * 100, true, &level(-8192, 800));
        }
        p.flush();
        let packets = p.take_packets();
        let stream = |number, rate| AudioStreamSpec {
            number,
            format: WaveFormatEx::pcm(1, rate, 16),
            spread: None,
            bitrate: rate * 16,
        };
        let mut spec = HeaderSpec {
            packet_size: 1500,
            data_packets: packets.len() as u64,
            preroll_ms: 100,
            streams: vec![stream(1, rate1), stream(2, 8000)],
            exclusions: vec![MutualExclusion {
                kind: ExclusionKind::Bitrate,
                streams: vec![1, 2],
            }],
            ..Default::default()
        };
        edit(&mut spec);
        (write_header(&spec), packets)
    }

    /// Plays the packets, asking for stream 2 after `switch_after` of them.
    fn play(rate1: u32, switch_after: usize) -> (Capture, Seen) {
        let (header, packets) = variants(rate1);
        let mut pipe = Pipeline::new(Selection::default());
        let (mut sink, mut seen) = (Capture::default(), Seen::default());
        pipe.on_header(&header, &mut seen).unwrap();
        assert_eq!(pipe.current_stream(), Some(1), "the higher bitrate first");
        for (i, pk) in packets.iter().enumerate() {
            if i == switch_after {
                assert!(pipe.switch_to(2, "loss", &mut seen).unwrap());
            }
            pipe.on_packet(pk, &mut sink, &mut seen).unwrap();
        }
        pipe.on_end(&mut sink, &mut seen).unwrap();
        (sink, seen)
    }

    #[test]
    fn a_switch_at_an_object_boundary_leaves_no_gap_and_no_overlap() {
        let (sink, seen) = play(16000, 12);
        assert_eq!(seen.1, vec![2], "asked for once");
        assert_eq!(seen.0.len(), 1);
        assert_eq!(
            (seen.0[0].stream_number, seen.0[0].reason.as_str()),
            (2, "loss")
        );
        assert_eq!(sink.format, Some((16000, 1)), "the sink keeps its format");
        // 2 s at 16 kHz, whichever stream each part came from.
        assert!(
            (sink.samples.len() as i64 - 32_000).abs() <= 2,
            "{}",
            sink.samples.len()
        );
        let first_new = sink.samples.iter().position(|s| *s < 0.0).unwrap();
        assert!(first_new > 0 && first_new % 1600 == 0, "{first_new}");
        assert!(sink.samples[first_new..].iter().all(|s| *s < 0.0));
        assert!(sink.samples[..first_new].iter().all(|s| *s > 0.0));
    }

    #[test]
    fn the_ladder_moves_down_on_loss() {
        let (header, packets) = variants(16000);
        let mut pipe = Pipeline::new(Selection::default());
        let (mut sink, mut seen) = (Capture::default(), Seen::default());
        pipe.on_header(&header, &mut seen).unwrap();
        let lossy = Second {
            packets_received: 10,
            packets_lost: 5,
            underruns: 0,
        };
        for (i, pk) in packets.iter().enumerate() {
            if i < 2 {
                pipe.on_second(lossy, &mut seen).unwrap();
            }
            pipe.on_packet(pk, &mut sink, &mut seen).unwrap();
        }
        assert_eq!(pipe.current_stream(), Some(2));
        assert_eq!(seen.0[0].reason, "loss");
        assert!(
            (sink.samples.len() as i64 - 32_000).abs() <= 2,
            "{}",
            sink.samples.len()
        );
    }

    #[test]
    fn the_language_key_moves_to_the_next_language_and_back() {
        let (header, packets) = variants_with(8000, |spec| {
            spec.languages = vec!["en".into(), "de".into()];
            spec.stream_languages = vec![(1, 0), (2, 1)];
            spec.exclusions[0].kind = ExclusionKind::Language;
        });
        let sel = Selection {
            language: Some("en".into()),
            ..Selection::default()
        };
        let mut pipe = Pipeline::new(sel);
        let (mut sink, mut seen) = (Capture::default(), Seen::default());
        pipe.on_header(&header, &mut seen).unwrap();
        assert_eq!(pipe.current_stream(), Some(1));
        for (i, pk) in packets.iter().enumerate() {
            if i == 5 {
                assert_eq!(
                    pipe.next_language(&mut seen).unwrap().as_deref(),
                    Some("de")
                );
            }
            pipe.on_packet(pk, &mut sink, &mut seen).unwrap();
        }
        assert_eq!(pipe.current_stream(), Some(2));
        assert_eq!(seen.0[0].language.as_deref(), Some("de"));
        assert_eq!(seen.0[0].reason, "language");
        assert_eq!(
            pipe.next_language(&mut seen).unwrap().as_deref(),
            Some("en")
        );
    }

    /// Microsoft's multi-bitrate file: WMA at 16 kHz (stream 1) and 8 kHz (stream 2).
    #[test]
    fn a_switch_between_microsofts_variants_keeps_the_sink_format_and_the_length() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/third-party/Audio-Scan-1.01/t/asf/wma92-mbr.wma");
        let Ok(file) = std::fs::read(&path) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{} is missing (.ci/run fetches it)", path.display());
            }
            eprintln!("skipping: {} is missing", path.display());
            return;
        };
        let layout = mmsplay_asf::FileLayout::parse(&file, file.len() as u64).unwrap();
        let play = |switch_at: Option<usize>| {
            let sel = Selection {
                stream: switch_at.is_none().then_some(1),
                ..Selection::default()
            };
            let mut pipe = Pipeline::new(sel);
            let (mut sink, mut seen) = (Capture::default(), Seen::default());
            pipe.on_header(&file[..layout.header.len], &mut seen)
                .unwrap();
            for (i, pk) in layout.packets(&file).enumerate() {
                if Some(i) == switch_at {
                    pipe.switch_to(2, "loss", &mut seen).unwrap();
                }
                pipe.on_packet(pk, &mut sink, &mut seen).unwrap();
            }
            pipe.on_end(&mut sink, &mut seen).unwrap();
            (sink, seen)
        };
        let (first, _) = play(None);
        assert_eq!(first.samples.len(), 16384, "as FFmpeg decodes it");
        for at in [0, 1] {
            let (switched, seen) = play(Some(at));
            assert_eq!(seen.0.len(), 1, "one switch");
            assert_eq!(switched.format, Some((16000, 1)));
            // Both variants last 1.024 s; the join costs a few samples of ms timestamps.
            let n = switched.samples.len() as i64;
            assert!((n - 16384).abs() <= 48, "switch at packet {at}: {n} frames");
        }
    }

    #[test]
    fn captions_continue_across_a_switch_once_each() {
        use mmsplay_asf::writer::{append_header_objects, command_stream_properties};
        let caption = |i: u32| -> Vec<u8> {
            let words = format!("TEXT\0caption {i}\0");
            words.encode_utf16().flat_map(u16::to_le_bytes).collect()
        };
        let mut p = Packetizer::new(1500);
        for i in 0..20u32 {
            p.push_object(1, 100 + i * 100, true, &vec![0x10; 1600]);
            p.push_object(2, 100 + i * 100, true, &vec![0x20; 1600]);
            if i % 2 == 0 {
                p.push_object(3, 100 + i * 100, true, &caption(i));
            }
        }
        p.flush();
        let stream = |number| AudioStreamSpec {
            number,
            format: WaveFormatEx::pcm(1, 8000, 16),
            spread: None,
            bitrate: 128_000,
        };
        let mut header = write_header(&HeaderSpec {
            packet_size: 1500,
            preroll_ms: 100,
            streams: vec![stream(1), stream(2)],
            ..Default::default()
        });
        assert!(append_header_objects(
            &mut header,
            &[command_stream_properties(3)]
        ));
        let mut pipe = Pipeline::new(Selection::default());
        let (mut sink, mut seen) = (Capture::default(), Seen::default());
        pipe.on_header(&header, &mut seen).unwrap();
        for (i, pk) in p.take_packets().iter().enumerate() {
            if i == 10 {
                pipe.switch_to(2, "loss", &mut seen).unwrap();
            }
            pipe.on_packet(pk, &mut sink, &mut seen).unwrap();
        }
        pipe.on_end(&mut sink, &mut seen).unwrap();
        assert_eq!(seen.0.len(), 1);
        let expected: Vec<String> = (0..20).step_by(2).map(|i| format!("caption {i}")).collect();
        assert_eq!(seen.2, expected);
    }
}
