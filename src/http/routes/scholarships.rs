//! Travel scholarships. Organizers list the requests with the budget, export them, and
//! decide each one; the registrant, through their manage link, asks for one, withdraws
//! it while it waits, and accepts or declines an award by its reply-by time.
//!
//! The sum awarded never exceeds the event's budget: an approval claims its amount with
//! one conditional UPDATE of the event's running sum, in the transaction of the decision
//! (see [`scholarship::claim_budget`]); a declined, lapsed or released award gives it
//! back. Every path that changes the sum takes the event row first, so that on
//! PostgreSQL the locks are always taken in the same order.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::{self, Event};
use crate::db::models::registration::{self, Registration};
use crate::db::models::scholarship::{self, DecisionChange, ScholarshipFilter, ScholarshipRequest};
use crate::db::{self, truncate_micros, write_transaction, DbConnection};
use crate::domain::registration::RegistrationStatus;
use crate::domain::scholarship::{
    award_answer_refusal, AwardStatus, Decision, DecisionContext, DecisionFields, DecisionForm,
    ScholarshipFields, ScholarshipForm, ScholarshipStatus,
};
use crate::domain::Cents;
use crate::email::templates::money;
use crate::email::{messages, outbox, scholarships as emails};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{paging, query_filter, CurrentOrganizer, ValidJson};
use crate::http::openapi::{EventItemPath, EventPath, TokenPath};
use crate::http::routes::manage::{find_by_token, registrant};
use crate::http::views::rfc3339;
use crate::http::views::CommunityView;
use crate::http::views::{csv_download, ScholarshipView};
use crate::startup::AppState;

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
            id: s.id.clone(),
            status: s.status.clone(),
            travelers: s.travelers,
            estimated_cost_cents: s.estimated_cost_cents,
            requested_amount_cents: s.requested_amount_cents,
            awarded_amount_cents: s.awarded_amount_cents,
            justification: s.justification.clone(),
            decision_note: s.decision_note.clone(),
            decided_by: s.decided_by.clone(),
            reply_by: s.reply_by.map(rfc3339),
            award_status: s.award_status.clone(),
            award_answered_at: s.award_answered_at.map(rfc3339),
            reminded_at: s.reminded_at.map(rfc3339),
            registration: RegistrationSummary {
                id: r.id.clone(),
                full_name: r.full_name.clone(),
                title: r.title.clone(),
                organization: r.organization.clone(),
                status: r.status.clone(),
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
pub struct ListQuery {
    /// `pending`, `approved`, `declined`, `waitlisted` or `withdrawn`.
    status: Option<String>,
    /// `offered`, `accepted`, `declined`, `lapsed` or `released`.
    award_status: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    /// Default 0.
    offset: Option<i64>,
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
    params(EventPath, ListQuery),
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
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let mut errors = FieldErrors::new();
    let status = query_filter(
        &mut errors,
        "status",
        q.status.as_deref(),
        ScholarshipStatus::parse,
        "must be one of pending, approved, declined, waitlisted, withdrawn",
    );
    let award_status = q
        .award_status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| {
            let parsed = AwardStatus::parse(s);
            if parsed.is_none() {
                errors.add(
                    "award_status",
                    "must be one of offered, accepted, declined, lapsed, released",
                );
            }
            parsed
        });
    let (limit, offset) = paging(&mut errors, q.limit, q.offset);
    errors.into_result()?;
    let slug = slug.into_inner();
    let (items, total, budget) = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
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
        Ok((items, total, BudgetView::of(&event)))
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
const CSV_HEADER: [&str; 23] = [
    "id",
    "status",
    "travelers",
    "estimated_cost_cents",
    "requested_amount_cents",
    "awarded_amount_cents",
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
];

fn csv_row(event: &Event, s: &ScholarshipRequest, r: &Registration, c: &Community) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let time = |t: Option<chrono::NaiveDateTime>| t.map(rfc3339).unwrap_or_default();
    vec![
        s.id.clone(),
        s.status.clone(),
        s.travelers.to_string(),
        s.estimated_cost_cents.to_string(),
        s.requested_amount_cents.to_string(),
        s.awarded_amount_cents
            .map(|a| a.to_string())
            .unwrap_or_default(),
        event.currency.clone(),
        opt(&s.award_status),
        time(s.reply_by),
        time(s.award_answered_at),
        s.justification.clone(),
        opt(&s.decision_note),
        r.id.clone(),
        r.status.clone(),
        r.full_name.clone(),
        r.email.clone(),
        r.title.clone(),
        r.organization.clone(),
        c.name.clone(),
        c.state.clone(),
        c.country.clone(),
        rfc3339(s.created_at),
        time(s.decided_at),
    ]
}

