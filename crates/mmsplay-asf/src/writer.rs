//! Writing ASF: a Header Object (with the Data Object prefix) and fixed-size data packets.
//! Used for test fixtures, by the server, and by `--record`.

use crate::alternatives::{ExclusionKind, MutualExclusion};
use crate::guid::{self, Guid};
use crate::header::{AudioSpread, ContentDescription, DATA_OBJECT_FIXED_LEN, WaveFormatEx};
use crate::reader::to_utf16le_nul;

/// One audio stream to declare.
#[derive(Clone, Debug)]
pub struct AudioStreamSpec {
    pub number: u8,
    pub format: WaveFormatEx,
    /// Audio Spread parameters; `None` writes "no error correction".
    pub spread: Option<AudioSpread>,
    /// Average bitrate for Stream Bitrate Properties (bits/s).
    pub bitrate: u32,
}

/// What goes into a header.
#[derive(Clone, Debug, Default)]
pub struct HeaderSpec {
    pub file_id: Guid,
    pub packet_size: u32,
    pub data_packets: u64,
    /// Play duration in 100 ns units including preroll (0 when unknown).
    pub play_duration: u64,
    pub preroll_ms: u64,
    pub broadcast: bool,
    pub streams: Vec<AudioStreamSpec>,
    pub content: ContentDescription,
    /// Extended Content Description string tags.
    pub tags: Vec<(String, String)>,
    /// A Language List (BCP 47 tags) in the Header Extension.
    pub languages: Vec<String>,
    /// (stream number, index into `languages`), written in Extended Stream Properties.
    pub stream_languages: Vec<(u8, u16)>,
    /// Written as Advanced Mutual Exclusion objects in the Header Extension.
    pub exclusions: Vec<MutualExclusion>,
    /// Declare every stream in Extended Stream Properties, and every stream after the first
    /// only there (embedded), as Microsoft's newer encoders do.
    pub extended_streams: bool,
}

fn object(id: Guid, body: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(24 + body.len());
    o.extend_from_slice(&id.0);
    o.extend_from_slice(&(24 + body.len() as u64).to_le_bytes());
    o.extend_from_slice(body);
    o
}

fn file_properties(spec: &HeaderSpec, file_size: u64) -> Vec<u8> {
    let mut b = Vec::with_capacity(80);
    b.extend_from_slice(&spec.file_id.0);
    b.extend_from_slice(&file_size.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes()); // creation date
    b.extend_from_slice(&spec.data_packets.to_le_bytes());
    b.extend_from_slice(&spec.play_duration.to_le_bytes());
    b.extend_from_slice(&spec.play_duration.to_le_bytes()); // send duration
    b.extend_from_slice(&spec.preroll_ms.to_le_bytes());
    let flags: u32 = if spec.broadcast { 1 } else { 2 };
    b.extend_from_slice(&flags.to_le_bytes());
    b.extend_from_slice(&spec.packet_size.to_le_bytes());
    b.extend_from_slice(&spec.packet_size.to_le_bytes());
    let max_bitrate: u32 = spec.streams.iter().map(|s| s.bitrate).sum();
    b.extend_from_slice(&max_bitrate.to_le_bytes());
    object(guid::FILE_PROPERTIES, &b)
}

/// A Stream Properties Object for an audio stream.
pub fn stream_properties(s: &AudioStreamSpec) -> Vec<u8> {
    let ts = s.format.to_bytes();
    let (ec_type, ec) = match &s.spread {
        Some(sp) => (guid::AUDIO_SPREAD, sp.to_bytes()),
        None => (guid::NO_ERROR_CORRECTION, Vec::new()),
    };
    let mut b = Vec::new();
    b.extend_from_slice(&guid::AUDIO_MEDIA.0);
    b.extend_from_slice(&ec_type.0);
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&(ts.len() as u32).to_le_bytes());
    b.extend_from_slice(&(ec.len() as u32).to_le_bytes());
    b.extend_from_slice(&u16::from(s.number & 0x7F).to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&ts);
    b.extend_from_slice(&ec);
    object(guid::STREAM_PROPERTIES, &b)
}

