//! The ASF Header Object and the sub-objects a player needs (ASF spec section 3 and 4).

use crate::alternatives::{MutualExclusion, parse_exclusion, parse_language_list};
use crate::error::{AsfError, Result};
use crate::guid::{self, Guid};
use crate::limits::{
    MAX_DESCRIPTORS, MAX_HEADER_OBJECTS, MAX_HEADER_SIZE, MAX_PACKET_SIZE, MAX_STREAMS,
};
use crate::reader::{Reader, utf16le};

/// Size of the Header Object's fixed part: GUID, size, object count, two reserved bytes.
pub const HEADER_FIXED_LEN: usize = 30;
/// Size of the Data Object's fixed part: GUID, size, file ID, packet count, reserved.
pub const DATA_OBJECT_FIXED_LEN: usize = 50;

/// File Properties Object (ASF spec 3.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileProperties {
    pub file_id: Guid,
    pub file_size: u64,
    pub creation_date: u64,
    pub data_packets: u64,
    /// 100 ns units, including the preroll.
    pub play_duration: u64,
    pub send_duration: u64,
    /// Milliseconds: subtract from every presentation time.
    pub preroll_ms: u64,
    pub broadcast: bool,
    pub seekable: bool,
    pub min_packet_size: u32,
    pub max_packet_size: u32,
    pub max_bitrate: u32,
}

impl FileProperties {
    /// Play duration less preroll, in milliseconds; `None` for broadcasts, where it is invalid.
    pub fn duration_ms(&self) -> Option<u64> {
        if self.broadcast || self.play_duration == 0 {
            return None;
        }
        Some((self.play_duration / 10_000).saturating_sub(self.preroll_ms))
    }
}

/// WAVEFORMATEX, the audio stream's type-specific data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaveFormatEx {
    pub format_tag: u16,
    pub channels: u16,
    pub sample_rate: u32,
    pub avg_bytes_per_sec: u32,
    pub block_align: u16,
    pub bits_per_sample: u16,
    /// The `cbSize` extra bytes (codec-specific), clamped to what is present.
    pub extra: Vec<u8>,
}

impl WaveFormatEx {
    /// Integer PCM: the simplest stream to declare, for tests and fixtures.
    pub fn pcm(channels: u16, sample_rate: u32, bits_per_sample: u16) -> WaveFormatEx {
        let block_align = channels * (bits_per_sample / 8);
        WaveFormatEx {
            format_tag: 1,
            channels,
            sample_rate,
            avg_bytes_per_sec: sample_rate * u32::from(block_align),
            block_align,
            bits_per_sample,
            extra: Vec::new(),
        }
    }

    pub fn parse(b: &[u8]) -> Result<WaveFormatEx> {
        let mut r = Reader::new(b, 0, "WAVEFORMATEX");
        let mut w = WaveFormatEx {
            format_tag: r.u16()?,
            channels: r.u16()?,
            sample_rate: r.u32()?,
            avg_bytes_per_sec: r.u32()?,
            block_align: r.u16()?,
            ..Default::default()
        };
        // The 14-byte WAVEFORMAT and 16-byte PCMWAVEFORMAT forms stop early.
        if r.remaining() >= 2 {
            w.bits_per_sample = r.u16()?;
        }
        if r.remaining() >= 2 {
            let cb = usize::from(r.u16()?);
            let n = cb.min(r.remaining());
            w.extra = r.bytes(n)?.to_vec();
        }
        Ok(w)
    }

    /// The full 18 + cbSize byte structure.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(18 + self.extra.len());
        o.extend_from_slice(&self.format_tag.to_le_bytes());
        o.extend_from_slice(&self.channels.to_le_bytes());
        o.extend_from_slice(&self.sample_rate.to_le_bytes());
        o.extend_from_slice(&self.avg_bytes_per_sec.to_le_bytes());
        o.extend_from_slice(&self.block_align.to_le_bytes());
        o.extend_from_slice(&self.bits_per_sample.to_le_bytes());
        let cb = u16::try_from(self.extra.len()).unwrap_or(u16::MAX);
        o.extend_from_slice(&cb.to_le_bytes());
        o.extend_from_slice(&self.extra[..usize::from(cb)]);
        o
    }
}

/// Audio Spread error-correction parameters (ASF spec 3.3, "Audio spread").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AudioSpread {
    pub span: u8,
    pub virtual_packet_len: u16,
    pub virtual_chunk_len: u16,
    pub silence: Vec<u8>,
}

