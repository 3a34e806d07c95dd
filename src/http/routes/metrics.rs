//! `/metrics` for Prometheus. Open to anyone who can reach it unless
//! `CONVENE_METRICS_TOKEN` is set, in which case it asks for that bearer token: the figures
//! name no person, but they show traffic and mail volume, so expose the route only on an
//! internal address or protect it (see the README's operations section).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::http::AppState;

/// Prometheus metrics: requests, emails, the outbox and the database.
#[utoipa::path(
    get,
    path = "/metrics",
    security((), ("metrics" = [])),
    responses(
        (status = 200, description = "The figures, in Prometheus' text format.",
            content_type = "text/plain", body = String,
            example = "convene_database_up 1\n"),
        (status = 401, description = "`CONVENE_METRICS_TOKEN` is set, and the bearer token is missing or wrong."),
    )
)]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if let Some(expected) = &state.settings.auth.metrics_token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Comparing hashes takes the same time wherever the strings differ.
        if Sha256::digest(given.trim()) != Sha256::digest(expected) {
            return Err(AppError::Unauthenticated);
        }
    }
    // A scrape while the database is down still answers, with `convene_database_up 0`.
    let depth = crate::db::run(&state.pool, crate::email::outbox::depth)
        .await
        .ok();
    let body = state
        .metrics
        .render(depth.as_ref(), state.settings.database.url.backend_name());
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
