//! A plain ASF file served by a web server (no MS-WMSP framing), played while it downloads:
//! the body is the file, so it is cut into the same header and packet events a local file
//! gives.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mmsplay_asf::{FileLayout, header_object_len};
use mmsplay_net::{AsfEvent, StreamUrl, TransportStats};
use tokio::sync::mpsc;

use crate::metafile::fetch::{self, HttpBody, deadline_in};
use crate::player::PlayError;

/// Longest wait for the next bytes once playing.
const IDLE: Duration = Duration::from_secs(10);
/// Most bytes read before the first packet.
const MAX_PREFIX: usize = mmsplay_asf::limits::MAX_HEADER_SIZE as usize + 64;

/// A download with its header read.
pub struct Opened {
    body: HttpBody,
    layout: FileLayout,
    header: Bytes,
    /// Body bytes read past the header.
    rest: Vec<u8>,
}

/// GETs the file and reads its header, within `timeout`.
pub async fn open(
    url: &StreamUrl,
    default_port: u16,
    proxy: &mmsplay_net::proxy::ProxyConfig,
    credentials: Option<&mmsplay_net::auth::GivenCredentials>,
    timeout: Duration,
) -> Result<Opened, PlayError> {
    let deadline = deadline_in(timeout);
    let err = |m: String| PlayError::Input(format!("{}: {m}", url_text(url)));
    let mut body = fetch::get(url, default_port, proxy, credentials, deadline)
        .await
        .map_err(|e| err(e.to_string()))?;
    let mut buf = Vec::new();
    body.read_at_least(&mut buf, 24, deadline)
        .await
        .map_err(|e| err(e.to_string()))?;
    let hlen = header_object_len(&buf).map_err(|e| err(e.to_string()))?;
    let want = hlen + mmsplay_asf::header::DATA_OBJECT_FIXED_LEN;
    if want > MAX_PREFIX {
        return Err(err("the ASF header is too large".into()));
    }
    body.read_at_least(&mut buf, want, deadline)
        .await
        .map_err(|e| err(e.to_string()))?;
    if buf.len() < want {
        return Err(err("the ASF header is truncated".into()));
    }
    let rest = buf.split_off(want);
    let len = body.head().content_length().unwrap_or(u64::MAX);
    let layout = FileLayout::parse(&buf, len).map_err(|e| err(e.to_string()))?;
    Ok(Opened {
        body,
        layout,
        header: Bytes::from(buf),
        rest,
    })
}

/// Sends the header, then packets as they download, then the end.
pub async fn pump(
    mut o: Opened,
    tx: mpsc::Sender<AsfEvent>,
    stats: Arc<TransportStats>,
) -> Option<mmsplay_net::NetError> {
    if tx.send(AsfEvent::Header(o.header.clone())).await.is_err() {
        return None;
    }
    let size = o.layout.packet_size as usize;
    let mut buf = std::mem::take(&mut o.rest);
    let mut sent = 0u64;
    let mut ended = false;
    while sent < o.layout.packet_count {
        if buf.len() < size {
            if ended {
                break;
            }
            match o.body.read_some(&mut buf, deadline_in(IDLE)).await {
                Ok(true) => continue,
                Ok(false) => {
                    ended = true;
                    continue;
                }
                Err(e) => {
                    let _ = tx.send(AsfEvent::End).await;
                    return Some(mmsplay_net::NetError::closed(e.to_string()));
                }
            }
        }
        let rest = buf.split_off(size);
        let p = std::mem::replace(&mut buf, rest);
        stats.packet(size);
        sent += 1;
        if tx.send(AsfEvent::Packet(Bytes::from(p))).await.is_err() {
            return None;
        }
    }
    let _ = tx.send(AsfEvent::End).await;
    None
}

fn url_text(u: &StreamUrl) -> String {
    format!("http://{}{}", u.authority(u.port.unwrap_or(80)), u.path)
}
