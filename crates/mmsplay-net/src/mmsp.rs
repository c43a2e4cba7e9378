//! [MS-MMSP] sans-IO: command framing (TcpMessageHeader), the message types a player and a
//! server exchange, the Data packet framing shared by the TCP and UDP data paths, and the UDP
//! RequestPacketListResend packet. No IO here: the async client lives in
//! `transport::mms`, the server in `mmsplay-server`.
//!
//! Every length read from the network is checked against a limit before anything is allocated.

pub mod client;
pub mod data;
pub mod framing;
pub mod header;
pub mod hresult;
pub mod message;
pub mod resend;
pub mod stream;

pub use data::{DataHeader, DataKind};
pub use framing::{CodecError, MAX_COMMAND_LEN, encode_command};
pub use header::HeaderAssembly;
pub use message::{
    FromClient, FromServer, OpenFileReport, STREAM_CHANGE_INCARNATION, StreamSwitchEntry,
};
pub use resend::ResendRequest;
pub use stream::{TcpDecoder, TcpItem};

/// Direction half of a MID: client-to-server messages have 0x0003 in the high 16 bits.
pub const MID_CLIENT: u32 = 0x0003_0000;
/// Server-to-client messages have 0x0004 in the high 16 bits.
pub const MID_SERVER: u32 = 0x0004_0000;

/// [MS-MMSP] 2.2.4.2: the server cannot (or will not) do a packet-pair experiment.
pub const DISABLE_PACKET_PAIR: u32 = 0xF0F0_F0EF;
/// [MS-MMSP] 2.2.4.2 / 2.2.4.18: the protocol revisions both sides must send.
pub const MAC_TO_VIEWER_REVISION: u32 = 0x0004_000B;
pub const VIEWER_TO_MAC_REVISION: u32 = 0x0003_001C;

/// [MS-MMSP] 2.2.4.7 fileAttributes bits.
pub const ATTR_CANSTRIDE: u32 = 0x0080_0000;
pub const ATTR_CANSEEK: u32 = 0x0100_0000;
pub const ATTR_BROADCAST: u32 = 0x0200_0000;
pub const ATTR_LIVE: u32 = 0x0400_0000;

/// The funnel (data path) a client asks for in ConnectFunnel ([MS-MMSP] 2.2.4.18):
/// `\\ip\TCP\port` or `\\ip\UDP\port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Funnel {
    pub ip: String,
    pub udp: bool,
    pub port: u16,
}

impl Funnel {
    pub fn format(&self) -> String {
        let proto = if self.udp { "UDP" } else { "TCP" };
        format!("\\\\{}\\{}\\{}", self.ip, proto, self.port)
    }

    /// Parses a funnel name. Real clients put fake IPs in TCP funnels, so only the protocol
    /// and the port matter; anything unreadable yields `None`.
    pub fn parse(s: &str) -> Option<Funnel> {
        let rest = s.strip_prefix("\\\\")?;
        let mut parts = rest.split('\\');
        let ip = parts.next()?.to_string();
        let proto = parts.next()?;
        let port: u16 = parts.next()?.trim().parse().ok()?;
        let udp = if proto.eq_ignore_ascii_case("UDP") {
            true
        } else if proto.eq_ignore_ascii_case("TCP") {
            false
        } else {
            return None;
        };
        Some(Funnel { ip, udp, port })
    }
}

#[cfg(test)]
mod tests;
