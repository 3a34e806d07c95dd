//! The HTTP layer: routes, extractors, middleware, and the error-to-HTTP mapping.

pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod pages;
pub mod problem;
mod refusal;
pub mod routes;
pub mod run;
mod state;
pub mod views;

use actix_web::{web, HttpRequest};

use crate::error::AppError;

pub use state::AppState;

/// Registers every route. Called once by the server and by nothing else.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(extract::JSON_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(|e, _| extract::bad_query(e).into()))
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| AppError::BadRequest(format!("invalid path: {e}")).into()),
        )
        .configure(openapi::configure_root)
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(middleware::resolve_session))
                .wrap(actix_web::middleware::from_fn(middleware::token_lookups))
                .wrap(actix_web::middleware::from_fn(
                    middleware::same_origin_writes,
                ))
                // Every API route comes from the table that also writes the document.
                .configure(openapi::configure_api)
                .default_service(web::to(not_found)),
        )
        .configure(pages::configure)
        .default_service(web::to(not_found));
}

async fn not_found(_: HttpRequest) -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::not_found("resource at this address"))
}
