//! When an organizer moves the event (its dates or venue), the calendar entries follow: the
//! event's calendar SEQUENCE is raised and each confirmed registrant is emailed the new
//! entry (same UID, higher SEQUENCE) with a fresh manage link, in the transaction of the
//! change.

use url::Url;

use crate::db::models::event::{self, Event};
use crate::db::models::registration;
use crate::db::DbConnection;
use crate::domain::registration::RegistrationStatus;
use crate::email::{outbox, reminders};
use crate::error::AppError;
use crate::workflows::links;

/// Whether a change from `before` to `after` moves the calendar entry.
pub fn moves_the_calendar(before: &Event, after: &Event) -> bool {
    before.starts_on != after.starts_on
        || before.ends_on != after.ends_on
        || before.venue != after.venue
        || before.city != after.city
}

/// Tells the confirmed registrants when the change moved the event; returns the event as
/// it now is (its SEQUENCE raised if so) and how many were emailed.
pub fn follow_the_calendar(
    conn: &mut DbConnection,
    base_url: &Url,
    before: &Event,
    after: &Event,
) -> Result<(Event, usize), AppError> {
    if !moves_the_calendar(before, after) {
        return Ok((after.clone(), 0));
    }
    let now = event::bump_calendar_sequence(conn, &after.id)?;
    let mut told = 0;
    for (reg, _) in registration::all_for_event(conn, &now.id)? {
        if reg.status() != RegistrationStatus::Confirmed {
            continue;
        }
        let link = links::new_manage_link(conn, base_url, &reg)?;
        outbox::queue(
            conn,
            reminders::event_changed(before, &now, &reg, base_url, &link),
        )?;
        told += 1;
    }
    Ok((now, told))
}
