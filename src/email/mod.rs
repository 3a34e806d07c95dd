//! Email: templates compiled in from `emails/`, the outbox written in the caller's
//! transaction, and the worker that delivers it (SMTP, or `.eml` files).
//!
//! To send an email, build an [`Outgoing`] inside the transaction of the change that
//! causes it and pass it to [`outbox::queue`]; after the commit, call
//! [`OutboxSignal::notify`] so the worker sends it at once instead of at its next poll.

pub mod announcements;
pub mod bounce_mailbox;
pub mod claims;
pub mod dsn;
pub mod ics;
pub mod invitation_requests;
pub mod messages;
pub mod nominations;
pub mod outbox;
pub mod reminders;
pub mod reviewers;
pub mod scholarships;
pub mod surveys;
pub mod templates;
pub mod transport;
pub mod wording;
pub mod worker;

use std::sync::Arc;

use tokio::sync::watch;

use crate::domain::EventId;

/// One email to queue: which template, to whom, and the template's variables.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// A folder under `emails/` (see [`templates::TEMPLATES`]).
    pub template: &'static str,
    pub to: String,
    pub context: serde_json::Value,
    pub attachments: Vec<Attachment>,
    pub event_id: Option<EventId>,
    /// The record the email is about (`("registration", id)`), for the organizers' view.
    pub entity: Option<(&'static str, String)>,
}

/// A file sent with an email, as stored in the outbox row (JSON).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    /// The file: its text, or its bytes in base64 when `base64` is set (images).
    pub content: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base64: bool,
    /// Set for a part shown inside the HTML (`<img src="cid:...">`) rather than offered
    /// as a file: it is sent in a `multipart/related` part beside the HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    /// Set when `content` is not the file but what it is drawn from, when the message is
    /// built: a QR code is drawn by the worker, not in the transaction that queues the
    /// email (drawing and storing the PNG there halved the registrations per second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawn: Option<Drawing>,
}

/// How the file of an [`Attachment`] is drawn from its `content`.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Drawing {
    /// A PNG of the QR code of the text in `content` (a check-in code).
    QrPng,
}

impl Attachment {
    /// An image shown inside the HTML as `cid:{content_id}`.
    pub fn inline_image(
        content_id: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Self {
        use base64::Engine as _;
        Self {
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            content: base64::engine::general_purpose::STANDARD.encode(bytes),
            base64: true,
            content_id: Some(content_id.to_owned()),
            drawn: None,
        }
    }

    /// A PNG of the QR code of `text`, shown inside the HTML as `cid:{content_id}`; it is
    /// drawn when the message is built (see [`Attachment::bytes`]).
    pub fn inline_qr_code(content_id: &str, filename: &str, text: &str) -> Self {
        Self {
            filename: filename.to_owned(),
            content_type: "image/png".to_owned(),
            content: text.to_owned(),
            base64: false,
            content_id: Some(content_id.to_owned()),
            drawn: Some(Drawing::QrPng),
        }
    }

    /// The file's bytes; `None` when base64 content does not decode, or a drawing cannot
    /// be made.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        if let Some(Drawing::QrPng) = self.drawn {
            return crate::domain::check_in::qr_png(&self.content).ok();
        }
        if self.base64 {
            base64::engine::general_purpose::STANDARD
                .decode(&self.content)
                .ok()
        } else {
            Some(self.content.clone().into_bytes())
        }
    }
}

/// Wakes the outbox worker when mail was queued; cheap to clone.
///
/// It counts the notifications rather than keeping one permit: the worker notes the
/// count just before it claims, and wakes again only for mail queued after that, since
/// mail queued before was there for its claim to take. With a permit, the notifications
/// of a batch of invitations (one each) left one behind after the claim that took them
/// all, and the worker claimed again to find nothing: 1,774 of 3,027 claims in the
/// benchmark's invitations through the API on PostgreSQL, each a transaction on the
/// pool beside the committer's.
#[derive(Clone)]
pub struct OutboxSignal(Arc<watch::Sender<u64>>);

impl Default for OutboxSignal {
    fn default() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }
}

impl OutboxSignal {
    pub fn notify(&self) {
        self.0
            .send_modify(|queued| *queued = queued.wrapping_add(1));
    }

    /// The worker's view of the notifications: [`Wakeups::claiming`] before each claim,
    /// [`Wakeups::queued`] to wait for mail queued since.
    pub fn subscribe(&self) -> Wakeups {
        Wakeups(self.0.subscribe())
    }
}

/// See [`OutboxSignal::subscribe`].
pub struct Wakeups(watch::Receiver<u64>);

impl Wakeups {
    /// Marks every notification so far as seen: called just before a claim, which finds
    /// the mail they were for.
    pub fn claiming(&mut self) {
        self.0.borrow_and_update();
    }

    /// Returns once mail was queued after the last [`Self::claiming`] (at once if it was
    /// already). Never returns while the [`OutboxSignal`] that made `self` is kept.
    pub async fn queued(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
