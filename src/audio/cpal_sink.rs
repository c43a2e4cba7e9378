//! The sound device, through cpal. The decode thread pushes into a lock-free ring buffer
//! (rtrb); the device callback pops from it. The callback never allocates, locks, blocks or
//! prints: its scratch buffer is allocated when the stream is built, and volume, pause and the
//! underrun count are atomics. A stream with more channels than the device is downmixed, and
//! one the device runs at its own channel count is put in the device's channel order, on the
//! decode thread: the ring carries device frames.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{SampleFormat, SizedSample, StreamConfig};

use super::downmix::Downmix;
use super::layout::{ChannelLayout, DeviceOrder, device_positions};
use super::resample::Resampler;
use super::{AudioControl, AudioError, Sink};

/// Audio queued ahead of the device.
const RING_MS: u64 = 300;
/// A device that takes nothing for this long (while not paused) is declared dead.
const STALL_LIMIT: Duration = Duration::from_secs(3);
/// Audio queued before the device starts, so that it does not begin with an underrun.
const PREBUFFER_MS: u64 = 100;
/// The device buffer we ask for (about 40 ms at 48 kHz), clamped to what the device supports.
const DEVICE_BUFFER_FRAMES: u32 = 2048;
/// Largest callback buffer handled in one pass for integer devices.
const SCRATCH_SAMPLES: usize = 16_384;

struct Open {
    stream: cpal::Stream,
    started: bool,
    producer: rtrb::Producer<f32>,
    capacity: usize,
    device_rate: u32,
    device_channels: usize,
    /// Stream channels to device channels, by speaker position.
    downmix: Downmix,
    /// At the device's rate, on device channels.
    resampler: Option<Resampler>,
    failed: Arc<AtomicBool>,
    draining: Arc<AtomicBool>,
    scratch: Vec<f32>,
    mapped: Vec<f32>,
}

pub struct CpalSink {
    name: Option<String>,
    control: Arc<AudioControl>,
    open: Option<Open>,
}

impl CpalSink {
    pub fn new(name: Option<String>, control: Arc<AudioControl>) -> CpalSink {
        CpalSink {
            name,
            control,
            open: None,
        }
    }
}

fn dev_err(what: &str, e: impl std::fmt::Display) -> AudioError {
    AudioError::Device(format!("{what}: {e}"))
}

/// The channel order of the host's devices. ALSA's standard channel maps put the rear pair
/// before centre and LFE; the other hosts take the WAVE order. (A device's own channel map is
/// not visible through cpal; an ALSA device with a non-standard map gets the standard order.)
fn device_order() -> DeviceOrder {
    if cpal::default_host()
        .id()
        .name()
        .eq_ignore_ascii_case("alsa")
    {
        DeviceOrder::Alsa
    } else {
        DeviceOrder::Wave
    }
}

fn pick_device(name: &Option<String>) -> Result<cpal::Device, AudioError> {
    let host = cpal::default_host();
    match name {
        None => host
            .default_output_device()
            .ok_or_else(|| AudioError::Device("no default output device".into())),
        Some(want) => {
            let devices = host
                .output_devices()
                .map_err(|e| dev_err("listing devices", e))?;
            for d in devices {
                if let Ok(desc) = d.description()
                    && desc.name().contains(want.as_str())
                {
                    return Ok(d);
                }
            }
            Err(AudioError::Device(format!(
                "no output device named {want:?}"
            )))
        }
    }
}

