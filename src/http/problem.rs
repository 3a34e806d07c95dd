//! The one place where errors become HTTP answers: `application/problem+json` (RFC 9457).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::{AppError, FieldErrors};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer (RFC 9457). Its schema in the API document is derived from this type.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "urn:convene:problem:not-found",
    "title": "Not found",
    "status": 404,
    "detail": "No such event."
}))]
pub struct Problem<'a> {
    /// `urn:convene:problem:` and one of `validation`, `malformed-request`,
    /// `unsupported-media-type`, `payload-too-large`, `unauthenticated`, `forbidden`,
    /// `not-found`, `method-not-allowed`, `conflict`, `gone`, `too-many-requests`,
    /// `unavailable`, `internal`,
    /// `request-timeout`, `insufficient-storage`.
    #[serde(rename = "type")]
    kind: String,
    /// Short, the same for every problem of this type.
    title: &'a str,
    /// The HTTP status code.
    status: u16,
    /// What went wrong in this case, in words a person can act on.
    detail: String,
    /// 422 only: messages per field, keyed by the field's JSON path (`community.name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, Vec<String>>>)]
    errors: Option<&'a FieldErrors>,
}

impl AppError {
    /// The problem type (last part of its URI), title and detail shown to the client.
    fn describe(&self) -> (&'static str, &'static str, String) {
        match self {
            Self::Validation(errors) => {
                let fields: Vec<&str> = errors.fields().collect();
                (
                    "validation",
                    "Invalid input",
                    format!("Please correct: {}.", fields.join(", ")),
                )
            }
            Self::BadRequest(d) => ("malformed-request", "Malformed request", d.clone()),
            Self::UnsupportedMediaType(d) => (
                "unsupported-media-type",
                "Unsupported media type",
                d.clone(),
            ),
            Self::PayloadTooLarge(d) => ("payload-too-large", "Request body too large", d.clone()),
            Self::RequestTimeout(d) => ("request-timeout", "Request timeout", d.clone()),
            Self::Unauthenticated => (
                "unauthenticated",
                "Not signed in",
                "Sign in as an organizer to do this.".into(),
            ),
            Self::Forbidden(d) => ("forbidden", "Forbidden", d.clone()),
            Self::NotFound(what) => ("not-found", "Not found", format!("No such {what}.")),
            Self::UnknownToken(what) => ("not-found", "Not found", format!("No such {what}.")),
            Self::MethodNotAllowed { allow } => (
                "method-not-allowed",
                "Method not allowed",
                format!("This address answers only {allow}."),
            ),
            Self::Conflict(d) => ("conflict", "Conflict", d.clone()),
            Self::Refused(r) => {
                let (kind, title) = match super::refusal::status(r) {
                    StatusCode::GONE => ("gone", "Gone"),
                    StatusCode::FORBIDDEN => ("forbidden", "Forbidden"),
                    _ => ("conflict", "Conflict"),
                };
                (kind, title, super::refusal::detail(r))
            }
            Self::TooManyRequests { retry_after } => (
                "too-many-requests",
                "Too many requests",
                format!("Too many attempts; try again in {}.", wait(*retry_after)),
            ),
            Self::Unavailable(_) => (
                "unavailable",
                "Service unavailable",
                "The service cannot reach its database right now; please try again shortly.".into(),
            ),
            Self::StorageFull(_) => (
                "insufficient-storage",
                "Insufficient storage",
                "The service cannot save changes right now because its storage is full; \
                 nothing was changed. Please try again later."
                    .into(),
            ),
            // The cause stays in the log; the client learns nothing about internals.
            Self::Internal(_) => (
                "internal",
                "Internal server error",
                "Something went wrong on our side.".into(),
            ),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::UnknownToken(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Refused(r) => super::refusal::status(r),
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            Self::Internal(e) => tracing::error!(error = ?e, "request failed"),
            Self::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            Self::StorageFull(cause) => tracing::error!(%cause, "the database cannot write"),
            _ => tracing::debug!(status = status.as_u16(), error = %self, "request refused"),
        }
        let (kind, title, detail) = self.describe();
        let errors = match self {
            Self::Validation(e) => Some(e),
            _ => None,
        };
        let body = Problem {
            kind: format!("urn:convene:problem:{kind}"),
            title,
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            Self::TooManyRequests { retry_after } => {
                res.insert_header((header::RETRY_AFTER, whole_seconds(*retry_after).to_string()));
            }
            Self::MethodNotAllowed { allow } => {
                res.insert_header((header::ALLOW, allow.as_str()));
            }
            Self::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::StorageFull(_) => {
                res.insert_header((header::RETRY_AFTER, "60"));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

/// A wait as people say it: "2 seconds", "15 minutes" (rounded up, never "0").
fn wait(d: std::time::Duration) -> String {
    let secs = whole_seconds(d);
    match secs {
        1 => "1 second".to_owned(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// Seconds rounded up: a client that waits `Retry-After` is not turned away again.
fn whole_seconds(d: std::time::Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}
