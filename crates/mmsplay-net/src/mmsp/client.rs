//! The MMS client's handshake ([MS-MMSP] 3.1.5), sans-IO: which request follows which reply,
//! and which replies end it with which error. Connect, FunnelInfo, ConnectFunnel, OpenFile,
//! ReadBlock (the header then comes as data packets, which the transport collects),
//! StreamSwitch and StartPlaying. The transport sends what [`Handshake`] returns, awaits the
//! next command and hands it back: no decision about the protocol is taken there.

use crate::error::{ErrorKind, NetError, Result};
use crate::mmsp::{
    DISABLE_PACKET_PAIR, FromClient, FromServer, Funnel, OpenFileReport, StreamSwitchEntry, hresult,
};

/// Client incarnations: [MS-MMSP] 3.1.1 HeaderIncarnation 1..8, PlayIncarnation 9..0xFE.
pub const HEADER_INCARNATION: u32 = 1;
pub const OPEN_INCARNATION: u32 = 9;
pub const PLAY_INCARNATION: u32 = 10;
/// Who we say we are ([MS-MMSP] 2.2.4.17 client-token; 9.0 is a listed version).
const PLAYER_TOKEN: &str = "NSPlayer/9.0.0.2980";
const CLIENT_GUID: &str = "{3300AD50-2C39-46C0-AE0A-60B3E5B2CD57}";
/// The bit rate we ask the funnel for (10 Mb/s: whatever the stream needs).
const MAX_BIT_RATE: u32 = 0x0098_9680;

/// What the transport does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Send this, then hand the next command to [`Handshake::on_reply`].
    Send(FromClient),
    /// The file is open: take its figures, start accepting data, send `read_block`.
    Opened {
        report: OpenFileReport,
        read_block: FromClient,
    },
    /// The header now comes as data packets: collect it, then call [`Handshake::on_header`].
    ReadHeader { header_size: u32 },
    /// Media flows from here on.
    Playing,
    /// The server sent the client elsewhere ([MS-MMSP] 3.1.5.7): close this connection and
    /// start again at this URL.
    Redirect(String),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Connect,
    FunnelInfo,
    ConnectFunnel,
    OpenFile,
    ReadBlock { header_size: u32 },
    Header,
    StreamSwitch { position_s: f64 },
    StartPlaying,
    Playing,
}

/// One client handshake.
#[derive(Clone, Debug)]
pub struct Handshake {
    state: State,
    funnel: Funnel,
    /// The OpenFile name: the URL path without its leading slash and percent-encoding
    /// ([MS-MMSP] 2.2.4.21).
    file_name: String,
    client_id: Option<u32>,
    open_file_id: u32,
    /// Fast start asked for in StartPlaying.
    accelerate: Option<crate::stream::Acceleration>,
}

impl Handshake {
    /// Starts a handshake with the server at `host` (with `:port` when not 1755, the
    /// subscriberName host-param of [MS-MMSP] 2.2.4.17); returns the Connect to send.
    pub fn new(host: &str, funnel: Funnel, file_name: String) -> (Handshake, FromClient) {
        let hs = Handshake {
            state: State::Connect,
            funnel,
            file_name,
            client_id: None,
            open_file_id: 0,
            accelerate: None,
        };
        let connect = FromClient::Connect {
            play_incarnation: DISABLE_PACKET_PAIR,
            subscriber: format!("{PLAYER_TOKEN}; {CLIENT_GUID}; Host: {host}"),
        };
        (hs, connect)
    }

    /// Asks for an accelerated start (fast start) in StartPlaying.
    pub fn accelerate(&mut self, a: Option<crate::stream::Acceleration>) {
        self.accelerate = a;
    }

    /// The client id the server gave (resend requests carry it, [MS-MMSP] 2.2.4.6).
    pub fn client_id(&self) -> Option<u32> {
        self.client_id
    }

    pub fn is_playing(&self) -> bool {
        self.state == State::Playing
    }