fn content_description(c: &ContentDescription) -> Vec<u8> {
    let fields = [&c.title, &c.author, &c.copyright, &c.description, &c.rating];
    let enc: Vec<Vec<u8>> = fields.iter().map(|s| to_utf16le_nul(s)).collect();
    let mut b = Vec::new();
    for e in &enc {
        b.extend_from_slice(&(e.len() as u16).to_le_bytes());
    }
    for e in &enc {
        b.extend_from_slice(e);
    }
    object(guid::CONTENT_DESCRIPTION, &b)
}

fn extended_content(tags: &[(String, String)]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(tags.len() as u16).to_le_bytes());
    for (name, value) in tags {
        let n = to_utf16le_nul(name);
        let v = to_utf16le_nul(value);
        b.extend_from_slice(&(n.len() as u16).to_le_bytes());
        b.extend_from_slice(&n);
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&(v.len() as u16).to_le_bytes());
        b.extend_from_slice(&v);
    }
    object(guid::EXTENDED_CONTENT_DESCRIPTION, &b)
}

fn stream_bitrates(streams: &[AudioStreamSpec]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(streams.len() as u16).to_le_bytes());
    for s in streams {
        b.extend_from_slice(&u16::from(s.number).to_le_bytes());
        b.extend_from_slice(&s.bitrate.to_le_bytes());
    }
    object(guid::STREAM_BITRATE_PROPERTIES, &b)
}

/// A Header Extension Object holding `children` (ASF spec 3.4).
pub fn header_extension(children: &[Vec<u8>]) -> Vec<u8> {
    let data: Vec<u8> = children.concat();
    let mut b = Vec::with_capacity(22 + data.len());
    b.extend_from_slice(&guid::HEADER_EXTENSION_RESERVED.0);
    b.extend_from_slice(&6u16.to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    object(guid::HEADER_EXTENSION, &b)
}

/// A Language List Object (ASF spec 4.6). Tags longer than the format's 127 characters are
/// cut.
pub fn language_list(tags: &[String]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(tags.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
    for t in tags.iter().take(usize::from(u16::MAX)) {
        let mut w = to_utf16le_nul(t);
        w.truncate(254);
        b.push(w.len() as u8);
        b.extend_from_slice(&w);
    }
    object(guid::LANGUAGE_LIST, &b)
}

/// An Extended Stream Properties Object (ASF spec 4.1) with no names and no payload extension
/// systems, optionally embedding the stream's Stream Properties Object.
pub fn extended_stream_properties(
    number: u8,
    bitrate: u32,
    language_index: u16,
    embedded: Option<&[u8]>,
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0u64.to_le_bytes()); // start time
    b.extend_from_slice(&0u64.to_le_bytes()); // end time
    b.extend_from_slice(&bitrate.to_le_bytes());
    b.extend_from_slice(&3000u32.to_le_bytes()); // buffer size, ms
    b.extend_from_slice(&0u32.to_le_bytes()); // initial buffer fullness
    b.extend_from_slice(&bitrate.to_le_bytes()); // alternate data bitrate
    b.extend_from_slice(&3000u32.to_le_bytes()); // alternate buffer size
    b.extend_from_slice(&0u32.to_le_bytes()); // alternate initial buffer fullness
    b.extend_from_slice(&0u32.to_le_bytes()); // maximum object size
    b.extend_from_slice(&2u32.to_le_bytes()); // flags: seekable
    b.extend_from_slice(&u16::from(number & 0x7F).to_le_bytes());
    b.extend_from_slice(&language_index.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes()); // average time per frame
    b.extend_from_slice(&0u16.to_le_bytes()); // stream name count
    b.extend_from_slice(&0u16.to_le_bytes()); // payload extension system count
    if let Some(sp) = embedded {
        b.extend_from_slice(sp);
    }
    object(guid::EXTENDED_STREAM_PROPERTIES, &b)
}

/// An Advanced Mutual Exclusion Object (ASF spec 4.3).
pub fn advanced_mutual_exclusion(x: &MutualExclusion) -> Vec<u8> {
    let kind = match &x.kind {
        ExclusionKind::Bitrate => guid::MUTEX_BITRATE,
        ExclusionKind::Language => guid::MUTEX_LANGUAGE,
        ExclusionKind::Other(g) => *g,
    };
    let mut b = kind.0.to_vec();
    b.extend_from_slice(&(x.streams.len() as u16).to_le_bytes());
    for s in &x.streams {
        b.extend_from_slice(&u16::from(*s).to_le_bytes());
    }
    object(guid::ADVANCED_MUTUAL_EXCLUSION, &b)
}

/// The Header Extension's children for a spec, and the streams whose Stream Properties went
/// inside them (which the top level then leaves out).
fn extension_children(spec: &HeaderSpec) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut children = Vec::new();
    let mut embedded = Vec::new();
    if !spec.languages.is_empty() {
        children.push(language_list(&spec.languages));
    }
    if spec.extended_streams || !spec.stream_languages.is_empty() {
        for (i, s) in spec.streams.iter().enumerate() {
            let lang = spec
                .stream_languages
                .iter()
                .find(|(n, _)| *n == s.number)
                .map_or(0, |(_, l)| *l);
            let sp = (spec.extended_streams && i > 0).then(|| stream_properties(s));
            if sp.is_some() {
                embedded.push(s.number);
            }
            children.push(extended_stream_properties(
                s.number,
                s.bitrate,
                lang,
                sp.as_deref(),
            ));
        }
    }
    children.extend(spec.exclusions.iter().map(advanced_mutual_exclusion));
    (children, embedded)
}

