use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::error::AppError;
use crate::startup::AppState;

/// Liveness: the process answers.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers a query. 503 (problem+json) while it does not.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    crate::db::run(&state.pool, |conn| {
        conn.batch_execute("SELECT 1")
            .map_err(|e| AppError::Unavailable(format!("database check failed: {e}")))
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready", "database": state.settings.database_url.backend_name() })))
}
