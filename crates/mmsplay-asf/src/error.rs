//! The one error type of the ASF layer.

/// What went wrong while reading or writing ASF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AsfError {
    /// The input ended before a field that had to be there.
    #[error("asf: {what} is truncated at byte {offset}")]
    Truncated { what: &'static str, offset: usize },
    /// A field holds a value the format does not allow.
    #[error("asf: invalid {what} at byte {offset}")]
    Invalid { what: &'static str, offset: usize },
    /// A size or count is beyond what we accept from untrusted input.
    #[error("asf: {what} of {value} exceeds the limit of {limit}")]
    LimitExceeded {
        what: &'static str,
        value: u64,
        limit: u64,
    },
    /// A size that must be positive is 0 (nothing could be read with it).
    #[error("asf: {what} is 0 at byte {offset}")]
    Zero { what: &'static str, offset: usize },
    /// The input is not ASF at all.
    #[error("asf: not an ASF stream (no Header Object at the start)")]
    NotAsf,
    /// A required header object is missing.
    #[error("asf: the header has no {0}")]
    Missing(&'static str),
}

pub type Result<T> = std::result::Result<T, AsfError>;
