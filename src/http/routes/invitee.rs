//! The invitee's endpoints, reached with the secret token from the invitation email:
//! read the invitation, register, or decline. The token is the only credential; a
//! malformed or unknown one is 404, a revoked or expired invitation is 410.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::ToSchema;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::{self, Event};
use crate::db::models::invitation::{self, Invitation, StatusChange};
use crate::db::models::new_id;
use crate::db::models::registration::{self, NewRegistrationArgs, Registration};
use crate::db::models::{nomination, scholarship};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::invitation::{InvitationKind, InvitationStatus};
use crate::domain::nomination::MAX_PARAGRAPH_CHARS;
use crate::domain::registration::{RegistrationFields, RegistrationForm, RegistrationStatus};
use crate::domain::{text, SecretToken};
use crate::email::messages::{self, Requests};
use crate::email::{nominations, outbox, reviewers, scholarships};
use crate::error::AppError;
use crate::http::extract::{OptionalJson, ValidJson};
use crate::http::openapi::TokenPath;
use crate::http::views::RegistrationRef;
use crate::http::views::{rfc3339, PublicEventView};
use crate::startup::AppState;

/// The invitee's actions are recorded in the audit log under this actor.
fn invitee() -> Actor {
    Actor {
        id: None,
        kind: "invitee",
    }
}

/// The token's hash, or 404 for anything that is not shaped like a token.
fn token_hash(raw: &str) -> Result<String, AppError> {
    SecretToken::parse(raw)
        .map(|t| t.hash())
        .ok_or(AppError::UnknownToken("invitation"))
}

fn find_by_token(conn: &mut DbConnection, hash: &str) -> Result<Invitation, AppError> {
    invitation::find_by_token_hash(conn, hash)?.ok_or(AppError::UnknownToken("invitation"))
}

/// 410 for an invitation that was revoked or ran out; its status otherwise.
fn usable(inv: &Invitation, now: DateTime<Utc>) -> Result<InvitationStatus, AppError> {
    match inv.status_at(now) {
        InvitationStatus::Revoked => Err(AppError::Gone(
            "This invitation has been withdrawn by the organizers.".into(),
        )),
        InvitationStatus::Expired => Err(AppError::Gone(
            "This invitation has expired. Please contact the organizers if you would still like to attend."
                .into(),
        )),
        status => Ok(status),
    }
}

