//! Travel scholarships. Organizers list the requests with the budget, export them, and
//! decide each one; the registrant, through their manage link, asks for one, withdraws
//! it while it waits, and accepts or declines an award by its reply-by time.
//! The rules of the budget are in `workflows::decide_scholarship`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::community::{self, Community};
use crate::db::models::event::Event;
use crate::db::models::registration::Registration;
use crate::db::models::scholarship::{self, ScholarshipFilter, ScholarshipRequest};
use crate::db::{self, write_transaction};
use crate::domain::scholarship::{
    AwardStatus, DecisionFields, ScholarshipFields, ScholarshipStatus,
};
use crate::domain::ScholarshipRequestId;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{
    query_choice, CurrentOrganizer, ListFilter, ListQuery, Page, PageParams, ValidJson,
};
use crate::http::openapi::{EventItemPath, EventPath, TokenPath};
use crate::http::run::{as_registrant, for_event};
use crate::http::views::rfc3339;
use crate::http::views::CommunityView;
use crate::http::views::{csv_download, EventCsvAnswers, ScholarshipView, SheetFormat};
use crate::http::AppState;
use crate::workflows::answer_award::answer_award;
use crate::workflows::{decide_scholarship, request_scholarship};

/// The event's scholarship budget: what there is, what stands awarded, what is left.
#[derive(Serialize, ToSchema)]
pub struct BudgetView {
    #[schema(example = 5000000)]
    budget_cents: i64,
    #[schema(example = 1200000)]
    awarded_cents: i64,
    #[schema(example = 3800000)]
    left_cents: i64,
    #[schema(example = "USD")]
    currency: String,
}

impl BudgetView {
    pub fn of(e: &Event) -> Self {
        Self {
            budget_cents: e.scholarship_budget_cents,
            awarded_cents: e.scholarship_awarded_cents,
            left_cents: e.scholarship_left_cents(),
            currency: e.currency.clone(),
        }
    }
}

/// Who asked: enough of the registration to decide on.
#[derive(Serialize, ToSchema)]
pub struct RegistrationSummary {
    id: String,
    full_name: String,
    title: String,
    organization: String,
    status: String,
}

