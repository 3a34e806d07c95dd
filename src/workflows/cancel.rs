//! Cancel a registration: its pending nomination and scholarship request are withdrawn,
//! its travel-scholarship award goes back to the budget, the registrant is emailed, and
//! a confirmed seat goes to the first on the waiting list, all in one transaction. When
//! the registrant cancels themselves, organizers who asked for notices are told.

use url::Url;

use super::promote::promote_waitlisted;
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::models::registration::{self, Registration};
use crate::db::models::{nomination, scholarship};
use crate::db::{self, DbConnection};
use crate::domain::registration::RegistrationStatus;
use crate::domain::webhook::EventKind;
use crate::email::{messages, outbox, reviewers};
use crate::error::AppError;
use crate::webhooks;

/// The registrant cancels `before` (as read in this transaction) from their private link;
/// a conflict when it is cancelled already. Organizers who asked for notices are told,
/// since nobody of theirs did it (an organizer's cancellation tells nobody else).
pub fn cancel(
    conn: &mut DbConnection,
    base_url: &Url,
    before: &Registration,
) -> Result<Registration, AppError> {
    let after = cancel_with_note(conn, base_url, before, &Actor::registrant(), None)?;
    let event = event::find(conn, &after.event_id)?;
    reviewers::tell(
        conn,
        base_url,
        &event,
        &format!("{} cancelled their registration", after.full_name),
        None,
        &format!("/admin/events/{}/registrations/{}", event.slug, after.id),
    )?;
    Ok(after)
}

/// [`cancel`], by an organizer for the person, with their note (why, kept in the audit
/// entry beside the registration's state).
pub fn cancel_with_note(
    conn: &mut DbConnection,
    base_url: &Url,
    before: &Registration,
    actor: &Actor,
    note: Option<&str>,
) -> Result<Registration, AppError> {
    // The event row first, as every change to the seats or the scholarship budget takes
    // it: one order of locks, so no deadlock on PostgreSQL.
    registration::lock_event(conn, &before.event_id)?;
    let from = before.status();
    from.transition(RegistrationStatus::Cancelled)?;
    let at = db::now();
    let after =
        registration::set_status(conn, &before.id, from, RegistrationStatus::Cancelled, at)?;
    let event_id = after.event_id.clone();
    let mut entry = Entry::changed("registration.cancelled", before, &after);
    if let Some(note) = note {
        let mut state = serde_json::to_value(&after).unwrap_or_default();
        state["note"] = serde_json::json!(note);
        entry = entry.after(Some(state.to_string()));
    }
    audit::record(conn, actor, entry)?;
    webhooks::on_registration(conn, EventKind::RegistrationCancelled, &after)?;
    let mut withdrawn = false;
    for n in nomination::withdraw_pending(conn, &after.id, at)? {
        withdrawn = true;
        let now = nomination::find(conn, &n.id)?;
        audit::record(
            conn,
            actor,
            Entry::changed("nomination.withdrawn", &n, &now),
        )?;
    }
    if let Some(s) = scholarship::withdraw_pending(conn, &after.id, at)? {
        withdrawn = true;
        audit::record(conn, actor, Entry::created("scholarship.withdrawn", &s))?;
    }
    if let Some(s) = scholarship::release_award(conn, &after.id, at)? {
        scholarship::release_budget(conn, &event_id, s.standing_award_cents())?;
        let released = scholarship::find(conn, &s.id)?;
        audit::record(
            conn,
            actor,
            Entry::changed("scholarship.award_released", &s, &released),
        )?;
    }
    let event = event::find(conn, &event_id)?;
    outbox::queue(
        conn,
        messages::registration_cancelled(&event, &after, base_url, withdrawn),
    )?;
    if from == RegistrationStatus::Confirmed {
        registration::release_seat(conn, &event_id)?;
        promote_waitlisted(conn, &event_id, base_url)?;
    }
    Ok(after)
}
