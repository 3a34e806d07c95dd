//! Delivery of one stored email: builds the MIME message from an outbox row and hands
//! it to SMTP, or writes it as an `.eml` file when no SMTP server is configured.
//!
//! SMTP connections are opened here rather than by lettre's pooled transport, and are
//! kept open and reused across sends. lettre writes a message and its closing `.` in two
//! writes and waits for the reply; on its own sockets, without `TCP_NODELAY`, Nagle's
//! algorithm held the `.` back until the server acknowledged the message, which Linux
//! delays by 40 ms: at most 25 messages/s per connection (170 emails/s measured with 8).
//! Our sockets have `TCP_NODELAY`; lettre still speaks SMTP on them, does STARTTLS and
//! implicit TLS with its own TLS settings, and authenticates.
//!
//! One file per job: [`smtp`] opens a connection ready to send, [`smtp_pool`] keeps them
//! open between sends, [`transaction`] sends one message on one, [`tls_first`] adapts
//! implicit TLS, [`mime`] builds the message, [`eml`] writes files, [`error`] sorts
//! failures.

mod eml;
mod error;
mod mime;
mod smtp;
mod smtp_pool;
mod tls_first;
mod transaction;

#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use anyhow::Context;
use lettre::message::dkim::{DkimCanonicalization, DkimCanonicalizationType, DkimConfig};
use lettre::message::header::HeaderName;
use lettre::message::Mailbox;

pub use error::SendError;
pub use mime::{build_message, CALENDAR_CONTENT_TYPE};

use super::outbox::StoredEmail;
use crate::config::EmailSettings;
use smtp::SmtpServer;
use smtp_pool::{quit, SmtpPool, SMTP_IDLE_TIMEOUT};

/// The headers a DKIM signature covers (those absent from a message are left out).
/// Not `Content-Type`: lettre writes a multipart's only when it formats the message,
/// after signing, so a signature naming it would never verify.
const SIGNED_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
];

/// Where mail goes: an SMTP server (pooled connections) or a folder of `.eml` files.
pub struct Transport {
    from: Mailbox,
    /// Signs every message for the sender's domain when DKIM is set up.
    dkim: Option<Arc<DkimConfig>>,
    /// Where verifiers find the public key: `{selector}._domainkey.{domain}`.
    dkim_record: Option<String>,
    kind: Kind,
}

enum Kind {
    Smtp(Box<SmtpPool>),
    Files(PathBuf),
}

impl Transport {
    /// Builds the transport from the SMTP settings (or `CONVENE_MAIL_DIR` without them).
    /// `pool_size` is the most connections open to the SMTP server at once.
    pub fn from_settings(settings: &EmailSettings, pool_size: u32) -> anyhow::Result<Self> {
        let from = settings.mail_from.clone();
        let kind = match &settings.smtp {
            Some(smtp) => Kind::Smtp(Box::new(SmtpPool::new(SmtpServer::new(smtp)?, pool_size))),
            None => {
                std::fs::create_dir_all(&settings.mail_dir).with_context(|| {
                    format!(
                        "cannot create the mail folder {}",
                        settings.mail_dir.display()
                    )
                })?;
                Kind::Files(settings.mail_dir.clone())
            }
        };
        let dkim = settings.dkim.as_ref().map(|d| {
            Arc::new(DkimConfig::new(
                d.selector.clone(),
                from.email.domain().to_owned(),
                d.signing_key(),
                SIGNED_HEADERS
                    .iter()
                    .map(|h| HeaderName::new_from_ascii_str(h))
                    .collect(),
                // Relaxed: what MTAs on the way may rewrite (folding, case of names,
                // trailing space) does not break the signature.
                DkimCanonicalization {
                    header: DkimCanonicalizationType::Relaxed,
                    body: DkimCanonicalizationType::Relaxed,
                },
            ))
        });
        let dkim_record = settings
            .dkim
            .as_ref()
            .map(|d| format!("{}._domainkey.{}", d.selector, from.email.domain()));
        Ok(Self {
            from,
            dkim,
            dkim_record,
            kind,
        })
    }

    /// How mail is signed, for the startup log: `DKIM selector._domainkey.domain`.
    pub fn signing(&self) -> Option<String> {
        self.dkim_record.clone()
    }

    /// Where mail goes, for the startup log (never the SMTP credentials).
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Smtp(pool) => pool.server.describe().to_owned(),
            Kind::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// How SMTP connections are encrypted, for the startup log; None for `.eml` files.
    pub fn tls_mode(&self) -> Option<crate::config::SmtpTls> {
        match &self.kind {
            Kind::Smtp(pool) => Some(pool.server.mode()),
            Kind::Files(_) => None,
        }
    }

    /// Sends one stored email, or writes it to the mail folder.
    pub async fn send(&self, email: &StoredEmail) -> Result<(), SendError> {
        // Drawing a QR code and an RSA signature take a millisecond or two each: off the
        // async threads.
        let (stored, from, dkim) = (email.clone(), self.from.clone(), self.dkim.clone());
        let message = tokio::task::spawn_blocking(move || {
            let mut message = build_message(&stored, &from)?;
            if let Some(dkim) = dkim {
                message.sign(&dkim);
            }
            Ok::<_, SendError>(message)
        })
        .await
        .map_err(|e| SendError::Transient(format!("building the message failed: {e}")))??;
        match &self.kind {
            Kind::Smtp(pool) => pool.send(&message).await,
            Kind::Files(dir) => {
                let dir = dir.clone();
                let id = email.id.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || eml::write_eml(&dir, &id, &bytes))
                    .await
                    .map_err(|e| SendError::Transient(format!("writing the file failed: {e}")))?
            }
        }
    }

    /// Closes, in the background, the SMTP connections unused for a minute.
    pub fn close_idle(&self) {
        if let Kind::Smtp(pool) = &self.kind {
            let stale = pool.take_idle(SMTP_IDLE_TIMEOUT);
            if !stale.is_empty() {
                tokio::spawn(futures_util::future::join_all(stale.into_iter().map(quit)));
            }
        }
    }

    /// Closes every idle SMTP connection, for a clean stop; returns once the server
    /// answered the QUITs (or did not in time).
    pub async fn shutdown(&self) {
        if let Kind::Smtp(pool) = &self.kind {
            let idle = pool.take_idle(Duration::ZERO);
            futures_util::future::join_all(idle.into_iter().map(quit)).await;
        }
    }
}
