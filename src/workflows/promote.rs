//! Promote from the waiting list: while seats are free, the first waitlisted registration
//! is confirmed and told "a seat opened up" (after a cancellation, or a raised capacity).

use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::models::registration;
use crate::db::{self, DbConnection};
use crate::domain::registration::RegistrationStatus;
use crate::domain::webhook::EventKind;
use crate::domain::{EventId, Record, Refusal};
use crate::email::{messages, outbox};
use crate::error::AppError;
use crate::webhooks;
use crate::workflows::links;

/// Confirms waitlisted registrations, first come first served, while seats are free, in
/// the caller's transaction; queues each one's email with its calendar file and audits
/// it. Returns how many were promoted (the caller notifies the outbox).
pub fn promote_waitlisted(
    conn: &mut DbConnection,
    event_id: &EventId,
    base_url: &Url,
) -> Result<usize, AppError> {
    let event = event::find(conn, event_id)?;
    let mut promoted = 0;
    while let Some(next) = registration::next_waitlisted(conn, event_id)? {
        if !registration::claim_seat(conn, event_id)? {
            break;
        }
        let at = db::now();
        let confirmed = match registration::set_status(
            conn,
            &next.id,
            RegistrationStatus::Waitlisted,
            RegistrationStatus::Confirmed,
            at,
        ) {
            Ok(r) => r,
            // Its registrant cancelled at this very moment: give the seat to the next.
            Err(AppError::Refused(Refusal::Stale(Record::Registration))) => {
                registration::release_seat(conn, event_id)?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let link = links::new_manage_link(conn, base_url, &confirmed)?;
        outbox::queue(
            conn,
            messages::registration_promoted(&event, &confirmed, base_url, &link),
        )?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::changed("registration.promoted", &next, &confirmed),
        )?;
        webhooks::on_registration(conn, EventKind::RegistrationPromoted, &confirmed)?;
        tracing::info!(registration_id = %confirmed.id, %event_id, "promoted from the waiting list");
        promoted += 1;
    }
    Ok(promoted)
}
