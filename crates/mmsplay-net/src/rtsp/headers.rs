//! Values of the RTSP headers the Windows Media exchange uses: `Transport` (RFC 2326 12.39,
//! [MS-RTSP] 2.2.6.13), `Session` (RFC 2326 12.37), `Range` (12.29) and `RTP-Info` (12.33).

use super::{Result, RtspError};

/// Where RTP flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LowerTransport {
    Udp,
    Tcp,
}

/// One transport specification.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransportSpec {
    /// `None` for a profile we do not speak (not RTP/AVP).
    pub lower: Option<LowerTransport>,
    pub multicast: bool,
    pub client_port: Option<(u16, Option<u16>)>,
    pub server_port: Option<(u16, Option<u16>)>,
    pub interleaved: Option<(u8, Option<u8>)>,
    pub ssrc: Option<u32>,
}

impl TransportSpec {
    /// Parses the first specification of a `Transport` header (clients may offer several,
    /// comma-separated, in order of preference).
    pub fn parse(value: &str) -> Result<TransportSpec> {
        let first = value.split(',').next().unwrap_or("").trim();
        let mut parts = first.split(';').map(str::trim);
        let profile = parts.next().unwrap_or("");
        let lower = match profile.to_ascii_uppercase().as_str() {
            // live555 and GStreamer omit "/UDP"; it is the default (RFC 2326 12.39).
            "RTP/AVP" | "RTP/AVP/UDP" => Some(LowerTransport::Udp),
            "RTP/AVP/TCP" => Some(LowerTransport::Tcp),
            _ => None,
        };
        let mut spec = TransportSpec {
            lower,
            ..Default::default()
        };
        for p in parts {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            match k.to_ascii_lowercase().as_str() {
                "multicast" => spec.multicast = true,
                "client_port" => spec.client_port = Some(port_range(v)?),
                "server_port" => spec.server_port = Some(port_range(v)?),
                "interleaved" => {
                    let (a, b) = port_range(v)?;
                    let a = u8::try_from(a).map_err(|_| bad_param("interleaved", v))?;
                    let b = match b {
                        Some(b) => Some(u8::try_from(b).map_err(|_| bad_param("interleaved", v))?),
                        None => None,
                    };
                    spec.interleaved = Some((a, b));
                }
                "ssrc" => spec.ssrc = u32::from_str_radix(v.trim(), 16).ok(),
                _ => {}
            }
        }
        Ok(spec)
    }
}

fn bad_param(name: &str, v: &str) -> RtspError {
    RtspError::message(format!(
        "bad {name} value {:?} in Transport",
        v.chars().take(32).collect::<String>()
    ))
}

fn port_range(v: &str) -> Result<(u16, Option<u16>)> {
    let (a, b) = match v.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    let a = a.trim().parse::<u16>().map_err(|_| bad_param("port", v))?;
    let b = match b {
        Some(b) => Some(b.trim().parse::<u16>().map_err(|_| bad_param("port", v))?),
        None => None,
    };
    Ok((a, b))
}

/// `Session: id[;timeout=secs]`.
pub fn parse_session(value: &str) -> (String, Option<u64>) {
    let mut parts = value.split(';');
    let id = parts.next().unwrap_or("").trim().to_string();
    let timeout = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("timeout") {
            v.trim().parse::<u64>().ok()
        } else {
            None
        }
    });
    (id, timeout)
}

/// `X-Accelerate-Streaming: AccelDuration=<ms>;AccelBandwidth=<bps>` ([MS-RTSP] 2.2.6.11),
/// the client's fast-start request on PLAY.
pub fn accelerate_value(a: &crate::stream::Acceleration) -> String {
    format!(
        "AccelDuration={};AccelBandwidth={}",
        a.duration_ms, a.bandwidth_bps
    )
}

/// Reads an `X-Accelerate-Streaming` value (parameters in any order, case-insensitive names);
/// `None` unless both figures are there and non-zero.
pub fn parse_accelerate(value: &str) -> Option<crate::stream::Acceleration> {
    let (mut duration, mut bandwidth) = (None, None);
    for param in value.split(';') {
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        let v = v.trim().parse::<u32>().ok();
        match k.trim().to_ascii_lowercase().as_str() {
            "acceldurationms" | "accelduration" => duration = v,
            "accelbandwidth" => bandwidth = v,
            _ => {}
        }
    }
    Some(crate::stream::Acceleration {
        bandwidth_bps: bandwidth.filter(|b| *b > 0)?,
        duration_ms: duration.filter(|d| *d > 0)?,
    })
}

/// The start of an `npt=` range, in milliseconds (`npt=now-` and other forms give `None`).
pub fn parse_npt_start(value: &str) -> Option<u64> {
    let v = value.trim();
    let rest = v.strip_prefix("npt=")?;
    let start = rest.split('-').next()?.trim();
    parse_npt_time(start)
}