impl AudioSpread {
    fn parse(b: &[u8]) -> Result<AudioSpread> {
        let mut r = Reader::new(b, 0, "audio spread data");
        let span = r.u8()?;
        let virtual_packet_len = r.u16()?;
        let virtual_chunk_len = r.u16()?;
        let silence = if r.remaining() >= 2 {
            let n = usize::from(r.u16()?).min(r.remaining());
            r.bytes(n)?.to_vec()
        } else {
            Vec::new()
        };
        Ok(AudioSpread {
            span,
            virtual_packet_len,
            virtual_chunk_len,
            silence,
        })
    }

    /// Whether descrambling does anything: FFmpeg's rule, `C != 0 && P % C == 0 && P / C > 1`,
    /// and a span above one.
    pub fn is_active(&self) -> bool {
        let (p, c) = (self.virtual_packet_len, self.virtual_chunk_len);
        self.span > 1 && c != 0 && p % c == 0 && p / c > 1
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut o = vec![self.span];
        o.extend_from_slice(&self.virtual_packet_len.to_le_bytes());
        o.extend_from_slice(&self.virtual_chunk_len.to_le_bytes());
        let n = u16::try_from(self.silence.len()).unwrap_or(u16::MAX);
        o.extend_from_slice(&n.to_le_bytes());
        o.extend_from_slice(&self.silence[..usize::from(n)]);
        o
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamKind {
    Audio,
    Video,
    Command,
    Other(Guid),
}

/// Stream Properties Object (ASF spec 3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamProperties {
    pub number: u8,
    pub kind: StreamKind,
    pub time_offset: u64,
    pub encrypted: bool,
    pub type_specific: Vec<u8>,
    pub error_correction_type: Guid,
    pub error_correction: Vec<u8>,
    /// Parsed WAVEFORMATEX for audio streams.
    pub audio: Option<WaveFormatEx>,
    /// Parsed spread parameters when the error correction type is Audio Spread.
    pub spread: Option<AudioSpread>,
}

/// Extended Stream Properties Object (ASF spec 4.1), the fields a player uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtendedStreamProperties {
    pub stream_number: u8,
    pub data_bitrate: u32,
    pub buffer_size: u32,
    pub max_object_size: u32,
    pub avg_time_per_frame: u64,
    pub names: Vec<String>,
    /// Index into the header's Language List (`Header::languages`).
    pub language_index: u16,
}

/// Content Description Object (ASF spec 3.10).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentDescription {
    pub title: String,
    pub author: String,
    pub copyright: String,
    pub description: String,
    pub rating: String,
}

/// A typed value from Extended Content Description or Metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagValue {
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
    U32(u32),
    U64(u64),
    U16(u16),
    Guid(Guid),
}

impl TagValue {
    /// A one-line text form for display.
    pub fn display(&self) -> String {
        match self {
            TagValue::Text(s) => s.clone(),
            TagValue::Bytes(b) => format!("<{} bytes>", b.len()),
            TagValue::Bool(b) => b.to_string(),
            TagValue::U32(v) => v.to_string(),
            TagValue::U64(v) => v.to_string(),
            TagValue::U16(v) => v.to_string(),
            TagValue::Guid(g) => g.to_string(),
        }
    }
}

/// A name/value pair from Extended Content Description, Metadata or Metadata Library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// 0 for file-wide tags.
    pub stream: u16,
    pub name: String,
    pub value: TagValue,
}

/// One Codec List entry (ASF spec 3.8), display only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecEntry {
    /// 1 video, 2 audio, 0xFFFF unknown.
    pub kind: u16,
    pub name: String,
    pub description: String,
    pub info: Vec<u8>,
}

/// A script command from the header's Script Command Object (ASF spec 3.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptCommand {
    pub time_ms: u32,
    pub kind: String,
    pub text: String,
}

/// Everything the player needs from an ASF Header Object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub file: FileProperties,
    pub streams: Vec<StreamProperties>,
    pub extended_streams: Vec<ExtendedStreamProperties>,
    /// Stream Bitrate Properties: (stream number, average bitrate).
    pub bitrates: Vec<(u8, u32)>,
    /// Bitrate Mutual Exclusion and Advanced Mutual Exclusion objects, in header order.
    pub exclusions: Vec<MutualExclusion>,
    /// The Language List: lower-case BCP 47 tags, indexed by `language_index`.
    pub languages: Vec<String>,
    pub content: ContentDescription,
    pub tags: Vec<Tag>,
    pub codecs: Vec<CodecEntry>,
    pub script_commands: Vec<ScriptCommand>,
    /// DRM objects are present: payloads are encrypted.
    pub drm: bool,
    /// Byte length of the Header Object.
    pub len: usize,
}

