//! Who is connected, and who may be: `--max-clients` and `--max-clients-per-ip`.
//!
//! A connection is *pending* from accept until its first complete request (the handshake),
//! and a *session* from then on. Only sessions count against `--max-clients`, so a crowd that
//! opens connections and never finishes a request (slow loris) cannot keep listeners out: it
//! holds only pending places, which the handshake timeout takes back and which are bounded on
//! their own. `--max-clients-per-ip` counts both, so one address cannot hoard either.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Most pending connections at once, beyond which new ones are closed at once.
const MAX_PENDING: usize = 4096;

/// The session limits (`None`: unlimited).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_clients: Option<usize>,
    pub max_clients_per_ip: Option<usize>,
}

/// Why a client was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Busy {
    /// `--max-clients` sessions are running.
    Full,
    /// The client's address has `--max-clients-per-ip` connections.
    AddressFull,
}

#[derive(Debug, Default)]
struct Counts {
    pending: usize,
    sessions: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// The server's connection accounting.
#[derive(Debug, Default)]
pub struct Clients {
    limits: Limits,
    counts: Mutex<Counts>,
}

impl Clients {
    pub fn new(limits: Limits) -> Arc<Clients> {
        Arc::new(Clients {
            limits,
            counts: Mutex::new(Counts::default()),
        })
    }

    /// A connection was accepted. `None`: too many are pending; close it without a word.
    pub fn arrive(self: &Arc<Self>, ip: IpAddr) -> Option<Arrival> {
        let mut c = self.counts.lock().ok()?;
        if c.pending >= MAX_PENDING {
            return None;
        }
        c.pending += 1;
        let n = c.per_ip.entry(ip).or_default();
        // Over the address's limit: it gets the busy answer, holding no place of that address.
        let over = self.limits.max_clients_per_ip.is_some_and(|max| *n >= max);
        if !over {
            *n += 1;
        }
        Some(Arrival {
            clients: self.clone(),
            ip,
            session: false,
            over,
        })
    }

    /// Sessions running now.
    pub fn sessions(&self) -> usize {
        self.counts.lock().map_or(0, |c| c.sessions)
    }

    /// Connections open now (pending and sessions).
    pub fn connections(&self) -> usize {
        self.counts.lock().map_or(0, |c| c.sessions + c.pending)
    }
}

/// One accepted connection's place; given back when dropped.
#[derive(Debug)]
pub struct Arrival {
    clients: Arc<Clients>,
    ip: IpAddr,
    session: bool,
    /// Arrived while its address had its limit of connections.
    over: bool,
}

impl Arrival {
    /// Whether [`Arrival::admit`] succeeded.
    pub fn is_admitted(&self) -> bool {
        self.session
    }

    /// The handshake is done: become a session if the limits allow. Idempotent.
    pub fn admit(&mut self) -> Result<(), Busy> {
        if self.session {
            return Ok(());
        }
        let limits = self.clients.limits;
        let Ok(mut c) = self.clients.counts.lock() else {
            return Err(Busy::Full);
        };
        if self.over {
            return Err(Busy::AddressFull);
        }
        if let Some(max) = limits.max_clients
            && c.sessions >= max
        {
            return Err(Busy::Full);
        }
        c.pending -= 1;
        c.sessions += 1;
        self.session = true;
        Ok(())
    }
}

impl Drop for Arrival {
    fn drop(&mut self) {
        if let Ok(mut c) = self.clients.counts.lock() {
            if self.session {
                c.sessions -= 1;
            } else {
                c.pending -= 1;
            }
            if let Some(n) = c.per_ip.get_mut(&self.ip) {
                if !self.over {
                    *n -= 1;
                }
                if *n == 0 {
                    c.per_ip.remove(&self.ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn sessions_are_limited_and_places_come_back() {
        let c = Clients::new(Limits {
            max_clients: Some(2),
            max_clients_per_ip: None,
        });
        let mut a = c.arrive(ip(1)).unwrap();
        let mut b = c.arrive(ip(2)).unwrap();
        let mut d = c.arrive(ip(3)).unwrap();
        assert_eq!(a.admit(), Ok(()));
        assert_eq!(b.admit(), Ok(()));
        assert_eq!(d.admit(), Err(Busy::Full));
        drop(a);
        assert_eq!(d.admit(), Ok(()));
        assert_eq!(c.sessions(), 2);
        drop((b, d));
        assert_eq!(c.connections(), 0);
    }

    #[test]
    fn pending_connections_do_not_take_session_places() {
        let c = Clients::new(Limits {
            max_clients: Some(1),
            max_clients_per_ip: None,
        });
        let crowd: Vec<_> = (0..100).map(|_| c.arrive(ip(9)).unwrap()).collect();
        let mut real = c.arrive(ip(1)).unwrap();
        assert_eq!(real.admit(), Ok(()));
        assert_eq!(c.connections(), 101);
        drop(crowd);
    }

    #[test]
    fn one_address_is_limited() {
        let c = Clients::new(Limits {
            max_clients: None,
            max_clients_per_ip: Some(1),
        });
        let mut a = c.arrive(ip(1)).unwrap();
        let mut b = c.arrive(ip(1)).unwrap();
        let mut other = c.arrive(ip(2)).unwrap();
        assert_eq!(a.admit(), Ok(()));
        assert_eq!(b.admit(), Err(Busy::AddressFull));
        assert_eq!(other.admit(), Ok(()));
    }
}
