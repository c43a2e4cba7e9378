//! Where the client's RTP and RTCP travel: a UDP socket pair (`rtspu`) or `$` channels of the
//! RTSP connection (`rtspt`).

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::error::{NetError, Result};
use crate::rtsp::headers::TransportSpec;
use crate::rtsp::rtp::is_rtcp;

/// Largest datagram we read.
const MAX_DATAGRAM: usize = 65_536;
/// Receive buffer asked for the RTP socket.
const RECV_BUFFER: usize = 2 * 1024 * 1024;
/// Attempts at an even/odd UDP port pair before settling for any two ports.
const PORT_PAIR_ATTEMPTS: usize = 8;

/// An RTP/RTCP socket pair and the server's side of it.
pub(super) struct UdpPair {
    rtp: UdpSocket,
    rtcp: UdpSocket,
    rtp_port: u16,
    rtcp_port: u16,
    /// Datagrams from any other host are ignored.
    server_ip: Option<IpAddr>,
    server_rtcp: Option<SocketAddr>,
}

impl UdpPair {
    /// Binds an even port and the next odd one when possible (RFC 3550 11).
    async fn bind(ip: IpAddr) -> Result<UdpPair> {
        let (rtp, rtcp, rtp_port, rtcp_port) = bind_pair(ip).await?;
        Ok(UdpPair {
            rtp,
            rtcp,
            rtp_port,
            rtcp_port,
            server_ip: None,
            server_rtcp: None,
        })
    }

    fn ports(&self) -> (u16, u16) {
        (self.rtp_port, self.rtcp_port)
    }

    /// Takes the server's address and its `server_port` (RTCP: the second port, else the
    /// next one).
    fn set_server(&mut self, server: IpAddr, server_port: Option<(u16, Option<u16>)>) {
        self.server_ip = Some(server);
        if let Some((a, b)) = server_port {
            self.server_rtcp = Some(SocketAddr::new(server, b.unwrap_or(a.saturating_add(1))));
        }
    }

    async fn recv_rtp(&self) -> io::Result<Option<Vec<u8>>> {
        recv_from_server(&self.rtp, self.server_ip).await
    }

    async fn recv_rtcp(&self) -> io::Result<Option<Vec<u8>>> {
        recv_from_server(&self.rtcp, self.server_ip).await
    }

    /// Sends on the RTCP socket to the server's RTCP port, once it is known.
    async fn send_rtcp(&self, data: &[u8]) -> io::Result<()> {
        if let Some(to) = self.server_rtcp {
            self.rtcp.send_to(data, to).await?;
        }
        Ok(())
    }
}

pub(super) enum Link {
    Udp(UdpPair),
    Tcp { rtp_channel: u8, rtcp_channel: u8 },
}

/// The retransmission stream (`x-wms-rtx`, [MS-RTSP] 2.2.3): resent RTP packets arrive on
/// its RTP port; NACKs go to the server's RTCP port of it.
pub(super) type Rtx = UdpPair;

pub(super) struct MediaPath {
    pub link: Link,
    pub rtx: Option<Rtx>,
    /// The middle 32 bits of the last sender report's NTP time, and when it came.
    pub last_sr: Option<(u32, Instant)>,
}

/// What an interleaved frame carries.
pub(super) enum Kind {
    Rtp,
    Rtcp,
    Ignore,
}

impl MediaPath {
    /// Binds the RTP/RTCP socket pair on the address the RTSP connection uses, an even port
    /// and the next odd one when possible (RFC 3550 11).
    pub async fn bind_udp(ip: IpAddr) -> Result<MediaPath> {
        Ok(MediaPath {
            link: Link::Udp(UdpPair::bind(ip).await?),
            rtx: None,
            last_sr: None,
        })
    }

    /// Opens the retransmission stream's port pair; returns its ports.
    pub async fn bind_rtx(&mut self, ip: IpAddr) -> Result<(u16, u16)> {
        let pair = UdpPair::bind(ip).await?;
        let ports = pair.ports();
        self.rtx = Some(pair);
        Ok(ports)
    }

    /// Our RTP/RTCP ports, over UDP.
    pub fn client_ports(&self) -> Option<(u16, u16)> {
        match &self.link {
            Link::Udp(pair) => Some(pair.ports()),
            Link::Tcp { .. } => None,
        }
    }

    /// Takes the server's answer to the retransmission SETUP.
    pub fn apply_rtx_reply(&mut self, spec: Option<&TransportSpec>, server: IpAddr) {
        if let Some(r) = &mut self.rtx {
            r.set_server(server, spec.and_then(|s| s.server_port));
        }
    }

    /// The server did not take the retransmission SETUP: no NACKs then.
    pub fn drop_rtx(&mut self) {
        self.rtx = None;
    }

    pub async fn recv_rtx(&self) -> io::Result<Option<Vec<u8>>> {
        match &self.rtx {
            Some(r) => r.recv_rtp().await,
            None => std::future::pending().await,
        }
    }

