//! An announcement's email: the organizers' subject and Markdown body (the HTML part
//! rendered and cleaned, the text part the Markdown as written), and for a registrant a
//! link to manage the registration, as every email to a registrant carries.

use serde_json::json;

use super::messages::event_context;
use super::Outgoing;
use crate::db::models::announcement::{Announcement, ENTITY};
use crate::db::models::event::Event;

/// The announcement for one recipient; `manage_link` for a registrant.
pub fn announcement(
    event: &Event,
    a: &Announcement,
    to: &str,
    full_name: &str,
    manage_link: Option<&str>,
) -> Outgoing {
    Outgoing {
        template: "announcement",
        to: to.to_owned(),
        context: json!({
            "event": event_context(event),
            "recipient": { "full_name": full_name },
            "subject": a.subject,
            "body": a.body,
            "manage_link": manage_link,
        }),
        attachments: vec![],
        event_id: Some(event.id.clone()),
        entity: Some((ENTITY, a.id.clone())),
    }
}
