//! Retention: an event's people's personal data is kept `retention_days` after the event
//! ends, then anonymized once (`db::models::privacy` says what goes and what stays);
//! the bodies of emails that failed finally are dropped [`FAILED_BODY_DAYS`] after they
//! were made (those sent lose theirs when sent: `outbox::record_sent`).
//!
//! The check-in counts and the impact figures stay the same: the attendance is written
//! down before anything is anonymized (`survey_waves::record_attendance`, idempotent), and
//! no row the figures count is deleted. Once across instances: each event is claimed by
//! a conditional UPDATE of `anonymized_at`, in the transaction that anonymizes it.

use chrono::{DateTime, Duration, Utc};

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::models::privacy::{self, Scope};
use crate::db::{truncate_micros, write_transaction, DbConnection};
use crate::domain::survey::ended_at;
use crate::domain::EventId;
use crate::error::AppError;
use crate::workflows::survey_waves::record_attendance;

/// Days a finally failed email keeps its body (and its secret links) to be sent again.
pub const FAILED_BODY_DAYS: i64 = 30;

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Retained {
    /// Events whose people were anonymized.
    pub events: usize,
    /// Failed emails whose bodies were dropped.
    pub bodies: usize,
}

/// When the event's people's data is due to be anonymized.
pub fn due_at(timezone: &str, ends_on: chrono::NaiveDate, retention_days: i32) -> DateTime<Utc> {
    ended_at(timezone, ends_on) + Duration::days(i64::from(retention_days))
}

/// Anonymizes every event due by `as_of`, and drops old failed emails' bodies.
pub fn sweep_retention(
    conn: &mut DbConnection,
    as_of: DateTime<Utc>,
) -> Result<Retained, AppError> {
    let mut done = Retained::default();
    for (id, ends_on, timezone, days) in privacy::events_kept(conn)? {
        if due_at(&timezone, ends_on, days) <= as_of && anonymize_event(conn, &id, as_of)? {
            done.events += 1;
        }
    }
    let before = truncate_micros((as_of - Duration::days(FAILED_BODY_DAYS)).naive_utc());
    done.bodies = write_transaction(conn, |conn| privacy::drop_old_failed_bodies(conn, before))?;
    Ok(done)
}

/// Anonymizes one event's people, once; true if this call did it.
fn anonymize_event(
    conn: &mut DbConnection,
    event_id: &EventId,
    as_of: DateTime<Utc>,
) -> Result<bool, AppError> {
    let e = event::find(conn, event_id)?;
    // The figures first: who attended is written down from the data about to go.
    record_attendance(conn, &e, as_of)?;
    write_transaction(conn, |conn| {
        if !privacy::claim_event(conn, event_id, truncate_micros(as_of.naive_utc()))? {
            return Ok(false);
        }
        let held = privacy::held(conn, Scope::Event(event_id))?;
        privacy::anonymize(conn, &held)?;
        privacy::drop_event_audit_details(conn, event_id)?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::new(
                "event.anonymized",
                "event",
                event_id.as_str(),
                Some(event_id),
            )
            .after(audit::state(&serde_json::json!({
                "registrations": held.registrations.len(),
                "invitations": held.invitations.len(),
                "emails": held.emails.len(),
                "retention_days": e.retention_days,
            }))),
        )?;
        Ok(true)
    })
}
