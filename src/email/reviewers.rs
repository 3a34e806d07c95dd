//! Notices to organizers who asked for them (`review_notices: each`): that something new
//! waits for review (a request for an invitation, a nomination, a scholarship request),
//! and that a person stepped back (an invitee declined, a registrant cancelled), which
//! frees a place they may want to offer to someone else.

use serde_json::{json, Value};
use url::Url;

use super::{messages, outbox, Outgoing};
use crate::db::models::event::Event;
use crate::db::models::organizer;
use crate::db::DbConnection;
use crate::error::AppError;

/// Queues a notice to every organizer who wants one, in the caller's transaction.
/// `kind` names the item in words ("invitation request"); `from` is who it came from.
pub fn notify(
    conn: &mut DbConnection,
    base: &Url,
    event: &Event,
    kind: &str,
    from: &str,
) -> Result<(), AppError> {
    let path = format!("/admin/events/{}", event.slug);
    queue_for_subscribers(
        conn,
        base,
        event,
        "review_notice",
        &path,
        json!({ "item": { "kind": kind, "from": from } }),
    )
}

/// Queues news of a person to every organizer who wants notices, in the caller's
/// transaction: `headline` is one line ("Maria Lopez declined the invitation"), `reason`
/// what the person gave, `path` the dashboard page about it.
pub fn tell(
    conn: &mut DbConnection,
    base: &Url,
    event: &Event,
    headline: &str,
    reason: Option<&str>,
    path: &str,
) -> Result<(), AppError> {
    queue_for_subscribers(
        conn,
        base,
        event,
        "organizer_update",
        path,
        json!({ "update": { "headline": headline, "reason": reason } }),
    )
}

fn queue_for_subscribers(
    conn: &mut DbConnection,
    base: &Url,
    event: &Event,
    template: &'static str,
    path: &str,
    extra: Value,
) -> Result<(), AppError> {
    for o in organizer::notice_subscribers(conn)? {
        let mut context = json!({
            "event": messages::event_context(event),
            "organizer": { "name": o.name },
            "dashboard_link": messages::web_link(base, path),
        });
        if let (Some(c), Value::Object(more)) = (context.as_object_mut(), &extra) {
            c.extend(more.clone());
        }
        outbox::queue(
            conn,
            Outgoing {
                template,
                to: o.email.clone(),
                context,
                attachments: vec![],
                event_id: Some(event.id.clone()),
                entity: Some(("organizer", o.id.clone())),
            },
        )?;
    }
    Ok(())
}
