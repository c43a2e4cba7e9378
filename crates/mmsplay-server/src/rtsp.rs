//! The RTSP side of `mmsplay serve`: RTSP with the Windows Media extensions, ASF over RTP on
//! UDP (`rtspu`) and interleaved in the RTSP connection (`rtspt`), answering as Windows Media
//! Services 9 does so that ffmpeg and GStreamer take their Windows Media paths
//! (docs/protocols.md 6.4 and 6A.4 are the recipe this follows).
//!
//! Each connection runs in its own task (`connection`); PLAY starts a task that paces the
//! file's packets out as `x-asf-pf` RTP (`streamer`), and a UDP session answers NACKs on its
//! RTCP port by resending to the client's retransmission port. `--live` loops each file on a
//! forward-moving timeline (`mmsplay_asf::timing`).
//!
//! Faults: `--refuse rtspu`/`rtspt` answers a SETUP for that transport with 461 (both: 503 to
//! DESCRIBE); `--blackhole rtspu` answers everything but never sends RTP; `--blackhole rtspt`
//! goes silent from the SETUP that asks for TCP on (no reply, nothing after); `--udp-loss`
//! withholds UDP data packets (a NACK can still get them resent).

mod connection;
mod prepared;
mod streamer;
mod wire;

pub use prepared::RtpPacket;

use std::sync::{Arc, OnceLock};

use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::ServerContext;

/// When the live broadcasts "started": every live session joins relative to it.
static LIVE_EPOCH: OnceLock<Instant> = OnceLock::new();

pub(crate) fn live_epoch() -> Instant {
    *LIVE_EPOCH.get_or_init(Instant::now)
}

/// Accepts connections until the runtime stops.
pub async fn serve(listener: TcpListener, ctx: Arc<ServerContext>) {
    live_epoch();
    crate::accept::accept_each(listener, &ctx, "rtsp", |sock, peer, arrival| {
        tokio::spawn(connection::handle(sock, peer, arrival, ctx.clone()));
    })
    .await;
}
