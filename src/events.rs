//! Player events: what the TUI shows and what `--headless --events json` prints.
//!
//! The JSON shape is the contract of `docs/interface.md`: one object per line, with
//! `"event"` naming the variant and `"t_ms"` added by the printer. Extend freely, never rename.

use serde::Serialize;

pub use mmsplay_net::Transport;

/// Why playback ended normally.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndReason {
    /// The stream ended.
    Eos,
    /// `--duration` seconds of audio were decoded.
    Duration,
    /// The user (or a signal) stopped playback.
    Stopped,
}

/// What the `stream` event says about the chosen audio stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StreamInfo {
    /// One of `wmav1`, `wmav2`, `wmapro`, `wmalossless`, `wmavoice`, `mp3`, `pcm`, `adpcm_ms`,
    /// `adpcm_ima` (or `unknown`).
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// The speaker layout under ffmpeg's name ("mono", "stereo", "5.1", "5.1(side)", "7.1"…),
    /// or "N ch".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_layout: Option<String>,
    /// The decoded sample depth the stream declares (16, 24…), for PCM, WMA Pro and WMA
    /// Lossless.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits_per_sample: Option<u16>,
    /// WMA Lossless: present, and true, only then.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lossless: bool,
    /// The stream's declared bitrate in bits per second.
    pub bitrate: u32,
    pub live: bool,
    /// ASF stream number of the chosen stream.
    pub stream_number: u16,
    /// The stream's language (lower-case BCP 47), when the header says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copyright: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Extended content description (WM/AlbumTitle and the like), name and text value; a JSON
    /// object in the event.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "ser_tags")]
    pub tags: Vec<(String, String)>,
}

/// The `stats` event: about once a second while playing, and once at the end.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Received bitrate over the last second.
    pub bitrate_bps: u64,
    pub bytes_received: u64,
    pub packets_received: u64,
    pub packets_lost: u64,
    pub packets_recovered: u64,
    /// Audio queued ahead of the sink.
    pub buffer_ms: u64,
    pub underruns: u64,
    /// Packets that arrived after their successors (UDP reordering).
    pub packets_late: u64,
    /// Packets the demuxer or decoder skipped as damaged.
    pub packets_bad: u64,
    /// Milliseconds of audio decoded so far.
    pub position_ms: u64,
    pub reconnects: u64,
}

/// One player event. Serialised with `"event": "<snake_case name>"` and the fields inline.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PlayerEvent {
    /// A rollover step (or a file open) starts.
    Attempt {
        #[serde(serialize_with = "ser_transport")]
        transport: Transport,
        url: String,
    },
    /// That step failed; `reason` is a short human sentence.
    AttemptFailed {
        #[serde(serialize_with = "ser_transport")]
        transport: Transport,
        reason: String,
    },
    /// Media started flowing on that transport.
    Connected {
        #[serde(serialize_with = "ser_transport")]
        transport: Transport,
    },
    /// The audio stream was chosen.
    Stream(StreamInfo),
    /// The first decoded samples reached the sink.
    FirstAudio,
    /// Playback moved to another bitrate variant or language mid-stream.
    StreamSwitch {
        stream_number: u16,
        /// The new stream's declared bitrate in bits per second.
        bitrate: u32,
        /// `loss`, `underrun`, `recovered` or `language`.
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        language: Option<String>,
        /// The new stream's format, which a variant may change (as in the `stream` event).
        codec: String,
        sample_rate: u32,
        channels: u16,
    },
    /// Playback resumed at a new position after a seek (also after `--start`): the position
    /// of the first sample played, in milliseconds of the stream's presentation time.
    Seek {
        position_ms: u64,
    },
    Stats(Stats),
    /// A live script command (caption text, URL) arrived.
    Script {
        kind: String,
        text: String,
    },
    /// The transport dropped and is being re-established.
    Reconnect {
        attempt: u32,
        reason: String,
    },
    /// A line for the log view.
    Log {
        level: String,
        message: String,
    },
    /// A metafile's playlist started an entry: the first one, the next one at the end of an
    /// entry, or the one `n`/`p` (MPRIS Next/Previous) moved to; or a server-side playlist
    /// moved to its next entry mid-stream. `index` counts from 0.
    Entry {
        index: usize,
        /// How many entries a metafile's playlist has (a server-side playlist does not say).
        #[serde(skip_serializing_if = "Option::is_none")]
        count: Option<usize>,
        /// The entry's first reference (a URL or a file).
        url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// Playback ended normally.
    End {
        reason: EndReason,
    },
    /// Playback ended on an error.
    Error {
        message: String,
    },
    /// The server wants a user name and password that we lack, or refused ours; comes just
    /// before the `error`. `user` is the name already known. The TUI asks for the password.
    CredentialsNeeded {
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        /// Credentials were sent and refused.
        rejected: bool,
    },
}

fn ser_tags<S: serde::Serializer>(tags: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(tags.len()))?;
    for (k, v) in tags {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

fn ser_transport<S: serde::Serializer>(t: &Transport, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

impl PlayerEvent {
    /// The event as one JSON line (without newline), with `t_ms` added.
    pub fn to_json_line(&self, t_ms: u64) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(map) = &mut v {
            map.insert("t_ms".into(), t_ms.into());
        }
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_follows_the_contract() {
        let line = PlayerEvent::Attempt {
            transport: Transport::Mmsh,
            url: "mmsh://h/x".into(),
        }
        .to_json_line(12);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"], "attempt");
        assert_eq!(v["transport"], "mmsh");
        assert_eq!(v["t_ms"], 12);
        let line = PlayerEvent::End {
            reason: EndReason::Eos,
        }
        .to_json_line(1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["reason"], "eos");
        let line = PlayerEvent::Stats(Stats::default()).to_json_line(1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"], "stats");
        assert_eq!(v["packets_lost"], 0);
        let line = PlayerEvent::FirstAudio.to_json_line(3);
        assert!(line.contains("\"event\":\"first_audio\""));
    }
}

/// What the TUI asks of the player runtime. The TUI never touches sockets, files or the audio
/// device itself: it sends these and renders the `PlayerEvent`s that come back.
#[derive(Clone, Debug, PartialEq)]
pub enum UiCommand {
    /// Start playing a target (URL, file or bookmark URL); stops what is playing first.
    Play {
        target: String,
    },
    /// Stop what is playing (the TUI stays open).
    Stop,
    SetPaused(bool),
    /// Linear gain, 0.0 to 2.0.
    SetVolume(f32),
    /// Move to the next language the stream offers (the `l` key).
    NextLanguage,
    /// End the current entry of a playlist and play the next one (`n`); at the last entry,
    /// end the playback.
    NextEntry,
    /// End the current entry of a playlist and play the one before (`p`); at the first
    /// entry, play it again from its start.
    PreviousEntry,
    /// Seek by this many milliseconds from the current position (negative: back).
    Seek {
        by_ms: i64,
    },
    /// Seek to this position in milliseconds (MPRIS SetPosition).
    SeekTo {
        ms: u64,
    },
    /// Start the next `Play` at this position (a bookmark's remembered place), instead of
    /// `--start` or the beginning.
    StartAt {
        ms: u64,
    },
    /// Use these credentials from now on (the TUI's password prompt); a `Play` follows.
    SetCredentials(mmsplay_net::auth::Credentials),
    /// Leave the program.
    Quit,
}