impl Header {
    /// The fixed data packet size. ASF requires min == max; when a transport zeroed the minimum
    /// (RTSP does), the maximum still holds.
    pub fn packet_size(&self) -> u32 {
        self.file.max_packet_size
    }

    pub fn stream(&self, number: u8) -> Option<&StreamProperties> {
        self.streams.iter().find(|s| s.number == number)
    }

    /// The declared average bitrate of a stream: Stream Bitrate Properties, else Extended Stream
    /// Properties, else the WAVEFORMATEX byte rate.
    pub fn stream_bitrate(&self, number: u8) -> u32 {
        if let Some((_, b)) = self.bitrates.iter().find(|(n, _)| *n == number) {
            return *b;
        }
        if let Some(e) = self
            .extended_streams
            .iter()
            .find(|e| e.stream_number == number)
            && e.data_bitrate != 0
        {
            return e.data_bitrate;
        }
        self.stream(number)
            .and_then(|s| s.audio.as_ref())
            .map(|w| w.avg_bytes_per_sec.saturating_mul(8))
            .unwrap_or(0)
    }

    /// The first text value of a tag, by name, case-insensitive.
    pub fn tag_text(&self, name: &str) -> Option<String> {
        self.tags
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .map(|t| t.value.display())
    }
}

/// Reads the size of the Header Object from its first 24 bytes, checked against the limit.
/// Transports use it to know how many header bytes to wait for.
pub fn header_object_len(prefix: &[u8]) -> Result<usize> {
    let mut r = Reader::new(prefix, 0, "Header Object");
    if r.guid()? != guid::HEADER {
        return Err(AsfError::NotAsf);
    }
    let size = r.u64()?;
    if size < HEADER_FIXED_LEN as u64 {
        return Err(AsfError::Invalid {
            what: "Header Object size",
            offset: 16,
        });
    }
    if size > MAX_HEADER_SIZE {
        return Err(AsfError::LimitExceeded {
            what: "Header Object size",
            value: size,
            limit: MAX_HEADER_SIZE,
        });
    }
    Ok(size as usize)
}

/// Parses a Header Object. `buf` starts with it; bytes after it (the Data Object) are ignored.
pub fn parse_header(buf: &[u8]) -> Result<Header> {
    let len = header_object_len(buf)?;
    if buf.len() < len {
        return Err(AsfError::Truncated {
            what: "Header Object",
            offset: buf.len(),
        });
    }
    let mut r = Reader::new(&buf[..len], 0, "Header Object");
    r.skip(24)?;
    let count = r.u32()?;
    if count > MAX_HEADER_OBJECTS {
        return Err(AsfError::LimitExceeded {
            what: "header object count",
            value: u64::from(count),
            limit: u64::from(MAX_HEADER_OBJECTS),
        });
    }
    r.skip(2)?;
    let mut h = Header {
        len,
        ..Default::default()
    };
    let mut have_file_properties = false;
    // Walk by size rather than by the declared count: some muxers miscount.
    let mut walked = 0u32;
    while r.remaining() >= 24 && walked < MAX_HEADER_OBJECTS {
        walked += 1;
        let (id, body, body_offset) = next_object(&mut r)?;
        match id {
            guid::FILE_PROPERTIES => {
                h.file = parse_file_properties(body, body_offset)?;
                have_file_properties = true;
            }
            guid::STREAM_PROPERTIES => push_stream(&mut h, parse_stream(body, body_offset)?)?,
            guid::HEADER_EXTENSION => parse_header_extension(&mut h, body, body_offset)?,
            guid::CONTENT_DESCRIPTION => h.content = parse_content(body, body_offset)?,
            guid::EXTENDED_CONTENT_DESCRIPTION => parse_ext_content(&mut h, body, body_offset)?,
            guid::STREAM_BITRATE_PROPERTIES => parse_bitrates(&mut h, body, body_offset)?,
            guid::CODEC_LIST => parse_codec_list(&mut h, body, body_offset)?,
            guid::SCRIPT_COMMAND => parse_script_commands(&mut h, body, body_offset)?,
            guid::BITRATE_MUTUAL_EXCLUSION => h.exclusions.extend(parse_exclusion(body)),
            guid::CONTENT_ENCRYPTION | guid::EXTENDED_CONTENT_ENCRYPTION => h.drm = true,
            _ => {}
        }
    }
    if !have_file_properties {
        return Err(AsfError::Missing("File Properties Object"));
    }
    // Streams embedded in the Header Extension come before the top-level ones in the bytes;
    // list them by number, so "the first stream" means the same whatever the layout.
    h.streams.sort_by_key(|s| s.number);
    Ok(h)
}

