//! Decide a request for an invitation: approving invites the requester, declining sends
//! them a polite email.

use url::Url;

use super::invite::{invite, Invite};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::Event;
use crate::db::models::invitation_request::{self, InvitationRequest};
use crate::db::DbConnection;
use crate::domain::community::CommunitySpec;
use crate::domain::invitation::{InvitationKind, InvitationSpec};
use crate::domain::invitation_request::RequestStatus;
use crate::domain::EmailAddress;
use crate::email::{invitation_requests, outbox};
use crate::error::AppError;

/// Approves the event's request `id` and invites the requester, with `note` as the
/// invitation's personal message. 409 when it was decided already, or when the address
/// has a live invitation.
pub fn approve(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    id: &str,
    note: Option<&str>,
    organizer_id: &str,
) -> Result<InvitationRequest, AppError> {
    let before = invitation_request::find(conn, &event.id, id)?;
    before.status().decide(RequestStatus::Approved)?;
    let spec = InvitationSpec {
        // Stored only after it was parsed: a bad one is a broken row, not bad input.
        email: EmailAddress::parse(&before.email)
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
        full_name: before.full_name.clone(),
        title: before.title.clone(),
        community: CommunitySpec {
            name: before.community_name.clone(),
            state: before.community_state.clone(),
            country: before.community_country.clone(),
        },
        kind: InvitationKind::Executive,
        message: note.map(str::to_owned),
        organization: Some(before.organization.clone()),
        expires_at: None,
    };
    let actor = Actor::organizer(organizer_id);
    let invited = invite(conn, base_url, Invite::direct(event, &spec, &actor))?;
    let after = invitation_request::decide(
        conn,
        &before,
        RequestStatus::Approved,
        note,
        organizer_id,
        Some(&invited.invitation.id),
    )?;
    audit::record(
        conn,
        &actor,
        Entry::changed("invitation_request.approved", &before, &after),
    )?;
    Ok(after)
}

/// Declines the event's request `id` and emails the requester, with `note` if given.
pub fn decline(
    conn: &mut DbConnection,
    event: &Event,
    id: &str,
    note: Option<&str>,
    organizer_id: &str,
) -> Result<InvitationRequest, AppError> {
    let before = invitation_request::find(conn, &event.id, id)?;
    let after = invitation_request::decide(
        conn,
        &before,
        RequestStatus::Declined,
        note,
        organizer_id,
        None,
    )?;
    outbox::queue(conn, invitation_requests::declined(event, &after))?;
    audit::record(
        conn,
        &Actor::organizer(organizer_id),
        Entry::changed("invitation_request.declined", &before, &after),
    )?;
    Ok(after)
}
