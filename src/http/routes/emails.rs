//! An event's outbox for organizers: every email with its delivery status, and sending
//! a failed one again.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::db::models::audit::{self, Actor, Change};
use crate::db::models::event;
use crate::db::write_transaction;
use crate::email::outbox::{self, EmailSummary, STATUSES};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{paging, CurrentOrganizer};
use crate::http::routes::events::rfc3339;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/{slug}/emails", web::get().to(list))
        .route("/events/{slug}/emails/{id}/resend", web::post().to(resend));
}

#[derive(Deserialize)]
pub struct EmailsQuery {
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Serialize)]
struct EmailView {
    id: String,
    template: String,
    recipient: String,
    subject: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    created_at: String,
    sent_at: Option<String>,
    next_attempt_at: String,
}

impl From<EmailSummary> for EmailView {
    fn from(e: EmailSummary) -> Self {
        Self {
            id: e.id,
            template: e.template,
            recipient: e.recipient,
            subject: e.subject,
            status: e.status,
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: rfc3339(e.created_at),
            sent_at: e.sent_at.map(rfc3339),
            next_attempt_at: rfc3339(e.next_attempt_at),
        }
    }
}

async fn list(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
    q: web::Query<EmailsQuery>,
) -> Result<HttpResponse, AppError> {
    let EmailsQuery {
        status,
        limit,
        offset,
    } = q.into_inner();
    let mut errors = FieldErrors::new();
    let (limit, offset) = paging(&mut errors, limit, offset);
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            errors.add("status", format!("must be one of {}", STATUSES.join(", ")));
        }
    }
    errors.into_result()?;
    let slug = slug.into_inner();
    let (items, total) = crate::db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        outbox::list_for_event(conn, &event.id, status.as_deref(), limit, offset)
    })
    .await?;
    let items: Vec<EmailView> = items.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "total": total })))
}

async fn resend(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let email = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let email = outbox::requeue(conn, &event.id, &id)?;
            audit::record(
                conn,
                &Actor::organizer(&organizer.id),
                Change {
                    action: "email.resent",
                    entity_type: "email",
                    entity_id: &email.id,
                    event_id: Some(&event.id),
                    before: Some(serde_json::json!({ "status": "failed" })),
                    after: Some(serde_json::json!({ "status": email.status })),
                },
            )?;
            Ok(email)
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Ok().json(EmailView::from(email)))
}
