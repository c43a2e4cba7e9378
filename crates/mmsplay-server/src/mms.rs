//! The MMS side of the server ([MS-MMSP]): the TCP control connection on the MMS port, data
//! over that connection (MMST) or as UDP datagrams to the client's port (MMSU), and
//! RequestPacketListResend packets received on UDP at the same port number ([MS-MMSP] 3.1.4.7:
//! clients send them to the URL's port).

mod live;
mod resend;
mod session;

use std::sync::Arc;

use tokio::net::{TcpListener, UdpSocket};

use crate::ServerContext;

pub use resend::Resends;

/// Accepts connections until the runtime stops; one task per connection.
pub async fn serve(listener: TcpListener, ctx: Arc<ServerContext>) {
    live::start_clock();
    let udp = match listener.local_addr() {
        Ok(a) => match UdpSocket::bind(a).await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("mms: no UDP socket on {a} ({e}); resend requests are ignored");
                None
            }
        },
        Err(_) => None,
    };
    // Data is sent from the resend socket when there is one, so that captures show MMS
    // traffic on one port; otherwise from an ephemeral socket.
    let udp = match udp {
        Some(s) => Arc::new(s),
        None => match UdpSocket::bind("0.0.0.0:0").await {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::error!("mms: cannot open a UDP socket: {e}");
                return;
            }
        },
    };
    let resends = Arc::new(Resends::default());
    tokio::spawn(resend::receive(udp.clone(), resends.clone()));
    crate::accept::accept_each(listener, &ctx, "mms", |sock, peer, arrival| {
        let ctx = ctx.clone();
        let udp = udp.clone();
        let resends = resends.clone();
        tokio::spawn(async move {
            session::run(sock, peer, arrival, ctx, udp, resends).await;
        });
    })
    .await;
}
