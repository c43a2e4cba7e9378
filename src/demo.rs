//! `mmsplay --demo`: the built-in server on loopback with the bundled demo stream, some
//! transports made to fail the way firewalls and old servers did, and `mms://` played from it,
//! so that the whole rollover can be watched.

use std::sync::Arc;

use mmsplay_net::{Ports, Transport};
use mmsplay_server::{Faults, Media, ServerOptions};

/// The demo stream: see `assets/make-demo.sh`.
const DEMO_ASSET: &[u8] = include_bytes!("../assets/demo.wma");
pub const DEMO_NAME: &str = "demo.wma";

/// A running demo server and the URL and ports to play it with.
pub struct Demo {
    pub url: String,
    pub ports: Ports,
}

/// Starts the demo server on the current runtime: RTSP/UDP and MMS/UDP blackholed (their media
/// never arrives), RTSP/TCP refused, MMS/TCP and MMSH working.
pub async fn start() -> anyhow::Result<Demo> {
    let media = Media::from_bytes(DEMO_NAME.to_string(), DEMO_ASSET)
        .map_err(|e| anyhow::anyhow!("the bundled demo asset is damaged: {e}"))?;
    let faults = Faults {
        refuse: [Transport::Rtspt].into_iter().collect(),
        blackhole: [Transport::Rtspu, Transport::Mmsu].into_iter().collect(),
        udp_loss: 0.0,
        seed: 1,
    };
    let opts = ServerOptions {
        files: Vec::new(),
        media: vec![Arc::new(media)],
        bind: "127.0.0.1".into(),
        rtsp_port: 0,
        mms_port: 0,
        http_port: 0,
        faults,
        live: false,
        fast: false,
        ..ServerOptions::default()
    };
    let bound =
        mmsplay_server::start(opts, Box::new(|line| tracing::info!("server: {line}"))).await?;
    Ok(Demo {
        url: format!("mms://127.0.0.1/{DEMO_NAME}"),
        ports: Ports {
            rtsp: bound.rtsp.port(),
            mms: bound.mms.port(),
            http: bound.http.port(),
        },
    })
}
