//! Young-leader nominations. An executive nominates from the registration form (see
//! `invitee`) or later from their private link, and may withdraw a nomination while it
//! is pending; organizers list them and approve or decline. Approval invites the young
//! leader, in the same transaction, with an invitation of kind `young_leader` linked to
//! the nominator's community and registration.
//!
//! A young leader's registration may not nominate: that is 403 (who is asking, not the
//! state of anything, is what is wrong), while a cancelled registration or a full quota
//! is 409.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::community::Community;
use crate::db::models::event::{self};
use crate::db::models::invitation;
use crate::db::models::nomination::{self, Nomination, NominationFilter};
use crate::db::models::registration::Registration;
use crate::db::{self, write_transaction};
use crate::domain::nomination::{
    decision_note, NominationFields, NominationForm, NominationStatus,
};
use crate::domain::NominationId;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{
    query_choice, CurrentOrganizer, ListFilter, ListQuery, OptionalJson, Page, PageParams,
    ValidJson,
};
use crate::http::openapi::{EventItemPath, EventPath, TokenItemPath, TokenPath};
use crate::http::run::{as_registrant, for_event};
use crate::http::views::CommunityView;
use crate::http::views::{csv_download, EventCsvAnswers, NominationView, SheetFormat};
use crate::http::AppState;
use crate::workflows::{decide_nomination, links, nominate};

/// The executive who nominated, as organizers see them beside the nomination.
#[derive(Serialize, ToSchema)]
pub struct NominatorView {
    registration_id: String,
    registration_status: String,
    full_name: String,
    title: String,
    organization: String,
    email: String,
}

/// A nomination as organizers review it: with its nominator, their community, and the
/// invitation an approval sent.
#[derive(Serialize, ToSchema)]
pub struct NominationReviewView {
    #[serde(flatten)]
    nomination: NominationView,
    decided_by: Option<String>,
    nominator: NominatorView,
    community: CommunityView,
    invitation_id: Option<String>,
}

impl NominationReviewView {
    pub fn of(n: &Nomination, nominator: &Registration, community: &Community) -> Self {
        Self {
            nomination: NominationView::of(n),
            decided_by: n.decided_by.clone(),
            nominator: NominatorView {
                registration_id: nominator.id.to_string(),
                registration_status: nominator.status.as_str().to_owned(),
                full_name: nominator.full_name.clone(),
                title: nominator.title.clone(),
                organization: nominator.organization.clone(),
                email: nominator.email.clone(),
            },
            community: CommunityView::of(community),
            invitation_id: n.invitation_id.clone().map(String::from),
        }
    }
}

/// Nominate a young leader after registering (executives); the receipt goes to the executive.
#[utoipa::path(
    post,
    path = "/api/v1/manage/{token}/nomination",
    params(TokenPath),
    request_body = NominationFields,
    responses(
        (status = 201, description = "Nominated; organizers will review it.", body = NominationView),
        (status = 403, description = "A young leader's registration may not nominate."),
        (status = 404, description = "No registration has this token."),
        (status = 409, description = "The registration is cancelled, or its nominations are used up."),
    )
)]
pub async fn nominate(
    state: web::Data<AppState>,
    token: web::Path<String>,
    ValidJson(fields): ValidJson<NominationFields>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let base = state.settings.server.base_url.clone();
    let created = db::run(&state.pool, move |conn| {
        // Judged before the form, so that a refused registrant is not met with a list of
        // fields to correct.
        let reg = links::registration_by_manage_token(conn, &token)?;
        nominate::check_may_nominate(conn, &reg)?;
        let form = NominationForm::parse_by(&fields, &reg.email).map_err(AppError::Validation)?;
        write_transaction(conn, |conn| {
            nominate::nominate(conn, &base, &reg, &token, &form)
        })
    })
    .await?;
    state.outbox.notify();
    tracing::info!(nomination_id = %created.id, registration_id = %created.registration_id, "nomination created");
    Ok(HttpResponse::Created().json(NominationView::of(&created)))
}

