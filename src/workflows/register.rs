//! Register: an invitee accepts their invitation and claims a seat (or a place on the
//! waiting list), with a young-leader nomination and a travel-scholarship request if the
//! form carries them, in one transaction: the invitation becomes `accepted`, a seat is
//! claimed if one is free (`confirmed`, else `waitlisted`), the nomination and the
//! scholarship request are stored as `pending`, and the confirmation or waiting-list
//! email is queued: one email, which acknowledges the nomination and the request too
//! (their own receipts are for those made later, from the private page).
//!
//! In two steps, so that the one thread that commits registrations in groups (see
//! `db::group_commit`) does only what must see the database as it is at the commit:
//! [`prepare`] reads, judges and renders before the batch, and
//! [`PreparedRegistration::write`] checks again and writes, in its savepoint of a batch.

use chrono::{DateTime, NaiveDateTime, Utc};
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::Event;
use crate::db::models::invitation::{self, Invitation, InviteePages, StatusChange};
use crate::db::models::registration::{self, NewRegistrationArgs, Registration};
use crate::db::models::{nomination, scholarship};
use crate::db::read_together::ReadTogether;
use crate::db::{self, DbConnection, DbPool};
use crate::domain::check_in::CheckInCode;
use crate::domain::invitation::InvitationStatus;
use crate::domain::refusal::Ended;
use crate::domain::registration::{RegistrationFields, RegistrationForm, RegistrationStatus};
use crate::domain::webhook::EventKind;
use crate::domain::{CommunityId, Refusal, RegistrationId, SecretToken};
use crate::email::messages::{self, Requests};
use crate::email::{outbox, reviewers};
use crate::error::AppError;
use crate::webhooks;

mod together;

pub use together::Registering;

/// A registration made, with the registrant's private link.
pub struct Registered {
    pub registration: Registration,
    pub manage_url: String,
}

/// Reads the invitation behind `token_hash` and its event, judges them before the form
/// (so that a used or closed invitation is not met with a list of fields to correct),
/// parses the form and makes the registration ready to write.
///
/// The invitation is read as its page is (one statement for the three; on PostgreSQL
/// together with the pages and forms asked meanwhile, `db::read_together`), and the
/// confirmation is rendered on the calling thread: a hop to a blocking thread for it cost
/// more than the rendering (`BENCHMARKS.md`, session 14).
pub async fn prepare(
    pages: &ReadTogether<InviteePages>,
    pool: &DbPool,
    base_url: &Url,
    token_hash: String,
    fields: RegistrationFields,
) -> Result<PreparedRegistration, AppError> {
    let (inv, event, invited, _) = pages
        .read(token_hash)
        .await?
        .ok_or(AppError::UnknownToken("invitation"))?;
    check_can_register(&inv, &event, Utc::now())?;
    let form = RegistrationForm::parse(fields, inv.kind(), &invited.spec())
        .map_err(AppError::Validation)?;
    let key = form.community.match_key();
    let community = if key == invited.match_key {
        Some(invited)
    } else {
        db::read_here(pool, move |conn| community::find_by_key(conn, &key)).await?
    };
    PreparedRegistration::new(inv, event, community, form, base_url)
}

/// 410 for an invitation that was revoked or ran out; its status otherwise.
pub fn usable(inv: &Invitation, now: DateTime<Utc>) -> Result<InvitationStatus, AppError> {
    match inv.status_at(now) {
        InvitationStatus::Revoked => Err(Refusal::Ended(Ended::InvitationRevoked).into()),
        InvitationStatus::Expired => Err(Refusal::Ended(Ended::InvitationExpired).into()),
        status => Ok(status),
    }
}

/// Whether the invitee may register now: an ended invitation, or why not otherwise.
fn check_can_register(inv: &Invitation, event: &Event, now: DateTime<Utc>) -> Result<(), AppError> {
    match usable(inv, now)? {
        InvitationStatus::Accepted => return Err(Refusal::AlreadyRegistered.into()),
        InvitationStatus::Declined => return Err(Refusal::DeclinedInvitation.into()),
        status => {
            status.transition(InvitationStatus::Accepted)?;
        }
    }
    if let Some(reason) = event.registration_closed_reason(now) {
        return Err(Refusal::RegistrationClosed(reason).into());
    }
    Ok(())
}

