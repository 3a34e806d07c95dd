//! Notices to organizers that something new waits for review (a request for an
//! invitation, a nomination, a scholarship request), for those who asked for them.

use serde_json::json;
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
    let subscribers = organizer::notice_subscribers(conn)?;
    if subscribers.is_empty() {
        return Ok(());
    }
    for o in subscribers {
        outbox::queue(
            conn,
            Outgoing {
                template: "review_notice",
                to: o.email.clone(),
                context: json!({
                    "event": messages::event_context(event),
                    "organizer": { "name": o.name },
                    "item": { "kind": kind, "from": from },
                    "dashboard_link": messages::web_link(base, &format!("/admin/events/{}", event.slug)),
                }),
                attachments: vec![],
                event_id: Some(event.id.clone()),
                entity: Some(("organizer", o.id.clone())),
            },
        )?;
    }
    Ok(())
}
