//! Decide a young leader's nomination: approving invites the young leader (an invitation
//! of kind `young_leader`, linked to the nominator's community and registration, whose
//! email names the nominator and their reason) and tells the nominator; declining tells
//! the nominator, with the note if there is one.

use chrono::Utc;
use url::Url;

use super::invite::{invite, Invite, Origin};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::Event;
use crate::db::models::invitation;
use crate::db::models::nomination::{self, Decision, Nomination};
use crate::db::models::registration::{self, Registration};
use crate::db::{self, DbConnection};
use crate::domain::invitation::{InvitationKind, InvitationSpec};
use crate::domain::nomination::NominationStatus;
use crate::domain::refusal::Refusal;
use crate::domain::{EmailAddress, NominationId};
use crate::email::{nominations as emails, outbox};
use crate::error::AppError;
use crate::webhooks;

/// A decided nomination with its nominator and their community.
pub type Reviewed = (Nomination, Registration, Community);

/// Moves a pending nomination to `to` on an organizer's decision, recording who and
/// when; the guarded UPDATE makes the second of two simultaneous decisions a conflict.
fn decide(
    conn: &mut DbConnection,
    before: &Nomination,
    to: NominationStatus,
    organizer_id: &str,
    note: Option<&str>,
) -> Result<Nomination, AppError> {
    let at = db::now();
    nomination::set_status(
        conn,
        &before.id,
        NominationStatus::Pending,
        to,
        Decision {
            decided_by: Some(organizer_id),
            decided_at: Some(at),
            decision_note: note,
        },
        at,
    )
}

/// Approves the event's nomination `id` and invites the young leader. A conflict, with
/// nothing changed, when the nominee already has a live invitation to the event.
pub fn approve(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    id: &NominationId,
    note: Option<&str>,
    organizer_id: &str,
) -> Result<Reviewed, AppError> {
    let before = nomination::find_in_event(conn, &event.id, id)?;
    before.status().transition(NominationStatus::Approved)?;
    if invitation::live_for_email(conn, &event.id, &before.email, Utc::now())? {
        return Err(Refusal::NomineeInvited.into());
    }
    // Decided first: a second organizer approving at the same moment waits here and then
    // finds the nomination no longer pending.
    decide(
        conn,
        &before,
        NominationStatus::Approved,
        organizer_id,
        note,
    )?;
    let nominator = registration::find(conn, &before.registration_id)?;
    let community = community::find(conn, &before.community_id)?;
    let email = EmailAddress::parse(&before.email).map_err(|e| {
        AppError::Internal(anyhow::anyhow!("a stored nominee address is invalid: {e}"))
    })?;
    let spec = InvitationSpec {
        email,
        full_name: before.full_name.clone(),
        title: before.title.clone(),
        community: community.spec(),
        kind: InvitationKind::YoungLeader,
        message: None,
        organization: Some(before.organization.clone()),
        expires_at: None,
    };
    let actor = Actor::organizer(organizer_id);
    let invited = invite(
        conn,
        base_url,
        Invite {
            origin: Origin::Nomination {
                nominator: &nominator,
                reason: &before.reason,
            },
            community: Some(&community),
            ..Invite::direct(event, &spec, &actor)
        },
    )?;
    let after = nomination::link_invitation(conn, &before.id, &invited.invitation.id)?;
    audit::record(
        conn,
        &actor,
        Entry::changed("nomination.approved", &before, &after),
    )?;
    webhooks::on_nomination(conn, &after)?;
    outbox::queue(conn, emails::approved(event, &nominator, &after))?;
    Ok((after, nominator, community))
}

/// Declines the event's nomination `id` and tells the nominator.
pub fn decline(
    conn: &mut DbConnection,
    event: &Event,
    id: &NominationId,
    note: Option<&str>,
    organizer_id: &str,
) -> Result<Reviewed, AppError> {
    let before = nomination::find_in_event(conn, &event.id, id)?;
    before.status().transition(NominationStatus::Declined)?;
    let after = decide(
        conn,
        &before,
        NominationStatus::Declined,
        organizer_id,
        note,
    )?;
    audit::record(
        conn,
        &Actor::organizer(organizer_id),
        Entry::changed("nomination.declined", &before, &after),
    )?;
    webhooks::on_nomination(conn, &after)?;
    let (after, nominator, community) = nomination::reviewed(conn, after)?;
    outbox::queue(conn, emails::declined(event, &nominator, &after))?;
    Ok((after, nominator, community))
}
