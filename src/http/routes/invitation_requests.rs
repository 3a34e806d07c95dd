//! Requests for an invitation: anyone may ask (`POST`, always the same 202 answer, so the
//! endpoint tells nothing about who is invited); organizers list, approve (which invites
//! the requester) or decline (a polite email).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::event::{self};
use crate::db::models::invitation_request::{self, InvitationRequest};
use crate::db::{self, write_transaction};
use crate::domain::invitation_request::{InvitationRequestForm, RequestFields, RequestStatus};
use crate::domain::registration::CommunityField;
use crate::domain::text;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{
    CurrentOrganizer, ListFilter, ListQuery, OptionalJson, Page, PageParams, ValidJson,
};
use crate::http::openapi::{EventItemPath, EventPath};
use crate::http::run::for_event;
use crate::http::views::rfc3339;
use crate::http::AppState;
use crate::workflows::decide_request;
use crate::workflows::request_invitation::{request_invitation, Requested};

/// The public form. Every field is optional here so that each missing one is named.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct RequestBody {
    #[schema(example = "Ada Lovelace", value_type = String, format = "line", max_length = 200, required = true)]
    full_name: Option<String>,
    #[schema(example = "ada@example.org", value_type = String, format = Email, max_length = 254, required = true)]
    email: Option<String>,
    #[schema(example = "Mayor", value_type = String, format = "line", max_length = 200, required = true)]
    title: Option<String>,
    #[schema(example = "City of Springfield", value_type = String, format = "line", max_length = 200, required = true)]
    organization: Option<String>,
    #[schema(schema_with = requested_community, required = true)]
    community: Option<CommunityField>,
    /// Why they would like to come.
    #[schema(value_type = String, format = "required-paragraph", max_length = 2000, required = true)]
    reason: Option<String>,
    /// A honeypot for the public page's form: hidden from people, filled in by naive bots,
    /// and the request then silently dropped. Not part of the API, so not in the document.
    #[schema(ignore)]
    website: Option<String>,
}

/// The schema of [`RequestBody::community`]: `"Name, ST"` (split at its last comma), or
/// the parts.
fn requested_community() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(200))
                .pattern(Some(concat!(
                    r"^[\t\n\x0b\x0c\r ]*[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f]",
                    r"[^\x00-\x1f\x7f-\x9f]*,[^,\x00-\x1f\x7f-\x9f]*[^\s,\x00-\x1f\x7f-\x9f]",
                    r"[^,\x00-\x1f\x7f-\x9f]*[\t\n\x0b\x0c\r ]*$"
                )))
                .examples(["Springfield, IL"]),
        )
        .item(utoipa::openapi::Ref::from_schema_name("InvitedCommunity"))
        .description(Some("`\"Springfield, IL\"` or `{name, state, country?}`."))
        .build()
        .into()
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
            .await?
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
    let base_url = state.settings.server.base_url.clone();
    let requested = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            request_invitation(conn, &base_url, &slug, &form)
        })
    })
    .await?;
    if requested == Requested::New {
        state.outbox.notify();
    }
    Ok(received())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilters {
    status: Option<RequestStatus>,
}

impl ListFilter for ListFilters {
    type Checked = Option<RequestStatus>;

    /// The status is read as its type: an unknown one is 400, as it has always been.
    fn check(self, _: &mut FieldErrors) -> Option<RequestStatus> {
        self.status
    }
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
            status: r.status.as_str().to_owned(),
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
            invitation_id: r.invitation_id.clone().map(String::from),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// The event's requests for an invitation.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/invitation-requests",
    params(EventPath, ListFilters, PageParams),
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
    query: ListQuery<ListFilters>,
) -> Result<HttpResponse, AppError> {
    let (status, Page { limit, offset }) = (query.filter, query.page);
    let (_, (items, total)) = for_event(&state.pool, slug.into_inner(), move |conn, event| {
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
    #[schema(format = "paragraph", max_length = 2000)]
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
    let base_url = state.settings.server.base_url.clone();
    let decided = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            decide_request::approve(conn, &base_url, &event, &id, note.as_deref(), &organizer.id)
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
            decide_request::decline(conn, &event, &id, note.as_deref(), &organizer.id)
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Ok().json(InvitationRequestView::of(&decided)))
}
