//! The session description a Windows Media server returns to DESCRIBE ([MS-RTSP] 2.2.5):
//! the ASF header in `a=pgmpu:data:application/vnd.ms.wms-hdr.asfv1;base64,...`, the packet
//! size in `a=maxps`, and one `m=` line per ASF stream (`x-asf-pf/1000`) plus the
//! retransmission stream (`x-wms-rtx/1000`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mmsplay_asf::header::DATA_OBJECT_FIXED_LEN;
use mmsplay_asf::limits::{MAX_HEADER_SIZE, MAX_PACKET_SIZE};
use mmsplay_asf::{Header, StreamKind, guid, parse_header};

use super::{Result, RtspError};

/// The `a=pgmpu` prefix that carries the ASF header ([MS-RTSP] 2.2.5.1.3).
pub const PGMPU_ASF_PREFIX: &str = "data:application/vnd.ms.wms-hdr.asfv1;base64,";
/// RTP encoding names ([MS-RTSP] 2.2.5.2.1).
pub const ENCODING_ASF: &str = "x-asf-pf";
pub const ENCODING_RTX: &str = "x-wms-rtx";
/// The stream number of the retransmission stream ([MS-RTSP] 2.2.5.2.3: 65536 and up).
pub const RTX_STREAM: u32 = 65536;

/// One `m=` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdpMedia {
    /// `audio`, `video`, `application`.
    pub kind: String,
    /// The `a=rtpmap` encoding name (`x-asf-pf`, `x-wms-rtx`, ...), lowercase.
    pub encoding: String,
    pub payload_type: u8,
    /// `a=control`, relative or absolute, as written.
    pub control: Option<String>,
    /// `a=stream`: the ASF stream number.
    pub stream: Option<u32>,
}

impl SdpMedia {
    pub fn is_asf(&self) -> bool {
        self.encoding == ENCODING_ASF
    }
}

/// What the client needs from the SDP.
#[derive(Clone, Debug)]
pub struct WmsDescription {
    /// Session-level `a=control`.
    pub control: Option<String>,
    /// Header Object + 50-byte Data Object prefix, with the minimum packet size restored.
    pub header_bytes: Vec<u8>,
    pub header: Header,
    /// The fixed data packet size: the header's maximum packet size, else `a=maxps`.
    pub packet_size: u32,
    pub media: Vec<SdpMedia>,
}

/// Parses a DESCRIBE body. Fails with a clear reason when it is not Windows Media's.
pub fn parse(body: &[u8]) -> Result<WmsDescription> {
    let sdp =
        sdp_types::Session::parse(body).map_err(|e| RtspError::sdp(format!("bad SDP: {e}")))?;
    let mut control = None;
    let mut encoded = None;
    let mut maxps = None;
    for a in &sdp.attributes {
        let v = a.value.as_deref().unwrap_or("").trim();
        match a.attribute.as_str() {
            "control" => control = Some(v.to_string()),
            "pgmpu" => {
                if let Some(b64) = strip_prefix_ci(v, PGMPU_ASF_PREFIX) {
                    encoded = Some(b64.to_string());
                }
            }
            "maxps" => maxps = v.parse::<u32>().ok(),
            _ => {}
        }
    }
    let Some(encoded) = encoded else {
        return Err(RtspError::sdp(
            "the SDP carries no ASF header (no a=pgmpu): not a Windows Media server",
        ));
    };
    let header_bytes = decode_header(&encoded)?;
    let header = parse_header(&header_bytes)
        .map_err(|e| RtspError::sdp(format!("the ASF header in the SDP is invalid: {e}")))?;
    let mut header_bytes = with_data_prefix(header_bytes, &header);
    let packet_size = match header.packet_size() {
        0 => maxps.unwrap_or(0),
        p => p,
    };
    if packet_size == 0 || packet_size > MAX_PACKET_SIZE {
        return Err(RtspError::sdp(format!(
            "the ASF header declares an invalid packet size {packet_size}"
        )));
    }
    restore_min_packet_size(&mut header_bytes, header.len, packet_size);
    let media = sdp.medias.iter().map(parse_media).collect();
    Ok(WmsDescription {
        control,
        header_bytes,
        header,
        packet_size,
        media,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len() && s.is_char_boundary(prefix.len()) {
        let (head, tail) = s.split_at(prefix.len());
        if head.eq_ignore_ascii_case(prefix) {
            return Some(tail);
        }
    }
    None
}

fn decode_header(b64: &str) -> Result<Vec<u8>> {
    // The header and the Data Object prefix, base64: 4 characters per 3 bytes.
    let limit = (MAX_HEADER_SIZE as usize + DATA_OBJECT_FIXED_LEN) / 3 * 4 + 4;
    if b64.len() > limit {
        return Err(RtspError::Limit {
            what: "base64 ASF header in the SDP",
            value: b64.len() as u64,
            limit: limit as u64,
        });
    }
    let cleaned: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = STANDARD
        .decode(cleaned.trim_end_matches('='))
        .or_else(|_| STANDARD.decode(&cleaned))
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned.trim_end_matches('='))
        })
        .map_err(|e| RtspError::sdp(format!("the ASF header in the SDP is not base64: {e}")))?;
    if bytes.len() < 16 || bytes[..16] != guid::HEADER.0 {
        return Err(RtspError::sdp("the a=pgmpu data is not an ASF header"));
    }
    Ok(bytes)
}

