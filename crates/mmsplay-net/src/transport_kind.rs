//! The names of the rollover steps, as they appear on the command line, in events and in
//! bookmarks.

use std::fmt;
use std::str::FromStr;

/// One step of the Windows Media protocol rollover, or a local file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// RTSP with RTP media over UDP.
    Rtspu,
    /// RTSP with RTP media interleaved in the RTSP TCP connection.
    Rtspt,
    /// MMS with data packets over UDP.
    Mmsu,
    /// MMS with data packets over the TCP control connection.
    Mmst,
    /// MS-WMSP, streaming over HTTP.
    Mmsh,
    /// A local file (not a rollover step, but reported the same way).
    File,
}

impl Transport {
    /// Windows Media Player's rollover order for `mms://`.
    pub const LADDER: [Transport; 5] = [
        Transport::Rtspu,
        Transport::Rtspt,
        Transport::Mmsu,
        Transport::Mmst,
        Transport::Mmsh,
    ];

    /// The steps a URL scheme (lower-case) rolls over, in Windows Media Player's order: all
    /// of them for `mms`, the family's for `rtsp`, one for a scheme that names a transport,
    /// none for a scheme that is not ours. The one place this ladder is written.
    pub fn ladder_for_scheme(scheme: &str) -> &'static [Transport] {
        use Transport::*;
        match scheme {
            "mms" => &Transport::LADDER,
            "mmst" => &[Mmst],
            "mmsu" => &[Mmsu],
            "mmsh" | "http" => &[Mmsh],
            "rtsp" => &[Rtspu, Rtspt],
            "rtspu" => &[Rtspu],
            "rtspt" => &[Rtspt],
            _ => &[],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Rtspu => "rtspu",
            Transport::Rtspt => "rtspt",
            Transport::Mmsu => "mmsu",
            Transport::Mmst => "mmst",
            Transport::Mmsh => "mmsh",
            Transport::File => "file",
        }
    }

    /// Whether media of this transport arrives by datagram (and so can be lost).
    pub fn is_udp(self) -> bool {
        matches!(self, Transport::Rtspu | Transport::Mmsu)
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transport name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown transport {0:?} (expected one of rtspu, rtspt, mmsu, mmst, mmsh)")]
pub struct UnknownTransport(pub String);

impl FromStr for Transport {
    type Err = UnknownTransport;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rtspu" => Ok(Transport::Rtspu),
            "rtspt" => Ok(Transport::Rtspt),
            "mmsu" => Ok(Transport::Mmsu),
            "mmst" => Ok(Transport::Mmst),
            "mmsh" => Ok(Transport::Mmsh),
            "file" => Ok(Transport::File),
            _ => Err(UnknownTransport(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Transport::LADDER.iter().chain([Transport::File].iter()) {
            assert_eq!(t.as_str().parse::<Transport>(), Ok(*t));
        }
        assert_eq!("MMSH".parse::<Transport>(), Ok(Transport::Mmsh));
        assert!("http".parse::<Transport>().is_err());
    }
}
