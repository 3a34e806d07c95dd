//! Registrations, for organizers: the list with filters, and the CSV export.

use std::collections::{BTreeMap, HashMap};

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::community::Community;
use crate::db::models::nomination::{self, Nomination};
use crate::db::models::registration::{self, Registration, RegistrationFilter};
use crate::db::models::scholarship::{self, ScholarshipRequest};
use crate::domain::registration::RegistrationStatus;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{
    CurrentOrganizer, ListFilter, ListQuery, Page, PageParams, PeopleFilter,
};
use crate::http::openapi::EventPath;
use crate::http::run::for_event;
use crate::http::views::{csv_download, EventCsvAnswers, RegistrationView, SheetFormat};
use crate::http::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilters {
    /// `confirmed`, `waitlisted` or `cancelled`; empty: any.
    #[param(pattern = r"^(?:confirmed|waitlisted|cancelled)?$")]
    status: Option<String>,
    /// `executive` or `young_leader`; empty: any.
    #[param(pattern = r"^(?:executive|young_leader)?$")]
    kind: Option<String>,
    /// Only registrations from this community (its name).
    community: Option<String>,
    /// Search in names, email addresses and organizations.
    q: Option<String>,
}

impl ListFilter for ListFilters {
    type Checked = PeopleFilter<RegistrationStatus>;

    fn check(self, errors: &mut FieldErrors) -> Self::Checked {
        PeopleFilter::check(errors, (self.status, self.kind), self.community, self.q)
    }
}

/// A page of registrations, with the count per status of the whole event.
#[derive(Serialize, ToSchema)]
pub struct RegistrationList {
    items: Vec<RegistrationView>,
    total: i64,
    limit: i64,
    offset: i64,
    /// Every status with its count, zero included.
    #[schema(example = json!({"confirmed": 120, "waitlisted": 8, "cancelled": 3}))]
    counts: BTreeMap<String, i64>,
}

/// The event's registrations, with filters and paging.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/registrations",
    params(EventPath, ListFilters, PageParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of registrations.", body = RegistrationList),
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
    let (wanted, Page { limit, offset }) = (query.filter, query.page);
    let (_, (items, total, counts)) =
        for_event(&state.pool, slug.into_inner(), move |conn, event| {
            let filter = RegistrationFilter {
                event_id: event.id.clone(),
                status: wanted.status,
                kind: wanted.kind,
                community: wanted.community,
                q: wanted.q,
                limit,
                offset,
            };
            let counts = registration::counts_by_status(conn, &event.id)?;
            let (rows, total) = registration::list(conn, &filter, &counts)?;
            let items: Vec<RegistrationView> = rows
                .iter()
                .map(|(r, c)| RegistrationView::of(r, c))
                .collect();
            Ok((items, total, counts))
        })
        .await?;
    let mut by_status = BTreeMap::new();
    for s in RegistrationStatus::ALL {
        let n = counts
            .iter()
            .find(|(status, _)| status == s.as_str())
            .map_or(0, |(_, n)| *n);
        by_status.insert(s.as_str().to_owned(), n);
    }
    Ok(HttpResponse::Ok().json(RegistrationList {
        items,
        total,
        limit,
        offset,
        counts: by_status,
    }))
}

/// The export's columns, in order.
const CSV_HEADER: [&str; 28] = [
    "id",
    "status",
    "kind",
    "full_name",
    "email",
    "title",
    "organization",
    "community",
    "state",
    "country",
    "phone",
    "dietary_requirements",
    "accessibility_needs",
    "nominee_full_name",
    "nominee_email",
    "nominee_title",
    "nomination_status",
    "scholarship_travelers",
    "scholarship_estimated_cost",
    "scholarship_requested_amount",
    "scholarship_status",
    "scholarship_awarded_amount",
    "scholarship_award_status",
    "currency",
    "registered_at",
    "confirmed_at",
    "cancelled_at",
    "time_zone",
];

fn csv_row(
    sheet: &SheetFormat,
    (r, c): &(Registration, Community),
    n: Option<&Nomination>,
    s: Option<&ScholarshipRequest>,
) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let money = |cents: Option<i64>| cents.map(|c| sheet.money(c)).unwrap_or_default();
    vec![
        r.id.to_string(),
        r.status.as_str().to_owned(),
        r.kind.as_str().to_owned(),
        r.full_name.clone(),
        r.email.clone(),
        r.title.clone(),
        r.organization.clone(),
        c.name.clone(),
        c.state.clone(),
        c.country.clone(),
        opt(&r.phone),
        opt(&r.dietary_requirements),
        opt(&r.accessibility_needs),
        n.map(|n| n.full_name.clone()).unwrap_or_default(),
        n.map(|n| n.email.clone()).unwrap_or_default(),
        n.map(|n| n.title.clone()).unwrap_or_default(),
        n.map(|n| n.status.as_str().to_owned()).unwrap_or_default(),
        s.map(|s| s.travelers.to_string()).unwrap_or_default(),
        money(s.map(|s| s.estimated_cost_cents)),
        money(s.map(|s| s.requested_amount_cents)),
        s.map(|s| s.status.as_str().to_owned()).unwrap_or_default(),
        money(s.and_then(|s| s.awarded_amount_cents)),
        s.and_then(|s| s.award_status)
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        sheet.currency(),
        sheet.time(r.created_at),
        sheet.time_opt(r.confirmed_at),
        sheet.time_opt(r.cancelled_at),
        sheet.zone(),
    ]
}

/// Every registration as CSV, one row each, with the (first) nomination and the
/// scholarship request (and award) beside it.
///
/// Made for spreadsheets: amounts are decimals in the event's currency (`currency`
/// column), times are in the event's zone to the second (`time_zone` column), and cells
/// that a spreadsheet would read as a formula start with `'`.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/registrations.csv",
    params(EventPath),
    security(("session" = [])),
    responses(EventCsvAnswers)
)]
pub async fn export(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (event, (rows, nominations, scholarships)) =
        for_event(&state.pool, slug.into_inner(), |conn, event| {
            let rows = registration::all_for_event(conn, &event.id)?;
            let nominations = nomination::for_event(conn, &event.id)?;
            let scholarships = scholarship::for_event(conn, &event.id)?;
            Ok((rows, nominations, scholarships))
        })
        .await?;
    let mut first_nomination: HashMap<&str, &Nomination> = HashMap::new();
    for n in &nominations {
        first_nomination
            .entry(n.registration_id.as_str())
            .or_insert(n);
    }
    let scholarship_of: HashMap<&str, &ScholarshipRequest> = scholarships
        .iter()
        .map(|s| (s.registration_id.as_str(), s))
        .collect();
    let sheet = SheetFormat::of(&event);
    csv_download(
        &format!("{}-registrations.csv", event.slug),
        &CSV_HEADER,
        rows.iter().map(|row| {
            let id = row.0.id.as_str();
            csv_row(
                &sheet,
                row,
                first_nomination.get(id).copied(),
                scholarship_of.get(id).copied(),
            )
        }),
    )
}
