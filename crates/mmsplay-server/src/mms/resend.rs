//! RequestPacketListResend packets ([MS-MMSP] 2.2.5) arrive on the shared UDP socket and are
//! handed to the session whose client id (nCubs) they carry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mmsplay_net::mmsp::ResendRequest;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Sessions that can take resend requests, by client id.
#[derive(Default)]
pub struct Resends {
    sessions: Mutex<HashMap<u32, mpsc::Sender<ResendRequest>>>,
}

impl Resends {
    pub fn register(&self, client_id: u32) -> mpsc::Receiver<ResendRequest> {
        // A small queue: a client that floods us loses requests, never our memory.
        let (tx, rx) = mpsc::channel(64);
        if let Ok(mut m) = self.sessions.lock() {
            m.insert(client_id, tx);
        }
        rx
    }

    pub fn unregister(&self, client_id: u32) {
        if let Ok(mut m) = self.sessions.lock() {
            m.remove(&client_id);
        }
    }

    fn dispatch(&self, r: ResendRequest) {
        let tx = self
            .sessions
            .lock()
            .ok()
            .and_then(|m| m.get(&r.client_id).cloned());
        if let Some(tx) = tx {
            let _ = tx.try_send(r);
        }
    }
}

/// Reads the UDP socket until it fails; anything that is not a well-formed request for a
/// live session is ignored ([MS-MMSP] 3.2.5.13).
pub async fn receive(udp: Arc<UdpSocket>, resends: Arc<Resends>) {
    let mut buf = vec![0u8; 2048];
    loop {
        match udp.recv_from(&mut buf).await {
            Ok((n, _from)) => {
                if let Ok(r) = ResendRequest::parse(&buf[..n]) {
                    resends.dispatch(r);
                }
            }
            Err(e) => {
                // ICMP port unreachable surfaces here on some systems: not fatal.
                if e.kind() == std::io::ErrorKind::ConnectionReset {
                    continue;
                }
                tracing::warn!("mms: UDP receive failed: {e}");
                return;
            }
        }
    }
}
