//! Cross-cutting request handling: request ids and access logs, the cross-site write
//! guard, and security headers.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};
use tracing::Instrument;

use crate::error::AppError;
use crate::http::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives each request an id, runs it in a tracing span, and logs one line when it ends.
/// The line names the route pattern, never the path: paths carry invitation tokens.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %req.method());
    let started = Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| std::sync::Arc::clone(&s.metrics));
    let method = req.method().clone();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(m) = metrics {
        m.observe_request(&route, method.as_str(), status, elapsed);
    }
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(route, status, elapsed_ms, "request finished");
        } else {
            tracing::info!(route, status, elapsed_ms, "request finished");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

/// Refuses a query string whose values carry control characters (a NUL byte, say) with a
/// 422 naming the parameter. No filter, search or paging value has a use for them, and
/// PostgreSQL refuses a NUL in any text parameter: checked here once, no handler's filter
/// can reach the database with one.
pub async fn plain_query_text(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(field) = query_with_control_character(req.query_string()) {
        let res = AppError::invalid(field, "must not contain control characters").error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The first query parameter whose name or value holds a control character, if any.
/// A query that does not decode is left to the `Query` extractor's own error.
fn query_with_control_character(query: &str) -> Option<String> {
    if query.is_empty() {
        return None;
    }
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query).ok()?;
    pairs
        .into_inner()
        .into_iter()
        .find(|(name, value)| name.chars().chain(value.chars()).any(char::is_control))
        .map(|(name, _)| name.chars().filter(|c| !c.is_control()).collect())
}

/// Refuses writes that a browser sends on behalf of another site (CSRF): a write whose
/// `Origin` is not ours, or that the browser marks `Sec-Fetch-Site: cross-site`.
/// Non-browser clients send neither header and are not affected. JSON-only bodies
/// (see `ValidJson`) close the remaining gap, since a cross-site form cannot send JSON.
pub async fn same_origin_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // An API token without a cookie is no browser's ambient credential: a page of
    // another site cannot make a browser send `Authorization` here (no CORS is allowed).
    let token_only = crate::http::extract::bearer(req.request()).is_some()
        && !crate::http::extract::sends_session_cookie(req.request());
    if !token_only && !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Some(reason) = cross_site_reason(&req) {
            let res = AppError::Forbidden(reason.into()).error_response();
            return Ok(req.into_response(res).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn cross_site_reason(req: &ServiceRequest) -> Option<&'static str> {
    let headers = req.headers();
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return Some("cross-site requests are not accepted");
    }
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let ours = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.origin.clone())
        .unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let same_host = origin
        .split_once("://")
        .is_some_and(|(_, rest)| !host.is_empty() && rest.eq_ignore_ascii_case(host));
    if origin.eq_ignore_ascii_case(&ours) || same_host {
        None
    } else {
        Some("requests from another origin are not accepted")
    }
}

/// Looks up the session of a request that carries a session cookie (or an API token) before its handler's
/// extractors run, so that a forged, expired or ended session is 401 whatever the body
/// (see [`crate::http::extract::signed_in`]). Requests without the cookie cost nothing; a
/// database error is left for the extractor to report.
pub async fn resolve_session(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request = req.request();
    if crate::http::extract::sends_session_cookie(request)
        || crate::http::extract::bearer(request).is_some()
    {
        let _ = crate::http::extract::signed_in(req.request().clone()).await;
    }
    next.call(req).await
}

/// Throttles the guessing of secret links. A client address that asked for too many
/// unknown invitation, manage, survey or password-reset tokens within the window (`CONVENE_TOKEN_MISS_LIMIT`) gets
/// 429 with `Retry-After` on every token endpoint until it passes, valid tokens included:
/// otherwise the answer would still tell a guesser which tokens exist. Other addresses,
/// using their own links, are not affected.
pub async fn token_lookups(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path();
    let by_token = path.starts_with("/api/v1/invitations/")
        || path.starts_with("/api/v1/manage/")
        || path.starts_with("/api/v1/surveys/")
        || path.starts_with("/api/v1/auth/password-reset/");
    let ip = req.peer_addr().map(|a| a.ip());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (true, Some(ip), Some(state)) = (by_token, ip, state) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let misses = &state.public_limits.token_misses;
    let refused = match misses.retry_after(&ip).await {
        Ok(None) => None,
        Ok(Some(retry_after)) => Some(AppError::TooManyRequests { retry_after }),
        Err(e) => Some(e),
    };
    if let Some(e) = refused {
        let res = e.error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    let res = next.call(req).await?;
    let error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    if matches!(error, Some(AppError::UnknownToken(_))) {
        // The answer stands either way; a count that could not be stored is only logged.
        if let Err(e) = misses.record(ip).await {
            tracing::warn!(error = %e, "could not count an unknown link");
        }
    }
    Ok(res.map_into_left_body())
}

/// Headers on every answer: no sniffing, no framing, no referrer (pages carry tokens in
/// their URL), and a policy that allows only our own scripts and styles.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
}
