//! Decline: an invitee answers no, with an optional reason for the organizers, who are
//! told if they asked for notices.

use chrono::Utc;
use url::Url;

use super::{links, register};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::models::invitation::{self, Invitation, StatusChange};
use crate::db::{self, DbConnection};
use crate::domain::invitation::InvitationStatus;
use crate::domain::refusal::Refusal;
use crate::domain::webhook::EventKind;
use crate::email::reviewers;
use crate::error::AppError;
use crate::webhooks;

/// Declines the invitation behind `token_hash`.
pub fn decline(
    conn: &mut DbConnection,
    base_url: &Url,
    token_hash: &str,
    reason: Option<&str>,
) -> Result<Invitation, AppError> {
    let inv = links::invitation_by_hash(conn, token_hash)?;
    match register::usable(&inv, Utc::now())? {
        InvitationStatus::Accepted => return Err(Refusal::DeclineRegistered.into()),
        InvitationStatus::Declined => return Err(Refusal::AlreadyDeclined.into()),
        status => status.transition(InvitationStatus::Declined)?,
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
    let event = event::find(conn, &after.event_id)?;
    reviewers::tell(
        conn,
        base_url,
        &event,
        &format!("{} declined the invitation", after.full_name),
        reason,
        &format!("/admin/events/{}/invitations", event.slug),
    )?;
    Ok(after)
}
