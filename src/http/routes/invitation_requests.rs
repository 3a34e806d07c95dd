//! Requests for an invitation: anyone may ask (`POST`, always the same 202 answer, so the
//! endpoint tells nothing about who is invited); organizers list, approve (which invites
//! the requester) or decline (a polite email).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::models::invitation;
use crate::db::models::invitation_request::{self, InvitationRequest, Submitted};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::community::CommunitySpec;
use crate::domain::event::EventStatus;
use crate::domain::invitation::{InvitationKind, InvitationSpec};
use crate::domain::invitation_request::{InvitationRequestForm, RequestFields, RequestStatus};
use crate::domain::registration::CommunityField;
use crate::domain::text;
use crate::email::{messages, outbox, Outgoing};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{paging, CurrentOrganizer, OptionalJson, ValidJson};
use crate::http::openapi::{EventItemPath, EventPath};
use crate::http::routes::invitations::invite;
use crate::http::views::rfc3339;
use crate::startup::AppState;

/// The public form. Every field is optional here so that each missing one is named.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct RequestBody {
    /// Required.
    #[schema(example = "Ada Lovelace")]
    full_name: Option<String>,
    /// Required.
    #[schema(example = "ada@example.org")]
    email: Option<String>,
    /// Required.
    #[schema(example = "Mayor")]
    title: Option<String>,
    /// Required.
    #[schema(example = "City of Springfield")]
    organization: Option<String>,
    /// Required: `"Springfield, IL"` or `{name, state, country?}`.
    community: Option<CommunityField>,
    /// Required: why they would like to come.
    reason: Option<String>,
    /// A honeypot: hidden from people by the page, filled in by naive bots. Leave it out.
    website: Option<String>,
}

/// The one answer to every accepted request, known email or not.
#[derive(Serialize, ToSchema)]
pub struct Received {
    #[schema(example = "received")]
    status: &'static str,
    message: &'static str,
}

fn received() -> HttpResponse {
    HttpResponse::Accepted().json(Received {
        status: "received",
        message:
            "Thank you. The organizing team reviews every request and will write to you by email.",
    })
}

/// "Springfield, IL" or `{name, state, country?}` into its three parts.
fn community_parts(c: &Option<CommunityField>) -> (Option<String>, Option<String>, Option<String>) {
    match c {
        None => (None, None, None),
        Some(CommunityField::Name(raw)) => match raw.rsplit_once(',') {
            Some((name, state)) => (Some(name.to_owned()), Some(state.to_owned()), None),
            None => (Some(raw.clone()), None, None),
        },
        Some(CommunityField::Parts(p)) => (p.name.clone(), p.state.clone(), p.country.clone()),
    }
}

fn public_event(conn: &mut DbConnection, slug: &str) -> Result<Event, AppError> {
    let found = event::find_by_slug(conn, slug)?;
    match found.status() {
        EventStatus::Draft => Err(AppError::not_found("event")),
        EventStatus::Closed | EventStatus::Archived => Err(AppError::conflict(
            "This event no longer takes requests for an invitation.",
        )),
        EventStatus::Open => Ok(found),
    }
}

fn receipt(event: &Event, r: &InvitationRequest) -> Outgoing {
    Outgoing {
        template: "invitation_request_received",
        to: r.email.clone(),
        context: json!({ "event": messages::event_context(event), "requester": { "full_name": r.full_name } }),
        attachments: vec![],
        event_id: Some(event.id.clone()),
        entity: Some(("invitation_request", r.id.clone())),
    }
}

