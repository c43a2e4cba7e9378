//! Faults the server can be told to inject, for tests and the demo: refusing a transport,
//! blackholing its media, and dropping a reproducible fraction of UDP packets.

use std::collections::HashSet;

use mmsplay_net::Transport;
use rand::{Rng, SeedableRng, rngs::StdRng};

#[derive(Clone, Debug, Default)]
pub struct Faults {
    pub refuse: HashSet<Transport>,
    pub blackhole: HashSet<Transport>,
    pub udp_loss: f64,
    pub seed: u64,
}

impl Faults {
    pub fn refuses(&self, t: Transport) -> bool {
        self.refuse.contains(&t)
    }

    pub fn blackholes(&self, t: Transport) -> bool {
        self.blackhole.contains(&t)
    }

    /// A per-session loss decider, seeded from the server seed and a session number so that
    /// each session's drops are reproducible.
    pub fn loss(&self, session: u64) -> Loss {
        Loss {
            rng: StdRng::seed_from_u64(self.seed ^ session.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            p: self.udp_loss.clamp(0.0, 1.0),
        }
    }
}

/// Decides, packet by packet, whether `--udp-loss` withholds it.
pub struct Loss {
    rng: StdRng,
    p: f64,
}

impl Loss {
    pub fn drop_next(&mut self) -> bool {
        self.p > 0.0 && self.rng.random::<f64>() < self.p
    }
}

/// Parses a comma list of transport names.
pub fn parse_list(s: Option<&str>) -> Result<HashSet<Transport>, String> {
    let mut set = HashSet::new();
    for part in s
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let t: Transport = part
            .parse()
            .map_err(|e: mmsplay_net::UnknownTransport| e.to_string())?;
        if t == Transport::File {
            return Err("file is not a network transport".into());
        }
        set.insert(t);
    }
    Ok(set)
}
