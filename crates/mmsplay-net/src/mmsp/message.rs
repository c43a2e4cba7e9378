//! The MMS messages ([MS-MMSP] 2.2.4) a player and our server exchange, as typed values.
//! Encoders write the spec layouts; decoders accept the client quirks listed in protocols.md
//! 6.1/6A.5 (short bodies, junk playIncarnations, malformed GUIDs) because real peers send them.

use super::framing::{CodecError, Reader, Writer, encode_command, utf16_until_nul, utf16z_units};
use crate::stream::Acceleration;

pub mod mid {
    //! Message IDs ([MS-MMSP] 2.2.4).
    pub const CONNECT: u32 = 0x0003_0001;
    pub const CONNECT_FUNNEL: u32 = 0x0003_0002;
    pub const OPEN_FILE: u32 = 0x0003_0005;
    pub const START_PLAYING: u32 = 0x0003_0007;
    pub const STOP_PLAYING: u32 = 0x0003_0009;
    pub const CLOSE_FILE: u32 = 0x0003_000D;
    pub const READ_BLOCK: u32 = 0x0003_0015;
    pub const FUNNEL_INFO: u32 = 0x0003_0018;
    pub const SECURITY_RESPONSE: u32 = 0x0003_001A;
    pub const PONG: u32 = 0x0003_001B;
    pub const CANCEL_READ_BLOCK: u32 = 0x0003_0025;
    pub const START_STRIDING: u32 = 0x0003_0028;
    pub const LOGGING: u32 = 0x0003_0032;
    pub const STREAM_SWITCH: u32 = 0x0003_0033;

    pub const REPORT_CONNECTED_EX: u32 = 0x0004_0001;
    pub const REPORT_CONNECTED_FUNNEL: u32 = 0x0004_0002;
    pub const REPORT_DISCONNECTED_FUNNEL: u32 = 0x0004_0003;
    pub const REPORT_STARTED_PLAYING: u32 = 0x0004_0005;
    pub const REPORT_OPEN_FILE: u32 = 0x0004_0006;
    pub const REPORT_START_STRIDING: u32 = 0x0004_000A;
    pub const REPORT_READ_BLOCK: u32 = 0x0004_0011;
    pub const REPORT_FUNNEL_INFO: u32 = 0x0004_0015;
    pub const SECURITY_CHALLENGE: u32 = 0x0004_001A;
    pub const PING: u32 = 0x0004_001B;
    pub const REPORT_END_OF_STREAM: u32 = 0x0004_001E;
    pub const REPORT_STREAM_CHANGE: u32 = 0x0004_0020;
    pub const REPORT_STREAM_SWITCH: u32 = 0x0004_0021;
    pub const REPORT_REDIRECT: u32 = 0x0004_0022;
}

/// The incarnation of the header Data packets a server sends on TCP after ReportStreamChange
/// ([MS-MMSP] 2.2.4.12 dwTcpHdrIncarnation, 3.2.4.2).
pub const STREAM_CHANGE_INCARNATION: u32 = 0xFF;

/// One STREAM_SWITCH_ENTRY ([MS-MMSP] 2.2.4.28.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSwitchEntry {
    pub src: u16,
    pub dst: u16,
    /// 0 = all, 1 = key frames only, 2 = off.
    pub thinning: u16,
}

/// Largest StreamSwitch entry count we decode (ASF allows 127 streams).
const MAX_SWITCH_ENTRIES: u32 = 128;
/// Longest UTF-16 string field we decode, in bytes.
const MAX_STRING_BYTES: usize = 4096;

/// Messages a client sends.
#[derive(Clone, Debug, PartialEq)]
pub enum FromClient {
    /// 2.2.4.17
    Connect {
        play_incarnation: u32,
        subscriber: String,
    },
    /// 2.2.4.19
    FunnelInfo { play_incarnation: u32 },
    /// 2.2.4.18
    ConnectFunnel { max_bit_rate: u32, funnel: String },
    /// 2.2.4.21
    OpenFile {
        play_incarnation: u32,
        file_name: String,
    },
    /// 2.2.4.23
    ReadBlock {
        open_file_id: u32,
        play_incarnation: u32,
    },
    /// 2.2.4.28
    StreamSwitch { entries: Vec<StreamSwitchEntry> },
    /// 2.2.4.25
    StartPlaying {
        open_file_id: u32,
        /// Seconds, or f64::MAX when asf_offset / location_id say where.
        position: f64,
        asf_offset: u32,
        location_id: u32,
        play_incarnation: u32,
        /// dwAccelBandwidth and dwAccelDuration (fast start), when asked for.
        accelerate: Option<Acceleration>,
    },
    /// 2.2.4.27
    StopPlaying {
        open_file_id: u32,
        play_incarnation: u32,
    },
    /// 2.2.4.22
    Pong,
    /// 2.2.4.16
    CloseFile { open_file_id: u32 },
    /// 2.2.4.15
    CancelReadBlock { play_incarnation: u32 },
    /// 2.2.4.20 (content ignored)
    Logging,
    /// Anything else (StartStriding, SecurityResponse, unknown MIDs).
    Other { mid: u32 },
}