/// A request as organizers see it, with its registration and community.
#[derive(Serialize, ToSchema)]
pub struct ScholarshipItem {
    id: String,
    /// `pending`, `approved`, `declined`, `waitlisted` or `withdrawn`.
    #[schema(example = "pending")]
    status: String,
    travelers: i32,
    estimated_cost_cents: i64,
    requested_amount_cents: i64,
    awarded_amount_cents: Option<i64>,
    justification: String,
    decision_note: Option<String>,
    decided_by: Option<String>,
    #[schema(format = DateTime)]
    reply_by: Option<String>,
    /// `offered`, `accepted`, `declined`, `lapsed` or `released`; absent until approved.
    award_status: Option<String>,
    #[schema(format = DateTime)]
    award_answered_at: Option<String>,
    #[schema(format = DateTime)]
    reminded_at: Option<String>,
    registration: RegistrationSummary,
    community: CommunityView,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    decided_at: Option<String>,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl ScholarshipItem {
    fn of(s: &ScholarshipRequest, r: &Registration, c: &Community) -> Self {
        Self {
            id: s.id.to_string(),
            status: s.status.as_str().to_owned(),
            travelers: s.travelers,
            estimated_cost_cents: s.estimated_cost_cents,
            requested_amount_cents: s.requested_amount_cents,
            awarded_amount_cents: s.awarded_amount_cents,
            justification: s.justification.clone(),
            decision_note: s.decision_note.clone(),
            decided_by: s.decided_by.clone(),
            reply_by: s.reply_by.map(rfc3339),
            award_status: s.award_status.map(|a| a.as_str().to_owned()),
            award_answered_at: s.award_answered_at.map(rfc3339),
            reminded_at: s.reminded_at.map(rfc3339),
            registration: RegistrationSummary {
                id: r.id.to_string(),
                full_name: r.full_name.clone(),
                title: r.title.clone(),
                organization: r.organization.clone(),
                status: r.status.as_str().to_owned(),
            },
            community: CommunityView::of(c),
            created_at: rfc3339(s.created_at),
            decided_at: s.decided_at.map(rfc3339),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilters {
    /// `pending`, `approved`, `declined`, `waitlisted` or `withdrawn`; empty: any.
    #[param(pattern = r"^(?:pending|approved|declined|waitlisted|withdrawn)?$")]
    status: Option<String>,
    /// `offered`, `accepted`, `declined`, `lapsed` or `released`; empty: any.
    #[param(pattern = r"^(?:offered|accepted|declined|lapsed|released)?$")]
    award_status: Option<String>,
}

impl ListFilter for ListFilters {
    type Checked = (Option<ScholarshipStatus>, Option<AwardStatus>);

    fn check(self, errors: &mut FieldErrors) -> Self::Checked {
        (
            query_choice(errors, "status", self.status.as_deref()),
            query_choice(errors, "award_status", self.award_status.as_deref()),
        )
    }
}

/// A page of scholarship requests, oldest first, with the budget.
#[derive(Serialize, ToSchema)]
pub struct ScholarshipList {
    items: Vec<ScholarshipItem>,
    total: i64,
    limit: i64,
    offset: i64,
    budget: BudgetView,
}

/// The event's travel-scholarship requests, oldest first, with the budget.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/scholarships",
    params(EventPath, ListFilters, PageParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of requests.", body = ScholarshipList),
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
    let ((status, award_status), Page { limit, offset }) = (query.filter, query.page);
    let (_, (items, total, budget)) =
        for_event(&state.pool, slug.into_inner(), move |conn, event| {
            let filter = ScholarshipFilter {
                event_id: event.id.clone(),
                status,
                award_status,
                limit,
                offset,
            };
            let (rows, total) = scholarship::list(conn, &filter)?;
            let items: Vec<ScholarshipItem> = rows
                .iter()
                .map(|(s, r, c)| ScholarshipItem::of(s, r, c))
                .collect();
            Ok((items, total, BudgetView::of(event)))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ScholarshipList {
        items,
        total,
        limit,
        offset,
        budget,
    }))
}

/// The export's columns, in order.
const CSV_HEADER: [&str; 24] = [
    "id",
    "status",
    "travelers",
    "estimated_cost",
    "requested_amount",
    "awarded_amount",
    "currency",
    "award_status",
    "reply_by",
    "award_answered_at",
    "justification",
    "decision_note",
    "registration_id",
    "registration_status",
    "full_name",
    "email",
    "title",
    "organization",
    "community",
    "state",
    "country",
    "requested_at",
    "decided_at",
    "time_zone",
];

fn csv_row(
    sheet: &SheetFormat,
    (s, r, c): &(ScholarshipRequest, Registration, Community),
) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        s.id.to_string(),
        s.status.as_str().to_owned(),
        s.travelers.to_string(),
        sheet.money(s.estimated_cost_cents),
        sheet.money(s.requested_amount_cents),
        s.awarded_amount_cents
            .map(|a| sheet.money(a))
            .unwrap_or_default(),
        sheet.currency(),
        s.award_status
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        sheet.time_opt(s.reply_by),
        sheet.time_opt(s.award_answered_at),
        s.justification.clone(),
        opt(&s.decision_note),
        r.id.to_string(),
        r.status.as_str().to_owned(),
        r.full_name.clone(),
        r.email.clone(),
        r.title.clone(),
        r.organization.clone(),
        c.name.clone(),
        c.state.clone(),
        c.country.clone(),
        sheet.time(s.created_at),
        sheet.time_opt(s.decided_at),
        sheet.zone(),
    ]
}

/// Every scholarship request as CSV, with its registrant, one row each.
///
/// Amounts are decimals in the event's currency (`currency` column), times are in the
/// event's zone to the second (`time_zone` column), and cells that a spreadsheet would
/// read as a formula start with `'`.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/scholarships.csv",
    params(EventPath),
    security(("session" = [])),
    responses(EventCsvAnswers)
)]
pub async fn export(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (event, rows) = for_event(&state.pool, slug.into_inner(), |conn, event| {
        scholarship::all_with_registrations(conn, &event.id)
    })
    .await?;
    let sheet = SheetFormat::of(&event);
    csv_download(
        &format!("{}-scholarships.csv", event.slug),
        &CSV_HEADER,
        rows.iter().map(|row| csv_row(&sheet, row)),
    )
}

/// A decided request, with the budget after the decision.
#[derive(Serialize, ToSchema)]
pub struct DecisionAnswer {
    #[serde(flatten)]
    request: ScholarshipItem,
    budget: BudgetView,
}

