//! The emails of the invitation and registration flow, composed in one place: each
//! function returns an [`Outgoing`] for [`super::outbox::queue`]. Every context carries
//! `event: {name, venue, city, dates}` (see [`event_context`]), which the layouts use.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::{json, Value};
use url::Url;

use super::ics::CalendarEvent;
use super::templates::money;
use super::Outgoing;
use crate::db::models::community::Community;
use crate::db::models::event::Event;
use crate::db::models::invitation::Invitation;
use crate::db::models::registration::Registration;
use crate::domain::invitation::InvitationKind;

/// `base` joined with an absolute `path`, whether or not `CONVENE_BASE_URL` ends in `/`
/// (and keeping a base path such as `https://example.org/convene`).
pub fn web_link(base: &Url, path: &str) -> String {
    format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// The registration form an invitation email links to.
pub fn invitation_link(base: &Url, token: &str) -> String {
    web_link(base, &format!("/invite/{token}"))
}

/// The registrant's private page.
pub fn manage_link(base: &Url, token: &str) -> String {
    web_link(base, &format!("/manage/{token}"))
}

pub fn event_link(base: &Url, slug: &str) -> String {
    web_link(base, &format!("/events/{slug}"))
}

/// "Monday 10 – Wednesday 12 May 2027"; months and years are named once where shared.
pub fn format_dates(start: NaiveDate, end: NaiveDate) -> String {
    let day = |d: NaiveDate| d.format("%A %-d").to_string();
    if end <= start {
        return format_date(start);
    }
    if (start.year(), start.month()) == (end.year(), end.month()) {
        format!("{} – {}", day(start), format_date(end))
    } else if start.year() == end.year() {
        format!(
            "{} {} – {}",
            day(start),
            start.format("%B"),
            format_date(end)
        )
    } else {
        format!("{} – {}", format_date(start), format_date(end))
    }
}

/// "Monday 10 May 2027".
pub fn format_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// The `event` every email context carries (`practical_info` is Markdown: the HTML parts
/// show it through the `markdown` filter).
pub fn event_context(e: &Event) -> Value {
    json!({
        "name": e.name,
        "venue": e.venue,
        "city": e.city,
        "dates": format_dates(e.starts_on, e.ends_on),
        // Markdown: travel, accommodation, meals, in the organizers' words.
        "practical_info": e.practical_info,
    })
}

/// The day an instant falls on in the event's time zone (for "valid until").
fn local_date(e: &Event, at: DateTime<Utc>) -> NaiveDate {
    match e.timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => at.with_timezone(&tz).date_naive(),
        Err(_) => at.date_naive(),
    }
}

/// Which invitation email: the first one (or a resend), or a reminder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationEmail {
    Invitation,
    Reminder,
}

/// The invitation (or its reminder) with the invitee's personal link.
pub fn invitation(
    which: InvitationEmail,
    event: &Event,
    inv: &Invitation,
    community: &Community,
    link: &str,
) -> Outgoing {
    let template = match which {
        InvitationEmail::Invitation => "invitation",
        InvitationEmail::Reminder => "invitation_reminder",
    };
    Outgoing {
        template,
        to: inv.email.clone(),
        context: json!({
            "event": event_context(event),
            "recipient": { "full_name": inv.full_name, "title": inv.title },
            "community": { "name": community.name, "state": community.state },
            "young_leader": inv.kind() == InvitationKind::YoungLeader,
            "message": inv.message,
            "link": link,
            "expires_on": format_date(local_date(event, inv.expires_at.and_utc())),
        }),
        attachments: vec![],
        event_id: Some(event.id.clone()),
        entity: Some(("invitation", inv.id.to_string())),
    }
}

/// The calendar entry of a registration; its UID stays the same across emails, so a
/// calendar updates the entry rather than adding a second one, and its SEQUENCE is the
/// event's (raised when the dates or venue change). It carries the public event page, no
/// private link: calendars get shared and synced.
pub fn calendar(event: &Event, reg: &Registration, base: &Url) -> CalendarEvent {
    let page = event_link(base, &event.slug);
    CalendarEvent {
        uid: format!("{}@convene", reg.id),
        stamp: Utc::now(),
        starts_on: event.starts_on,
        ends_on: event.ends_on,
        summary: event.name.clone(),
        location: format!("{}, {}", event.venue, event.city),
        description: format!(
            "{} at {}, {}.\n\nThe event: {page}\n\nTo change or cancel your registration, use the personal link in your registration email.",
            event.name, event.venue, event.city
        ),
        url: Some(page),
        sequence: event.calendar_sequence,
        cancelled: false,
    }
}

/// The cancellation of a registration's calendar entry: the same UID, a higher SEQUENCE
/// than any entry sent for it.
pub fn calendar_cancellation(event: &Event, reg: &Registration, base: &Url) -> CalendarEvent {
    CalendarEvent {
        sequence: event.calendar_sequence.saturating_add(1),
        cancelled: true,
        ..calendar(event, reg, base)
    }
}

/// What the registrant asked for besides a seat, mentioned in the confirmation.
#[derive(Default, Clone, Debug)]
pub struct Requests {
    pub nominee_name: Option<String>,
    /// Formatted in the event's currency.
    pub scholarship_amount_cents: Option<i64>,
}

fn requests_context(event: &Event, r: &Requests) -> (Value, Value) {
    let nomination = match &r.nominee_name {
        Some(name) => json!({ "full_name": name }),
        None => Value::Null,
    };
    let scholarship = match r.scholarship_amount_cents {
        Some(cents) => json!({ "requested": money(cents, &event.currency) }),
        None => Value::Null,
    };
    (nomination, scholarship)
}

