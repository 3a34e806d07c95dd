//! `GET /events/{slug}/stats`: an event's numbers at a glance, for organizers.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde_json::json;

use crate::db::models::{event, stats};
use crate::db::{self, now};
use crate::error::AppError;
use crate::http::extract::CurrentOrganizer;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/{slug}/stats", web::get().to(show));
}

async fn show(
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
            over_time.push(json!({ "date": day.to_string(), "count": per_day.get(&day).copied().unwrap_or(0) }));
            day = day.succ_opt().unwrap_or(last + chrono::Duration::days(1));
        }
    }

    let budget = event.scholarship_budget_cents;
    let awarded = event.scholarship_awarded_cents;
    let mut scholarships = json!(counts.scholarships);
    scholarships["requested_count"] = json!(
        counts.scholarships.values().sum::<i64>()
            - counts.scholarships.get("withdrawn").copied().unwrap_or(0)
    );
    scholarships["requested_cents"] = json!(counts.scholarship_requested_cents);
    scholarships["awarded_cents"] = json!(awarded);
    scholarships["budget_cents"] = json!(budget);
    scholarships["left_cents"] = json!((budget - awarded).max(0));
    scholarships["currency"] = json!(event.currency);

    let mut registrations = json!(counts.registrations);
    registrations["by_kind"] = json!(counts.registrations_by_kind);

    Ok(HttpResponse::Ok().json(json!({
        "event": {
            "slug": event.slug,
            "name": event.name,
            "status": event.status,
            "capacity": event.capacity,
            "seats_taken": event.seats_taken,
            "seats_left": (event.capacity - event.seats_taken).max(0),
            "currency": event.currency,
            "registration_open": event.registration_closed_reason(Utc::now()).is_none(),
        },
        "communities": { "invited": counts.communities_invited, "registered": counts.communities_registered },
        "registrations": registrations,
        "invitations": counts.invitations,
        "invitation_requests": counts.invitation_requests,
        "nominations": counts.nominations,
        "scholarships": scholarships,
        "emails": counts.emails,
        "registrations_over_time": over_time,
    })))
}