/// The fields of ReportOpenFile ([MS-MMSP] 2.2.4.7) that matter.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenFileReport {
    pub hr: u32,
    pub play_incarnation: u32,
    pub open_file_id: u32,
    pub attributes: u32,
    /// Seconds; 0 for live.
    pub duration_s: f64,
    pub packet_size: u32,
    /// 0 when unknown (live).
    pub packet_count: u64,
    pub bit_rate: u32,
    pub header_size: u32,
}

/// Messages a server sends.
#[derive(Clone, Debug, PartialEq)]
pub enum FromServer {
    /// 2.2.4.2
    ReportConnectedEx {
        hr: u32,
        play_incarnation: u32,
        server_version: String,
        auth_package: String,
    },
    /// 2.2.4.6
    ReportFunnelInfo {
        hr: u32,
        play_incarnation: u32,
        client_id: u32,
    },
    /// 2.2.4.3
    ReportConnectedFunnel { hr: u32 },
    /// 2.2.4.4
    ReportDisconnectedFunnel { hr: u32 },
    /// 2.2.4.7
    ReportOpenFile(OpenFileReport),
    /// 2.2.4.8
    ReportReadBlock { hr: u32, play_incarnation: u32 },
    /// 2.2.4.13
    ReportStreamSwitch { hr: u32 },
    /// 2.2.4.10
    ReportStartedPlaying {
        hr: u32,
        play_incarnation: u32,
        tiger_file_id: u32,
    },
    /// 2.2.4.1
    Ping,
    /// 2.2.4.5
    ReportEndOfStream { hr: u32, play_incarnation: u32 },
    /// 2.2.4.12: a server-side playlist's next entry starts; its packet size, header size and
    /// bit rate (dwTcpHdrIncarnation is always 0xFF, dwStreamId 0).
    ReportStreamChange {
        hr: u32,
        packet_size: u32,
        header_size: u32,
        bit_rate: u32,
    },
    /// 2.2.4.9
    ReportRedirect { hr: u32, location: String },
    /// 2.2.4.14
    SecurityChallenge,
    /// Anything else.
    Other { mid: u32, hr: Option<u32> },
}

fn utf16_field(b: &[u8]) -> String {
    utf16_until_nul(&b[..b.len().min(MAX_STRING_BYTES)])
}

impl FromClient {
    pub fn mid(&self) -> u32 {
        match self {
            FromClient::Connect { .. } => mid::CONNECT,
            FromClient::FunnelInfo { .. } => mid::FUNNEL_INFO,
            FromClient::ConnectFunnel { .. } => mid::CONNECT_FUNNEL,
            FromClient::OpenFile { .. } => mid::OPEN_FILE,
            FromClient::ReadBlock { .. } => mid::READ_BLOCK,
            FromClient::StreamSwitch { .. } => mid::STREAM_SWITCH,
            FromClient::StartPlaying { .. } => mid::START_PLAYING,
            FromClient::StopPlaying { .. } => mid::STOP_PLAYING,
            FromClient::Pong => mid::PONG,
            FromClient::CloseFile { .. } => mid::CLOSE_FILE,
            FromClient::CancelReadBlock { .. } => mid::CANCEL_READ_BLOCK,
            FromClient::Logging => mid::LOGGING,
            FromClient::Other { mid } => *mid,
        }
    }

