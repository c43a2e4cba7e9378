//! The server's error type.

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("serve: {0}")]
    Media(String),
    #[error("serve: cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("serve: {0}")]
    Usage(String),
}
