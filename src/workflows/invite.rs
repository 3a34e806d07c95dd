//! Invite: one person to one event, by an organizer, on approving a request for an
//! invitation, or on approving a young leader's nomination.
//!
//! An invitation's email is queued in the transaction that creates it, and the outbox
//! guarantees delivery attempts from then on, so an invitation is `sent` as soon as its
//! email is queued. `pending` is kept for invitations made without an email (none yet).

use chrono::NaiveDateTime;
use url::Url;

use super::expire;
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::Event;
use crate::db::models::invitation::{self, Invitation, NewInvitationArgs};
use crate::db::models::registration::Registration;
use crate::db::{self, truncate_micros, DbConnection};
use crate::domain::invitation::{InvitationSpec, InvitationStatus};
use crate::domain::webhook::EventKind;
use crate::domain::{Refusal, RegistrationId, SecretToken};
use crate::email::messages::{self, InvitationEmail};
use crate::email::{nominations, outbox};
use crate::error::AppError;
use crate::webhooks;

mod together;
pub use together::{invite_together, Inviting};

/// Why an invitation is made, which decides what it records and which email it sends.
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    /// An organizer invites someone (or approves their request for an invitation).
    Direct,
    /// An organizer approves a young leader's nomination: the invitation records the
    /// nominator's registration, and its email names the nominator and their reason.
    Nomination {
        nominator: &'a Registration,
        reason: &'a str,
    },
}

/// One invitation to make.
pub struct Invite<'a> {
    pub event: &'a Event,
    pub spec: &'a InvitationSpec,
    pub actor: &'a Actor,
    pub origin: Origin<'a>,
    /// The community of `spec`, when the caller has it already (a bulk upload looks each
    /// up once); found or created otherwise.
    pub community: Option<&'a Community>,
}

impl<'a> Invite<'a> {
    /// An organizer's direct invitation.
    pub fn direct(event: &'a Event, spec: &'a InvitationSpec, actor: &'a Actor) -> Self {
        Self {
            event,
            spec,
            actor,
            origin: Origin::Direct,
            community: None,
        }
    }
}

/// The invitation made, with its community.
pub struct Invited {
    pub invitation: Invitation,
    pub community: Community,
}

/// Invites one person, in the caller's transaction: marks an earlier invitation of the
/// same address that ran out as `expired` (so that the one-live-invitation index admits the
/// new one), finds or creates their community, stores the invitation with the hash of a
/// fresh token, queues its email with the link, and audits it all. 409 when the address
/// still has a live invitation.
pub fn invite(
    conn: &mut DbConnection,
    base_url: &Url,
    req: Invite<'_>,
) -> Result<Invited, AppError> {
    let Invite {
        event,
        spec,
        actor,
        origin,
        community,
    } = req;
    // The index admits one open invitation per address; an accepted one counts while its
    // registration is not cancelled, which only a query can tell.
    if !expire::then_live(conn, event, &[spec.email.as_str()])?.is_empty() {
        return Err(Refusal::AlreadyInvited.into());
    }
    let community = match community {
        Some(c) => c.clone(),
        None => community::find_or_create(conn, &spec.community)?,
    };
    let at = db::now();
    let token = SecretToken::generate();
    let token_hash = token.hash();
    let nominated_by = match origin {
        Origin::Direct => None,
        Origin::Nomination { nominator, .. } => Some(&nominator.id),
    };
    let created = invitation::create(
        conn,
        sent(
            event,
            &community,
            spec,
            &token_hash,
            actor,
            nominated_by,
            at,
        ),
    )?;
    let link = messages::invitation_link(base_url, token.expose());
    let email = match origin {
        Origin::Direct => messages::invitation(
            InvitationEmail::Invitation,
            event,
            &created,
            &community,
            &link,
        ),
        Origin::Nomination { nominator, reason } => nominations::young_leader_invitation(
            InvitationEmail::Invitation,
            event,
            &created,
            &community,
            &link,
            nominator,
            reason,
        ),
    };
    outbox::queue(conn, email)?;
    webhooks::on_invitation(conn, EventKind::InvitationSent, &created)?;
    audit::record(conn, actor, Entry::created("invitation.created", &created))?;
    Ok(Invited {
        invitation: created,
        community,
    })
}

/// A new invitation of `spec` to `event`, `sent` at `at`: its email is queued with it.
pub(super) fn sent<'a>(
    event: &'a Event,
    community: &'a Community,
    spec: &'a InvitationSpec,
    token_hash: &'a str,
    actor: &'a Actor,
    nominated_by: Option<&'a RegistrationId>,
    at: NaiveDateTime,
) -> NewInvitationArgs<'a> {
    NewInvitationArgs {
        event_id: &event.id,
        community_id: &community.id,
        spec,
        token_hash,
        status: InvitationStatus::Sent,
        expires_at: truncate_micros(
            spec.expiry(at.and_utc(), event.invitation_ttl_days)
                .naive_utc(),
        ),
        invited_by: actor.id.as_deref().filter(|_| actor.kind == "organizer"),
        nominated_by,
        at,
    }
}
