//! Number and time formatting shared by the panels.

use crate::events::EndReason;

/// `m:ss`, or `h:mm:ss` from one hour on.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Bits per second as `128.0 kb/s` (kilo = 1000, as stream bitrates are quoted).
pub fn kbps(bps: u64) -> String {
    format!("{:.1} kb/s", bps as f64 / 1000.0)
}

/// Milliseconds as seconds with one decimal: `1.2 s`.
pub fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

pub fn end_reason(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Eos => "end of stream",
        EndReason::Duration => "duration reached",
        EndReason::Stopped => "stopped",
    }
}

pub fn channels(n: u16) -> String {
    match n {
        1 => "mono".to_string(),
        2 => "stereo".to_string(),
        n => format!("{n} ch"),
    }
}

/// A text progress bar `━━━━──────` of `width` cells, `fraction` (0..=1) filled.
pub fn bar(fraction: f64, width: usize) -> String {
    let fraction = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = ((fraction * width as f64).round() as usize).min(width);
    format!("{}{}", "━".repeat(filled), "─".repeat(width - filled))
}

/// `text` cut to `max` characters, the last one an ellipsis when something was cut.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    if max > 0 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_formats() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(61_999), "1:01");
        assert_eq!(clock(3_723_000), "1:02:03");
        assert_eq!(kbps(128_400), "128.4 kb/s");
        assert_eq!(secs(1240), "1.2 s");
        assert_eq!(bar(0.5, 4), "━━──");
        assert_eq!(bar(f64::NAN, 2), "──");
        assert_eq!(bar(7.0, 3), "━━━");
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abcdef", 0), "");
    }
}