/// The end of an `npt=` range, in milliseconds, when the range is closed.
pub fn parse_npt_end(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("npt=")?;
    let end = rest.split_once('-')?.1.trim();
    parse_npt_time(end)
}

/// npt-sec (`12.5`) or npt-hhmmss (`0:00:12.5`), RFC 2326 3.6.
fn parse_npt_time(s: &str) -> Option<u64> {
    if s.is_empty() || s == "now" {
        return None;
    }
    let mut secs = 0f64;
    for part in s.split(':') {
        let v: f64 = part.parse().ok()?;
        if !v.is_finite() || v < 0.0 {
            return None;
        }
        secs = secs * 60.0 + v;
    }
    Some((secs * 1000.0).round().min(u64::MAX as f64 / 2.0) as u64)
}

/// `npt=<start>-` (open end).
pub fn npt_from(ms: u64) -> String {
    format!("npt={}.{:03}-", ms / 1000, ms % 1000)
}

/// The `seq` of the `RTP-Info` entry whose URL ends like `url_tail`, else of the first entry.
pub fn rtp_info_seq(value: &str, url_tail: Option<&str>) -> Option<u16> {
    let mut first = None;
    for entry in value.split(',') {
        let mut url = "";
        let mut seq = None;
        for p in entry.split(';') {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            // [MS-RTSP] 2.2.7.3's example writes "Seq=".
            match k.trim().to_ascii_lowercase().as_str() {
                "url" => url = v.trim(),
                "seq" => seq = v.trim().parse::<u16>().ok(),
                _ => {}
            }
        }
        if let (Some(tail), Some(s)) = (url_tail, seq)
            && url.ends_with(tail)
        {
            return Some(s);
        }
        if first.is_none() {
            first = seq;
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_transports_clients_send() {
        let t =
            TransportSpec::parse("RTP/AVP/UDP;unicast;client_port=5000-5001;mode=PLAY").unwrap();
        assert_eq!(t.lower, Some(LowerTransport::Udp));
        assert_eq!(t.client_port, Some((5000, Some(5001))));
        let t = TransportSpec::parse("RTP/AVP;unicast;client_port=7000-7001").unwrap();
        assert_eq!(t.lower, Some(LowerTransport::Udp));
        let t = TransportSpec::parse("RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=0a0B0c0d").unwrap();
        assert_eq!(t.lower, Some(LowerTransport::Tcp));
        assert_eq!(t.interleaved, Some((0, Some(1))));
        assert_eq!(t.ssrc, Some(0x0a0b0c0d));
        let t = TransportSpec::parse("RTP/AVP;multicast").unwrap();
        assert!(t.multicast);
        let t = TransportSpec::parse("x-real-rdt/udp;client_port=1").unwrap();
        assert_eq!(t.lower, None);
        assert!(TransportSpec::parse("RTP/AVP/TCP;interleaved=0-900").is_err());
    }

    #[test]
    fn parses_session_range_and_rtp_info() {
        assert_eq!(
            parse_session("1234567890123456;timeout=60"),
            ("1234567890123456".to_string(), Some(60))
        );
        assert_eq!(parse_npt_start("npt=3.100-"), Some(3100));
        assert_eq!(parse_npt_start("npt=0-10.03"), Some(0));
        assert_eq!(parse_npt_end("npt=0-10.03"), Some(10030));
        assert_eq!(parse_npt_end("npt=0.000-"), None);
        assert_eq!(parse_npt_start("npt=1:00:01.5-"), Some(3_601_500));
        assert_eq!(parse_npt_start("npt=now-"), None);
        assert_eq!(npt_from(3100), "npt=3.100-");
        let info = "url=rtsp://h/a.asf/video;seq=9, url=rtsp://h/a.asf/audio;seq=26968;rtptime=0";
        assert_eq!(rtp_info_seq(info, Some("/audio")), Some(26968));
        assert_eq!(rtp_info_seq(info, None), Some(9));
        let info = "url=rtsp://h/p.wsx/audio;\r\n Seq=26968, url=rtsp://h/p.wsx/video; Seq=46497";
        assert_eq!(rtp_info_seq(info, Some("/video")), Some(46497));
    }

    #[test]
    fn accelerate_header_round_trips_and_needs_both_figures() {
        let a = crate::stream::Acceleration {
            bandwidth_bps: 10_000_000,
            duration_ms: 10_000,
        };
        assert_eq!(parse_accelerate(&accelerate_value(&a)), Some(a));
        assert_eq!(
            parse_accelerate(" AccelBandwidth=64000 ; accelduration=500"),
            Some(crate::stream::Acceleration {
                bandwidth_bps: 64_000,
                duration_ms: 500
            })
        );
        for bad in [
            "",
            "AccelDuration=500",
            "AccelDuration=x;AccelBandwidth=1",
            "AccelDuration=0;AccelBandwidth=9",
        ] {
            assert_eq!(parse_accelerate(bad), None, "{bad}");
        }
    }
}