/// Writes the Header Object followed by the 50-byte Data Object prefix: everything before the
/// first data packet.
pub fn write_header(spec: &HeaderSpec) -> Vec<u8> {
    let (extension, embedded) = extension_children(spec);
    let mut children = vec![
        header_extension(&extension),
        content_description(&spec.content),
    ];
    if !spec.tags.is_empty() {
        children.push(extended_content(&spec.tags));
    }
    children.extend(
        spec.streams
            .iter()
            .filter(|s| !embedded.contains(&s.number))
            .map(stream_properties),
    );
    children.push(stream_bitrates(&spec.streams));
    // File Properties needs the total file size, which depends on the header's own length.
    let rest: usize = children.iter().map(Vec::len).sum();
    let header_len = 30 + 104 + rest;
    let data_len = DATA_OBJECT_FIXED_LEN as u64 + spec.data_packets * u64::from(spec.packet_size);
    let file_size = if spec.broadcast {
        0
    } else {
        header_len as u64 + data_len
    };
    let mut out = Vec::with_capacity(header_len + DATA_OBJECT_FIXED_LEN);
    out.extend_from_slice(&guid::HEADER.0);
    out.extend_from_slice(&(header_len as u64).to_le_bytes());
    out.extend_from_slice(&(children.len() as u32 + 1).to_le_bytes());
    out.extend_from_slice(&[1, 2]);
    out.extend_from_slice(&file_properties(spec, file_size));
    for c in &children {
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&data_object_prefix(
        spec.file_id,
        spec.data_packets,
        spec.packet_size,
    ));
    out
}

/// The header of mono 8 kHz 16-bit PCM streams `numbers`, each declared at `bitrate`: the
/// smallest real header, for tests of code that selects among streams.
pub fn pcm_streams_header(packet_size: u32, numbers: &[u8], bitrate: u32) -> Vec<u8> {
    let streams = numbers
        .iter()
        .map(|&number| AudioStreamSpec {
            number,
            format: crate::WaveFormatEx::pcm(1, 8000, 16),
            spread: None,
            bitrate,
        })
        .collect();
    write_header(&HeaderSpec {
        packet_size,
        streams,
        ..Default::default()
    })
}

