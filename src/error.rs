//! The one error type of the service. It is mapped to `application/problem+json`
//! in exactly one place, `http::problem`.
//!
//! Which variant to use:
//! - [`AppError::Validation`]: a field of the input is wrong (422, every field named).
//! - [`AppError::BadRequest`]: the body cannot be read at all (400).
//! - [`AppError::RequestTimeout`]: the client did not send its request in time (408).
//! - [`AppError::Unauthenticated`] / [`AppError::Forbidden`]: not signed in (401) / wrong role or origin (403).
//! - [`AppError::NotFound`], [`AppError::Conflict`]: 404, 409 (`Conflict` for a handler's own
//!   words in `http`).
//! - [`AppError::Refused`]: a change the state of things does not allow, as a typed
//!   [`Refusal`] (409, or 410 for what has ended, status and words chosen in `http` only);
//!   outside `http`, use it rather than a sentence.
//! - [`AppError::UnknownToken`]: a secret link's token matches nothing (404 like `NotFound`,
//!   but counted against the client's address, since only guessing produces many).
//! - [`AppError::MethodNotAllowed`]: a known path asked with a method it does not answer
//!   (405 with `Allow`).
//! - [`AppError::TooManyRequests`]: throttled (429 with `Retry-After`).
//! - [`AppError::Unavailable`]: the database cannot be reached right now, or is too busy (503).
//! - [`AppError::StorageFull`]: the database's disk is full, or it is read-only (507).
//! - [`AppError::Internal`]: anything unexpected (500, opaque to the client, logged with its cause chain).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::domain::refusal::{Refusal, Transition};

/// Messages per field, keyed by the field's JSON path (`community.name`).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    /// Adds the errors of a nested object under `prefix.`.
    pub fn merge_prefixed(&mut self, prefix: &str, other: FieldErrors) {
        for (field, messages) in other.0 {
            let key = if prefix.is_empty() {
                field
            } else {
                format!("{prefix}.{field}")
            };
            self.0.entry(key).or_default().extend(messages);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Each field with its messages, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// `Ok(())` when nothing was added, so a parser can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("unknown token for a {0}")]
    UnknownToken(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("refused: {0}")]
    Refused(Refusal),
    /// The methods the path answers, as `Allow` lists them (`GET, POST`).
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed { allow: String },
    #[error("too many requests")]
    TooManyRequests { retry_after: Duration },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("storage full or read-only: {0}")]
    StorageFull(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

/// A refused transition of any state machine is a refusal (`status.transition(to)?`).
impl<S> From<Transition<S>> for AppError
where
    Refusal: From<Transition<S>>,
{
    fn from(t: Transition<S>) -> Self {
        Self::Refused(t.into())
    }
}

impl AppError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(detail.into())
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::single(field, message))
    }
}

// The two checks below read the message because diesel's `DatabaseErrorKind` has no kind
// for these (SQLite's extended result code and PostgreSQL's SQLSTATE for them are not
// exposed through it); unique violations and closed connections use their kinds.

/// Whether a database error says that nothing can be written: a full disk (SQLite's
/// `SQLITE_FULL`, PostgreSQL's "No space left on device") or a read-only database file.
fn cannot_write(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("database or disk is full")
        || m.contains("no space left on device")
        || m.contains("readonly database")
        || m.contains("read-only file system")
}

/// Whether a database error says that the server is going away or gone (PostgreSQL shut
/// down or restarted under the connection), which a retry later can cure.
fn server_gone(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("terminating connection")
        || m.contains("server closed the connection")
        || m.contains("the database system is shutting down")
        || m.contains("no connection to the server")
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("record".into()),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(format!("database connection closed: {}", info.message()))
            }
            Error::DatabaseError(_, info) if server_gone(info.message()) => {
                Self::Unavailable(format!("database connection lost: {}", info.message()))
            }
            Error::DatabaseError(_, info) if cannot_write(info.message()) => {
                Self::StorageFull(info.message().to_owned())
            }
            // SQLite's writer lock still held by others after the busy timeout: overload,
            // and nothing was done, so the client may try again.
            Error::DatabaseError(_, info) if info.message().contains("database is locked") => {
                Self::Unavailable(format!("database busy: {}", info.message()))
            }
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}
