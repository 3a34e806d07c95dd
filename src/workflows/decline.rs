//! Decline: an invitee answers no, with an optional reason for the organizers.

use chrono::Utc;

use super::{links, register};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::invitation::{self, Invitation, StatusChange};
use crate::db::{self, DbConnection};
use crate::domain::invitation::InvitationStatus;
use crate::domain::webhook::EventKind;
use crate::error::AppError;
use crate::webhooks;

/// Declines the invitation behind `token_hash`.
pub fn decline(
    conn: &mut DbConnection,
    token_hash: &str,
    reason: Option<&str>,
) -> Result<Invitation, AppError> {
    let inv = links::invitation_by_hash(conn, token_hash)?;
    match register::usable(&inv, Utc::now())? {
        InvitationStatus::Accepted => return Err(AppError::conflict(
            "You have already registered with this invitation; to cancel, use the private link in your confirmation email.",
        )),
        InvitationStatus::Declined => {
            return Err(AppError::conflict("You have already declined this invitation."))
        }
        status => status
            .transition(InvitationStatus::Declined)
            .map_err(AppError::Conflict)?,
    };
    let at = db::now();
    let after = invitation::set_status(
        conn,
        &inv.id,
        inv.stored_status(),
        InvitationStatus::Declined,
        StatusChange {
            responded_at: Some(at),
            decline_reason: reason,
            ..Default::default()
        },
        at,
    )?;
    audit::record(
        conn,
        &Actor::invitee(),
        Entry::changed("invitation.declined", &inv, &after),
    )?;
    webhooks::on_invitation(conn, EventKind::InvitationDeclined, &after)?;
    Ok(after)
}
