//! Script commands: captions (`TEXT`), web pages to show (`URL`) and the like, which Windows
//! Media streams carried two ways:
//!
//! - in the header's Script Command Object (ASF spec 3.7), each with a presentation time: given
//!   out as playback reaches that time;
//! - in a stream of their own, the Command Media stream (ASF spec 9.2), whose media objects are
//!   two NUL-terminated UTF-16LE strings, the type then the command: given out as they arrive,
//!   which is how live broadcasts sent captions.

use std::collections::VecDeque;

use mmsplay_asf::Header;
use mmsplay_asf::header::{ScriptCommand, StreamKind};

/// Longest command text kept (characters): captions are a line or two.
const MAX_TEXT: usize = 1024;

/// The script commands of one header.
pub struct Scripts {
    /// The command stream's number, when the header declares one. Its objects come from the
    /// pipeline's demuxer, which parses each packet once for audio and commands.
    command_stream: Option<u8>,
    /// Header commands not yet due, in time order (ms, preroll subtracted).
    timed: VecDeque<(u64, ScriptCommand)>,
}

impl Scripts {
    pub fn new(header: &Header) -> Scripts {
        let command_stream = header
            .streams
            .iter()
            .find(|s| s.kind == StreamKind::Command)
            .map(|s| s.number);
        // A broadcast joined mid-way has no timeline the header's times refer to.
        let mut timed: Vec<(u64, ScriptCommand)> = if header.file.broadcast {
            Vec::new()
        } else {
            header
                .script_commands
                .iter()
                .map(|c| {
                    let t = u64::from(c.time_ms).saturating_sub(header.file.preroll_ms);
                    (t, c.clone())
                })
                .collect()
        };
        timed.sort_by_key(|(t, _)| *t);
        Scripts {
            command_stream,
            timed: timed.into(),
        }
    }

    /// The stream whose media objects are commands, if any.
    pub fn command_stream(&self) -> Option<u8> {
        self.command_stream
    }

    /// Header commands due at playback position `position_ms`.
    pub fn due(&mut self, position_ms: u64) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while self.timed.front().is_some_and(|(t, _)| *t <= position_ms) {
            if let Some((_, c)) = self.timed.pop_front() {
                out.push((c.kind, c.text));
            }
        }
        out
    }
}

/// A Command Media object: type and command, each UTF-16LE up to a NUL (ASF spec 9.2). `None`
/// when there is no type.
pub fn decode_command(data: &[u8]) -> Option<(String, String)> {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut parts = units.split(|&u| u == 0);
    let kind = text(parts.next()?);
    let command = parts.next().map(text).unwrap_or_default();
    if kind.is_empty() {
        return None;
    }
    Some((kind, command))
}

fn text(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied())
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .filter(|c| !c.is_control() || *c == '\n')
        .take(MAX_TEXT)
        .collect()
}

/// Encodes a Command Media object (for tests and fixtures).
pub fn encode_command(kind: &str, command: &str) -> Vec<u8> {
    kind.encode_utf16()
        .chain([0])
        .chain(command.encode_utf16())
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_and_garbage_is_bounded() {
        let b = encode_command("TEXT", "Now playing: Hello");
        assert_eq!(
            decode_command(&b),
            Some(("TEXT".into(), "Now playing: Hello".into()))
        );
        assert_eq!(decode_command(&[0, 0, 65, 0]), None);
        assert_eq!(decode_command(&[]), None);
        let long: Vec<u8> = std::iter::repeat_n([65u8, 0], 100_000).flatten().collect();
        let (k, _) = decode_command(&long).unwrap();
        assert_eq!(k.chars().count(), MAX_TEXT);
    }
}
