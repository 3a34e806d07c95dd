//! `GET /audit-log` (admins): who did what, newest first, with filters and paging.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::{self, AuditEntry, AuditFilter};
use crate::db::models::event;
use crate::error::AppError;
use crate::http::extract::Admin;
use crate::http::views::rfc3339;
use crate::http::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this event (its slug).
    event: Option<String>,
    /// Only entries about this kind of thing (`event`, `invitation`, `registration`, ...).
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// Only what this organizer did.
    actor_id: Option<String>,
    /// Only this action (`invitation.revoked`, ...).
    action: Option<String>,
    /// Paging: entries older than this id (`next_before` of the previous page).
    before: Option<i64>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// One change: who, what, when, and the state before and after.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    #[schema(example = 42)]
    id: i64,
    #[schema(format = DateTime)]
    occurred_at: String,
    /// `organizer`, `invitee`, `registrant` or `system`.
    #[schema(example = "organizer")]
    actor: String,
    actor_id: Option<String>,
    #[schema(example = "invitation.revoked")]
    action: String,
    #[schema(example = "invitation")]
    entity_type: String,
    entity_id: String,
    event_id: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

/// A page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    items: Vec<AuditEntryView>,
    /// Pass as `before` for the next page; `null` on the last page.
    next_before: Option<i64>,
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

/// The audit log (admins): who did what, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/audit-log",
    params(AuditQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of entries.", body = AuditPage),
        (status = 403, description = "Only an admin may read the audit log."),
        (status = 404, description = "No such event (the `event` filter)."),
        (status = 422, description = "`limit` is out of range."),
    )
)]
pub async fn list(
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
    Ok(HttpResponse::Ok().json(AuditPage { items, next_before }))
}