/// Ask for an invitation (anyone).
///
/// Always the same 202 answer once the form is valid, so the endpoint tells nothing about
/// who is invited. Limited per address.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitation-requests",
    params(EventPath),
    request_body = RequestBody,
    responses(
        (status = 202, description = "Received; organizers will write by email.", body = Received),
        (status = 404, description = "No such event (or a draft)."),
        (status = 409, description = "The event no longer takes requests."),
        (status = 429, description = "Too many requests from this address."),
    )
)]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    ValidJson(body): ValidJson<RequestBody>,
) -> Result<HttpResponse, AppError> {
    if let Some(ip) = req.peer_addr().map(|a| a.ip()) {
        state
            .public_limits
            .invitation_requests
            .acquire(ip)
            .map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
    }
    if body
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        tracing::info!("invitation request dropped by the honeypot");
        return Ok(received());
    }
    let (name, region, country) = community_parts(&body.community);
    let form = InvitationRequestForm::parse(RequestFields {
        full_name: body.full_name.as_deref(),
        email: body.email.as_deref(),
        title: body.title.as_deref(),
        organization: body.organization.as_deref(),
        community: (name.as_deref(), region.as_deref(), country.as_deref()),
        reason: body.reason.as_deref(),
    })
    .map_err(AppError::Validation)?;
    let slug = slug.into_inner();
    let base_url = state.settings.base_url.clone();
    let queued = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = public_event(conn, &slug)?;
            // Someone already invited needs no request: nothing is stored, the answer is the same.
            if invitation::live_for_email(conn, &event.id, form.email.as_str(), Utc::now())? {
                return Ok(false);
            }
            let (stored, how) = invitation_request::submit(conn, &event.id, &form)?;
            let action = match how {
                Submitted::New => "invitation_request.received",
                Submitted::Merged => "invitation_request.repeated",
            };
            audit::record(conn, &Actor::public(), Entry::created(action, &stored))?;
            // One receipt per request: a repeat while it is pending sends nothing new.
            if how == Submitted::New {
                outbox::queue(conn, receipt(&event, &stored))?;
                crate::email::reviewers::notify(
                    conn,
                    &base_url,
                    &event,
                    "request for an invitation",
                    &stored.full_name,
                )?;
            }
            Ok(how == Submitted::New)
        })
    })
    .await?;
    if queued {
        state.outbox.notify();
    }
    Ok(received())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    status: Option<RequestStatus>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    /// Default 0.
    offset: Option<i64>,
}