/// Keeps the Header Object and the Data Object prefix; synthesizes the prefix if a server left
/// it out, so that the header event has the shape every transport gives.
fn with_data_prefix(mut bytes: Vec<u8>, header: &Header) -> Vec<u8> {
    let want = header.len + DATA_OBJECT_FIXED_LEN;
    if bytes.len() >= want && bytes[header.len..header.len + 16] == guid::DATA.0 {
        bytes.truncate(want);
        return bytes;
    }
    bytes.truncate(header.len);
    // ASF spec 3.2: Data Object header: GUID, size, File ID, total packets, reserved 0x0101.
    bytes.extend_from_slice(&guid::DATA.0);
    bytes.extend_from_slice(&0u64.to_le_bytes());
    bytes.extend_from_slice(&header.file.file_id.0);
    bytes.extend_from_slice(&header.file.data_packets.to_le_bytes());
    bytes.extend_from_slice(&[0x01, 0x01]);
    bytes
}

/// Byte offset of the File Properties Object inside a header, walking the sub-objects.
pub fn file_properties_offset(bytes: &[u8], header_len: usize) -> Option<usize> {
    let end = header_len.min(bytes.len());
    let mut pos = 30;
    while pos + 24 <= end {
        let size = u64::from_le_bytes(bytes[pos + 16..pos + 24].try_into().ok()?);
        if bytes[pos..pos + 16] == guid::FILE_PROPERTIES.0 {
            return (pos + 104 <= end).then_some(pos);
        }
        if size < 24 {
            return None;
        }
        pos = pos.checked_add(usize::try_from(size).ok()?)?;
    }
    None
}

/// RTSP servers (and ffmpeg's client) zero the Minimum Data Packet Size, since RTP packets are
/// variable-size; the packets we hand on are padded back, so the header says so again.
fn restore_min_packet_size(bytes: &mut [u8], header_len: usize, packet_size: u32) {
    if let Some(fp) = file_properties_offset(bytes, header_len) {
        // ASF spec 3.2: Minimum Data Packet Size at 92, Maximum at 96 of the object.
        let size = packet_size.to_le_bytes();
        bytes[fp + 92..fp + 96].copy_from_slice(&size);
        bytes[fp + 96..fp + 100].copy_from_slice(&size);
    }
}

