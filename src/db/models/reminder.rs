//! What the reminder sweep reads and claims: the events with a reminder soon, their
//! confirmed registrations not yet reminded, and the claim of one of them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::event::Event;
use super::registration::Registration;
use crate::db::schema::{events, registrations};
use crate::db::DbConnection;
use crate::domain::event::EventStatus;
use crate::domain::registration::RegistrationStatus;
use crate::domain::{EventId, RegistrationId};
use crate::error::AppError;

/// Open or closed events with a reminder, starting between `from` and `to` (inclusive).
pub fn events_starting_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Event>, AppError> {
    Ok(events::table
        .filter(events::reminder_days_before.is_not_null())
        .filter(events::status.eq_any([EventStatus::Open.as_str(), EventStatus::Closed.as_str()]))
        .filter(events::starts_on.between(from, to))
        .order(events::starts_on.asc())
        .select(Event::as_select())
        .load(conn)?)
}

/// Up to `limit` of the event's confirmed registrations not yet reminded, oldest first.
pub fn not_reminded(
    conn: &mut DbConnection,
    event_id: &EventId,
    limit: i64,
) -> Result<Vec<Registration>, AppError> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .filter(registrations::reminded_at.is_null())
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .limit(limit)
        .select(Registration::as_select())
        .load(conn)?)
}

/// Claims the reminder of one registration: true for the one caller that marks it, if it
/// is still confirmed and not reminded; false for every other.
pub fn claim(
    conn: &mut DbConnection,
    id: &RegistrationId,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        registrations::table
            .find(id)
            .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
            .filter(registrations::reminded_at.is_null()),
    )
    .set(registrations::reminded_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}