    /// Sends a NACK compound on the retransmission stream.
    pub async fn send_nack(&self, data: &[u8]) -> io::Result<()> {
        match &self.rtx {
            Some(r) => r.send_rtcp(data).await,
            None => Ok(()),
        }
    }
}

/// An RTP/RTCP socket pair: an even port and the next odd one when possible (RFC 3550 11).
async fn bind_pair(ip: IpAddr) -> Result<(UdpSocket, UdpSocket, u16, u16)> {
    {
        let bind = |port: u16| async move { bind_socket(SocketAddr::new(ip, port)) };
        let mut fallback = None;
        for _ in 0..PORT_PAIR_ATTEMPTS {
            let rtp = bind(0)
                .await
                .map_err(|e| NetError::io("cannot open a UDP port", e))?;
            let port = rtp
                .local_addr()
                .map_err(|e| NetError::io("UDP socket", e))?
                .port();
            if port.is_multiple_of(2)
                && port < u16::MAX
                && let Ok(rtcp) = bind(port + 1).await
            {
                return Ok((rtp, rtcp, port, port + 1));
            }
            if fallback.is_none() {
                fallback = Some((rtp, port));
            }
        }
        let (rtp, port) = fallback.ok_or_else(|| NetError::unsupported("no UDP port"))?;
        let rtcp = bind(0)
            .await
            .map_err(|e| NetError::io("cannot open a UDP port", e))?;
        let rtcp_port = rtcp
            .local_addr()
            .map_err(|e| NetError::io("UDP socket", e))?
            .port();
        Ok((rtp, rtcp, port, rtcp_port))
    }
}

impl MediaPath {
    pub fn tcp() -> MediaPath {
        MediaPath {
            link: Link::Tcp {
                rtp_channel: 0,
                rtcp_channel: 1,
            },
            rtx: None,
            last_sr: None,
        }
    }

    pub fn is_tcp(&self) -> bool {
        matches!(self.link, Link::Tcp { .. })
    }

    /// Takes the server's answer to the first SETUP (checked by the connect machine).
    pub fn apply_reply(&mut self, spec: Option<&TransportSpec>, server: IpAddr) {
        match &mut self.link {
            Link::Udp(pair) => pair.set_server(server, spec.and_then(|s| s.server_port)),
            Link::Tcp {
                rtp_channel,
                rtcp_channel,
            } => {
                if let Some((a, b)) = spec.and_then(|s| s.interleaved) {
                    *rtp_channel = a;
                    *rtcp_channel = b.unwrap_or(a.saturating_add(1));
                }
            }
        }
    }

    pub fn rtcp_channel(&self) -> Option<u8> {
        match self.link {
            Link::Tcp { rtcp_channel, .. } => Some(rtcp_channel),
            Link::Udp(_) => None,
        }
    }

    /// One RTP datagram from the server (`None`: a datagram from elsewhere, ignored). Never
    /// completes on TCP.
    pub async fn recv_rtp(&self) -> io::Result<Option<Vec<u8>>> {
        match &self.link {
            Link::Udp(pair) => pair.recv_rtp().await,
            Link::Tcp { .. } => std::future::pending().await,
        }
    }

    pub async fn recv_rtcp(&self) -> io::Result<Option<Vec<u8>>> {
        match &self.link {
            Link::Udp(pair) => pair.recv_rtcp().await,
            Link::Tcp { .. } => std::future::pending().await,
        }
    }

    /// Sends an RTCP packet over UDP (on TCP the caller frames it on the control connection).
    pub async fn send_rtcp(&self, data: &[u8]) -> io::Result<()> {
        match &self.link {
            Link::Udp(pair) => pair.send_rtcp(data).await,
            Link::Tcp { .. } => Ok(()),
        }
    }

    /// RTP on the even channel of a pair, RTCP on the odd one (RFC 2326 10.12); a packet that
    /// is plainly RTCP counts as RTCP wherever it comes.
    pub fn classify(&self, channel: u8, data: &[u8]) -> Kind {
        match self.link {
            Link::Udp(_) => Kind::Ignore,
            Link::Tcp { .. } if is_rtcp(data) => Kind::Rtcp,
            Link::Tcp { .. } if channel.is_multiple_of(2) => Kind::Rtp,
            Link::Tcp { .. } => Kind::Rtcp,
        }
    }
}

/// A UDP socket with a receive buffer large enough for a server's fast-start burst (the
/// preroll sent at once), which overruns the kernel's default at higher bitrates.
fn bind_socket(addr: SocketAddr) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: the kernel may cap it.
    let _ = s.set_recv_buffer_size(RECV_BUFFER);
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    UdpSocket::from_std(s.into())
}

async fn recv_from_server(sock: &UdpSocket, server: Option<IpAddr>) -> io::Result<Option<Vec<u8>>> {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let (n, from) = sock.recv_from(&mut buf).await?;
    if server.is_some_and(|ip| !super::same_host(&from, ip)) {
        return Ok(None);
    }
    buf.truncate(n);
    Ok(Some(buf))
}