/// Withdraw a nomination while it is pending.
#[utoipa::path(
    post,
    path = "/api/v1/manage/{token}/nominations/{id}/withdraw",
    operation_id = "withdraw_nomination",
    params(TokenItemPath),
    responses(
        (status = 200, description = "Withdrawn.", body = NominationView),
        (status = 404, description = "No registration has this token, or no such nomination of it."),
        (status = 409, description = "The nomination is no longer pending."),
    )
)]
pub async fn withdraw(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, id) = path.into_inner();
    let id = NominationId::from(id);
    let after = as_registrant(&state.pool, token, move |conn, reg| {
        nominate::withdraw(conn, reg, &id)
    })
    .await?;
    tracing::info!(nomination_id = %after.id, "nomination withdrawn");
    Ok(HttpResponse::Ok().json(NominationView::of(&after)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilters {
    /// `pending`, `approved`, `declined` or `withdrawn`; empty: any.
    #[param(pattern = r"^(?:pending|approved|declined|withdrawn)?$")]
    status: Option<String>,
}

impl ListFilter for ListFilters {
    type Checked = Option<NominationStatus>;

    fn check(self, errors: &mut FieldErrors) -> Option<NominationStatus> {
        query_choice(errors, "status", self.status.as_deref())
    }
}

/// A page of nominations, oldest first.
#[derive(Serialize, ToSchema)]
pub struct NominationList {
    items: Vec<NominationReviewView>,
    total: i64,
    limit: i64,
    offset: i64,
}

/// The event's nominations, oldest first: the order to review them in.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/nominations",
    params(EventPath, ListFilters, PageParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of nominations.", body = NominationList),
        (status = 404, description = "No such event."),
        (status = 422, description = "A filter or paging value is wrong."),
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
        let filter = NominationFilter {
            event_id: event.id.clone(),
            status,
            limit,
            offset,
        };
        let (rows, total) = nomination::list(conn, &filter)?;
        let items: Vec<NominationReviewView> = rows
            .iter()
            .map(|(n, r, c)| NominationReviewView::of(n, r, c))
            .collect();
        Ok((items, total))
    })
    .await?;
    Ok(HttpResponse::Ok().json(NominationList {
        items,
        total,
        limit,
        offset,
    }))
}

/// A decision's body, which may be left out: `{note?}`, sent to the nominator.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct DecisionRequest {
    /// Sent to the nominator.
    #[schema(format = "paragraph", max_length = 2000)]
    note: Option<String>,
}

impl DecisionRequest {
    fn note(&self) -> Result<Option<String>, AppError> {
        decision_note(self.note.as_deref()).map_err(|m| AppError::invalid("note", m))
    }
}

/// Approve a nomination: the young leader is invited.
///
/// In one transaction, the nomination is approved, the young leader invited (their email
/// names the nominator and the reason), the nominator told, and all of it audited. 409
/// when the nominee already has a live invitation to the event, and nothing changes.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/nominations/{id}/approve",
    params(EventItemPath),
    request_body(content = Option<DecisionRequest>, description = "Optional; may be empty."),
    security(("session" = [])),
    responses(
        (status = 200, description = "Approved; the young leader is invited.", body = NominationReviewView),
        (status = 404, description = "No such event or nomination."),
        (status = 409, description = "The nomination is no longer pending, or the nominee already has a live invitation."),
    )
)]
pub async fn approve(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    OptionalJson(body): OptionalJson<DecisionRequest>,
) -> Result<HttpResponse, AppError> {
    let note = body.note()?;
    let (slug, id) = path.into_inner();
    let id = NominationId::from(id);
    let nomination_id = id.clone();
    let base = state.settings.server.base_url.clone();
    let view = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let (after, nominator, community) = decide_nomination::approve(
                conn,
                &base,
                &event,
                &id,
                note.as_deref(),
                &organizer.id,
            )?;
            Ok(NominationReviewView::of(&after, &nominator, &community))
        })
    })
    .await?;
    state.outbox.notify();
    tracing::info!(nomination_id = %nomination_id, "nomination approved; young leader invited");
    Ok(HttpResponse::Ok().json(view))
}