    /// Applies the server's reply to the last request.
    pub fn on_reply(&mut self, m: FromServer) -> Result<Step> {
        match (self.state, m) {
            (State::Connect, FromServer::ReportConnectedEx { hr: 0, .. }) => {
                self.state = State::FunnelInfo;
                Ok(Step::Send(FromClient::FunnelInfo {
                    play_incarnation: DISABLE_PACKET_PAIR,
                }))
            }
            (State::Connect, FromServer::ReportConnectedEx { hr, .. }) => {
                Err(hr_error("the connection", hr))
            }
            (
                State::FunnelInfo,
                FromServer::ReportFunnelInfo {
                    hr: 0, client_id, ..
                },
            ) => {
                self.client_id = Some(client_id);
                self.state = State::ConnectFunnel;
                Ok(Step::Send(FromClient::ConnectFunnel {
                    max_bit_rate: MAX_BIT_RATE,
                    funnel: self.funnel.format(),
                }))
            }
            (State::FunnelInfo, FromServer::ReportFunnelInfo { hr, .. }) => {
                Err(hr_error("funnel info", hr))
            }
            (State::ConnectFunnel, FromServer::ReportConnectedFunnel { .. }) => {
                self.state = State::OpenFile;
                Ok(Step::Send(FromClient::OpenFile {
                    play_incarnation: OPEN_INCARNATION,
                    file_name: self.file_name.clone(),
                }))
            }
            (State::ConnectFunnel, FromServer::ReportDisconnectedFunnel { hr }) => {
                let proto = if self.funnel.udp { "UDP" } else { "TCP" };
                Err(hr_error(&format!("data over {proto}"), hr))
            }
            (State::OpenFile, FromServer::ReportOpenFile(r)) if r.hr == 0 => {
                self.open_file_id = r.open_file_id;
                self.state = State::ReadBlock {
                    header_size: r.header_size,
                };
                Ok(Step::Opened {
                    report: r,
                    read_block: FromClient::ReadBlock {
                        open_file_id: self.open_file_id,
                        play_incarnation: HEADER_INCARNATION,
                    },
                })
            }
            (State::OpenFile, FromServer::ReportOpenFile(r)) => {
                Err(hr_error(&format!("to open {:?}", self.file_name), r.hr))
            }
            (State::OpenFile, FromServer::ReportRedirect { location, .. }) => {
                Ok(Step::Redirect(location))
            }
            (State::OpenFile, FromServer::SecurityChallenge) => {
                Err(NetError::unsupported("the stream requires a login"))
            }
            (State::ReadBlock { header_size }, FromServer::ReportReadBlock { hr: 0, .. }) => {
                self.state = State::Header;
                Ok(Step::ReadHeader { header_size })
            }
            (State::ReadBlock { .. }, FromServer::ReportReadBlock { hr, .. }) => {
                Err(hr_error("the header", hr))
            }
            (State::StreamSwitch { position_s }, FromServer::ReportStreamSwitch { .. }) => {
                self.state = State::StartPlaying;
                Ok(Step::Send(FromClient::StartPlaying {
                    open_file_id: self.open_file_id,
                    position: position_s,
                    asf_offset: u32::MAX,
                    location_id: u32::MAX,
                    play_incarnation: PLAY_INCARNATION,
                    accelerate: self.accelerate,
                }))
            }
            (State::StartPlaying, FromServer::ReportStartedPlaying { hr: 0, .. }) => {
                self.state = State::Playing;
                Ok(Step::Playing)
            }
            (State::StartPlaying, FromServer::ReportStartedPlaying { hr, .. }) => {
                Err(hr_error("to play", hr))
            }
            (state, other) => Err(unexpected(state.awaiting(), &other)),
        }
    }

    /// The header is in: ask for the streams (`entries`) and, once switched, to play from
    /// `position_s` seconds. Returns the StreamSwitch to send.
    pub fn on_header(
        &mut self,
        entries: Vec<StreamSwitchEntry>,
        position_s: f64,
    ) -> Result<FromClient> {
        if self.state != State::Header {
            return Err(NetError::protocol("the header came out of turn"));
        }
        self.state = State::StreamSwitch { position_s };
        Ok(FromClient::StreamSwitch { entries })
    }
}

impl State {
    /// The reply awaited, for error messages.
    fn awaiting(self) -> &'static str {
        match self {
            State::Connect => "the connect reply",
            State::FunnelInfo => "the funnel info reply",
            State::ConnectFunnel => "the funnel reply",
            State::OpenFile => "the open file reply",
            State::ReadBlock { .. } => "the header reply",
            State::Header => "the header",
            State::StreamSwitch { .. } => "the stream switch reply",
            State::StartPlaying => "the play reply",
            State::Playing => "media",
        }
    }
}

/// The error for a reply whose `hr` is not S_OK.
pub fn hr_error(step: &str, hr: u32) -> NetError {
    let kind = if hresult::is_not_found(hr) {
        ErrorKind::NotFound
    } else {
        ErrorKind::Refused
    };
    NetError::new(
        kind,
        format!("the server refused {step}: {}", hresult::describe(hr)),
    )
}

