//! The accept loop every protocol shares: a place among the clients for each connection, a
//! back-off when accepting fails, and no new connections once the server shuts down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::ServerContext;
use crate::clients::Arrival;

/// The kernel send buffer of each connection. Without a bound, Linux grows it up to
/// `tcp_wmem`'s maximum (4 MiB by default) for a client that does not read: ten thousand
/// listeners could pin gigabytes, and a stuck listener would take minutes to notice.
/// 64 KiB is 4 s of 128 kb/s audio (the kernel doubles it for its bookkeeping).
const SEND_BUFFER: usize = 64 * 1024;

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
                    if let Err(e) = socket2::SockRef::from(&sock).set_send_buffer_size(SEND_BUFFER)
                    {
                        tracing::debug!("{what}: cannot bound the send buffer of {peer}: {e}");
                    }
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
