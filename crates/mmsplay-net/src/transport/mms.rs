//! Mms over tokio. (Being written: this placeholder fails every connect.)

use crate::Transport;
use crate::error::{NetError, Result};
use crate::session::{AsfEvent, ConnectOptions};
use crate::url::StreamUrl;

pub struct MmsSession {
    transport: Transport,
}

impl MmsSession {
    pub async fn connect(url: &StreamUrl, t: Transport, opts: &ConnectOptions) -> Result<Self> {
        let _ = (url, opts);
        let _ = Self { transport: t };
        Err(NetError::unsupported(
            "this transport is not implemented yet",
        ))
    }

    pub async fn next_event(&mut self) -> Result<AsfEvent> {
        Err(NetError::unsupported(
            "this transport is not implemented yet",
        ))
    }

    pub fn transport(&self) -> Transport {
        self.transport
    }

    pub async fn close(self) {}
}
