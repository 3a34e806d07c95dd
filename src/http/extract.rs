//! Extractors: JSON bodies whose errors come out as problem+json naming the field,
//! and the signed-in organizer.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::auth::SESSION_COOKIE;
use crate::db::models::{api_token, organizer::Organizer, session};
use crate::domain::api_token::ApiTokenSecret;
use crate::domain::SecretToken;
use crate::error::{AppError, FieldErrors};
use crate::http::AppState;

mod json;
mod list;
pub use json::{check_json_depth, parse_json, parse_value, MAX_JSON_DEPTH};
pub use list::{
    bad_query, query_choice, query_filter, LimitParams, ListFilter, ListQuery, NoParams, Page,
    PageParams, PeopleFilter,
};

/// Largest JSON body accepted (a bulk of 1,000 invitations fits comfortably).
pub const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON body. Unlike `web::Json`, a malformed body is 400, a wrong content type 415,
/// an oversized body 413, and a field of the wrong type or a missing field 422 naming it.
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.subtype() == mime_json() || m.suffix().is_some_and(|s| s == mime_json())
        });
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let body = read_body(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            if declared_len.is_some_and(|n| n > JSON_LIMIT) {
                return Err(too_large());
            }
            parse_json(&body.await?).map(ValidJson)
        })
    }
}

/// A JSON body that may also be left out (`POST .../decline` with or without a reason):
/// an empty body, or JSON `null` (how a client says "no body" in JSON, and what the
/// document's optional body allows), is `T::default()`; anything else is read as by
/// [`ValidJson`].
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.subtype() == mime_json() || m.suffix().is_some_and(|s| s == mime_json())
        });
        let body = read_body(req, payload);
        Box::pin(async move {
            let bytes = body.await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(T::default()));
            }
            if !is_json {
                return Err(AppError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            if bytes.trim_ascii() == b"null" {
                return Ok(OptionalJson(T::default()));
            }
            parse_json(&bytes).map(OptionalJson)
        })
    }
}

/// Reads the whole body within the client timeout (`CONVENE_CLIENT_TIMEOUT_MS`, 408 after
/// it: a client trickling its body cannot hold a request open) and the size limit (413).
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<web::Bytes, AppError>> {
    let timeout = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.server.client_timeout)
        .unwrap_or(std::time::Duration::from_secs(10));
    let body = web::Bytes::from_request(req, payload);
    async move {
        actix_web::rt::time::timeout(timeout, body)
            .await
            .map_err(|_| {
                AppError::RequestTimeout(format!(
                    "the body did not arrive within {} seconds",
                    timeout.as_secs_f64()
                ))
            })?
            .map_err(|e| unreadable_body(e, JSON_LIMIT))
    }
}

fn mime_json() -> &'static str {
    "json"
}

/// Why a body could not be read: over `limit` (413), or broken off or malformed (400).
pub fn unreadable_body(e: actix_web::Error, limit: usize) -> AppError {
    match e.as_error::<actix_web::error::PayloadError>() {
        Some(actix_web::error::PayloadError::Overflow) => {
            AppError::PayloadTooLarge(format!("the body must be at most {limit} bytes"))
        }
        _ => AppError::BadRequest(format!("the body could not be read: {e}")),
    }
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge(format!("the body must be at most {JSON_LIMIT} bytes"))
}

pub(super) fn join_path(parent: &str, name: &str) -> String {
    if parent == "." || parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// Turns `validator`'s nested errors into messages keyed by dotted JSON path.
pub fn field_errors(errors: &ValidationErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    collect(&mut out, "", errors);
    out
}

fn collect(out: &mut FieldErrors, prefix: &str, errors: &ValidationErrors) {
    for (field, kind) in errors.errors() {
        let path = join_path(prefix, field);
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.add(&path, describe(e));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(out, &path, inner),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(out, &format!("{path}.{i}"), inner);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters"),
            (Some(min), None) => format!("must be at least {min} characters"),
            (None, Some(max)) => format!("must be at most {max} characters"),
            _ => "has the wrong length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be from {min} to {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "email" => "is not a valid email address".into(),
        "required" => "is required".into(),
        other => format!("is invalid ({other})"),
    }
}

/// The organizer signed in through the session cookie or an API token; 401 otherwise.
pub struct CurrentOrganizer(pub Organizer);

/// The signed-in organizer, who must be an admin; 401 or 403 otherwise.
pub struct Admin(pub Organizer);

/// The session token in the request's cookie, if it has the shape of one.
pub fn session_token(req: &HttpRequest) -> Option<SecretToken> {
    req.cookie(SESSION_COOKIE)
        .and_then(|c| SecretToken::parse(c.value()))
}

/// Whether the request sends a session cookie at all, well formed or not.
pub fn sends_session_cookie(req: &HttpRequest) -> bool {
    req.cookie(SESSION_COOKIE).is_some()
}

/// The value of an `Authorization: Bearer …` header (an API token), if there is one.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The outcome of looking up a request's session, kept in its extensions.
#[derive(Clone)]
struct SessionLookup(Option<Organizer>);

/// Looks up the request's session once and keeps the outcome in the request, so that
/// later extractors answer at once. [`crate::http::middleware::resolve_session`] calls it
/// before the handler's extractors run: they run together and the first to fail answers,
/// so a forged or expired session must already be known when a body is being judged.
pub async fn signed_in(req: HttpRequest) -> Result<Organizer, AppError> {
    if let Some(SessionLookup(found)) = req.extensions().get::<SessionLookup>() {
        return found.clone().ok_or(AppError::Unauthenticated);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no state")))?;
    // The session cookie, or else an API token (which acts for its organizer, with at
    // most the token's role); a malformed token is as unknown as a wrong one. A cookie
    // that is sent decides even beside a token: a request carrying a forged or malformed
    // session is refused, not served on the strength of its other credential.
    let found = if sends_session_cookie(&req) {
        match session_token(&req).map(|t| t.hash()) {
            Some(hash) => {
                // Point reads by a token's index, asked by every signed-in request.
                crate::db::read_here(&state.pool, move |conn| {
                    session::find_organizer(conn, &hash)
                })
                .await?
            }
            None => None,
        }
    } else if let Some(raw) = bearer(&req) {
        match ApiTokenSecret::parse(raw).map(|t| t.hash()) {
            Some(hash) => {
                crate::db::read_here(&state.pool, move |conn| {
                    api_token::find_organizer(conn, &hash)
                })
                .await?
            }
            None => None,
        }
    } else {
        return Err(AppError::Unauthenticated);
    };
    req.extensions_mut().insert(SessionLookup(found.clone()));
    found.ok_or(AppError::Unauthenticated)
}

impl FromRequest for CurrentOrganizer {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(req).await.map(CurrentOrganizer) })
    }
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let organizer = signed_in(req).await?;
            if !organizer.is_admin() {
                return Err(AppError::Forbidden("only an admin may do this".into()));
            }
            Ok(Admin(organizer))
        })
    }
}

/// The signed-in organizer, if any (public endpoints that show organizers more).
pub struct MaybeOrganizer(pub Option<Organizer>);

impl FromRequest for MaybeOrganizer {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match signed_in(req).await {
                Ok(o) => Ok(MaybeOrganizer(Some(o))),
                Err(AppError::Unauthenticated) => Ok(MaybeOrganizer(None)),
                Err(e) => Err(e),
            }
        })
    }
}