/// A registration made ready on the request's own thread, before its batch: one thread
/// commits every registration in turn (about 0.9 ms of its CPU each when it did all of
/// this itself), so it is left only what must see the database as it is at the commit:
/// the checks again, the seat, the writes.
pub struct PreparedRegistration {
    /// The invitation as read before; still valid inside only if its row is unchanged.
    inv: Invitation,
    /// Its audit state (JSON), made from `inv`.
    inv_state: Option<String>,
    /// The event as read before: what `confirmation` was rendered from.
    event: Event,
    /// The form's community, if it exists already (communities are never changed or
    /// removed); created in the batch otherwise.
    community: Option<Community>,
    form: RegistrationForm,
    id: RegistrationId,
    checkin_code: CheckInCode,
    manage: SecretToken,
    manage_url: String,
    /// The confirmation email, rendered in advance when a seat looked free and the form
    /// asks for nothing else (a nomination or scholarship request is rendered in it).
    confirmation: Option<outbox::Prepared>,
    /// Who registers: the invitee, or an organizer for them (see [`Self::by`]).
    actor: Actor,
}

impl PreparedRegistration {
    /// The registration of `form` through `inv`, made ready outside the batch; `community`
    /// is the form's community if it exists already.
    pub fn new(
        inv: Invitation,
        event: Event,
        community: Option<Community>,
        form: RegistrationForm,
        base: &Url,
    ) -> Result<Self, AppError> {
        let id = RegistrationId::new();
        let checkin_code = CheckInCode::generate();
        let manage = SecretToken::generate();
        let manage_url = messages::manage_link(base, manage.expose());
        let plain = form.nomination.is_none() && form.scholarship.is_none();
        let confirmation = if plain && event.seats_taken < event.capacity {
            // The row as it will be stored, for the email's names and calendar UID.
            let reg = NewRegistrationArgs {
                id: id.clone(),
                event_id: &event.id,
                invitation_id: &inv.id,
                community_id: &inv.community_id,
                kind: inv.kind(),
                form: &form,
                status: RegistrationStatus::Confirmed,
                manage_token_hash: "",
                at: db::now(),
                checkin_code: &checkin_code,
            }
            .row();
            let email = messages::registration_confirmed(
                &event,
                &reg,
                base,
                &manage_url,
                &Requests::default(),
            );
            Some(outbox::prepare(email)?)
        } else {
            None
        };
        Ok(Self {
            inv_state: audit::state(&inv),
            inv,
            event,
            community,
            form,
            id,
            checkin_code,
            manage,
            manage_url,
            confirmation,
            actor: Actor::invitee(),
        })
    }