/// Whether the invitee may register now: 410, or 409 with a reason they can read.
fn check_can_register(inv: &Invitation, event: &Event, now: DateTime<Utc>) -> Result<(), AppError> {
    match usable(inv, now)? {
        InvitationStatus::Accepted => return Err(registration::already_registered()),
        InvitationStatus::Declined => {
            return Err(AppError::conflict(
                "You declined this invitation. Please contact the organizers if you would like to attend after all.",
            ))
        }
        status => {
            status
                .transition(InvitationStatus::Accepted)
                .map_err(AppError::Conflict)?;
        }
    }
    if let Some(reason) = event.registration_closed_reason(now) {
        return Err(AppError::conflict(capitalize(reason) + "."));
    }
    Ok(())
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommunityOut {
    #[schema(example = "Springfield")]
    name: String,
    #[schema(example = "IL")]
    state: String,
    #[schema(example = "US")]
    country: String,
}

/// Who was invited, as the form is filled in from.
#[derive(Serialize, ToSchema)]
pub struct Invitee {
    #[schema(example = "Ada Lovelace")]
    full_name: String,
    #[schema(example = "ada@example.org")]
    email: String,
    #[schema(example = "Mayor")]
    title: String,
    organization: Option<String>,
    community: CommunityOut,
}

/// An invitation as its invitee sees it.
#[derive(Serialize, ToSchema)]
pub struct InvitationForInvitee {
    /// `executive` or `young_leader`.
    #[schema(example = "executive")]
    kind: String,
    /// `pending`, `sent`, `accepted` or `declined`.
    #[schema(example = "sent")]
    status: String,
    event: PublicEventView,
    invitee: Invitee,
    message: Option<String>,
    #[schema(format = DateTime)]
    expires_at: String,
    /// Whether the form may carry a young-leader nomination (executives only).
    may_nominate: bool,
    registration: Option<RegistrationRef>,
}

/// The invitation behind an emailed link: the event, who is invited, and its status.
#[utoipa::path(
    get,
    path = "/api/v1/invitations/{token}",
    params(TokenPath),
    responses(
        (status = 200, description = "The invitation.", body = InvitationForInvitee),
        (status = 404, description = "No invitation has this token."),
        (status = 410, description = "The invitation was revoked or has expired."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let hash = token_hash(&token)?;
    let view = db::run(&state.pool, move |conn| {
        let (inv, event, community, registration) = invitation::find_for_invitee(conn, &hash)?
            .ok_or(AppError::UnknownToken("invitation"))?;
        let status = usable(&inv, Utc::now())?;
        Ok(InvitationForInvitee {
            may_nominate: inv.kind() == InvitationKind::Executive,
            kind: inv.kind,
            status: status.as_str().to_owned(),
            event: PublicEventView::of(&event),
            invitee: Invitee {
                full_name: inv.full_name,
                email: inv.email,
                title: inv.title,
                organization: inv.organization,
                community: CommunityOut {
                    name: community.name,
                    state: community.state,
                    country: community.country,
                },
            },
            message: inv.message,
            expires_at: rfc3339(inv.expires_at),
            registration: registration.map(|(id, status)| RegistrationRef { id, status }),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// What a registration answers: the registration and the registrant's private link.
#[derive(Serialize, ToSchema)]
pub struct Registered {
    registration: RegistrationRef,
    /// The registrant's private page (also in the confirmation email).
    #[schema(
        example = "https://events.example.org/manage/q3Zr0m2WJ1sC9tQpXn8aV5yEo4LkUiHbGd7fRwMzA6c"
    )]
    manage_url: String,
}

/// Register: accept the invitation and claim a seat (or a place on the waiting list).
///
/// In one transaction: the invitation becomes `accepted`, a seat is claimed if one is free
/// (`confirmed`, else `waitlisted`), the nomination and scholarship request are stored as
/// `pending`, and the confirmation or waiting-list email is queued.
#[utoipa::path(
    post,
    path = "/api/v1/invitations/{token}/registration",
    params(TokenPath),
    request_body = RegistrationFields,
    responses(
        (status = 201, description = "Registered.", body = Registered),
        (status = 404, description = "No invitation has this token."),
        (status = 409, description = "Already registered or declined, or registration is closed."),
        (status = 410, description = "The invitation was revoked or has expired."),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    token: web::Path<String>,
    ValidJson(fields): ValidJson<RegistrationFields>,
) -> Result<HttpResponse, AppError> {
    let hash = token_hash(&token)?;
    let base = state.settings.base_url.clone();
    let link_base = base.clone();
    let prepared = db::run(&state.pool, move |conn| {
        // The invitation and the event are judged before the form, so that a used or
        // closed invitation is not met with a list of fields to correct.
        let inv = find_by_token(conn, &hash)?;
        let event = event::find(conn, &inv.event_id)?;
        check_can_register(&inv, &event, Utc::now())?;
        let invited = community::find(conn, &inv.community_id)?;
        let form = RegistrationForm::parse(fields, inv.kind(), &invited.spec())
            .map_err(AppError::Validation)?;
        let key = form.community.match_key();
        let community = if key == invited.match_key {
            Some(invited)
        } else {
            community::find_by_key(conn, &key)?
        };
        PreparedRegistration::new(inv, event, community, form, &link_base)
    })
    .await?;
    // Committed with the registrations that arrived meanwhile: one flush for them all
    // (see `db::group_commit`), answered only once durable.
    let (reg, manage_url) = state
        .group_commit
        .run(move |conn| prepared.write(conn, &base))
        .await?;
    state.outbox.notify();
    tracing::info!(registration_id = %reg.id, event_id = %reg.event_id, status = %reg.status, "registered");
    Ok(HttpResponse::Created().json(Registered {
        registration: RegistrationRef {
            id: reg.id,
            status: reg.status,
        },
        manage_url,
    }))
}

/// A registration made ready on the request's own thread, before its batch: one thread
/// commits every registration in turn (about 0.9 ms of its CPU each when it did all of
/// this itself), so it is left only what must see the database as it is at the commit:
/// the checks again, the seat, the writes.
struct PreparedRegistration {
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
    id: String,
    manage: SecretToken,
    manage_url: String,
    /// The confirmation email, rendered in advance when a seat looked free and the form
    /// asks for nothing else (a nomination or scholarship request is rendered in it).
    confirmation: Option<outbox::Prepared>,
}

impl PreparedRegistration {
    fn new(
        inv: Invitation,
        event: Event,
        community: Option<Community>,
        form: RegistrationForm,
        base: &Url,
    ) -> Result<Self, AppError> {
        let id = new_id();
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
            manage,
            manage_url,
            confirmation,
        })
    }

    /// The registration, in its savepoint of the batch. Same checks, rows and answers as
    /// if it were done here from the start: whatever was read before is used only if the
    /// database shows it unchanged.
    fn write(
        self,
        conn: &mut DbConnection,
        base: &Url,
    ) -> Result<(Registration, String), AppError> {
        let p = self;
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
            Some(accepted) => (p.inv_state, accepted),
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
        let community_id = match p.community {
            Some(c) => c.id,
            None => community::find_or_create(conn, &p.form.community)?.id,
        };
        let status = if registration::claim_seat(conn, &event.id)? {
            RegistrationStatus::Confirmed
        } else {
            RegistrationStatus::Waitlisted
        };
        let reg = registration::create(
            conn,
            NewRegistrationArgs {
                id: p.id,
                event_id: &event.id,
                invitation_id: &accepted.id,
                community_id: &community_id,
                kind: accepted.kind(),
                form: &p.form,
                status,
                manage_token_hash: &p.manage.hash(),
                at,
            },
        )?;
        audit::record_all(
            conn,
            &invitee(),
            at,
            [
                Entry::changed_from("invitation.accepted", before, &accepted),
                Entry::created("registration.created", &reg),
            ],
        )?;
        let manage_url = p.manage_url;
        let mut requests = Requests::default();
        if let Some(n) = &p.form.nomination {
            let stored = nomination::create(conn, &event.id, &reg.id, &community_id, n, at)?;
            audit::record(
                conn,
                &invitee(),
                Entry::created("nomination.created", &stored),
            )?;
            outbox::queue(
                conn,
                nominations::received(&event, &reg, &stored, &manage_url),
            )?;
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
                &invitee(),
                Entry::created("scholarship.requested", &stored),
            )?;
            outbox::queue(
                conn,
                scholarships::request_received(&event, &reg, &stored, Some(&manage_url)),
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
        let email = match (status, p.confirmation) {
            // Rendered from the event as it was read before: valid while the event's
            // settings are unchanged (seat counts do not touch `updated_at`).
            (RegistrationStatus::Confirmed, Some(pre))
                if event.updated_at == p.event.updated_at =>
            {
                pre
            }
            (RegistrationStatus::Confirmed, _) => outbox::prepare(
                messages::registration_confirmed(&event, &reg, base, &manage_url, &requests),
            )?,
            _ => {
                let position = registration::waitlist_position(conn, &reg)?;
                outbox::prepare(messages::registration_waitlisted(
                    &event,
                    &reg,
                    &manage_url,
                    position,
                    &requests,
                ))?
            }
        };
        outbox::insert(conn, &email)?;
        Ok((reg, manage_url))
    }
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct DeclineRequest {
    /// Shown to the organizers.
    reason: Option<String>,
}

/// The invitation's status after an answer.
#[derive(Serialize, ToSchema)]
pub struct InvitationStatusView {
    #[schema(example = "declined")]
    status: String,
}

/// Decline the invitation, with an optional reason (the body may be left out).
#[utoipa::path(
    post,
    path = "/api/v1/invitations/{token}/decline",
    params(TokenPath),
    request_body(content = Option<DeclineRequest>, description = "Optional; may be empty."),
    responses(
        (status = 200, description = "Declined.", body = InvitationStatusView),
        (status = 404, description = "No invitation has this token."),
        (status = 409, description = "Already registered or declined."),
        (status = 410, description = "The invitation was revoked or has expired."),
    )
)]
pub async fn decline(
    state: web::Data<AppState>,
    token: web::Path<String>,
    OptionalJson(body): OptionalJson<DeclineRequest>,
) -> Result<HttpResponse, AppError> {
    let hash = token_hash(&token)?;
    let reason = match body.reason.as_deref() {
        None => None,
        Some(raw) => Some(
            text::multi_line(raw, MAX_PARAGRAPH_CHARS)
                .map_err(|m| AppError::invalid("reason", m))?,
        )
        .filter(|r| !r.is_empty()),
    };
    let declined = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let inv = find_by_token(conn, &hash)?;
            match usable(&inv, Utc::now())? {
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
                    decline_reason: reason.as_deref(),
                    ..Default::default()
                },
                at,
            )?;
            audit::record(conn, &invitee(), Entry::changed("invitation.declined", &inv, &after))?;
            Ok(after)
        })
    })
    .await?;
    tracing::info!(invitation_id = %declined.id, "invitation declined");
    Ok(HttpResponse::Ok().json(InvitationStatusView {
        status: declined.status,
    }))
}
