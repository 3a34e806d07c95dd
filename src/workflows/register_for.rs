//! Register for someone: an organizer registers a person who phoned or wrote, with the
//! registration form of the invitee. The person's open invitation is accepted if they
//! have one; otherwise an invitation is made for them, already accepted (its link is
//! never sent). Then it is [`register`](super::register) as if the person had done it:
//! capacity and the waiting list apply, and they get the usual confirmation, with the
//! organizer recorded as the one who acted.

use chrono::Utc;
use url::Url;

use super::expire;
use super::register::{PreparedRegistration, Registered};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community;
use crate::db::models::event::Event;
use crate::db::models::invitation::{self, Invitation, NewInvitationArgs};
use crate::db::models::registration;
use crate::db::{self, truncate_micros, DbConnection};
use crate::domain::community::CommunitySpec;
use crate::domain::invitation::{InvitationKind, InvitationSpec, InvitationStatus};
use crate::domain::refusal::Refusal;
use crate::domain::registration::{CommunityField, RegistrationFields, RegistrationForm};
use crate::domain::SecretToken;
use crate::error::{AppError, FieldErrors};

/// Parses the form as an organizer sends it: as the invitee's, except that there is no
/// invitation to take the community from, so it is required.
pub fn parse_form(fields: RegistrationFields) -> Result<RegistrationForm, AppError> {
    let missing = match &fields.community {
        None => true,
        Some(CommunityField::Name(name)) => name.trim().is_empty(),
        Some(CommunityField::Parts(_)) => false,
    };
    let none = CommunitySpec {
        name: String::new(),
        state: String::new(),
        country: String::new(),
    };
    let parsed = RegistrationForm::parse(fields, InvitationKind::Executive, &none);
    let mut errors = match parsed {
        Ok(form) if !missing => return Ok(form),
        Ok(_) => FieldErrors::new(),
        Err(errors) => errors,
    };
    if missing {
        errors.add("community", "is required: {name, state, country?}");
    }
    Err(AppError::Validation(errors))
}

/// Registers `form`'s person for `event` on behalf of `actor`, in the caller's
/// transaction; 409 when the address already holds a registration that is not cancelled.
pub fn register_for(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    form: RegistrationForm,
    actor: &Actor,
) -> Result<Registered, AppError> {
    // The event row first: two organizers registering the same person wait for each
    // other, and the second finds the first's registration.
    registration::lock_event(conn, &event.id)?;
    let email = form.email.as_str().to_owned();
    if registration::active_for_email(conn, &event.id, &email)?.is_some() {
        return Err(Refusal::AddressRegistered.into());
    }
    expire::stale_invitations(conn, event, Some(&email))?;
    let inv = match invitation::open_for_email(conn, &event.id, &email, Utc::now())? {
        Some(open) => open,
        None => invitation_for(conn, event, &form, actor)?,
    };
    if inv.kind() == InvitationKind::YoungLeader && form.nomination.is_some() {
        return Err(AppError::invalid(
            "young_leader_nomination",
            "a young leader cannot nominate another young leader",
        ));
    }
    let community = community::find_or_create(conn, &form.community)?;
    PreparedRegistration::new(inv, event.clone(), Some(community), form, base_url)?
        .by(actor.clone())
        .write(conn, base_url)
}

/// An invitation for the person, as an organizer's direct one, whose link is never sent:
/// it exists so that the registration has its invitation, as every registration does.
fn invitation_for(
    conn: &mut DbConnection,
    event: &Event,
    form: &RegistrationForm,
    actor: &Actor,
) -> Result<Invitation, AppError> {
    let spec = InvitationSpec {
        email: form.email.clone(),
        full_name: form.full_name.clone(),
        title: form.title.clone(),
        community: form.community.clone(),
        kind: InvitationKind::Executive,
        message: None,
        organization: Some(form.organization.clone()),
        expires_at: None,
    };
    let community = community::find_or_create(conn, &form.community)?;
    let at = db::now();
    // Made `sent`, so that the index of one open invitation per address settles a race
    // with an invitation being made for the same address; accepted at once by `write`.
    let created = invitation::create(
        conn,
        NewInvitationArgs {
            event_id: &event.id,
            community_id: &community.id,
            spec: &spec,
            token_hash: &SecretToken::generate().hash(),
            status: InvitationStatus::Sent,
            expires_at: truncate_micros(
                spec.expiry(at.and_utc(), event.invitation_ttl_days)
                    .naive_utc(),
            ),
            invited_by: actor.id.as_deref().filter(|_| actor.kind == "organizer"),
            nominated_by: None,
            at,
        },
    )?;
    audit::record(conn, actor, Entry::created("invitation.created", &created))?;
    Ok(created)
}