    /// The message body (the bytes after the MID), spec layout.
    pub fn body(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            FromClient::Connect {
                play_incarnation,
                subscriber,
            } => {
                w.u32(*play_incarnation)
                    .u32(super::MAC_TO_VIEWER_REVISION)
                    .u32(super::VIEWER_TO_MAC_REVISION)
                    .utf16z(subscriber);
            }
            FromClient::FunnelInfo { play_incarnation } => {
                w.u32(*play_incarnation);
            }
            FromClient::ConnectFunnel {
                max_bit_rate,
                funnel,
            } => {
                // playIncarnation 0, maxBlockBytes 0xFFFFFFFF, maxFunnelBytes 0, funnelMode 2.
                w.u32(0)
                    .u32(0xFFFF_FFFF)
                    .u32(0)
                    .u32(*max_bit_rate)
                    .u32(2)
                    .utf16z(funnel);
            }
            FromClient::OpenFile {
                play_incarnation,
                file_name,
            } => {
                // spare 0, token 0, cbtoken 0: no authentication data.
                w.u32(*play_incarnation)
                    .u32(0)
                    .u32(0)
                    .u32(0)
                    .utf16z(file_name);
            }
            FromClient::ReadBlock {
                open_file_id,
                play_incarnation,
            } => {
                w.u32(*open_file_id)
                    .u32(0) // fileBlockId
                    .u32(0) // offset
                    .u32(0x8000) // length
                    .u32(0xFFFF_FFFF) // flags
                    .u32(0) // padding
                    .f64(0.0) // tEarliest
                    .f64(3600.0) // tDeadline
                    .u32(*play_incarnation)
                    .u32(0); // playSequence
            }
            FromClient::StreamSwitch { entries } => {
                w.u32(entries.len() as u32);
                for e in entries {
                    w.u16(e.src).u16(e.dst).u16(e.thinning);
                }
            }
            FromClient::StartPlaying {
                open_file_id,
                position,
                asf_offset,
                location_id,
                play_incarnation,
                accelerate,
            } => {
                w.u32(*open_file_id)
                    .u32(0) // padding
                    .f64(*position)
                    .u32(*asf_offset)
                    .u32(*location_id)
                    .u32(0) // frameOffset: play to the end
                    .u32(*play_incarnation);
                if let Some(a) = accelerate {
                    // dwLinkBandwidth is left out: we do not know the link.
                    w.u32(a.bandwidth_bps).u32(a.duration_ms);
                }
            }
            FromClient::StopPlaying {
                open_file_id,
                play_incarnation,
            } => {
                w.u32(*open_file_id).u32(*play_incarnation);
            }
            FromClient::Pong => {
                w.u32(0).u32(0);
            }
            FromClient::CloseFile { open_file_id } => {
                w.u32(0).u32(*open_file_id);
            }
            FromClient::CancelReadBlock { play_incarnation } => {
                w.u32(*play_incarnation);
            }
            FromClient::Logging | FromClient::Other { .. } => {}
        }
        w.buf
    }

    /// A whole command packet with sequence number `seq`.
    pub fn encode(&self, seq: u32) -> Vec<u8> {
        encode_command(seq, self.mid(), &self.body())
    }

    /// Decodes a client message body. Lenient: fields that real clients leave out read as 0.
    pub fn decode(mid: u32, body: &[u8]) -> Result<FromClient, CodecError> {
        let mut r = Reader::new(body, "a client message");
        Ok(match mid {
            mid::CONNECT => {
                let play_incarnation = r.u32()?;
                r.skip(8)?;
                FromClient::Connect {
                    play_incarnation,
                    subscriber: utf16_field(r.rest()),
                }
            }
            mid::FUNNEL_INFO => FromClient::FunnelInfo {
                play_incarnation: r.u32_or_zero(),
            },
            mid::CONNECT_FUNNEL => {
                r.skip(12)?;
                let max_bit_rate = r.u32()?;
                r.skip(4)?;
                FromClient::ConnectFunnel {
                    max_bit_rate,
                    funnel: utf16_field(r.rest()),
                }
            }
            mid::OPEN_FILE => {
                let play_incarnation = r.u32()?;
                r.skip(12)?;
                FromClient::OpenFile {
                    play_incarnation,
                    file_name: utf16_field(r.rest()),
                }
            }
            mid::READ_BLOCK => {
                let open_file_id = r.u32()?;
                r.skip(36)?;
                FromClient::ReadBlock {
                    open_file_id,
                    play_incarnation: r.u32()?,
                }
            }
            mid::STREAM_SWITCH => {
                let n = r.u32()?;
                if n > MAX_SWITCH_ENTRIES {
                    return Err(CodecError::TooLong {
                        what: "a stream switch list",
                        len: u64::from(n),
                        max: u64::from(MAX_SWITCH_ENTRIES),
                    });
                }
                let mut entries = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    entries.push(StreamSwitchEntry {
                        src: r.u16()?,
                        dst: r.u16()?,
                        thinning: r.u16()?,
                    });
                }
                FromClient::StreamSwitch { entries }
            }
            mid::START_PLAYING => {
                let open_file_id = r.u32()?;
                r.skip(4)?;
                let position = r.f64()?;
                let asf_offset = r.u32()?;
                let location_id = r.u32()?;
                r.skip(4)?;
                let play_incarnation = r.u32()?;
                // Optional; the zeros of chunk padding ask for nothing.
                let (bandwidth_bps, duration_ms) = (r.u32_or_zero(), r.u32_or_zero());
                FromClient::StartPlaying {
                    open_file_id,
                    position,
                    asf_offset,
                    location_id,
                    play_incarnation,
                    accelerate: (bandwidth_bps > 0 && duration_ms > 0).then_some(Acceleration {
                        bandwidth_bps,
                        duration_ms,
                    }),
                }
            }
            mid::STOP_PLAYING => FromClient::StopPlaying {
                open_file_id: r.u32_or_zero(),
                play_incarnation: r.u32_or_zero(),
            },
            mid::PONG => FromClient::Pong,
            mid::CLOSE_FILE => {
                r.skip(4).ok();
                FromClient::CloseFile {
                    open_file_id: r.u32_or_zero(),
                }
            }
            mid::CANCEL_READ_BLOCK => FromClient::CancelReadBlock {
                play_incarnation: r.u32_or_zero(),
            },
            mid::LOGGING => FromClient::Logging,
            other => FromClient::Other { mid: other },
        })
    }
}