/// The community a requester named.
#[derive(Serialize, ToSchema)]
pub struct RequestedCommunity {
    #[schema(example = "Springfield")]
    name: String,
    #[schema(example = "IL")]
    state: String,
    #[schema(example = "US")]
    country: String,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationRequestView {
    id: String,
    #[schema(value_type = RequestStatus)]
    status: String,
    #[schema(example = "Ada Lovelace")]
    full_name: String,
    #[schema(example = "ada@example.org")]
    email: String,
    #[schema(example = "Mayor")]
    title: String,
    #[schema(example = "City of Springfield")]
    organization: String,
    community: RequestedCommunity,
    reason: String,
    /// How often this address asked (a repeated request updates the first).
    times_requested: i32,
    decision_note: Option<String>,
    decided_by: Option<String>,
    #[schema(format = DateTime)]
    decided_at: Option<String>,
    /// The invitation an approval sent.
    invitation_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// A page of requests for an invitation.
#[derive(Serialize, ToSchema)]
pub struct InvitationRequestList {
    items: Vec<InvitationRequestView>,
    total: i64,
    limit: i64,
    offset: i64,
}

impl InvitationRequestView {
    fn of(r: &InvitationRequest) -> Self {
        Self {
            id: r.id.clone(),
            status: r.status.clone(),
            full_name: r.full_name.clone(),
            email: r.email.clone(),
            title: r.title.clone(),
            organization: r.organization.clone(),
            community: RequestedCommunity {
                name: r.community_name.clone(),
                state: r.community_state.clone(),
                country: r.community_country.clone(),
            },
            reason: r.reason.clone(),
            times_requested: r.times_requested,
            decision_note: r.decision_note.clone(),
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at.map(rfc3339),
            invitation_id: r.invitation_id.clone(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// The event's requests for an invitation.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/invitation-requests",
    params(EventPath, ListQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of requests.", body = InvitationRequestList),
        (status = 404, description = "No such event."),
        (status = 422, description = "A paging value is wrong."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    let (limit, offset) = paging(&mut errors, q.limit, q.offset);
    errors.into_result()?;
    let (slug, status) = (slug.into_inner(), q.status);
    let (items, total) = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        invitation_request::list(conn, &event.id, status, limit, offset)
    })
    .await?;
    let items: Vec<InvitationRequestView> = items.iter().map(InvitationRequestView::of).collect();
    Ok(HttpResponse::Ok().json(InvitationRequestList {
        items,
        total,
        limit,
        offset,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct DecisionBody {
    /// Approve: a personal message for the invitation email. Decline: a note for the requester.
    note: Option<String>,
}

fn note_of(body: &DecisionBody) -> Result<Option<String>, AppError> {
    match body.note.as_deref() {
        None => Ok(None),
        Some(raw) => Ok(Some(
            text::multi_line(raw, 2000).map_err(|m| AppError::invalid("note", m))?,
        )
        .filter(|n| !n.is_empty())),
    }
}

/// Approve a request: the requester is invited.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitation-requests/{id}/approve",
    params(EventItemPath),
    request_body(content = Option<DecisionBody>, description = "Optional; may be empty."),
    security(("session" = [])),
    responses(
        (status = 200, description = "Approved; the invitation is sent.", body = InvitationRequestView),
        (status = 404, description = "No such event or request."),
        (status = 409, description = "Already decided, or the requester already has a live invitation."),
    )
)]
pub async fn approve(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    OptionalJson(body): OptionalJson<DecisionBody>,
) -> Result<HttpResponse, AppError> {
    let note = note_of(&body)?;
    let (slug, id) = path.into_inner();
    let base_url = state.settings.base_url.clone();
    let decided = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let before = invitation_request::find(conn, &event.id, &id)?;
            before
                .status()
                .decide(RequestStatus::Approved)
                .map_err(AppError::Conflict)?;
            let spec = InvitationSpec {
                email: crate::domain::EmailAddress::parse(&before.email)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
                full_name: before.full_name.clone(),
                title: before.title.clone(),
                community: CommunitySpec {
                    name: before.community_name.clone(),
                    state: before.community_state.clone(),
                    country: before.community_country.clone(),
                },
                kind: InvitationKind::Executive,
                message: note.clone(),
                organization: Some(before.organization.clone()),
                expires_at: None,
            };
            let actor = Actor::organizer(&organizer.id);
            let (invited, _) = invite(conn, &event, &spec, &actor, &base_url)?;
            let after = invitation_request::decide(
                conn,
                &before,
                RequestStatus::Approved,
                note.as_deref(),
                &organizer.id,
                Some(&invited.id),
            )?;
            audit::record(
                conn,
                &Actor::organizer(&organizer.id),
                Entry::changed("invitation_request.approved", &before, &after),
            )?;
            Ok(after)
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Ok().json(InvitationRequestView::of(&decided)))
}

/// Decline a request; the requester gets a polite email, with the note if there is one.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitation-requests/{id}/decline",
    params(EventItemPath),
    request_body(content = Option<DecisionBody>, description = "Optional; may be empty."),
    security(("session" = [])),
    responses(
        (status = 200, description = "Declined.", body = InvitationRequestView),
        (status = 404, description = "No such event or request."),
        (status = 409, description = "Already decided."),
    )
)]
pub async fn decline(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    OptionalJson(body): OptionalJson<DecisionBody>,
) -> Result<HttpResponse, AppError> {
    let note = note_of(&body)?;
    let (slug, id) = path.into_inner();
    let decided = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let before = invitation_request::find(conn, &event.id, &id)?;
            let after = invitation_request::decide(
                conn,
                &before,
                RequestStatus::Declined,
                note.as_deref(),
                &organizer.id,
                None,
            )?;
            outbox::queue(
                conn,
                Outgoing {
                    template: "invitation_request_declined",
                    to: after.email.clone(),
                    context: json!({
                        "event": messages::event_context(&event),
                        "requester": { "full_name": after.full_name },
                        "note": after.decision_note,
                    }),
                    attachments: vec![],
                    event_id: Some(event.id.clone()),
                    entity: Some(("invitation_request", after.id.clone())),
                },
            )?;
            audit::record(
                conn,
                &Actor::organizer(&organizer.id),
                Entry::changed("invitation_request.declined", &before, &after),
            )?;
            Ok(after)
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Ok().json(InvitationRequestView::of(&decided)))
}