/// An email to a registrant: the template's `context` with `event` and `recipient` added.
pub fn registration_email(
    template: &'static str,
    event: &Event,
    reg: &Registration,
    context: Value,
    attachments: Vec<super::Attachment>,
) -> Outgoing {
    let mut context = context;
    context["event"] = event_context(event);
    context["recipient"] = json!({ "full_name": reg.full_name });
    Outgoing {
        template,
        to: reg.email.clone(),
        context,
        attachments,
        event_id: Some(event.id.clone()),
        entity: Some(("registration", reg.id.to_string())),
    }
}

/// The check-in code of a confirmed registration for its email: the context's `checkin`
/// (`code` in groups of four, as people read it; `qr`, the `cid:` address of the QR
/// code) and the QR code as an inline image. Mail clients block `data:` images, so it
/// is a part of the message, drawn by the worker when it builds the message (see
/// `Attachment::inline_qr_code`), not here in the transaction that queues it.
fn checkin(reg: &Registration) -> (Value, super::Attachment) {
    let code = reg.checkin_code.as_str();
    let grouped = code
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c))
        .collect::<Vec<_>>()
        .join("-");
    let content_id = format!("checkin.{}@convene", reg.id);
    let image = super::Attachment::inline_qr_code(&content_id, "check-in.png", code);
    (
        json!({ "code": grouped, "qr": format!("cid:{content_id}") }),
        image,
    )
}

/// "You have a seat": with the manage link, the check-in code and the calendar file.
pub fn registration_confirmed(
    event: &Event,
    reg: &Registration,
    base: &Url,
    manage_link: &str,
    requests: &Requests,
) -> Outgoing {
    let (nomination, scholarship) = requests_context(event, requests);
    let (checkin, qr) = checkin(reg);
    let attachments = vec![qr, calendar(event, reg, base).attachment()];
    registration_email(
        "registration_confirmed",
        event,
        reg,
        json!({
            "manage_link": manage_link,
            "nomination": nomination,
            "scholarship": scholarship,
            "checkin": checkin,
        }),
        attachments,
    )
}

/// "You are on the waiting list, number N", with the manage link.
pub fn registration_waitlisted(
    event: &Event,
    reg: &Registration,
    manage_link: &str,
    position: i64,
    requests: &Requests,
) -> Outgoing {
    let (nomination, scholarship) = requests_context(event, requests);
    registration_email(
        "registration_waitlisted",
        event,
        reg,
        json!({
            "manage_link": manage_link,
            "position": position,
            "nomination": nomination,
            "scholarship": scholarship,
        }),
        vec![],
    )
}

/// "A seat opened up": with a manage link made for this email (see
/// `workflows::links::new_manage_link`), the check-in code and the calendar file.
pub fn registration_promoted(
    event: &Event,
    reg: &Registration,
    base: &Url,
    manage_link: &str,
) -> Outgoing {
    let (checkin, qr) = checkin(reg);
    let attachments = vec![qr, calendar(event, reg, base).attachment()];
    registration_email(
        "registration_promoted",
        event,
        reg,
        json!({ "manage_link": manage_link, "checkin": checkin }),
        attachments,
    )
}

/// "Here is your link": a fresh manage link, re-sent by the organizers.
pub fn registration_manage_link(event: &Event, reg: &Registration, manage_link: &str) -> Outgoing {
    registration_email(
        "registration_manage_link",
        event,
        reg,
        json!({ "manage_link": manage_link, "status": reg.status().as_str() }),
        vec![],
    )
}

/// "Your registration is cancelled".
/// `withdrawn`: a pending nomination or scholarship request was withdrawn with it.
pub fn registration_cancelled(
    event: &Event,
    reg: &Registration,
    base: &Url,
    withdrawn: bool,
) -> Outgoing {
    // Only a registration that had a seat was sent a calendar entry to take back.
    let attachments = match reg.confirmed_at {
        Some(_) => vec![calendar_cancellation(event, reg, base).attachment()],
        None => vec![],
    };
    registration_email(
        "registration_cancelled",
        event,
        reg,
        json!({ "event_link": event_link(base, &event.slug), "withdrawn": withdrawn }),
        attachments,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_name_the_month_and_year_once_when_shared() {
        assert_eq!(
            format_dates(d(2027, 5, 10), d(2027, 5, 12)),
            "Monday 10 – Wednesday 12 May 2027"
        );
        assert_eq!(
            format_dates(d(2027, 4, 30), d(2027, 5, 1)),
            "Friday 30 April – Saturday 1 May 2027"
        );
        assert_eq!(
            format_dates(d(2027, 12, 31), d(2028, 1, 1)),
            "Friday 31 December 2027 – Saturday 1 January 2028"
        );
        assert_eq!(
            format_dates(d(2027, 5, 10), d(2027, 5, 10)),
            "Monday 10 May 2027"
        );
    }

    #[test]
    fn links_do_not_double_the_slash() {
        let with = Url::parse("https://events.example.org/").unwrap();
        let under = Url::parse("https://example.org/convene/").unwrap();
        assert_eq!(
            invitation_link(&with, "abc"),
            "https://events.example.org/invite/abc"
        );
        assert_eq!(
            manage_link(&under, "abc"),
            "https://example.org/convene/manage/abc"
        );
    }
}