/// The device config to use: the stream's own rate and channels if the device can run them,
/// else the device's default (and we resample).
fn pick_config(
    device: &cpal::Device,
    rate: u32,
    channels: u16,
) -> Result<(StreamConfig, SampleFormat), AudioError> {
    if let Ok(ranges) = device.supported_output_configs() {
        let mut best: Option<(StreamConfig, SampleFormat)> = None;
        for r in ranges {
            let fmt = r.sample_format();
            if !matches!(fmt, SampleFormat::F32 | SampleFormat::I16) {
                continue;
            }
            if r.min_sample_rate() <= rate
                && rate <= r.max_sample_rate()
                && r.channels() >= channels
            {
                let cfg = StreamConfig {
                    channels: r.channels(),
                    sample_rate: rate,
                    buffer_size: buffer_size(r.buffer_size()),
                };
                let better = match &best {
                    None => true,
                    Some((b, bf)) => {
                        cfg.channels < b.channels
                            || (cfg.channels == b.channels
                                && fmt == SampleFormat::F32
                                && *bf != fmt)
                    }
                };
                if better {
                    best = Some((cfg, fmt));
                }
            }
        }
        if let Some(b) = best {
            return Ok(b);
        }
    }
    let def = device
        .default_output_config()
        .map_err(|e| dev_err("device configuration", e))?;
    let mut cfg = def.config();
    cfg.buffer_size = buffer_size(def.buffer_size());
    Ok((cfg, def.sample_format()))
}

/// A small fixed device buffer where the device says what it supports: low latency for pause
/// and volume, and no device that asks for seconds of audio at once.
fn buffer_size(supported: &cpal::SupportedBufferSize) -> cpal::BufferSize {
    match supported {
        cpal::SupportedBufferSize::Range { min, max } => {
            cpal::BufferSize::Fixed(DEVICE_BUFFER_FRAMES.clamp(*min, (*max).max(*min)))
        }
        cpal::SupportedBufferSize::Unknown => cpal::BufferSize::Default,
    }
}

fn build<T: SizedSample + cpal::FromSample<f32> + Send + 'static>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut consumer: rtrb::Consumer<f32>,
    control: Arc<AudioControl>,
    failed: Arc<AtomicBool>,
    draining: Arc<AtomicBool>,
) -> Result<cpal::Stream, AudioError> {
    // Allocated here, once; the callback only indexes into it.
    let mut scratch = vec![0.0f32; SCRATCH_SAMPLES];
    let mut discarded = control.discards();
    let err_flag = failed.clone();
    let stream = device
        .build_output_stream::<T, _, _>(
            *config,
            move |out: &mut [T], _| {
                let paused = control.paused();
                let gain = control.volume();
                let discards = control.discards();
                if discards != discarded {
                    // A seek: what is queued is from before it. Skipping is an index move.
                    discarded = discards;
                    if let Ok(all) = consumer.read_chunk(consumer.slots()) {
                        all.commit_all();
                    }
                }
                for block in out.chunks_mut(SCRATCH_SAMPLES) {
                    let buf = &mut scratch[..block.len()];
                    let got = if paused {
                        0
                    } else {
                        let (a, _) = consumer.pop_partial_slice(buf);
                        a.len()
                    };
                    if !paused && got < block.len() && !draining.load(Ordering::Relaxed) {
                        control.underruns.fetch_add(1, Ordering::Relaxed);
                    }
                    for (i, o) in block.iter_mut().enumerate() {
                        let s = if i < got { buf[i] * gain } else { 0.0 };
                        *o = T::from_sample(s.clamp(-1.0, 1.0));
                    }
                }
            },
            move |_err| err_flag.store(true, Ordering::Relaxed),
            None,
        )
        .map_err(|e| dev_err("opening the output stream", e))?;
    Ok(stream)
}

/// Audio in the ring, in milliseconds.
fn queued_ms(o: &Open) -> u64 {
    let queued = o.capacity.saturating_sub(o.producer.slots()) as u64;
    queued * 1000 / (u64::from(o.device_rate.max(1)) * o.device_channels as u64)
}

