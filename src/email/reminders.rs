//! What registrants are told as the event nears or changes: the reminder before it (its
//! dates and place, the organizers' practical information) and the notice that its dates
//! or venue changed (with what they were); each with the calendar file and a fresh manage
//! link.

use serde_json::json;
use url::Url;

use super::messages::{calendar, event_context, registration_email};
use super::Outgoing;
use crate::db::models::event::Event;
use crate::db::models::registration::Registration;

/// "See you soon", with the calendar file and the manage link.
pub fn registration_reminder(
    event: &Event,
    reg: &Registration,
    base: &Url,
    manage_link: &str,
) -> Outgoing {
    registration_email(
        "registration_reminder",
        event,
        reg,
        json!({ "manage_link": manage_link }),
        vec![calendar(event, reg, base).attachment()],
    )
}

/// "The dates or the place changed": the new calendar entry (same UID, higher SEQUENCE),
/// what it was before, and the manage link.
pub fn event_changed(
    before: &Event,
    event: &Event,
    reg: &Registration,
    base: &Url,
    manage_link: &str,
) -> Outgoing {
    registration_email(
        "event_changed",
        event,
        reg,
        json!({ "manage_link": manage_link, "before": event_context(before) }),
        vec![calendar(event, reg, base).attachment()],
    )
}