impl FromServer {
    pub fn mid(&self) -> u32 {
        match self {
            FromServer::ReportConnectedEx { .. } => mid::REPORT_CONNECTED_EX,
            FromServer::ReportFunnelInfo { .. } => mid::REPORT_FUNNEL_INFO,
            FromServer::ReportConnectedFunnel { .. } => mid::REPORT_CONNECTED_FUNNEL,
            FromServer::ReportDisconnectedFunnel { .. } => mid::REPORT_DISCONNECTED_FUNNEL,
            FromServer::ReportOpenFile(_) => mid::REPORT_OPEN_FILE,
            FromServer::ReportReadBlock { .. } => mid::REPORT_READ_BLOCK,
            FromServer::ReportStreamSwitch { .. } => mid::REPORT_STREAM_SWITCH,
            FromServer::ReportStartedPlaying { .. } => mid::REPORT_STARTED_PLAYING,
            FromServer::Ping => mid::PING,
            FromServer::ReportEndOfStream { .. } => mid::REPORT_END_OF_STREAM,
            FromServer::ReportStreamChange { .. } => mid::REPORT_STREAM_CHANGE,
            FromServer::ReportRedirect { .. } => mid::REPORT_REDIRECT,
            FromServer::SecurityChallenge => mid::SECURITY_CHALLENGE,
            FromServer::Other { mid, .. } => *mid,
        }
    }

    /// The `hr` of a reply, where the message has one.
    pub fn hr(&self) -> Option<u32> {
        match self {
            FromServer::ReportConnectedEx { hr, .. }
            | FromServer::ReportFunnelInfo { hr, .. }
            | FromServer::ReportConnectedFunnel { hr }
            | FromServer::ReportDisconnectedFunnel { hr }
            | FromServer::ReportReadBlock { hr, .. }
            | FromServer::ReportStreamSwitch { hr }
            | FromServer::ReportStartedPlaying { hr, .. }
            | FromServer::ReportEndOfStream { hr, .. }
            | FromServer::ReportStreamChange { hr, .. }
            | FromServer::ReportRedirect { hr, .. } => Some(*hr),
            FromServer::ReportOpenFile(r) => Some(r.hr),
            FromServer::Other { hr, .. } => *hr,
            FromServer::Ping | FromServer::SecurityChallenge => None,
        }
    }

