//! Confirm from the waiting list: an organizer gives a free seat to a waitlisted
//! registration, out of the list's order (the person is told as if promoted).

use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::models::registration::{self, Registration};
use crate::db::{self, DbConnection};
use crate::domain::registration::RegistrationStatus;
use crate::domain::webhook::EventKind;
use crate::domain::Refusal;
use crate::email::{messages, outbox};
use crate::error::AppError;
use crate::webhooks;
use crate::workflows::links;

/// Confirms `before` (as read in this transaction) on behalf of `actor`: 409 unless it
/// is waitlisted and a seat is free.
pub fn confirm(
    conn: &mut DbConnection,
    base_url: &Url,
    before: &Registration,
    actor: &Actor,
) -> Result<Registration, AppError> {
    // The event row first, as every change to the seats takes it.
    registration::lock_event(conn, &before.event_id)?;
    let from = before.status();
    from.transition(RegistrationStatus::Confirmed)?;
    if !registration::claim_seat(conn, &before.event_id)? {
        return Err(Refusal::OverCapacity.into());
    }
    let after = registration::set_status(
        conn,
        &before.id,
        from,
        RegistrationStatus::Confirmed,
        db::now(),
    )?;
    audit::record(
        conn,
        actor,
        Entry::changed("registration.confirmed", before, &after),
    )?;
    webhooks::on_registration(conn, EventKind::RegistrationPromoted, &after)?;
    let event = event::find(conn, &after.event_id)?;
    let link = links::new_manage_link(conn, base_url, &after)?;
    outbox::queue(
        conn,
        messages::registration_promoted(&event, &after, base_url, &link),
    )?;
    Ok(after)
}
