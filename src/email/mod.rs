//! Email: templates compiled in from `emails/`, the outbox written in the caller's
//! transaction, and the worker that delivers it (SMTP, or `.eml` files).
//!
//! To send an email, build an [`Outgoing`] inside the transaction of the change that
//! causes it and pass it to [`outbox::queue`]; after the commit, call
//! [`OutboxSignal::notify`] so the worker sends it at once instead of at its next poll.

pub mod ics;
pub mod invitation_requests;
pub mod messages;
pub mod nominations;
pub mod outbox;
pub mod reviewers;
pub mod scholarships;
pub mod templates;
pub mod transport;
pub mod worker;

use std::sync::Arc;

use tokio::sync::Notify;

/// One email to queue: which template, to whom, and the template's variables.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// A folder under `emails/` (see [`templates::TEMPLATES`]).
    pub template: &'static str,
    pub to: String,
    pub context: serde_json::Value,
    pub attachments: Vec<Attachment>,
    pub event_id: Option<String>,
    /// The record the email is about (`("registration", id)`), for the organizers' view.
    pub entity: Option<(&'static str, String)>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

/// Wakes the outbox worker when mail was queued; cheap to clone.
#[derive(Clone, Default)]
pub struct OutboxSignal(Arc<Notify>);

impl OutboxSignal {
    pub fn notify(&self) {
        self.0.notify_one();
    }

    pub async fn notified(&self) {
        self.0.notified().await;
    }
}
