//! Revoke: an organizer withdraws an open invitation; its link stops working.

use chrono::Utc;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::invitation::{self, Invitation, StatusChange};
use crate::db::{self, DbConnection};
use crate::domain::invitation::InvitationStatus;
use crate::domain::{EventId, InvitationId};
use crate::error::AppError;

/// Revokes the event's invitation `id`: 409 unless it is open.
pub fn revoke(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &InvitationId,
    actor: &Actor,
) -> Result<(Invitation, Community), AppError> {
    let before = invitation::find_in_event(conn, event_id, id)?;
    before
        .status_at(Utc::now())
        .transition(InvitationStatus::Revoked)?;
    let after = invitation::set_status(
        conn,
        &before.id,
        before.stored_status(),
        InvitationStatus::Revoked,
        StatusChange::default(),
        db::now(),
    )?;
    audit::record(
        conn,
        actor,
        Entry::changed("invitation.revoked", &before, &after),
    )?;
    let community = community::find(conn, &after.community_id)?;
    Ok((after, community))
}