/// Every scholarship request as CSV, with its registrant, one row each.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/scholarships.csv",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "A CSV download (`Content-Disposition: attachment`).",
            content_type = "text/csv", body = String,
            example = "id,status,travelers,estimated_cost_cents,...\n"),
        (status = 404, description = "No such event."),
    )
)]
pub async fn export(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let (event, rows) = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        let rows = scholarship::all_with_registrations(conn, &event.id)?;
        Ok((event, rows))
    })
    .await?;
    csv_download(
        &format!("{}-scholarships.csv", event.slug),
        &CSV_HEADER,
        rows.iter().map(|(s, r, c)| csv_row(&event, s, r, c)),
    )
}

/// 409 for an award larger than what is left of the budget, naming what is left.
fn over_budget(event: &Event, amount: Cents) -> AppError {
    let left = event.scholarship_left_cents();
    let what_next = if left == 0 {
        "Waitlist the request, or wait for an award to be declined or to lapse."
    } else {
        "Award less, or waitlist the request."
    };
    AppError::conflict(format!(
        "Only {} of the scholarship budget is left, less than the {} of this award. {what_next}",
        money(left, &event.currency),
        money(amount.value(), &event.currency),
    ))
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
    let answer = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            registration::lock_event(conn, &event.id)?;
            let before = scholarship::find_in_event(conn, &event.id, &id)?;
            let reg = registration::find(conn, &before.registration_id)?;
            let now = Utc::now();
            let cx = DecisionContext {
                requested: Cents::new(before.requested_amount_cents)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("stored amount: {e}")))?,
                now,
                event_starts_at: event.starts_at(),
                timezone: event.timezone.parse().unwrap_or(chrono_tz::UTC),
            };
            let form = DecisionForm::parse(&fields, &cx).map_err(AppError::Validation)?;
            let from = before.status();
            let to = from
                .transition(form.decision.status())
                .map_err(AppError::Conflict)?;
            if reg.status() == RegistrationStatus::Cancelled {
                return Err(AppError::conflict(
                    "The registrant has cancelled their registration, so this request can no longer be decided.",
                ));
            }
            let (awarded, reply_by) = match form.decision {
                Decision::Approved { amount, reply_by } => {
                    if event.starts_at() <= now {
                        return Err(AppError::conflict(
                            "The event has started, so an award could no longer be accepted in time.",
                        ));
                    }
                    if !scholarship::claim_budget(conn, &event.id, amount.value())? {
                        // Read again: the sum as it stands after the refused claim.
                        return Err(over_budget(&event::find(conn, &event.id)?, amount));
                    }
                    (Some(amount.value()), Some(truncate_micros(reply_by.naive_utc())))
                }
                Decision::Declined | Decision::Waitlisted => (None, None),
            };
            let after = scholarship::decide(
                conn,
                &before.id,
                from,
                DecisionChange {
                    to,
                    awarded_amount_cents: awarded,
                    award_status: awarded.map(|_| AwardStatus::Offered),
                    reply_by,
                    note: form.note.as_deref(),
                    decided_by: &organizer.id,
                    at: db::now(),
                },
            )?;
            audit::record(conn, &Actor::organizer(&organizer.id), Entry::changed(&format!("scholarship.{}", to.as_str()), &before, &after))?;
            // Waitlisted again (a changed note) is not news to the registrant.
            let queued = from != to;
            if queued {
                if let Some(email) = emails::decision(&event, &reg, &after) {
                    outbox::queue(conn, email)?;
                }
            }
            let event = event::find(conn, &event.id)?;
            let community = community::find(conn, &reg.community_id)?;
            Ok((
                DecisionAnswer {
                    request: ScholarshipItem::of(&after, &reg, &community),
                    budget: BudgetView::of(&event),
                },
                queued,
            ))
        })
    })
    .await;
    let (answer, queued) = answer?;
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