    /// The message body, spec layout.
    pub fn body(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            FromServer::ReportConnectedEx {
                hr,
                play_incarnation,
                server_version,
                auth_package,
            } => {
                // Empty VersionInfo and VersionUrl: no upgrade offered. Counts are UTF-16
                // characters including the NUL; an empty string has count 0 and no bytes.
                let count = |s: &str| if s.is_empty() { 0 } else { utf16z_units(s) };
                w.u32(*hr)
                    .u32(*play_incarnation)
                    .u32(super::MAC_TO_VIEWER_REVISION)
                    .u32(super::VIEWER_TO_MAC_REVISION)
                    .f64(1.0) // blockGroupPlayTime
                    .u32(1) // blockGroupBlocks
                    .u32(1) // nMaxOpenFiles
                    .u32(0x8000) // nBlockMaxBytes
                    .u32(0x0098_9680) // maxBitRate
                    .u32(count(server_version))
                    .u32(0)
                    .u32(0)
                    .u32(count(auth_package));
                if !server_version.is_empty() {
                    w.utf16z(server_version);
                }
                if !auth_package.is_empty() {
                    w.utf16z(auth_package);
                }
            }
            FromServer::ReportFunnelInfo {
                hr,
                play_incarnation,
                client_id,
            } => {
                w.u32(*hr)
                    .u32(*play_incarnation)
                    .u32(8) // transportMask
                    .u32(1) // nBlockFragments
                    .u32(0x0001_0000) // fragmentBytes
                    .u32(*client_id) // nCubs
                    .u32(0) // failedCubs
                    .u32(1) // nDisks
                    .u32(0) // decluster
                    .u32(0); // cubddDatagramSize
            }
            FromServer::ReportConnectedFunnel { hr } => {
                w.u32(*hr).u32(0).u32(0).utf16z("Funnel Of The Gods");
            }
            FromServer::ReportDisconnectedFunnel { hr } => {
                w.u32(*hr).u32(0);
            }
            FromServer::ReportOpenFile(r) => {
                let blocks = r.duration_s.max(0.0).ceil().min(f64::from(u32::MAX)) as u32;
                w.u32(r.hr)
                    .u32(r.play_incarnation)
                    .u32(r.open_file_id)
                    .u32(0) // padding
                    .u32(0) // fileName
                    .u32(r.attributes)
                    .f64(r.duration_s)
                    .u32(blocks)
                    .zeros(16)
                    .u32(r.packet_size)
                    .u64(r.packet_count)
                    .u32(r.bit_rate)
                    .u32(r.header_size)
                    .zeros(36);
            }
            FromServer::ReportReadBlock {
                hr,
                play_incarnation,
            } => {
                w.u32(*hr).u32(*play_incarnation).u32(0);
            }
            FromServer::ReportStreamSwitch { hr } => {
                w.u32(*hr);
            }
            FromServer::ReportStartedPlaying {
                hr,
                play_incarnation,
                tiger_file_id,
            } => {
                w.u32(*hr)
                    .u32(*play_incarnation)
                    .u32(*tiger_file_id)
                    .u32(0)
                    .zeros(12);
            }
            FromServer::Ping => {
                w.u32(0).u32(0);
            }
            FromServer::ReportEndOfStream {
                hr,
                play_incarnation,
            } => {
                w.u32(*hr).u32(*play_incarnation);
            }
            FromServer::ReportStreamChange {
                hr,
                packet_size,
                header_size,
                bit_rate,
            } => {
                w.u32(*hr).u32(STREAM_CHANGE_INCARNATION);
                w.u32(*packet_size).u32(*header_size).u32(*bit_rate).u32(0);
            }
            FromServer::ReportRedirect { hr, location } => {
                let units = utf16z_units(location);
                w.u32(*hr).u16(1).u16((units * 2).min(0xFFFF) as u16);
                w.utf16z(location);
            }
            FromServer::SecurityChallenge | FromServer::Other { .. } => {}
        }
        w.buf
    }

    pub fn encode(&self, seq: u32) -> Vec<u8> {
        encode_command(seq, self.mid(), &self.body())
    }

    /// Decodes a server message body. Strict about the fields a client acts on (hr, sizes),
    /// lenient about the rest, as protocols.md 6A records servers differing there.
    pub fn decode(mid: u32, body: &[u8]) -> Result<FromServer, CodecError> {
        let mut r = Reader::new(body, "a server message");
        Ok(match mid {
            mid::REPORT_CONNECTED_EX => {
                let hr = r.u32()?;
                let play_incarnation = r.u32_or_zero();
                let mut server_version = String::new();
                let mut auth_package = String::new();
                // Revisions (8), blockGroupPlayTime (8), 4 × u32: 32 bytes, then 4 counts.
                if r.skip(32).is_ok() {
                    let counts = [
                        r.u32_or_zero(),
                        r.u32_or_zero(),
                        r.u32_or_zero(),
                        r.u32_or_zero(),
                    ];
                    let strings = r.rest();
                    let mut off = 0usize;
                    for (i, c) in counts.iter().enumerate() {
                        let len = (*c as usize).saturating_mul(2);
                        let end = off.saturating_add(len).min(strings.len());
                        let s = utf16_field(&strings[off.min(end)..end]);
                        if i == 0 {
                            server_version = s;
                        } else if i == 3 {
                            auth_package = s;
                        }
                        off = end;
                    }
                }
                FromServer::ReportConnectedEx {
                    hr,
                    play_incarnation,
                    server_version,
                    auth_package,
                }
            }
            mid::REPORT_FUNNEL_INFO => {
                let hr = r.u32()?;
                let play_incarnation = r.u32_or_zero();
                r.skip(12).ok();
                FromServer::ReportFunnelInfo {
                    hr,
                    play_incarnation,
                    client_id: r.u32_or_zero(),
                }
            }
            mid::REPORT_CONNECTED_FUNNEL => FromServer::ReportConnectedFunnel { hr: r.u32()? },
            mid::REPORT_DISCONNECTED_FUNNEL => {
                FromServer::ReportDisconnectedFunnel { hr: r.u32()? }
            }
            mid::REPORT_OPEN_FILE => {
                let hr = r.u32()?;
                if hr != 0 {
                    // A failure need not carry the rest.
                    return Ok(FromServer::ReportOpenFile(OpenFileReport {
                        hr,
                        play_incarnation: r.u32_or_zero(),
                        open_file_id: 0,
                        attributes: 0,
                        duration_s: 0.0,
                        packet_size: 0,
                        packet_count: 0,
                        bit_rate: 0,
                        header_size: 0,
                    }));
                }
                let play_incarnation = r.u32()?;
                let open_file_id = r.u32()?;
                r.skip(8)?;
                let attributes = r.u32()?;
                let duration_s = r.f64()?;
                r.skip(4 + 16)?;
                let packet_size = r.u32()?;
                let packet_count = r.u64()?;
                let bit_rate = r.u32()?;
                let header_size = r.u32()?;
                FromServer::ReportOpenFile(OpenFileReport {
                    hr,
                    play_incarnation,
                    open_file_id,
                    attributes,
                    duration_s,
                    packet_size,
                    packet_count,
                    bit_rate,
                    header_size,
                })
            }
            mid::REPORT_READ_BLOCK => FromServer::ReportReadBlock {
                hr: r.u32()?,
                play_incarnation: r.u32_or_zero(),
            },
            mid::REPORT_STREAM_SWITCH => FromServer::ReportStreamSwitch { hr: r.u32()? },
            mid::REPORT_STARTED_PLAYING => FromServer::ReportStartedPlaying {
                hr: r.u32()?,
                play_incarnation: r.u32_or_zero(),
                tiger_file_id: r.u32_or_zero(),
            },
            mid::PING => FromServer::Ping,
            mid::REPORT_END_OF_STREAM => FromServer::ReportEndOfStream {
                hr: r.u32()?,
                play_incarnation: r.u32_or_zero(),
            },
            mid::REPORT_STREAM_CHANGE => {
                let hr = r.u32()?;
                let _incarnation = r.u32_or_zero();
                FromServer::ReportStreamChange {
                    hr,
                    packet_size: r.u32_or_zero(),
                    header_size: r.u32_or_zero(),
                    bit_rate: r.u32_or_zero(),
                }
            }
            mid::REPORT_REDIRECT => {
                let hr = r.u32()?;
                let _kind = r.u16()?;
                let cb = usize::from(r.u16()?);
                let rest = r.rest();
                FromServer::ReportRedirect {
                    hr,
                    location: utf16_field(&rest[..cb.min(rest.len())]),
                }
            }
            mid::SECURITY_CHALLENGE => FromServer::SecurityChallenge,
            other => FromServer::Other {
                mid: other,
                hr: r.u32().ok(),
            },
        })
    }
}
