use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::error::AppError;
use crate::http::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    status: &'static str,
    /// `sqlite` or `postgresql`.
    #[schema(example = "postgresql")]
    database: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    responses((status = 200, description = "The process answers.", body = Health))
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers a query. 503 (problem+json) while it does not.
#[utoipa::path(
    get,
    path = "/readyz",
    responses((status = 200, description = "The database answers.", body = Readiness))
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    crate::db::run(&state.pool, |conn| {
        conn.batch_execute("SELECT 1")
            .map_err(|e| AppError::Unavailable(format!("database check failed: {e}")))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: state.settings.database.url.backend_name(),
    }))
}