/// The registration's request; 404 when it has none.
fn request_of(conn: &mut DbConnection, reg: &Registration) -> Result<ScholarshipRequest, AppError> {
    scholarship::for_registration(conn, &reg.id)?
        .ok_or_else(|| AppError::not_found("scholarship request"))
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
    let base = state.settings.base_url.clone();
    let stored = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            // The registration is judged before the form, so that a cancelled one is not
            // met with a list of fields to correct.
            let reg = find_by_token(conn, &token)?;
            if reg.status() == RegistrationStatus::Cancelled {
                return Err(AppError::conflict(
                    "This registration is cancelled, so a travel scholarship can no longer be requested.",
                ));
            }
            if scholarship::for_registration(conn, &reg.id)?.is_some() {
                return Err(AppError::conflict(
                    "This registration already has a travel scholarship request; there can be only one.",
                ));
            }
            let event = event::find(conn, &reg.event_id)?;
            if event.starts_at() <= Utc::now() {
                return Err(AppError::conflict(
                    "The event has started, so travel scholarships can no longer be requested.",
                ));
            }
            let form = ScholarshipForm::parse(&fields).map_err(AppError::Validation)?;
            let stored = scholarship::create(conn, &event.id, &reg.id, &form, db::now())?;
            audit::record(conn, &registrant(), Entry::created("scholarship.requested", &stored))?;
            let link = messages::manage_link(&base, &token);
            outbox::queue(
                conn,
                emails::request_received(&event, &reg, &stored, Some(&link)),
            )?;
            crate::email::reviewers::notify(
                conn,
                &base,
                &event,
                "travel scholarship request",
                &reg.full_name,
            )?;
            Ok(stored)
        })
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
    let token = token.into_inner();
    let after = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let reg = find_by_token(conn, &token)?;
            let before = request_of(conn, &reg)?;
            before
                .status()
                .transition(ScholarshipStatus::Withdrawn)
                .map_err(AppError::Conflict)?;
            let after = scholarship::withdraw(conn, &before.id, db::now())?;
            audit::record(
                conn,
                &registrant(),
                Entry::changed("scholarship.withdrawn", &before, &after),
            )?;
            Ok(after)
        })
    })
    .await?;
    tracing::info!(scholarship_id = %after.id, "scholarship request withdrawn");
    Ok(HttpResponse::Ok().json(ScholarshipView::of(&after)))
}

/// The registrant's answer to an offered award, taken only before its reply-by time; a
/// declined award's amount goes back to the budget.
fn answer_award(
    conn: &mut DbConnection,
    token: &str,
    answer: AwardStatus,
) -> Result<ScholarshipRequest, AppError> {
    write_transaction(conn, |conn| {
        let reg = find_by_token(conn, token)?;
        registration::lock_event(conn, &reg.event_id)?;
        let before = request_of(conn, &reg)?;
        let now = db::now();
        let refusal = award_answer_refusal(
            before.status(),
            before.award(),
            before.reply_by.map(|t| t.and_utc()),
            now.and_utc(),
        );
        if let Some(why) = refusal {
            return Err(AppError::conflict(why));
        }
        if !scholarship::answer_award(conn, &before.id, answer, now)? {
            return Err(AppError::conflict(
                "This award was answered by another request; reload the page.",
            ));
        }
        if answer == AwardStatus::Declined {
            scholarship::release_budget(
                conn,
                &before.event_id,
                before.awarded_amount_cents.unwrap_or(0),
            )?;
        }
        let after = scholarship::find(conn, &before.id)?;
        audit::record(
            conn,
            &registrant(),
            Entry::changed(
                &format!("scholarship.award_{}", answer.as_str()),
                &before,
                &after,
            ),
        )?;
        Ok(after)
    })
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
    let token = token.into_inner();
    let after = db::run(&state.pool, move |conn| {
        answer_award(conn, &token, AwardStatus::Accepted)
    })
    .await?;
    tracing::info!(scholarship_id = %after.id, "scholarship award accepted");
    Ok(HttpResponse::Ok().json(ScholarshipView::of(&after)))
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
    let token = token.into_inner();
    let after = db::run(&state.pool, move |conn| {
        answer_award(conn, &token, AwardStatus::Declined)
    })
    .await?;
    tracing::info!(scholarship_id = %after.id, "scholarship award declined");
    Ok(HttpResponse::Ok().json(ScholarshipView::of(&after)))
}
