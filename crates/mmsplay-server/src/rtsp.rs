//! The rtsp side of the server. (Being written: this placeholder accepts and closes.)

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::ServerContext;

/// Accepts connections until the runtime stops.
pub async fn serve(listener: TcpListener, ctx: Arc<ServerContext>) {
    let _ = ctx;
    while let Ok((sock, _)) = listener.accept().await {
        drop(sock);
    }
}