impl Sink for CpalSink {
    fn start(&mut self, rate: u32, layout: ChannelLayout) -> Result<(), AudioError> {
        if self.open.is_some() {
            return Ok(());
        }
        let device = pick_device(&self.name)?;
        let (config, fmt) = pick_config(&device, rate, layout.channels())?;
        let device_channels = usize::from(config.channels.max(1));
        let downmix = Downmix::new(
            &layout,
            &device_positions(config.channels.max(1), device_order()),
        );
        let capacity = (config.sample_rate as u64 * RING_MS / 1000) as usize * device_channels;
        let (producer, consumer) = rtrb::RingBuffer::<f32>::new(capacity.max(1024));
        let failed = Arc::new(AtomicBool::new(false));
        let draining = Arc::new(AtomicBool::new(false));
        let (c, f, d) = (self.control.clone(), failed.clone(), draining.clone());
        let stream = match fmt {
            SampleFormat::I16 => build::<i16>(&device, &config, consumer, c, f, d)?,
            _ => build::<f32>(&device, &config, consumer, c, f, d)?,
        };
        let resampler = if config.sample_rate != rate {
            Some(
                Resampler::new(rate, config.sample_rate, device_channels)
                    .map_err(|e| dev_err("resampler", e))?,
            )
        } else {
            None
        };
        let device_layout = ChannelLayout::new(config.channels, 0).name();
        tracing::info!(
            "audio device at {} Hz, {} channels{}{}",
            config.sample_rate,
            device_channels,
            if resampler.is_some() {
                " (resampling)"
            } else {
                ""
            },
            if usize::from(layout.channels()) > device_channels {
                format!(" (downmixing {} to {device_layout})", layout.name())
            } else {
                String::new()
            }
        );
        self.open = Some(Open {
            stream,
            started: false,
            producer,
            capacity: capacity.max(1024),
            device_rate: config.sample_rate,
            device_channels,
            downmix,
            resampler,
            failed,
            draining,
            scratch: Vec::new(),
            mapped: Vec::new(),
        });
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> Result<(), AudioError> {
        let Some(o) = self.open.as_mut() else {
            return Err(AudioError::Device("not started".into()));
        };
        // Most devices run the stream's own layout: then the samples go in as they are.
        let mixed: &[f32] = if o.downmix.is_identity() {
            samples
        } else {
            o.mapped.clear();
            o.downmix.apply(samples, &mut o.mapped);
            &o.mapped
        };
        o.scratch.clear();
        let mut rest: &[f32] = match o.resampler.as_mut() {
            Some(r) => {
                r.process(mixed, &mut o.scratch);
                &o.scratch
            }
            None => mixed,
        };
        let mut last_progress = Instant::now();
        while !rest.is_empty() {
            if o.failed.load(Ordering::Relaxed) {
                return Err(AudioError::Device("the output device failed".into()));
            }
            let (_, remaining) = o.producer.push_partial_slice(rest);
            if remaining.len() < rest.len() || self.control.paused() {
                last_progress = Instant::now();
            } else if last_progress.elapsed() > STALL_LIMIT {
                return Err(AudioError::Device(
                    "the output device stopped taking audio".into(),
                ));
            }
            rest = remaining;
            if !o.started && (!rest.is_empty() || queued_ms(o) >= PREBUFFER_MS) {
                o.stream
                    .play()
                    .map_err(|e| dev_err("starting playback", e))?;
                o.started = true;
            }
            if !rest.is_empty() {
                std::thread::sleep(Duration::from_millis(3));
            }
        }
        Ok(())
    }

    fn buffered_ms(&self) -> u64 {
        self.open.as_ref().map_or(0, queued_ms)
    }

    fn underruns(&self) -> u64 {
        self.control.underruns.load(Ordering::Relaxed)
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        if let Some(o) = self.open.as_mut()
            && !o.started
        {
            o.stream
                .play()
                .map_err(|e| dev_err("starting playback", e))?;
            o.started = true;
        }
        if let Some(o) = self.open.as_ref() {
            o.draining.store(true, Ordering::Relaxed);
            let deadline = Instant::now() + Duration::from_millis(RING_MS + 1000);
            while self.buffered_ms() > 0 && Instant::now() < deadline && !self.control.paused() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        self.open = None;
        Ok(())
    }
}
