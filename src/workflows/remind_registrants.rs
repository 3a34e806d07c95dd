//! The reminder before the event: `reminder_days_before` days before an event begins (in
//! its time zone), each confirmed registrant is emailed once, with the calendar file and a
//! fresh manage link. Nothing is sent once the event has begun.
//!
//! Several processes may sweep one database at the same moment. Each registration is
//! handled in its own transaction and claimed by one conditional UPDATE
//! (`reminded_at IS NULL`, still confirmed), so exactly one process reminds each person.

use chrono::{DateTime, Duration, Utc};
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::Event;
use crate::db::models::registration::{self, Registration};
use crate::db::models::reminder;
use crate::db::{truncate_micros, write_transaction, DbConnection};
use crate::domain::reminder::reminder_due;
use crate::email::{outbox, reminders};
use crate::error::AppError;
use crate::workflows::links;

/// Registrations reminded per event and sweep; the rest wait for the next sweep.
const BATCH: i64 = 200;
/// The most days a reminder can come before the event (`reminder_days_before` is 1-30).
const MAX_DAYS_BEFORE: i64 = 31;

/// Reminds, as of `now`, the confirmed registrants of every event whose reminder is due;
/// returns how many were reminded by this process.
pub fn sweep_reminders(
    conn: &mut DbConnection,
    base_url: &Url,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let today = now.date_naive();
    // A day either side: the event's time zone may be a day off UTC.
    let events = reminder::events_starting_between(
        conn,
        today - Duration::days(1),
        today + Duration::days(MAX_DAYS_BEFORE + 1),
    )?;
    let mut reminded = 0;
    for event in events.iter().filter(|e| is_due(e, now)) {
        for reg in reminder::not_reminded(conn, &event.id, BATCH)? {
            if remind(conn, base_url, &reg, now)? {
                reminded += 1;
            }
        }
    }
    Ok(reminded)
}

fn is_due(e: &Event, now: DateTime<Utc>) -> bool {
    match (e.reminder_days_before, e.timezone.parse()) {
        (Some(days), Ok(tz)) => reminder_due(tz, e.starts_on, days, now),
        _ => false,
    }
}

/// Reminds one registrant, once (false if another sweeper came first, or the
/// registration is no longer confirmed).
fn remind(
    conn: &mut DbConnection,
    base_url: &Url,
    reg: &Registration,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let at = truncate_micros(now.naive_utc());
    write_transaction(conn, |conn| {
        if !reminder::claim(conn, &reg.id, at)? {
            return Ok(false);
        }
        let after = registration::find(conn, &reg.id)?;
        let event = crate::db::models::event::find(conn, &after.event_id)?;
        let link = links::new_manage_link(conn, base_url, &after)?;
        outbox::queue(
            conn,
            reminders::registration_reminder(&event, &after, base_url, &link),
        )?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::new(
                "registration.reminded",
                "registration",
                after.id.as_str(),
                Some(&event.id),
            ),
        )?;
        Ok(true)
    })
}