/// Decide a scholarship request, and email the registrant.
///
/// Approves (part or all of the amount asked, within the budget), declines or waitlists a
/// pending or waitlisted request.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/scholarships/{id}/decision",
    params(EventItemPath),
    request_body = DecisionFields,
    security(("session" = [])),
    responses(
        (status = 200, description = "Decided.", body = DecisionAnswer),
        (status = 404, description = "No such event or request."),
        (status = 409, description = "The request was already decided, or the budget does not cover the award."),
    )
)]
pub async fn decide(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    ValidJson(fields): ValidJson<DecisionFields>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let id = ScholarshipRequestId::from(id);
    let base = state.settings.server.base_url.clone();
    let (answer, queued) = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let decided =
                decide_scholarship::decide(conn, &base, &slug, &id, &fields, &organizer.id)?;
            let community = community::find(conn, &decided.registration.community_id)?;
            Ok((
                DecisionAnswer {
                    request: ScholarshipItem::of(
                        &decided.request,
                        &decided.registration,
                        &community,
                    ),
                    budget: BudgetView::of(&decided.event),
                },
                decided.emailed,
            ))
        })
    })
    .await?;
    if queued {
        state.outbox.notify();
    }
    tracing::info!(
        scholarship_id = %answer.request.id,
        status = %answer.request.status,
        "scholarship request decided"
    );
    Ok(HttpResponse::Ok().json(answer))
}

/// Ask for a travel scholarship after registering (one per registration).
///
/// The registrant is emailed a receipt with their private link.
#[utoipa::path(
    post,
    path = "/api/v1/manage/{token}/scholarship",
    operation_id = "request_scholarship",
    params(TokenPath),
    request_body = ScholarshipFields,
    responses(
        (status = 201, description = "Requested; organizers will review it.", body = ScholarshipView),
        (status = 404, description = "No registration has this token."),
        (status = 409, description = "The registration is cancelled or already has a request."),
    )
)]
pub async fn request(
    state: web::Data<AppState>,
    token: web::Path<String>,
    ValidJson(fields): ValidJson<ScholarshipFields>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let base = state.settings.server.base_url.clone();
    let link = token.clone();
    let stored = as_registrant(&state.pool, token, move |conn, reg| {
        request_scholarship::request(conn, &base, reg, &link, &fields)
    })
    .await?;
    state.outbox.notify();
    tracing::info!(scholarship_id = %stored.id, "scholarship requested");
    Ok(HttpResponse::Created().json(ScholarshipView::of(&stored)))
}

/// Withdraw a scholarship request still waiting for review.
#[utoipa::path(
    post,
    path = "/api/v1/manage/{token}/scholarship/withdraw",
    operation_id = "withdraw_scholarship",
    params(TokenPath),
    responses(
        (status = 200, description = "Withdrawn.", body = ScholarshipView),
        (status = 404, description = "No registration has this token, or it has no request."),
        (status = 409, description = "The request is no longer waiting for review."),
    )
)]
pub async fn withdraw(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let after = as_registrant(&state.pool, token.into_inner(), |conn, reg| {
        request_scholarship::withdraw(conn, reg)
    })
    .await?;
    tracing::info!(scholarship_id = %after.id, "scholarship request withdrawn");
    Ok(HttpResponse::Ok().json(ScholarshipView::of(&after)))
}

/// Accept an offered award, before its reply-by time.
#[utoipa::path(
    post,
    path = "/api/v1/manage/{token}/scholarship/accept",
    operation_id = "accept_award",
    params(TokenPath),
    responses(
        (status = 200, description = "Accepted.", body = ScholarshipView),
        (status = 404, description = "No registration has this token, or it has no request."),
        (status = 409, description = "No award is on offer, or its reply-by time has passed."),
    )
)]
pub async fn accept(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    answer(&state, token.into_inner(), AwardStatus::Accepted).await
}

/// Decline an offered award; the amount goes back to the budget.
#[utoipa::path(
    post,
    path = "/api/v1/manage/{token}/scholarship/decline",
    operation_id = "decline_award",
    params(TokenPath),
    responses(
        (status = 200, description = "Declined.", body = ScholarshipView),
        (status = 404, description = "No registration has this token, or it has no request."),
        (status = 409, description = "No award is on offer, or its reply-by time has passed."),
    )
)]
pub async fn decline(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    answer(&state, token.into_inner(), AwardStatus::Declined).await
}

/// The registrant's answer to an offered award.
async fn answer(
    state: &AppState,
    token: String,
    answer: AwardStatus,
) -> Result<HttpResponse, AppError> {
    let after = as_registrant(&state.pool, token, move |conn, reg| {
        answer_award(conn, reg, answer)
    })
    .await?;
    tracing::info!(scholarship_id = %after.id, "scholarship award {answer}");
    Ok(HttpResponse::Ok().json(ScholarshipView::of(&after)))
}
