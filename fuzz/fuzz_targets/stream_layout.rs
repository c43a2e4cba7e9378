//! A stream's WAVEFORMATEX (plain, extensible, WMA Pro or Lossless) on arbitrary bytes, through
//! what the player derives from it: the decoder parameters, the declared speaker layout and
//! depth, and the downmix to every device shape. Never a panic; the mix of any frames is
//! whole frames, and never louder than full scale for full-scale input.
//! Run: `cargo +nightly fuzz run stream_layout` from the repository root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay::audio::ChannelLayout;
use mmsplay::audio::downmix::Downmix;
use mmsplay::audio::layout::{DeviceOrder, device_positions};
use mmsplay::player::codec;

fuzz_target!(|data: &[u8]| {
    let Ok(w) = mmsplay_asf::WaveFormatEx::parse(data) else {
        return;
    };
    let w = codec::resolve_extensible(&w);
    let _ = codec::stream_params(&w);
    let _ = codec::bits_per_sample(&w);
    let layout = codec::declared_layout(&w);
    // Bounded like the player: streams of more than 8 channels are refused before this.
    let layout = ChannelLayout::new(layout.channels().min(64), layout.mask());
    let n = usize::from(layout.channels());
    let _ = layout.name();
    for device in [1u16, 2, 3, 4, 5, 6, 7, 8] {
        for order in [DeviceOrder::Alsa, DeviceOrder::Wave] {
            let m = Downmix::new(&layout, &device_positions(device, order));
            let input = vec![1.0f32; n * 4 + 1];
            let mut out = Vec::new();
            m.apply(&input, &mut out);
            let frames = input.len().checked_div(n).unwrap_or(0);
            assert_eq!(out.len(), frames * usize::from(device));
            assert!(out.iter().all(|s| s.abs() <= 1.0 + 1e-5), "{out:?}");
        }
    }
});
