//! A bounce: a delivery status notification (RFC 3464) about an email the mail server had
//! accepted, posted to `/bounces` or read from the bounce mailbox by the sweeper. The
//! email it returns (found by its Message-ID) is marked `bounced` with the server's words,
//! which its invitation then shows, and the change is audited.
//!
//! A report that names no email of ours, or no failure, changes nothing and is not an
//! error: whoever passes reports on (a mail server's pipe, the mailbox reader) should
//! not retry it or send it back.

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::DbConnection;
use crate::email::dsn::DeliveryReport;
use crate::email::outbox;
use crate::error::AppError;

/// What a report did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BounceOutcome {
    /// The email was sent and is now `bounced`.
    Bounced { email_id: String },
    /// The email had already been marked bounced (the same report twice): no change.
    AlreadyBounced { email_id: String },
    /// The email is known, but not in a state a bounce applies to (not sent yet, or
    /// failed at sending): no change.
    NotSent { email_id: String, status: String },
    /// The report is a delay or success notice, not a failure: no change.
    NotAFailure,
    /// The report names no email of ours (no Message-ID, or one we never sent, or one
    /// removed since): no change.
    UnknownMessage,
}

/// Applies one report, in the caller's transaction.
pub fn record_bounce(
    conn: &mut DbConnection,
    report: &DeliveryReport,
) -> Result<BounceOutcome, AppError> {
    let Some(failure) = report.failure() else {
        return Ok(BounceOutcome::NotAFailure);
    };
    let Some(message_id) = report.message_id.as_deref() else {
        return Ok(BounceOutcome::UnknownMessage);
    };
    let Some(email) = outbox::find_by_message_id(conn, message_id)? else {
        return Ok(BounceOutcome::UnknownMessage);
    };
    let reason = failure.describe();
    if !outbox::record_bounce(conn, &email.id, &reason)? {
        return Ok(if email.status == "bounced" {
            BounceOutcome::AlreadyBounced { email_id: email.id }
        } else {
            BounceOutcome::NotSent {
                email_id: email.id,
                status: email.status,
            }
        });
    }
    audit::record(
        conn,
        &Actor::system(),
        Entry::new("email.bounced", "email", &email.id, email.event_id.as_ref())
            .before(audit::state(&serde_json::json!({ "status": "sent" })))
            .after(audit::state(&serde_json::json!({
                "status": "bounced",
                "status_code": failure.status,
                "reason": reason,
            }))),
    )?;
    tracing::info!(email_id = %email.id, status = %failure.status, "email bounced");
    Ok(BounceOutcome::Bounced { email_id: email.id })
}
