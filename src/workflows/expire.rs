//! Expire: invitations past their expiry are marked `expired`, so that the index of one
//! live invitation per address admits a new one.

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::Event;
use crate::db::models::invitation::{self, StatusChange};
use crate::db::{self, DbConnection};
use crate::domain::invitation::InvitationStatus;
use crate::error::AppError;

/// Marks the event's open invitations that are past their expiry (of one address, or of
/// all) as `expired`, auditing each as done by the system.
pub fn stale_invitations(
    conn: &mut DbConnection,
    event: &Event,
    email: Option<&str>,
) -> Result<usize, AppError> {
    let at = db::now();
    let stale = invitation::stale(conn, &event.id, email, at)?;
    for inv in &stale {
        let expired = invitation::set_status(
            conn,
            &inv.id,
            inv.stored_status(),
            InvitationStatus::Expired,
            StatusChange::default(),
            at,
        )?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::changed("invitation.expired", inv, &expired),
        )?;
    }
    Ok(stale.len())
}
