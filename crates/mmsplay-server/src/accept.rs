//! The accept loop every protocol shares: a place among the clients for each connection, a
//! back-off when accepting fails, and no new connections once the server shuts down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::ServerContext;
use crate::clients::Arrival;

/// Accepts until shutdown, handing each connection that got a place to `each` (which spawns
/// its task). `what` names the protocol in logs.
pub async fn accept_each(
    listener: TcpListener,
    ctx: &Arc<ServerContext>,
    what: &str,
    mut each: impl FnMut(TcpStream, SocketAddr, Arrival),
) {
    let mut stop = ctx.shutdown.subscribe();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = crate::stopping(&mut stop) => return,
        };
        match accepted {
            Ok((sock, peer)) => {
                // Too many pending connections: this one is closed unanswered.
                if let Some(arrival) = ctx.clients.arrive(peer.ip()) {
                    each(sock, peer, arrival);
                }
            }
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning or stopping.
                tracing::warn!("{what}: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