/// The error for a message that is not the reply awaited (its `hr`, when it has a failing one).
pub fn unexpected(what: &str, m: &FromServer) -> NetError {
    match m.hr() {
        Some(hr) if hr != 0 => hr_error(what, hr),
        _ => NetError::protocol(format!(
            "unexpected message 0x{:08X} instead of {what}",
            m.mid()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Handshake {
        let funnel = Funnel {
            ip: "127.0.0.1".into(),
            udp: true,
            port: 7000,
        };
        let (hs, connect) = Handshake::new("h:1756", funnel, "a b.asf".into());
        match connect {
            FromClient::Connect { subscriber, .. } => {
                assert_eq!(
                    subscriber,
                    "NSPlayer/9.0.0.2980; {3300AD50-2C39-46C0-AE0A-60B3E5B2CD57}; Host: h:1756"
                );
            }
            other => panic!("{other:?}"),
        }
        hs
    }

    fn report(hr: u32) -> OpenFileReport {
        OpenFileReport {
            hr,
            play_incarnation: OPEN_INCARNATION,
            open_file_id: 7,
            attributes: 0,
            duration_s: 10.0,
            packet_size: 3200,
            packet_count: 40,
            bit_rate: 64_000,
            header_size: 5000,
        }
    }

    /// A whole exchange as a server answers it, request by request.
    #[test]
    fn walks_the_handshake_to_playing() {
        let mut hs = start();
        let connected = FromServer::ReportConnectedEx {
            hr: 0,
            play_incarnation: DISABLE_PACKET_PAIR,
            server_version: "9.1".into(),
            auth_package: "NTLM".into(),
        };
        assert!(matches!(
            hs.on_reply(connected).unwrap(),
            Step::Send(FromClient::FunnelInfo { .. })
        ));
        let funnel = FromServer::ReportFunnelInfo {
            hr: 0,
            play_incarnation: DISABLE_PACKET_PAIR,
            client_id: 42,
        };
        match hs.on_reply(funnel).unwrap() {
            Step::Send(FromClient::ConnectFunnel { funnel, .. }) => {
                assert_eq!(funnel, "\\\\127.0.0.1\\UDP\\7000");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(hs.client_id(), Some(42));
        match hs
            .on_reply(FromServer::ReportConnectedFunnel { hr: 0 })
            .unwrap()
        {
            Step::Send(FromClient::OpenFile { file_name, .. }) => assert_eq!(file_name, "a b.asf"),
            other => panic!("{other:?}"),
        }
        match hs.on_reply(FromServer::ReportOpenFile(report(0))).unwrap() {
            Step::Opened { report, read_block } => {
                assert_eq!(report.packet_size, 3200);
                assert_eq!(
                    read_block,
                    FromClient::ReadBlock {
                        open_file_id: 7,
                        play_incarnation: HEADER_INCARNATION
                    }
                );
            }
            other => panic!("{other:?}"),
        }
        let read = FromServer::ReportReadBlock {
            hr: 0,
            play_incarnation: HEADER_INCARNATION,
        };
        assert_eq!(
            hs.on_reply(read).unwrap(),
            Step::ReadHeader { header_size: 5000 }
        );
        assert!(matches!(
            hs.on_header(Vec::new(), 2.5).unwrap(),
            FromClient::StreamSwitch { .. }
        ));
        match hs
            .on_reply(FromServer::ReportStreamSwitch { hr: 0 })
            .unwrap()
        {
            Step::Send(FromClient::StartPlaying {
                open_file_id,
                position,
                ..
            }) => assert_eq!((open_file_id, position), (7, 2.5)),
            other => panic!("{other:?}"),
        }
        let started = FromServer::ReportStartedPlaying {
            hr: 0,
            play_incarnation: PLAY_INCARNATION,
            tiger_file_id: 1,
        };
        assert_eq!(hs.on_reply(started).unwrap(), Step::Playing);
        assert!(hs.is_playing());
    }

    #[test]
    fn refusals_and_surprises_end_it_with_their_reason() {
        let refused = FromServer::ReportConnectedEx {
            hr: 0x8007_0005,
            play_incarnation: 0,
            server_version: String::new(),
            auth_package: String::new(),
        };
        let e = start().on_reply(refused).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Refused);
        assert!(e.to_string().contains("access was denied"), "{e}");
        let e = start()
            .on_reply(FromServer::ReportStreamSwitch { hr: 0 })
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(
            e.to_string().contains("instead of the connect reply"),
            "{e}"
        );
        assert!(start().on_header(Vec::new(), 0.0).is_err());
    }
}