/// The Data Object's fixed part for `packets` packets of `packet_size` bytes.
pub fn data_object_prefix(file_id: Guid, packets: u64, packet_size: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(DATA_OBJECT_FIXED_LEN);
    b.extend_from_slice(&guid::DATA.0);
    let size = DATA_OBJECT_FIXED_LEN as u64 + packets * u64::from(packet_size);
    b.extend_from_slice(&size.to_le_bytes());
    b.extend_from_slice(&file_id.0);
    b.extend_from_slice(&packets.to_le_bytes());
    b.extend_from_slice(&[1, 1]);
    b
}

/// Packet header: EC flags + 2 EC bytes, length type, property flags, padding (WORD), send time,
/// duration, payload flags.
const PACKET_HEADER_LEN: usize = 3 + 1 + 1 + 2 + 4 + 2 + 1;
/// Payload header: stream, object number (BYTE), offset (DWORD), replicated length (BYTE),
/// replicated data (8), payload length (WORD).
const PAYLOAD_HEADER_LEN: usize = 1 + 1 + 4 + 1 + 8 + 2;

/// Packs media objects into fixed-size multiple-payload data packets, fragmenting objects that
/// do not fit.
pub struct Packetizer {
    packet_size: usize,
    current: Vec<u8>,
    payload_count: u8,
    send_time_ms: u32,
    object_numbers: [u8; 128],
    done: Vec<Vec<u8>>,
}

impl Packetizer {
    /// `packet_size` must leave room for at least one byte of payload.
    pub fn new(packet_size: u32) -> Packetizer {
        let packet_size = (packet_size as usize).max(PACKET_HEADER_LEN + PAYLOAD_HEADER_LEN + 1);
        Packetizer {
            packet_size,
            current: Vec::new(),
            payload_count: 0,
            send_time_ms: 0,
            object_numbers: [0; 128],
            done: Vec::new(),
        }
    }

    /// Adds a media object with its presentation time (milliseconds, preroll included).
    pub fn push_object(&mut self, stream: u8, pts_ms: u32, key_frame: bool, data: &[u8]) {
        let number = self.object_numbers[usize::from(stream & 0x7F)];
        self.object_numbers[usize::from(stream & 0x7F)] = number.wrapping_add(1);
        let mut offset = 0usize;
        loop {
            if self.current.is_empty() {
                self.start_packet(pts_ms);
            }
            let room = self.packet_size - self.current.len();
            if room < PAYLOAD_HEADER_LEN + 1 || self.payload_count == 63 {
                self.finish_packet();
                continue;
            }
            let take = (data.len() - offset).min(room - PAYLOAD_HEADER_LEN);
            let sn = (stream & 0x7F) | if key_frame { 0x80 } else { 0 };
            let c = &mut self.current;
            c.push(sn);
            c.push(number);
            c.extend_from_slice(&(offset as u32).to_le_bytes());
            c.push(8);
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(&pts_ms.to_le_bytes());
            c.extend_from_slice(&(take as u16).to_le_bytes());
            c.extend_from_slice(&data[offset..offset + take]);
            self.payload_count += 1;
            offset += take;
            if offset >= data.len() {
                break;
            }
        }
    }

    fn start_packet(&mut self, send_time_ms: u32) {
        self.send_time_ms = send_time_ms;
        self.payload_count = 0;
        self.current.clear();
        self.current.reserve(self.packet_size);
        // 0x82 0 0: two bytes of error correction data, as every Microsoft muxer writes.
        self.current.extend_from_slice(&[0x82, 0x00, 0x00]);
        // Multiple payloads, padding length WORD, no packet length or sequence.
        self.current.push(0x11);
        // Replicated BYTE, offset DWORD, object number BYTE, stream number BYTE.
        self.current.push(0x5D);
        self.current.extend_from_slice(&[0, 0]); // padding, patched in finish_packet
        self.current.extend_from_slice(&send_time_ms.to_le_bytes());
        self.current.extend_from_slice(&0u16.to_le_bytes());
        self.current.push(0x80); // payload lengths WORD; count patched in finish_packet
    }