/// Reads one object header and returns its GUID, its body and the body's offset.
fn next_object<'a>(r: &mut Reader<'a>) -> Result<(Guid, &'a [u8], usize)> {
    let start = r.offset();
    let id = r.guid()?;
    let size = r.u64()?;
    if size < 24 || size - 24 > r.remaining() as u64 {
        return Err(AsfError::Invalid {
            what: "object size",
            offset: start + 16,
        });
    }
    let body_offset = r.offset();
    let body = r.bytes((size - 24) as usize)?;
    Ok((id, body, body_offset))
}

fn push_stream(h: &mut Header, s: StreamProperties) -> Result<()> {
    if h.streams.len() >= MAX_STREAMS {
        return Err(AsfError::LimitExceeded {
            what: "stream count",
            value: h.streams.len() as u64 + 1,
            limit: MAX_STREAMS as u64,
        });
    }
    // A stream declared twice (top level and inside Extended Stream Properties) keeps the first.
    if h.stream(s.number).is_none() {
        h.streams.push(s);
    }
    Ok(())
}

fn parse_file_properties(b: &[u8], base: usize) -> Result<FileProperties> {
    let mut r = Reader::new(b, base, "File Properties Object");
    let file_id = r.guid()?;
    let file_size = r.u64()?;
    let creation_date = r.u64()?;
    let data_packets = r.u64()?;
    let play_duration = r.u64()?;
    let send_duration = r.u64()?;
    let preroll_ms = r.u64()?;
    let flags = r.u32()?;
    let min_packet_size = r.u32()?;
    let max_packet_size = r.u32()?;
    let max_bitrate = r.u32()?;
    if max_packet_size == 0 {
        return Err(AsfError::Zero {
            what: "the data packet size",
            offset: r.offset() - 8,
        });
    }
    if max_packet_size > MAX_PACKET_SIZE {
        return Err(AsfError::LimitExceeded {
            what: "data packet size",
            value: u64::from(max_packet_size),
            limit: u64::from(MAX_PACKET_SIZE),
        });
    }
    Ok(FileProperties {
        file_id,
        file_size,
        creation_date,
        data_packets,
        play_duration,
        send_duration,
        preroll_ms,
        broadcast: flags & 1 != 0,
        seekable: flags & 2 != 0,
        min_packet_size,
        max_packet_size,
        max_bitrate,
    })
}

fn parse_stream(b: &[u8], base: usize) -> Result<StreamProperties> {
    let mut r = Reader::new(b, base, "Stream Properties Object");
    let kind_guid = r.guid()?;
    let error_correction_type = r.guid()?;
    let time_offset = r.u64()?;
    let ts_len = r.u32()? as usize;
    let ec_len = r.u32()? as usize;
    let flags = r.u16()?;
    r.skip(4)?;
    let type_specific = r.bytes(ts_len)?.to_vec();
    let error_correction = r.bytes(ec_len)?.to_vec();
    let number = (flags & 0x7F) as u8;
    if number == 0 {
        return Err(AsfError::Invalid {
            what: "stream number 0",
            offset: base + 48,
        });
    }
    let kind = match kind_guid {
        guid::AUDIO_MEDIA => StreamKind::Audio,
        guid::VIDEO_MEDIA => StreamKind::Video,
        guid::COMMAND_MEDIA => StreamKind::Command,
        g => StreamKind::Other(g),
    };
    let audio = match kind {
        StreamKind::Audio => Some(WaveFormatEx::parse(&type_specific)?),
        _ => None,
    };
    let spread = if error_correction_type == guid::AUDIO_SPREAD {
        AudioSpread::parse(&error_correction).ok()
    } else {
        None
    };
    Ok(StreamProperties {
        number,
        kind,
        time_offset,
        encrypted: flags & 0x8000 != 0,
        type_specific,
        error_correction_type,
        error_correction,
        audio,
        spread,
    })
}

