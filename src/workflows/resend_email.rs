//! Sending failed emails again: one, from its row on the event's Emails page, or every
//! failed email of the event at once (after a wrong SMTP password failed them one by
//! one, say). Each is queued again as new (attempts 0, due now) and audited.

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::DbConnection;
use crate::email::outbox::{self, EmailSummary};
use crate::error::AppError;

/// What sending every failed email again did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResentFailed {
    /// Failed emails queued again.
    pub requeued: usize,
    /// Failed emails whose body is no longer kept, so they cannot be sent again.
    pub not_resendable: usize,
}

/// Queues one failed email of the event again (404 unknown; 409 not failed, or its
/// body is gone).
pub fn resend_one(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    id: &str,
) -> Result<EmailSummary, AppError> {
    let event = event::find_by_slug(conn, slug)?;
    let email = outbox::requeue(conn, &event.id, id)?;
    audit::record(
        conn,
        actor,
        Entry::new("email.resent", "email", &email.id, Some(&event.id))
            .before(audit::state(&serde_json::json!({ "status": "failed" })))
            .after(audit::state(&serde_json::json!({ "status": email.status }))),
    )?;
    Ok(email)
}

/// Queues every failed email of the event again that still has its body: one audit
/// entry for the event, with how many.
pub fn resend_failed(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
) -> Result<ResentFailed, AppError> {
    let event = event::find_by_slug(conn, slug)?;
    let (requeued, not_resendable) = outbox::requeue_failed(conn, &event.id)?;
    let done = ResentFailed {
        requeued,
        not_resendable,
    };
    if requeued > 0 {
        audit::record(
            conn,
            actor,
            Entry::new(
                "emails.resent_failed",
                "event",
                event.id.as_str(),
                Some(&event.id),
            )
            .after(audit::state(&serde_json::json!({
                "requeued": requeued,
                "not_resendable": not_resendable,
            }))),
        )?;
    }
    Ok(done)
}
