//! The invitee's endpoints, reached with the secret token from the invitation email:
//! read the invitation, register, or decline. The token is the only credential; a
//! malformed or unknown one is 404, a revoked or expired invitation is 410.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{self, write_transaction};
use crate::domain::invitation::InvitationKind;
use crate::domain::nomination::MAX_PARAGRAPH_CHARS;
use crate::domain::registration::RegistrationFields;
use crate::domain::text;
use crate::error::AppError;
use crate::http::extract::{OptionalJson, ValidJson};
use crate::http::openapi::TokenPath;
use crate::http::views::RegistrationRef;
use crate::http::views::{rfc3339, PublicEventView};
use crate::http::AppState;
use crate::workflows::{decline, links, register};

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
    let hash = links::invitation_token_hash(&token)?;
    // One statement by the token's index: on SQLite on this thread, on PostgreSQL
    // together with the other pages asked meanwhile.
    let (inv, event, community, registration) = state
        .invitee_pages
        .read(hash)
        .await?
        .ok_or(AppError::UnknownToken("invitation"))?;
    let status = register::usable(&inv, Utc::now())?;
    let view = InvitationForInvitee {
        may_nominate: inv.kind() == InvitationKind::Executive,
        kind: inv.kind.as_str().to_owned(),
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
    };
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
    let hash = links::invitation_token_hash(&token)?;
    let base = state.settings.server.base_url.clone();
    let prepared =
        register::prepare(&state.invitee_pages, &state.pool, &base, hash, fields).await?;
    // Committed with the registrations that arrived meanwhile: one flush for them all
    // (see `db::group_commit`), answered only once durable.
    let register::Registered {
        registration: reg,
        manage_url,
    } = state
        .group_commit
        .run_merged(register::Registering { prepared, base })
        .await?;
    state.outbox.notify();
    tracing::info!(registration_id = %reg.id, event_id = %reg.event_id, status = %reg.status, "registered");
    Ok(HttpResponse::Created().json(Registered {
        registration: RegistrationRef {
            id: reg.id.into(),
            status: reg.status.as_str().to_owned(),
        },
        manage_url,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct DeclineRequest {
    /// Shown to the organizers.
    #[schema(format = "paragraph", max_length = 2000)]
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
    let hash = links::invitation_token_hash(&token)?;
    let reason = match body.reason.as_deref() {
        None => None,
        Some(raw) => Some(
            text::multi_line(raw, MAX_PARAGRAPH_CHARS)
                .map_err(|m| AppError::invalid("reason", m))?,
        )
        .filter(|r| !r.is_empty()),
    };
    let base = state.settings.server.base_url.clone();
    let declined = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            decline::decline(conn, &base, &hash, reason.as_deref())
        })
    })
    .await?;
    // Organizers who asked for notices are told.
    state.outbox.notify();
    tracing::info!(invitation_id = %declined.id, "invitation declined");
    Ok(HttpResponse::Ok().json(InvitationStatusView {
        status: declined.status.as_str().to_owned(),
    }))
}
