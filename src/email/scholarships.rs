//! The emails of travel scholarships, all to the registrant: the receipt of a request,
//! the decision (approved with the amount and the time to answer by, declined,
//! waitlisted), the reminder to answer an award, and the notice that it lapsed.
//!
//! Each but the receipt carries a manage link made for the email
//! (`workflows::links::new_manage_link`); the receipt has the registrant's link at hand
//! when sent with the registration.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::messages::{format_date, registration_email};
use super::Outgoing;
use crate::db::models::event::Event;
use crate::db::models::registration::Registration;
use crate::db::models::scholarship::ScholarshipRequest;
use crate::domain::scholarship::ScholarshipStatus;

/// "Friday 15 January 2027, 23:59 EST": a deadline in the event's time zone.
pub fn format_deadline(event: &Event, at: DateTime<Utc>) -> String {
    match event.timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => {
            let local = at.with_timezone(&tz);
            format!(
                "{}, {}",
                format_date(local.date_naive()),
                local.format("%H:%M %Z")
            )
        }
        Err(_) => format!(
            "{}, {} UTC",
            format_date(at.date_naive()),
            at.format("%H:%M")
        ),
    }
}

/// The request as the templates see it; amounts in cents, for the `money` filter.
fn scholarship_context(event: &Event, s: &ScholarshipRequest) -> Value {
    json!({
        "travelers": s.travelers,
        "estimated_cents": s.estimated_cost_cents,
        "requested_cents": s.requested_amount_cents,
        "awarded_cents": s.awarded_amount_cents,
        "partial": s.awarded_amount_cents.is_some_and(|a| a < s.requested_amount_cents),
        "currency": event.currency,
        "reply_by": s.reply_by.map(|t| format_deadline(event, t.and_utc())),
    })
}

fn to_registrant(
    template: &'static str,
    event: &Event,
    reg: &Registration,
    s: &ScholarshipRequest,
    extra: Value,
) -> Outgoing {
    let mut email = registration_email(template, event, reg, extra, vec![]);
    email.context["scholarship"] = scholarship_context(event, s);
    email.entity = Some(("scholarship_request", s.id.to_string()));
    email
}

/// "We have your request", with the private page when its link is at hand.
pub fn request_received(
    event: &Event,
    reg: &Registration,
    s: &ScholarshipRequest,
    manage_link: Option<&str>,
) -> Outgoing {
    to_registrant(
        "scholarship_request_received",
        event,
        reg,
        s,
        json!({ "manage_link": manage_link }),
    )
}

/// The organizers' decision: approved (the amount, the time to answer by and how),
/// declined or waitlisted, with their note if they wrote one and the registrant's private
/// page. `None` for a request that is not decided.
pub fn decision(
    event: &Event,
    reg: &Registration,
    s: &ScholarshipRequest,
    manage_link: &str,
) -> Option<Outgoing> {
    let template = match s.status() {
        ScholarshipStatus::Approved => "scholarship_approved",
        ScholarshipStatus::Declined => "scholarship_declined",
        ScholarshipStatus::Waitlisted => "scholarship_waitlisted",
        ScholarshipStatus::Pending | ScholarshipStatus::Withdrawn => return None,
    };
    Some(to_registrant(
        template,
        event,
        reg,
        s,
        json!({ "note": s.decision_note, "manage_link": manage_link }),
    ))
}

/// "Please answer your award by ...", sent once, shortly before the reply-by time.
pub fn reminder(
    event: &Event,
    reg: &Registration,
    s: &ScholarshipRequest,
    manage_link: &str,
) -> Outgoing {
    to_registrant(
        "scholarship_reminder",
        event,
        reg,
        s,
        json!({ "manage_link": manage_link }),
    )
}

/// "Your award lapsed": it was not answered by its reply-by time.
pub fn lapsed(
    event: &Event,
    reg: &Registration,
    s: &ScholarshipRequest,
    manage_link: &str,
) -> Outgoing {
    to_registrant(
        "scholarship_lapsed",
        event,
        reg,
        s,
        json!({ "manage_link": manage_link }),
    )
}
