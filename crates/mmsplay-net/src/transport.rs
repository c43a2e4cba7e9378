//! The tokio side: one module per protocol family, each turning its protocol into the uniform
//! [`crate::stream::AsfEvent`] stream. Only this module and `rollover` use tokio.

pub mod http;
pub mod mms;
pub mod mmsh;
pub mod rtsp;
