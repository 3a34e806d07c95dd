//! `GET /audit-log` (admins): who did what, newest first, with filters and paging.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::db::models::audit::{self, AuditEntry, AuditFilter};
use crate::db::models::event;
use crate::error::AppError;
use crate::http::extract::Admin;
use crate::http::routes::events::rfc3339;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit-log", web::get().to(list));
}

#[derive(Deserialize)]
pub struct AuditQuery {
    event: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    actor_id: Option<String>,
    action: Option<String>,
    /// Paging: entries older than this id.
    before: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize)]
struct AuditEntryView {
    id: i64,
    occurred_at: String,
    actor: String,
    actor_id: Option<String>,
    action: String,
    entity_type: String,
    entity_id: String,
    event_id: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Self {
            id: e.id,
            occurred_at: rfc3339(e.occurred_at),
            actor: e.actor,
            actor_id: e.actor_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            event_id: e.event_id,
            before: parse(e.before_state),
            after: parse(e.after_state),
        }
    }
}

async fn list(
    state: web::Data<AppState>,
    _: Admin,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be from 1 to 500"));
    }
    let entries = crate::db::run(&state.pool, move |conn| {
        let event_id = match q.event {
            Some(slug) => Some(event::find_by_slug(conn, &slug)?.id),
            None => None,
        };
        let filter = AuditFilter {
            entity_type: q.entity_type,
            entity_id: q.entity_id,
            event_id,
            actor_id: q.actor_id,
            action: q.action,
            before_id: q.before,
            limit,
        };
        audit::list(conn, &filter)
    })
    .await?;
    let next_before = if entries.len() as i64 == limit {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let items: Vec<AuditEntryView> = entries.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_before": next_before })))
}