/// Decline a nomination; the nominator is told, with the note if there is one.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/nominations/{id}/decline",
    params(EventItemPath),
    request_body(content = Option<DecisionRequest>, description = "Optional; may be empty."),
    security(("session" = [])),
    responses(
        (status = 200, description = "Declined.", body = NominationReviewView),
        (status = 404, description = "No such event or nomination."),
        (status = 409, description = "The nomination is no longer pending."),
    )
)]
pub async fn decline(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    OptionalJson(body): OptionalJson<DecisionRequest>,
) -> Result<HttpResponse, AppError> {
    let note = body.note()?;
    let (slug, id) = path.into_inner();
    let id = NominationId::from(id);
    let nomination_id = id.clone();
    let view = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let (after, nominator, community) =
                decide_nomination::decline(conn, &event, &id, note.as_deref(), &organizer.id)?;
            Ok(NominationReviewView::of(&after, &nominator, &community))
        })
    })
    .await?;
    state.outbox.notify();
    tracing::info!(nomination_id = %nomination_id, "nomination declined");
    Ok(HttpResponse::Ok().json(view))
}

/// The nominations export's columns, in order.
const CSV_HEADER: [&str; 20] = [
    "id",
    "status",
    "full_name",
    "email",
    "title",
    "organization",
    "reason",
    "nominator_full_name",
    "nominator_email",
    "nominator_title",
    "nominator_organization",
    "nominator_registration_status",
    "community",
    "state",
    "country",
    "decision_note",
    "invitation_status",
    "nominated_at",
    "decided_at",
    "time_zone",
];

/// Every nomination of the event as CSV, for spreadsheets.
///
/// In the order they came, with the nominator and their community, and the status (as of
/// now) of the invitation an approval sent; times in the event's zone to the second
/// (`time_zone` column). Cells that a spreadsheet would read as a formula start with `'`.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/nominations.csv",
    params(EventPath),
    security(("session" = [])),
    responses(EventCsvAnswers)
)]
pub async fn export(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (event, (rows, invitations)) = for_event(&state.pool, slug.into_inner(), |conn, event| {
        let rows = nomination::all_reviewed(conn, &event.id)?;
        let invitations = invitation::all_for_event(conn, &event.id)?;
        Ok((rows, invitations))
    })
    .await?;
    let now = chrono::Utc::now();
    let invitation_status: HashMap<&str, &str> = invitations
        .iter()
        .map(|(i, ..)| (i.id.as_str(), i.status_at(now).as_str()))
        .collect();
    let sheet = SheetFormat::of(&event);
    csv_download(
        &format!("{}-nominations.csv", event.slug),
        &CSV_HEADER,
        rows.iter().map(|(n, r, c)| {
            vec![
                n.id.to_string(),
                n.status.as_str().to_owned(),
                n.full_name.clone(),
                n.email.clone(),
                n.title.clone(),
                n.organization.clone(),
                n.reason.clone(),
                r.full_name.clone(),
                r.email.clone(),
                r.title.clone(),
                r.organization.clone(),
                r.status.as_str().to_owned(),
                c.name.clone(),
                c.state.clone(),
                c.country.clone(),
                n.decision_note.clone().unwrap_or_default(),
                n.invitation_id
                    .as_ref()
                    .and_then(|id| invitation_status.get(id.as_str()))
                    .map(|s| (*s).to_owned())
                    .unwrap_or_default(),
                sheet.time(n.created_at),
                sheet.time_opt(n.decided_at),
                sheet.zone(),
            ]
        }),
    )
}
