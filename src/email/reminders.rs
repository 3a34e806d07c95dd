//! The reminder before the event: its dates and place, the organizers' practical
//! information, the calendar file, and a fresh manage link.

use serde_json::json;
use url::Url;

use super::messages::{calendar, registration_email};
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
    let practical_info = (!event.practical_info.trim().is_empty()).then_some(&event.practical_info);
    registration_email(
        "registration_reminder",
        event,
        reg,
        json!({ "manage_link": manage_link, "practical_info": practical_info }),
        vec![calendar(event, reg, base, None).attachment()],
    )
}
