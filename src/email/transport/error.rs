//! Why a send did not go through, sorted by whether trying again can help.

/// Why a send did not go through, sorted by whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The server or the network may recover: connection refused, timeouts, 4xx replies.
    #[error("{0}")]
    Transient(String),
    /// Trying again cannot help: a 5xx reply, an address or message that cannot be built.
    #[error("{0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent(_))
    }
}

/// 5xx replies are permanent; everything else (refused or dropped connections,
/// timeouts, 4xx replies, TLS trouble, garbled replies) may pass, so it is retried.
pub(super) fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let text = e.to_string();
    if e.is_permanent() {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}
