//! A relay source at a URL, played with mmsplay's own client transports (the full rollover for
//! `mms://`), reconnecting with a backoff whenever it drops. This is the one place the server
//! uses the client side of `mmsplay-net`.

use std::time::Duration;

use mmsplay_net::rollover::{self, RolloverPlan};
use mmsplay_net::{AsfEvent, ConnectOptions, StreamUrl};

use super::Pump;

/// Backoff between reconnects: from the first to the last, doubling.
const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_LAST: Duration = Duration::from_secs(5);
/// How long the source may stay silent before the connection is taken for dead.
const SOURCE_IDLE: Duration = Duration::from_secs(10);

/// Relays the URL for as long as the server runs.
pub async fn run(url: StreamUrl, mut pump: Pump) {
    let mut backoff = BACKOFF_FIRST;
    loop {
        let opts = ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            idle_timeout: SOURCE_IDLE,
            ..ConnectOptions::default()
        };
        let plan = RolloverPlan::new(&url, None);
        match rollover::connect(&url, plan, &opts, &mut |_| {}).await {
            Ok(mut session) => {
                tracing::info!("relay {}: connected to its source", pump.relay.name);
                backoff = BACKOFF_FIRST;
                loop {
                    match session.next_event().await {
                        Ok(AsfEvent::Header(h)) => {
                            if let Err(e) = pump.header(h) {
                                tracing::warn!("{e}");
                                break;
                            }
                        }
                        Ok(AsfEvent::Packet(p)) => pump.packet(&p).await,
                        Ok(AsfEvent::End) => break,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!("relay {}: source dropped: {e}", pump.relay.name);
                            break;
                        }
                    }
                }
                session.close().await;
            }
            Err(e) => tracing::warn!("relay {}: cannot reach the source: {e}", pump.relay.name),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_LAST);
    }
}
