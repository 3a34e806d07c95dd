//! An organizer's password: `POST /auth/password` changes it while signed in;
//! `POST /auth/password-reset` emails a link for a forgotten one, and
//! `POST /auth/password-reset/{token}` sets a new one through that link.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::organizer::{account_email, Password};
use crate::domain::SecretToken;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{session_token, CurrentOrganizer, ValidJson};
use crate::http::AppState;
use crate::workflows::passwords;

#[derive(Deserialize, ToSchema)]
pub struct ChangePassword {
    current_password: String,
    /// 12 to 256 characters.
    #[schema(
        example = "a long and memorable passphrase",
        min_length = 12,
        max_length = 256
    )]
    new_password: String,
}

/// The new password, parsed: a 422 naming `new_password` otherwise.
fn new_password(raw: String, errors: &mut FieldErrors) -> Option<Password> {
    match Password::parse(raw) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.add("new_password", e);
            None
        }
    }
}

/// Change your password; your other sessions end.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    request_body = ChangePassword,
    security(("session" = [])),
    responses(
        (status = 204, description = "Changed; every other session of yours has ended."),
        (status = 401, description = "Not signed in."),
        (status = 422, description = "`current_password` is wrong, or `new_password` is too short or too long."),
    )
)]
pub async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    CurrentOrganizer(who): CurrentOrganizer,
    ValidJson(body): ValidJson<ChangePassword>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    let new = new_password(body.new_password, &mut errors);
    let current_ok = state
        .hasher
        .verify(body.current_password, Some(who.password_hash.clone()))
        .await?;
    if !current_ok {
        errors.add("current_password", "is not your current password");
    }
    errors.into_result()?;
    let new = new.ok_or_else(|| AppError::Internal(anyhow::anyhow!("checked above")))?;
    let hash = state.hasher.hash(new.expose().to_owned()).await?;
    let keep = session_token(&req).map(|t| t.hash()).unwrap_or_default();
    crate::db::run(&state.pool, move |conn| {
        crate::db::write_transaction(conn, |conn| passwords::change(conn, &who, &hash, &keep))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    /// Read as typed (any text with an `@`, at most 254 bytes): an address without an
    /// account gets the same answer.
    #[schema(
        example = "admin@example.org",
        max_length = 254,
        pattern = r"^[\t\n\x0b\x0c\r ]*[^\x00-\x1f\x7f-\x9f]*@[^\x00-\x1f\x7f-\x9f]*[\t\n\x0b\x0c\r ]*$"
    )]
    email: String,
}

/// The same answer whether or not the address has an account.
#[derive(Serialize, ToSchema)]
pub struct ResetRequested {
    message: &'static str,
}

/// Ask for a link to set a new password (for a forgotten one).
///
/// The answer is the same whether or not the address has an organizer account; if it
/// has, a link that works once, for an hour, is emailed to it.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way.", body = ResetRequested),
        (status = 422, description = "`email` is missing or not an address."),
        (status = 429, description = "Too many requests from this address."),
    )
)]
pub async fn request_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    ValidJson(body): ValidJson<ResetRequest>,
) -> Result<HttpResponse, AppError> {
    let email = account_email(&body.email)
        .filter(|e| e.contains('@'))
        .unwrap_or_default();
    let mut errors = FieldErrors::new();
    if email.is_empty() {
        errors.add("email", "enter the email address of your organizer account");
    }
    errors.into_result()?;
    if let Some(ip) = req.peer_addr().map(|a| a.ip()) {
        state
            .public_limits
            .password_resets
            .acquire(ip)
            .await?
            .map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
    }
    let base = state.settings.server.base_url.clone();
    let sent = crate::db::run(&state.pool, move |conn| {
        crate::db::write_transaction(conn, |conn| passwords::request_reset(conn, &email, &base))
    })
    .await?;
    if sent {
        state.outbox.notify();
    }
    Ok(HttpResponse::Accepted().json(ResetRequested {
        message:
            "If this address has an organizer account, a link to set a new password is on its way.",
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetPassword {
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256)]
    new_password: String,
}

/// Set a new password through an emailed link; every session of the account ends.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/{token}",
    params(("token" = String, Path, description = "The token of the emailed link.")),
    request_body = ResetPassword,
    responses(
        (status = 204, description = "Set; sign in with the new password."),
        (status = 404, description = "No such link."),
        (status = 410, description = "The link was used already, or has run out."),
        (status = 422, description = "`new_password` is too short or too long."),
    )
)]
pub async fn reset(
    state: web::Data<AppState>,
    token: web::Path<String>,
    ValidJson(body): ValidJson<ResetPassword>,
) -> Result<HttpResponse, AppError> {
    let token = SecretToken::parse(&token).ok_or(AppError::UnknownToken("password reset link"))?;
    let mut errors = FieldErrors::new();
    let new = new_password(body.new_password, &mut errors);
    errors.into_result()?;
    let new = new.ok_or_else(|| AppError::Internal(anyhow::anyhow!("checked above")))?;
    let hash = state.hasher.hash(new.expose().to_owned()).await?;
    let token_hash = token.hash();
    let who = crate::db::run(&state.pool, move |conn| {
        crate::db::write_transaction(conn, |conn| passwords::reset(conn, &token_hash, &hash))
    })
    .await?;
    tracing::info!(organizer_id = %who.id, "password reset through an emailed link");
    Ok(HttpResponse::NoContent().finish())
}