    fn finish_packet(&mut self) {
        if self.current.is_empty() {
            return;
        }
        let padding = self.packet_size - self.current.len();
        self.current[5..7].copy_from_slice(&(padding as u16).to_le_bytes());
        self.current[13] = 0x80 | self.payload_count;
        self.current.resize(self.packet_size, 0);
        self.done.push(std::mem::take(&mut self.current));
    }

    /// Closes the current packet (padding it) even if it has room left.
    pub fn flush(&mut self) {
        self.finish_packet();
    }

    /// Takes the packets completed so far.
    pub fn take_packets(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.done)
    }
}

/// Rewrites the counts of a recorded file's header once the stream has ended: file size, data
/// packet count and play duration in File Properties, and the Data Object's size and count.
/// `buf` is the Header Object followed by the Data Object prefix. Returns false when the header
/// cannot be patched (not ASF, or no File Properties).
pub fn patch_header_counts(
    buf: &mut [u8],
    packets: u64,
    packet_size: u32,
    play_duration: u64,
) -> bool {
    let Ok(header_len) = crate::header::header_object_len(buf) else {
        return false;
    };
    if buf.len() < header_len + DATA_OBJECT_FIXED_LEN {
        return false;
    }
    let data_size = DATA_OBJECT_FIXED_LEN as u64 + packets * u64::from(packet_size);
    let file_size = header_len as u64 + data_size;
    // Find File Properties among the header's children.
    let mut pos = 30usize;
    let mut patched = false;
    while pos + 24 <= header_len {
        let id = &buf[pos..pos + 16];
        let size = u64::from_le_bytes(buf[pos + 16..pos + 24].try_into().unwrap_or([0; 8]));
        if size < 24 || pos as u64 + size > header_len as u64 {
            break;
        }
        if id == guid::FILE_PROPERTIES.0 && size >= 104 {
            let b = &mut buf[pos..pos + 104];
            b[40..48].copy_from_slice(&file_size.to_le_bytes());
            b[56..64].copy_from_slice(&packets.to_le_bytes());
            b[64..72].copy_from_slice(&play_duration.to_le_bytes());
            b[72..80].copy_from_slice(&play_duration.to_le_bytes());
            // A recording is a file: clear Broadcast, set Seekable.
            let flags = u32::from_le_bytes(b[88..92].try_into().unwrap_or([0; 4]));
            b[88..92].copy_from_slice(&((flags & !1) | 2).to_le_bytes());
            patched = true;
        }
        pos += size as usize;
    }
    let d = &mut buf[header_len..header_len + DATA_OBJECT_FIXED_LEN];
    d[16..24].copy_from_slice(&data_size.to_le_bytes());
    d[40..48].copy_from_slice(&packets.to_le_bytes());
    patched
}

/// A Stream Properties Object declaring a Command Media stream (ASF spec 9.2): script commands
/// (captions, URLs) carried as media objects in the data packets.
pub fn command_stream_properties(number: u8) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&guid::COMMAND_MEDIA.0);
    b.extend_from_slice(&guid::NO_ERROR_CORRECTION.0);
    b.extend_from_slice(&0u64.to_le_bytes()); // time offset
    b.extend_from_slice(&0u32.to_le_bytes()); // type-specific data length
    b.extend_from_slice(&0u32.to_le_bytes()); // error correction data length
    b.extend_from_slice(&u16::from(number & 0x7F).to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes()); // reserved
    object(guid::STREAM_PROPERTIES, &b)
}