    /// Recorded in the audit log as done by `actor` (an organizer acting for the person)
    /// rather than by the invitee.
    pub fn by(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    /// The registration, in its savepoint of the batch (see `db::group_commit`). Same checks, rows and answers as
    /// if it were done here from the start: whatever was read before is used only if the
    /// database shows it unchanged.
    pub fn write(self, conn: &mut DbConnection, base: &Url) -> Result<Registered, AppError> {
        let p = self;
        let actor = &p.actor;
        let event = registration::lock_and_read_event(conn, &p.inv.event_id)?;
        let now = Utc::now();
        let at = db::now();
        // The invitation as read before, if it is unchanged: the check and the change are
        // then one conditional UPDATE.
        let fast = match check_can_register(&p.inv, &event, now) {
            Ok(()) => registration::accept_invitation(conn, &p.inv, at)?,
            Err(_) => None,
        };
        let (before, accepted) = match fast {
            Some(accepted) => (p.inv_state.clone(), accepted),
            None => {
                // Changed meanwhile (another request answered it, or an organizer), or
                // refused: judge it again as it is now, for the right answer.
                let inv = invitation::find(conn, &p.inv.id)?;
                check_can_register(&inv, &event, now)?;
                let accepted = invitation::set_status(
                    conn,
                    &inv.id,
                    inv.stored_status(),
                    InvitationStatus::Accepted,
                    StatusChange {
                        responded_at: Some(at),
                        ..Default::default()
                    },
                    at,
                )?;
                (audit::state(&inv), accepted)
            }
        };
        let community_id = match &p.community {
            Some(c) => c.id.clone(),
            None => community::find_or_create(conn, &p.form.community)?.id,
        };
        let status = if registration::claim_seat(conn, &event.id)? {
            RegistrationStatus::Confirmed
        } else {
            RegistrationStatus::Waitlisted
        };
        let reg = registration::create(conn, p.args(&community_id, status, &p.manage.hash(), at))?;
        audit::record_all(
            conn,
            actor,
            at,
            [
                Entry::changed_from("invitation.accepted", before, &accepted),
                Entry::created("registration.created", &reg),
            ],
        )?;
        webhooks::on_registration(conn, EventKind::RegistrationCreated, &reg)?;
        let mut requests = Requests::default();
        if let Some(n) = &p.form.nomination {
            let stored = nomination::create(conn, &event.id, &reg.id, &community_id, n, at)?;
            audit::record(conn, actor, Entry::created("nomination.created", &stored))?;
            reviewers::notify(
                conn,
                base,
                &event,
                "young-leader nomination",
                &reg.full_name,
            )?;
            requests.nominee_name = Some(stored.full_name);
        }
        if let Some(s) = &p.form.scholarship {
            let stored = scholarship::create(conn, &event.id, &reg.id, s, at)?;
            audit::record(
                conn,
                actor,
                Entry::created("scholarship.requested", &stored),
            )?;
            reviewers::notify(
                conn,
                base,
                &event,
                "travel scholarship request",
                &reg.full_name,
            )?;
            requests.scholarship_amount_cents = Some(stored.requested_amount_cents);
        }
        let position = match status {
            RegistrationStatus::Waitlisted => Some(registration::waitlist_position(conn, &reg)?),
            _ => None,
        };
        let mut fresh = None;
        let email = p.email(&mut fresh, &event, &reg, base, position, &requests)?;
        outbox::insert(conn, email)?;
        Ok(Registered {
            registration: reg,
            manage_url: p.manage_url,
        })
    }

    /// What stores it: in `community_id`, with `status`, at `at`, under the hash of its
    /// manage link.
    fn args<'a>(
        &'a self,
        community_id: &'a CommunityId,
        status: RegistrationStatus,
        manage_token_hash: &'a str,
        at: NaiveDateTime,
    ) -> NewRegistrationArgs<'a> {
        NewRegistrationArgs {
            id: self.id.clone(),
            event_id: &self.inv.event_id,
            invitation_id: &self.inv.id,
            community_id,
            kind: self.inv.kind(),
            form: &self.form,
            status,
            manage_token_hash,
            at,
            checkin_code: &self.checkin_code,
        }
    }

    /// The email to queue for `reg` as stored in `event` as locked: the confirmation
    /// rendered in advance while the event's settings are unchanged since it was read
    /// (seat counts do not touch `updated_at`), else rendered now, into `fresh`.
    fn email<'a>(
        &'a self,
        fresh: &'a mut Option<outbox::Prepared>,
        event: &Event,
        reg: &Registration,
        base: &Url,
        waitlist_position: Option<i64>,
        requests: &Requests,
    ) -> Result<&'a outbox::Prepared, AppError> {
        match (&self.confirmation, reg.status) {
            (Some(pre), RegistrationStatus::Confirmed)
                if event.updated_at == self.event.updated_at =>
            {
                Ok(pre)
            }
            (_, RegistrationStatus::Confirmed) => Ok(fresh.insert(outbox::prepare(
                messages::registration_confirmed(event, reg, base, &self.manage_url, requests),
            )?)),
            _ => Ok(
                fresh.insert(outbox::prepare(messages::registration_waitlisted(
                    event,
                    reg,
                    &self.manage_url,
                    waitlist_position.unwrap_or(1),
                    requests,
                ))?),
            ),
        }
    }
}