fn parse_header_extension(h: &mut Header, b: &[u8], base: usize) -> Result<()> {
    let mut r = Reader::new(b, base, "Header Extension Object");
    r.skip(18)?;
    let data_len = r.u32()? as usize;
    let data = r.bytes(data_len.min(r.remaining()))?;
    let mut r = Reader::new(data, base + 22, "Header Extension data");
    let mut walked = 0u32;
    while r.remaining() >= 24 && walked < MAX_HEADER_OBJECTS {
        walked += 1;
        let (id, body, off) = next_object(&mut r)?;
        match id {
            guid::EXTENDED_STREAM_PROPERTIES => parse_extended_stream(h, body, off)?,
            guid::METADATA => parse_metadata(h, body, off, false)?,
            guid::METADATA_LIBRARY => parse_metadata(h, body, off, true)?,
            guid::ADVANCED_MUTUAL_EXCLUSION => h.exclusions.extend(parse_exclusion(body)),
            guid::LANGUAGE_LIST => {
                if let Some(l) = parse_language_list(body) {
                    h.languages = l;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse_extended_stream(h: &mut Header, b: &[u8], base: usize) -> Result<()> {
    let mut r = Reader::new(b, base, "Extended Stream Properties Object");
    r.skip(16)?; // start and end time
    let data_bitrate = r.u32()?;
    let buffer_size = r.u32()?;
    r.skip(16)?; // initial fullness, alternate bitrate, buffer size and fullness
    let max_object_size = r.u32()?;
    r.skip(4)?; // flags
    let stream_number = (r.u16()? & 0x7F) as u8;
    let language_index = r.u16()?;
    let avg_time_per_frame = r.u64()?;
    let name_count = r.u16()?;
    let ext_count = r.u16()?;
    let mut names = Vec::new();
    for _ in 0..name_count {
        r.skip(2)?;
        let n = usize::from(r.u16()?);
        names.push(utf16le(r.bytes(n)?));
    }
    for _ in 0..ext_count {
        r.skip(18)?; // system GUID and data size
        let n = r.u32()? as usize;
        r.skip(n)?;
    }
    h.extended_streams.push(ExtendedStreamProperties {
        stream_number,
        data_bitrate,
        buffer_size,
        max_object_size,
        avg_time_per_frame,
        names,
        language_index,
    });
    // An optional Stream Properties Object may follow (hidden / MBR streams).
    if r.remaining() >= 24 {
        let (id, body, off) = next_object(&mut r)?;
        if id == guid::STREAM_PROPERTIES {
            push_stream(h, parse_stream(body, off)?)?;
        }
    }
    Ok(())
}

fn parse_content(b: &[u8], base: usize) -> Result<ContentDescription> {
    let mut r = Reader::new(b, base, "Content Description Object");
    let mut lens = [0usize; 5];
    for l in &mut lens {
        *l = usize::from(r.u16()?);
    }
    let mut s = [const { String::new() }; 5];
    for (i, l) in lens.iter().enumerate() {
        s[i] = utf16le(r.bytes(*l)?);
    }
    let [title, author, copyright, description, rating] = s;
    Ok(ContentDescription {
        title,
        author,
        copyright,
        description,
        rating,
    })
}

fn check_count(what: &'static str, n: usize) -> Result<()> {
    if n > MAX_DESCRIPTORS {
        return Err(AsfError::LimitExceeded {
            what,
            value: n as u64,
            limit: MAX_DESCRIPTORS as u64,
        });
    }
    Ok(())
}

/// Decodes a typed value. `bool_len` differs: 4 bytes in Extended Content Description, 2 in
/// Metadata (ASF spec 3.11 and 4.7).
fn tag_value(kind: u16, v: &[u8]) -> TagValue {
    let le = |n: usize| -> u64 {
        let mut a = [0u8; 8];
        let k = n.min(v.len());
        a[..k].copy_from_slice(&v[..k]);
        u64::from_le_bytes(a)
    };
    match kind {
        0 => TagValue::Text(utf16le(v)),
        2 => TagValue::Bool(le(4) != 0),
        3 => TagValue::U32(le(4) as u32),
        4 => TagValue::U64(le(8)),
        5 => TagValue::U16(le(2) as u16),
        6 if v.len() >= 16 => {
            let mut g = [0u8; 16];
            g.copy_from_slice(&v[..16]);
            TagValue::Guid(Guid(g))
        }
        _ => TagValue::Bytes(v.to_vec()),
    }
}

fn parse_ext_content(h: &mut Header, b: &[u8], base: usize) -> Result<()> {
    let mut r = Reader::new(b, base, "Extended Content Description Object");
    let count = usize::from(r.u16()?);
    check_count("extended content descriptor count", count)?;
    for _ in 0..count {
        let name_len = usize::from(r.u16()?);
        let name = utf16le(r.bytes(name_len)?);
        let kind = r.u16()?;
        let vlen = usize::from(r.u16()?);
        let value = tag_value(kind, r.bytes(vlen)?);
        h.tags.push(Tag {
            stream: 0,
            name,
            value,
        });
    }
    Ok(())
}

fn parse_metadata(h: &mut Header, b: &[u8], base: usize, library: bool) -> Result<()> {
    let what = if library {
        "Metadata Library Object"
    } else {
        "Metadata Object"
    };
    let mut r = Reader::new(b, base, what);
    let count = usize::from(r.u16()?);
    check_count("metadata record count", count)?;
    for _ in 0..count {
        r.skip(2)?;
        let stream = r.u16()?;
        let name_len = usize::from(r.u16()?);
        let kind = r.u16()?;
        let dlen = r.u32()? as usize;
        let name = utf16le(r.bytes(name_len)?);
        let value = tag_value(kind, r.bytes(dlen)?);
        h.tags.push(Tag {
            stream,
            name,
            value,
        });
    }
    Ok(())
}

fn parse_bitrates(h: &mut Header, b: &[u8], base: usize) -> Result<()> {
    let mut r = Reader::new(b, base, "Stream Bitrate Properties Object");
    let count = usize::from(r.u16()?);
    check_count("bitrate record count", count)?;
    for _ in 0..count {
        let flags = r.u16()?;
        let rate = r.u32()?;
        h.bitrates.push(((flags & 0x7F) as u8, rate));
    }
    Ok(())
}

fn parse_codec_list(h: &mut Header, b: &[u8], base: usize) -> Result<()> {
    let mut r = Reader::new(b, base, "Codec List Object");
    r.skip(16)?;
    let count = r.u32()? as usize;
    check_count("codec entry count", count)?;
    for _ in 0..count {
        let kind = r.u16()?;
        // Name and description lengths count WCHARs, not bytes.
        let n = usize::from(r.u16()?) * 2;
        let name = utf16le(r.bytes(n)?);
        let d = usize::from(r.u16()?) * 2;
        let description = utf16le(r.bytes(d)?);
        let i = usize::from(r.u16()?);
        let info = r.bytes(i)?.to_vec();
        h.codecs.push(CodecEntry {
            kind,
            name,
            description,
            info,
        });
    }
    Ok(())
}

fn parse_script_commands(h: &mut Header, b: &[u8], base: usize) -> Result<()> {
    let mut r = Reader::new(b, base, "Script Command Object");
    r.skip(16)?;
    let commands = usize::from(r.u16()?);
    let types = usize::from(r.u16()?);
    check_count("script command count", commands)?;
    check_count("script command type count", types)?;
    let mut names = Vec::with_capacity(types);
    for _ in 0..types {
        let n = usize::from(r.u16()?) * 2;
        names.push(utf16le(r.bytes(n)?));
    }
    for _ in 0..commands {
        let time_ms = r.u32()?;
        let t = usize::from(r.u16()?);
        let n = usize::from(r.u16()?) * 2;
        let text = utf16le(r.bytes(n)?);
        let kind = names.get(t).cloned().unwrap_or_default();
        h.script_commands.push(ScriptCommand {
            time_ms,
            kind,
            text,
        });
    }
    Ok(())
}

/// The Data Object's fixed part: how many packets follow (invalid for broadcasts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataObject {
    pub size: u64,
    pub file_id: Guid,
    pub total_packets: u64,
}

/// Parses the 50-byte Data Object prefix.
pub fn parse_data_object(b: &[u8]) -> Result<DataObject> {
    let mut r = Reader::new(b, 0, "Data Object");
    if r.guid()? != guid::DATA {
        return Err(AsfError::Invalid {
            what: "Data Object GUID",
            offset: 0,
        });
    }
    let size = r.u64()?;
    let file_id = r.guid()?;
    let total_packets = r.u64()?;
    r.skip(2)?;
    Ok(DataObject {
        size,
        file_id,
        total_packets,
    })
}
