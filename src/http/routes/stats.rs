//! `GET /events/{slug}/stats`: an event's numbers at a glance, for organizers.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::stats::Counts;
use crate::db::models::{event, stats};
use crate::db::{self, now};
use crate::error::AppError;
use crate::http::extract::CurrentOrganizer;
use crate::http::openapi::EventPath;
use crate::http::AppState;

/// An event's numbers at a glance. Each map of counts names every status, zero included.
#[derive(Serialize, ToSchema)]
pub struct EventStats {
    event: EventSummary,
    communities: CommunityCounts,
    registrations: RegistrationCounts,
    /// Per status.
    #[schema(value_type = BTreeMap<String, i64>, example = json!({"pending": 0, "sent": 40, "accepted": 25, "declined": 3, "revoked": 1, "expired": 2}))]
    invitations: Counts,
    /// Per status.
    #[schema(value_type = BTreeMap<String, i64>)]
    invitation_requests: Counts,
    /// Per status.
    #[schema(value_type = BTreeMap<String, i64>)]
    nominations: Counts,
    scholarships: ScholarshipCounts,
    /// Per status.
    #[schema(value_type = BTreeMap<String, i64>)]
    emails: Counts,
    /// Registrations per day in the event's time zone, every day from the first to the last.
    registrations_over_time: Vec<DayCount>,
}

#[derive(Serialize, ToSchema)]
pub struct EventSummary {
    #[schema(example = "summit-2027")]
    slug: String,
    name: String,
    #[schema(value_type = crate::domain::event::EventStatus)]
    status: String,
    capacity: i32,
    seats_taken: i32,
    seats_left: i32,
    currency: String,
    registration_open: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CommunityCounts {
    /// Communities with at least one invitation.
    invited: i64,
    /// Communities with at least one registration that is not cancelled.
    registered: i64,
}

/// Registrations per status, and per kind of invitee (`executive`, `young_leader`).
#[derive(Serialize, ToSchema)]
pub struct RegistrationCounts {
    #[serde(flatten)]
    #[schema(value_type = BTreeMap<String, i64>)]
    by_status: Counts,
    #[schema(value_type = BTreeMap<String, BTreeMap<String, i64>>)]
    by_kind: BTreeMap<String, Counts>,
}

/// Scholarship requests per status, and the budget in cents of `currency`.
#[derive(Serialize, ToSchema)]
pub struct ScholarshipCounts {
    #[serde(flatten)]
    #[schema(value_type = BTreeMap<String, i64>)]
    by_status: Counts,
    /// Requests that were not withdrawn.
    requested_count: i64,
    requested_cents: i64,
    awarded_cents: i64,
    budget_cents: i64,
    left_cents: i64,
    currency: String,
}

#[derive(Serialize, ToSchema)]
pub struct DayCount {
    #[schema(example = "2027-03-01")]
    date: NaiveDate,
    count: i64,
}

/// The event's numbers at a glance.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/stats",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "The numbers, exact at the moment they are read.", body = EventStats),
        (status = 404, description = "No such event."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let (event, counts) = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        let counts = stats::for_event(conn, &event.id, now())?;
        Ok((event, counts))
    })
    .await?;

    // Registrations per day in the event's own time zone, every day from the first to the last.
    let tz: chrono_tz::Tz = event.timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut per_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for t in &counts.registration_times {
        *per_day
            .entry(t.and_utc().with_timezone(&tz).date_naive())
            .or_default() += 1;
    }
    let mut over_time = Vec::new();
    if let (Some(first), Some(last)) = (
        per_day.keys().next().copied(),
        per_day.keys().last().copied(),
    ) {
        let mut day = first;
        while day <= last {
            over_time.push(DayCount {
                date: day,
                count: per_day.get(&day).copied().unwrap_or(0),
            });
            day = day.succ_opt().unwrap_or(last + chrono::Duration::days(1));
        }
    }

    let budget = event.scholarship_budget_cents;
    let awarded = event.scholarship_awarded_cents;
    let scholarships = ScholarshipCounts {
        requested_count: counts.scholarships.values().sum::<i64>()
            - counts.scholarships.get("withdrawn").copied().unwrap_or(0),
        requested_cents: counts.scholarship_requested_cents,
        awarded_cents: awarded,
        budget_cents: budget,
        left_cents: (budget - awarded).max(0),
        currency: event.currency.clone(),
        by_status: counts.scholarships,
    };
    Ok(HttpResponse::Ok().json(EventStats {
        event: EventSummary {
            registration_open: event.registration_closed_reason(Utc::now()).is_none(),
            seats_left: (event.capacity - event.seats_taken).max(0),
            slug: event.slug,
            name: event.name,
            status: event.status.as_str().to_owned(),
            capacity: event.capacity,
            seats_taken: event.seats_taken,
            currency: event.currency,
        },
        communities: CommunityCounts {
            invited: counts.communities_invited,
            registered: counts.communities_registered,
        },
        registrations: RegistrationCounts {
            by_status: counts.registrations,
            by_kind: counts.registrations_by_kind,
        },
        invitations: counts.invitations,
        invitation_requests: counts.invitation_requests,
        nominations: counts.nominations,
        scholarships,
        emails: counts.emails,
        registrations_over_time: over_time,
    }))
}