fn parse_media(m: &sdp_types::Media) -> SdpMedia {
    let payload_type = m
        .fmt
        .split_whitespace()
        .next()
        .and_then(|f| f.parse::<u8>().ok())
        .unwrap_or(96);
    let mut out = SdpMedia {
        kind: m.media.to_ascii_lowercase(),
        encoding: String::new(),
        payload_type,
        control: None,
        stream: None,
    };
    for a in &m.attributes {
        let v = a.value.as_deref().unwrap_or("").trim();
        match a.attribute.as_str() {
            "rtpmap" => {
                // a=rtpmap:<pt> <encoding>/<clock>
                if let Some((pt, enc)) = v.split_once(' ')
                    && (pt.trim().parse::<u8>().ok() == Some(payload_type)
                        || out.encoding.is_empty())
                {
                    out.encoding = enc
                        .split('/')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase();
                }
            }
            "control" => out.control = Some(v.to_string()),
            "stream" => out.stream = v.parse::<u32>().ok(),
            _ => {}
        }
    }
    out
}

/// Resolves a media control URL against the session-level one (RFC 2326 C.1.1).
pub fn resolve_control(base: &str, control: Option<&str>) -> String {
    match control {
        None | Some("") | Some("*") => base.to_string(),
        Some(c) => crate::url::resolve_in(base, c),
    }
}

/// What the server describes.
pub struct DescribeSpec<'a> {
    /// The absolute session-level control URL; a trailing slash is added (GStreamer resolves
    /// relative controls against it like a directory only then).
    pub control: &'a str,
    /// Header Object + Data Object prefix, as in the file.
    pub header_bytes: &'a [u8],
    pub header: &'a Header,
    pub duration_ms: Option<u64>,
    pub live: bool,
    /// `IP4` or `IP6`, for the `c=` and `o=` lines.
    pub ipv6: bool,
    pub session_id: u64,
}

/// `b=RS:0` and `b=RR:0`: no RTCP bandwidth for senders or receivers (RFC 3556).
fn no_rtcp_bandwidth() -> [sdp_types::Bandwidth; 2] {
    ["RS", "RR"].map(|bwtype| sdp_types::Bandwidth {
        bwtype: bwtype.into(),
        bandwidth: 0,
    })
}

/// The control name the server gives an ASF stream.
pub fn stream_control(header: &Header, number: u8) -> String {
    let kind_first = |k: StreamKind| {
        header
            .streams
            .iter()
            .find(|s| s.kind == k)
            .map(|s| s.number)
    };
    match header.stream(number).map(|s| s.kind.clone()) {
        Some(StreamKind::Audio) if kind_first(StreamKind::Audio) == Some(number) => "audio".into(),
        Some(StreamKind::Video) if kind_first(StreamKind::Video) == Some(number) => "video".into(),
        _ => format!("stream={number}"),
    }
}

