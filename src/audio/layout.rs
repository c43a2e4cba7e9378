//! Which speaker each channel of a stream (or a device) feeds.
//!
//! Positions are the bits of a WAVEFORMATEXTENSIBLE `dwChannelMask` (FL = bit 0, FR, FC, LFE,
//! BL, BR, FLC, FRC, BC, SL, SR, then the top positions up to bit 17). Symphonia's
//! `Position` uses the same first 18 bits, and its buffers, like WAVE files, hold the channels
//! of a mask in ascending bit order. A device may want another order: ALSA's 5.1 is
//! FL FR BL BR FC LFE, not WAVE's FL FR FC LFE BL BR.

use symphonia_core::audio::Channels;

/// One speaker position: a single bit of a WAVE channel mask.
pub mod speaker {
    pub const FL: u32 = 1 << 0;
    pub const FR: u32 = 1 << 1;
    pub const FC: u32 = 1 << 2;
    pub const LFE: u32 = 1 << 3;
    pub const BL: u32 = 1 << 4;
    pub const BR: u32 = 1 << 5;
    pub const FLC: u32 = 1 << 6;
    pub const FRC: u32 = 1 << 7;
    pub const BC: u32 = 1 << 8;
    pub const SL: u32 = 1 << 9;
    pub const SR: u32 = 1 << 10;
    pub const TC: u32 = 1 << 11;
    pub const TFL: u32 = 1 << 12;
    pub const TFC: u32 = 1 << 13;
    pub const TFR: u32 = 1 << 14;
    pub const TBL: u32 = 1 << 15;
    pub const TBC: u32 = 1 << 16;
    pub const TBR: u32 = 1 << 17;
    /// Every position a WAVE channel mask may name.
    pub const ALL: u32 = (1 << 18) - 1;
}

use speaker::*;

/// The masks named after ffmpeg's channel layouts, so that what we print matches ffprobe's
/// `channel_layout`.
const NAMED: &[(u32, &str)] = &[
    (FC, "mono"),
    (FL | FR, "stereo"),
    (FL | FR | LFE, "2.1"),
    (FL | FR | FC, "3.0"),
    (FL | FR | BC, "3.0(back)"),
    (FL | FR | FC | BC, "4.0"),
    (FL | FR | BL | BR, "quad"),
    (FL | FR | SL | SR, "quad(side)"),
    (FL | FR | FC | LFE, "3.1"),
    (FL | FR | FC | LFE | BC, "4.1"),
    (FL | FR | FC | BL | BR, "5.0"),
    (FL | FR | FC | SL | SR, "5.0(side)"),
    (FL | FR | FC | LFE | BL | BR, "5.1"),
    (FL | FR | FC | LFE | SL | SR, "5.1(side)"),
    (FL | FR | FC | BC | SL | SR, "6.0"),
    (FL | FR | FC | LFE | BC | SL | SR, "6.1"),
    (FL | FR | FC | BL | BR | SL | SR, "7.0"),
    (FL | FR | FC | LFE | BL | BR | SL | SR, "7.1"),
    (FL | FR | FC | LFE | BL | BR | FLC | FRC, "7.1(wide)"),
    (FL | FR | FC | LFE | FLC | FRC | SL | SR, "7.1(wide-side)"),
];

/// The layout a stream has when nothing names its positions: WAVEFORMATEX's defaults (the
/// KSAUDIO_SPEAKER_* masks for 1, 2, 4, 6 and 8 channels, 3.0 for three), and for 5 and 7
/// channels 5.0 and 6.1. Beyond 8 channels, the first N positions.
pub fn default_mask(channels: u16) -> u32 {
    match channels {
        0 => 0,
        1 => FC,
        2 => FL | FR,
        3 => FL | FR | FC,
        4 => FL | FR | BL | BR,
        5 => FL | FR | FC | BL | BR,
        6 => FL | FR | FC | LFE | BL | BR,
        7 => FL | FR | FC | LFE | BC | SL | SR,
        8 => FL | FR | FC | LFE | BL | BR | SL | SR,
        n => ALL >> (18 - u32::from(n).min(18)),
    }
}

/// A stream's channels and their speaker positions, in the order of the interleaved samples
/// (ascending mask bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelLayout {
    channels: u16,
    /// Has exactly `channels` bits set, or is the first `channels` positions' worth when the
    /// stream has more channels than a mask can name (the rest then have no position).
    mask: u32,
}

impl ChannelLayout {
    /// `channels` channels at the positions of `mask`; a mask that does not name exactly that
    /// many positions (0, say) is replaced by the default for the count.
    pub fn new(channels: u16, mask: u32) -> ChannelLayout {
        let mask = mask & ALL;
        let mask = if channels > 0 && mask.count_ones() == u32::from(channels) {
            mask
        } else {
            default_mask(channels)
        };
        ChannelLayout { channels, mask }
    }

