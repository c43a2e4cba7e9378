//! What the player asks the server for: the one audio stream it plays, chosen from the header
//! at connect by the same rules as the decoder's choice, and, when playback moves to another
//! stream (a bitrate variant, a language), that stream instead, without a gap: both while the
//! move waits for the new stream's data, then the new one alone.

use std::sync::{Arc, Mutex};

use mmsplay_net::{StreamChooser, TransportStats};
use tokio::sync::watch;

use super::codec::{choose_stream, registry};
use super::select::Selection;

/// Shared between the decode thread (which knows what plays) and the transport's feed task
/// (which asks the server).
#[derive(Clone)]
pub struct Asking {
    /// The audio streams wanted now; the feed asks the server when it changes.
    wanted: watch::Sender<Vec<u16>>,
    /// The selection rules a reconnect chooses by: the user's, with the language the `l` key
    /// moved to.
    selection: Arc<Mutex<Selection>>,
}

impl Asking {
    pub fn new(selection: Selection) -> Asking {
        Asking {
            wanted: watch::Sender::new(Vec::new()),
            selection: Arc::new(Mutex::new(selection)),
        }
    }

    /// The chooser a transport asks at connect. A packet-pair measurement the transport made
    /// (in `link`) caps the bitrate like `--max-bitrate`, whichever is lower.
    pub fn chooser(&self, link: Arc<TransportStats>) -> StreamChooser {
        let selection = self.selection.clone();
        StreamChooser(Arc::new(move |header| {
            let sel = capped(selection.lock().ok()?.clone(), link.link_bps());
            choose_stream(header, &sel, &registry())
                .ok()
                .map(|c| u16::from(c.number))
        }))
    }

    /// Where the feed learns of new wants.
    pub fn subscribe(&self) -> watch::Receiver<Vec<u16>> {
        self.wanted.subscribe()
    }

    /// A move from `from` (the stream playing, if any) to `to` was asked for: both until it is
    /// made.
    pub fn moving(&self, from: Option<u8>, to: u8) {
        let both = from.into_iter().chain([to]).map(u16::from).collect();
        self.wanted.send_replace(both);
    }

    /// Playback moved to `to`; `language` when the move was the user's choice of language.
    pub fn moved(&self, to: u8, language: Option<&str>) {
        if let (Some(l), Ok(mut sel)) = (language, self.selection.lock()) {
            sel.language = Some(l.to_string());
        }
        self.wanted.send_replace(vec![u16::from(to)]);
    }
}

/// `sel` with its bitrate cap lowered to the measured link bandwidth, if there is one.
fn capped(mut sel: Selection, link_bps: Option<u64>) -> Selection {
    if let Some(bps) = link_bps {
        let bps = u32::try_from(bps).unwrap_or(u32::MAX);
        sel.max_bitrate = Some(sel.max_bitrate.map_or(bps, |m| m.min(bps)));
    }
    sel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measured_link_caps_the_bitrate_below_the_users_cap_only() {
        let sel = |max| Selection {
            max_bitrate: max,
            ..Selection::default()
        };
        assert_eq!(capped(sel(None), None), sel(None));
        assert_eq!(capped(sel(None), Some(64_000)), sel(Some(64_000)));
        assert_eq!(capped(sel(Some(32_000)), Some(64_000)), sel(Some(32_000)));
        assert_eq!(capped(sel(Some(128_000)), Some(64_000)), sel(Some(64_000)));
        assert_eq!(capped(sel(None), Some(u64::MAX)), sel(Some(u32::MAX)));
    }

    #[test]
    fn a_move_asks_for_both_streams_then_the_new_one() {
        let a = Asking::new(Selection::default());
        let mut rx = a.subscribe();
        assert!(!rx.has_changed().unwrap());
        a.moving(Some(1), 2);
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), vec![1, 2]);
        a.moved(2, Some("de"));
        assert_eq!(*rx.borrow_and_update(), vec![2]);
        assert_eq!(a.selection.lock().unwrap().language.as_deref(), Some("de"));
    }
}