/// Builds the SDP the way Windows Media Services 9 does, in the form ffmpeg and GStreamer
/// accept (docs/protocols.md 6A.4 step 2).
pub fn build(spec: &DescribeSpec<'_>) -> Vec<u8> {
    use sdp_types::{Attribute, Bandwidth, Connection, Media, Origin, Session, Time};
    let addrtype = if spec.ipv6 { "IP6" } else { "IP4" };
    let (origin_addr, any) = if spec.ipv6 {
        ("::1", "::")
    } else {
        ("127.0.0.1", "0.0.0.0")
    };
    let h = spec.header;
    let kbps = |bps: u32| u64::from(bps.div_ceil(1000));
    let total_bps: u32 = h
        .streams
        .iter()
        .map(|s| h.stream_bitrate(s.number))
        .fold(0u32, u32::saturating_add)
        .max(h.file.max_bitrate);
    let attr = |n: &str, v: String| Attribute {
        attribute: n.to_string(),
        value: Some(v),
    };
    let mut control = spec.control.to_string();
    if !control.ends_with('/') {
        control.push('/');
    }
    let title = if h.content.title.trim().is_empty() {
        "<No Title>".to_string()
    } else {
        h.content.title.trim().to_string()
    };
    let mut attributes = vec![
        attr("maxps", h.packet_size().to_string()),
        attr("control", control),
    ];
    match (spec.live, spec.duration_ms) {
        (false, Some(d)) => attributes.push(attr(
            "range",
            format!("npt=0.000-{}.{:03}", d / 1000, d % 1000),
        )),
        _ => attributes.push(attr("range", "npt=0.000-".into())),
    }
    if spec.live {
        attributes.push(attr("type", "broadcast,notseekable,notstridable".into()));
    }
    attributes.push(Attribute {
        attribute: "recvonly".into(),
        value: None,
    });
    attributes.push(attr(
        "pgmpu",
        format!("{PGMPU_ASF_PREFIX}{}", STANDARD.encode(spec.header_bytes)),
    ));
    let mut medias = Vec::new();
    for s in &h.streams {
        let kind = match s.kind {
            StreamKind::Audio => "audio",
            StreamKind::Video => "video",
            _ => "application",
        };
        medias.push(Media {
            media: kind.into(),
            port: 0,
            num_ports: None,
            proto: "RTP/AVP".into(),
            fmt: "96".into(),
            media_title: None,
            connections: vec![],
            bandwidths: std::iter::once(Bandwidth {
                bwtype: "AS".into(),
                bandwidth: kbps(h.stream_bitrate(s.number)),
            })
            .chain(no_rtcp_bandwidth())
            .collect(),
            key: None,
            attributes: vec![
                attr("rtpmap", format!("96 {ENCODING_ASF}/1000")),
                attr("control", stream_control(h, s.number)),
                attr("stream", s.number.to_string()),
            ],
        });
    }
    // ffmpeg refuses UDP unless some control URL ends in "/rtx" (protocols.md 6.4).
    medias.push(Media {
        media: "application".into(),
        port: 0,
        num_ports: None,
        proto: "RTP/AVP".into(),
        fmt: "97".into(),
        media_title: None,
        connections: vec![],
        bandwidths: no_rtcp_bandwidth().to_vec(),
        key: None,
        attributes: vec![
            attr("rtpmap", format!("97 {ENCODING_RTX}/1000")),
            attr("control", "rtx".into()),
            attr("stream", RTX_STREAM.to_string()),
        ],
    });
    let session = Session {
        origin: Origin {
            username: None,
            sess_id: spec.session_id.to_string(),
            sess_version: spec.session_id,
            nettype: sdp_types::NetType::In,
            addrtype: if spec.ipv6 {
                sdp_types::AddrType::Ip6
            } else {
                sdp_types::AddrType::Ip4
            },
            unicast_address: origin_addr.into(),
        },
        session_name: title,
        session_description: None,
        uri: None,
        emails: vec![],
        phones: vec![],
        connection: Some(Connection {
            nettype: sdp_types::NetType::In,
            addrtype: if addrtype == "IP6" {
                sdp_types::AddrType::Ip6
            } else {
                sdp_types::AddrType::Ip4
            },
            connection_address: any.into(),
        }),
        bandwidths: vec![Bandwidth {
            bwtype: "AS".into(),
            bandwidth: kbps(total_bps),
        }],
        times: vec![Time {
            start_time: 0,
            stop_time: 0,
            repeats: vec![],
        }],
        time_zones: vec![],
        key: None,
        attributes,
        medias,
    };
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = session.write(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_controls() {
        assert_eq!(
            resolve_control("rtsp://h/a.asf/", Some("audio")),
            "rtsp://h/a.asf/audio"
        );
        assert_eq!(
            resolve_control("rtsp://h/a.asf", Some("audio")),
            "rtsp://h/a.asf/audio"
        );
        assert_eq!(
            resolve_control("rtsp://h/a.asf", Some("rtsp://x/y")),
            "rtsp://x/y"
        );
        assert_eq!(resolve_control("rtsp://h/a.asf", None), "rtsp://h/a.asf");
    }

    #[test]
    fn rejects_sdp_without_asf_header() {
        let sdp = b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
        let e = parse(sdp).unwrap_err();
        assert!(e.to_string().contains("no ASF header"), "{e}");
        let sdp = format!("v=0\r\ns=x\r\na=pgmpu:{PGMPU_ASF_PREFIX}AAAA\r\n");
        assert!(
            parse(sdp.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("not an ASF header")
        );
        let sdp = format!("v=0\r\ns=x\r\na=pgmpu:{PGMPU_ASF_PREFIX}!!!\r\n");
        assert!(parse(sdp.as_bytes()).is_err());
    }
}