/// A Script Command Object (ASF spec 3.7) holding `(time_ms, type, command)` entries.
pub fn script_command_object(commands: &[(u32, &str, &str)]) -> Vec<u8> {
    let mut types: Vec<&str> = Vec::new();
    for (_, t, _) in commands {
        if !types.contains(t) {
            types.push(t);
        }
    }
    let wide = |s: &str| -> (u16, Vec<u8>) {
        let v = to_utf16le_nul(s);
        ((v.len() / 2) as u16, v)
    };
    let mut b = vec![0u8; 16]; // reserved GUID, ignored by readers
    b.extend_from_slice(&(commands.len() as u16).to_le_bytes());
    b.extend_from_slice(&(types.len() as u16).to_le_bytes());
    for t in &types {
        let (n, v) = wide(t);
        b.extend_from_slice(&n.to_le_bytes());
        b.extend_from_slice(&v);
    }
    for (time, t, c) in commands {
        let index = types.iter().position(|x| x == t).unwrap_or(0) as u16;
        let (n, v) = wide(c);
        b.extend_from_slice(&time.to_le_bytes());
        b.extend_from_slice(&index.to_le_bytes());
        b.extend_from_slice(&n.to_le_bytes());
        b.extend_from_slice(&v);
    }
    object(guid::SCRIPT_COMMAND, &b)
}

/// Appends header objects (such as the two above) to the Header Object in `buf` (which may be
/// followed by the Data Object prefix), fixing the header's size and object count and, when it
/// is set, the file size in File Properties. Returns false when `buf` is not an ASF header.
pub fn append_header_objects(buf: &mut Vec<u8>, objects: &[Vec<u8>]) -> bool {
    let Ok(header_len) = crate::header::header_object_len(buf) else {
        return false;
    };
    if buf.len() < header_len || header_len < 30 {
        return false;
    }
    let added: usize = objects.iter().map(Vec::len).sum();
    let mut pos = 30usize;
    while pos + 24 <= header_len {
        let size = u64::from_le_bytes(buf[pos + 16..pos + 24].try_into().unwrap_or([0; 8]));
        if size < 24 || pos as u64 + size > header_len as u64 {
            break;
        }
        if buf[pos..pos + 16] == guid::FILE_PROPERTIES.0 && size >= 104 {
            let f = &mut buf[pos + 40..pos + 48];
            let file_size = u64::from_le_bytes(f.try_into().unwrap_or([0; 8]));
            if file_size != 0 {
                f.copy_from_slice(&(file_size + added as u64).to_le_bytes());
            }
        }
        pos += size as usize;
    }
    let count = u32::from_le_bytes(buf[24..28].try_into().unwrap_or([0; 4]));
    buf[16..24].copy_from_slice(&((header_len + added) as u64).to_le_bytes());
    buf[24..28].copy_from_slice(&(count + objects.len() as u32).to_le_bytes());
    let tail = buf.split_off(header_len);
    for o in objects {
        buf.extend_from_slice(o);
    }
    buf.extend_from_slice(&tail);
    true
}

#[cfg(test)]
mod command_tests {
    use super::*;

    #[test]
    fn command_stream_and_script_commands_parse_back() {
        let spec = HeaderSpec {
            packet_size: 1000,
            ..HeaderSpec::default()
        };
        let mut h = write_header(&spec);
        let before = h.len();
        assert!(append_header_objects(
            &mut h,
            &[
                command_stream_properties(2),
                script_command_object(&[(500, "TEXT", "hello"), (900, "URL", "http://x/")]),
            ]
        ));
        let parsed = crate::parse_header(&h).unwrap();
        assert_eq!(parsed.len + DATA_OBJECT_FIXED_LEN, h.len());
        assert!(h.len() > before);
        let s = parsed.stream(2).unwrap();
        assert_eq!(s.kind, crate::header::StreamKind::Command);
        assert_eq!(parsed.script_commands.len(), 2);
        assert_eq!(parsed.script_commands[1].kind, "URL");
        assert_eq!(parsed.script_commands[1].text, "http://x/");
        assert_eq!(parsed.script_commands[0].time_ms, 500);
    }
}