    /// The layout of decoded buffers: their positions, or the defaults for a bare count.
    pub fn from_symphonia(channels: &Channels) -> ChannelLayout {
        let count = u16::try_from(channels.count()).unwrap_or(u16::MAX);
        match channels {
            Channels::Positioned(p) => {
                let bits = p.bits();
                // Positions beyond the WAVE ones have no mask bit: fall back to the default.
                let mask = if bits >> 18 == 0 { bits as u32 } else { 0 };
                ChannelLayout::new(count, mask)
            }
            _ => ChannelLayout::new(count, 0),
        }
    }

    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// The WAVE `dwChannelMask`.
    pub fn mask(&self) -> u32 {
        self.mask
    }

    /// The position of each channel in sample order; `None` for a channel beyond what a mask
    /// can name.
    pub fn positions(&self) -> impl Iterator<Item = Option<u32>> + '_ {
        let mut bits = (0..18)
            .map(|b| 1u32 << b)
            .filter(move |b| self.mask & b != 0);
        (0..self.channels).map(move |_| bits.next())
    }

    /// ffmpeg's name for the layout ("mono", "stereo", "5.1", "5.1(side)", "7.1"…), else
    /// "N ch".
    pub fn name(&self) -> String {
        NAMED
            .iter()
            .find(|(m, _)| *m == self.mask && self.mask.count_ones() == u32::from(self.channels))
            .map_or_else(|| format!("{} ch", self.channels), |(_, n)| n.to_string())
    }
}

/// The order in which a device takes its channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceOrder {
    /// ALSA's standard channel maps (`surround40`, `surround51`, `surround71`…): the rear
    /// pair comes right after the front pair, then centre and LFE.
    Alsa,
    /// The WAVE order (ascending mask bits), as WASAPI and Core Audio take it.
    Wave,
}

/// The speaker of each channel of a device running `channels` channels; `None` where the
/// order is not known, and such a channel stays silent. Stereo and mono are the same
/// everywhere; 4, 5, 6 and 8 channels follow the host's standard order.
pub fn device_positions(channels: u16, order: DeviceOrder) -> Vec<Option<u32>> {
    let known: &[u32] = match (channels, order) {
        (1, _) => &[FC],
        (2, _) => &[FL, FR],
        (4, _) => &[FL, FR, BL, BR],
        (5, DeviceOrder::Alsa) => &[FL, FR, BL, BR, FC],
        (6, DeviceOrder::Alsa) => &[FL, FR, BL, BR, FC, LFE],
        (8, DeviceOrder::Alsa) => &[FL, FR, BL, BR, FC, LFE, SL, SR],
        (5 | 6 | 8, DeviceOrder::Wave) => {
            return ChannelLayout::new(channels, 0).positions().collect();
        }
        // Other counts: the front pair is the one thing every host agrees on.
        _ => &[FL, FR],
    };
    (0..usize::from(channels))
        .map(|i| known.get(i).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia_core::audio::Position;

    #[test]
    fn layouts_from_symphonia_channels() {
        let five_one_side = Channels::Positioned(
            Position::FRONT_LEFT
                | Position::FRONT_RIGHT
                | Position::FRONT_CENTER
                | Position::LFE1
                | Position::SIDE_LEFT
                | Position::SIDE_RIGHT,
        );
        let l = ChannelLayout::from_symphonia(&five_one_side);
        assert_eq!(
            (l.channels(), l.mask(), l.name().as_str()),
            (6, 0x60F, "5.1(side)")
        );
        assert_eq!(
            l.positions().collect::<Vec<_>>(),
            [FL, FR, FC, LFE, SL, SR].map(Some)
        );
        // A bare count takes WAVEFORMATEX's default.
        let l = ChannelLayout::from_symphonia(&Channels::Discrete(6));
        assert_eq!((l.mask(), l.name().as_str()), (0x3F, "5.1"));
        let l = ChannelLayout::from_symphonia(&Channels::Discrete(8));
        assert_eq!((l.mask(), l.name().as_str()), (0x63F, "7.1"));
        assert_eq!(ChannelLayout::new(1, 0).name(), "mono");
        assert_eq!(ChannelLayout::new(2, 0).name(), "stereo");
        assert_eq!(ChannelLayout::new(4, 0).name(), "quad");
        // A mask that disagrees with the count is not trusted.
        assert_eq!(ChannelLayout::new(6, FL | FR).mask(), 0x3F);
        // More channels than a mask names: the rest have no position.
        let l = ChannelLayout::new(20, 0);
        assert_eq!(l.positions().filter(Option::is_none).count(), 2);
        assert_eq!(l.name(), "20 ch");
    }

    #[test]
    fn device_orders() {
        assert_eq!(
            device_positions(6, DeviceOrder::Alsa),
            [FL, FR, BL, BR, FC, LFE].map(Some)
        );
        assert_eq!(
            device_positions(6, DeviceOrder::Wave),
            [FL, FR, FC, LFE, BL, BR].map(Some)
        );
        assert_eq!(
            device_positions(3, DeviceOrder::Alsa),
            vec![Some(FL), Some(FR), None]
        );
        assert_eq!(device_positions(1, DeviceOrder::Wave), vec![Some(FC)]);
    }
}
