//! Organizer sign-in: `POST /auth/login`, `POST /auth/logout`, `GET /auth/me`.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::SESSION_COOKIE;
use crate::db::models::session;
use crate::db::write_transaction;
use crate::domain::organizer::{account_email, ReviewNotices};
use crate::domain::SecretToken;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{session_token, CurrentOrganizer, ValidJson};
use crate::http::views::OrganizerView;
use crate::http::AppState;
use crate::workflows::choose_notices::choose_notices;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Any text but blank (at most 254 bytes): an unknown address is a 401 like a wrong password.
    #[schema(example = "admin@example.org", format = "line", max_length = 254)]
    email: String,
    /// Not empty, at most 1024 bytes.
    #[schema(
        example = "correct horse battery staple",
        min_length = 1,
        max_length = 1024
    )]
    password: String,
}

/// Sign in as an organizer; the answer sets the session cookie.
///
/// Failed attempts are throttled per account and address together and per address; an
/// account failed on from many addresses is slowed down, never locked.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the session.", body = OrganizerView,
            headers(("Set-Cookie" = String, description = "`convene_session=…; HttpOnly; SameSite=Lax; Path=/`"))),
        (status = 401, description = "Unknown email, wrong password or disabled account (one answer for all)."),
        (status = 429, description = "Too many failed attempts from this address (for this account, or for any); `Retry-After` says the true wait.",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ValidJson(body): ValidJson<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    let email = account_email(&body.email).unwrap_or_default();
    if email.is_empty() {
        errors.add("email", "enter the email address of your organizer account");
    }
    if body.password.is_empty() || body.password.len() > 1024 {
        errors.add("password", "enter your password");
    }
    errors.into_result()?;

    let address = req.peer_addr().map(|a| a.ip());
    if let Some(retry_after) = state.login_throttle.check(&email, address).await? {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let lookup = email.clone();
    let organizer = crate::db::run(&state.pool, move |conn| {
        crate::db::models::organizer::find_by_email(conn, &lookup)
    })
    .await?
    .filter(|o| o.disabled_at.is_none());
    // Unknown and disabled accounts are verified against a dummy hash: same answer, same time.
    let stored = organizer.as_ref().map(|o| o.password_hash.clone());
    let ok = state.hasher.verify(body.password, stored).await?;
    let organizer = match organizer {
        Some(o) if ok => o,
        _ => {
            state.login_throttle.record_failure(&email, address).await?;
            tracing::info!("failed organizer login");
            return Err(AppError::Unauthenticated);
        }
    };
    state.login_throttle.record_success(&email, address).await?;

    let token = SecretToken::generate();
    let (hash, organizer_id, ttl) = (
        token.hash(),
        organizer.id.clone(),
        state.settings.auth.session_ttl,
    );
    crate::db::run(&state.pool, move |conn| {
        session::create(conn, &hash, &organizer_id, ttl)
    })
    .await?;
    tracing::info!(organizer_id = %organizer.id, "organizer signed in");
    let cookie = session_cookie(
        &state,
        token.expose().to_owned(),
        time::Duration::seconds(ttl.as_secs() as i64),
    );
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .json(OrganizerView::from(&organizer)))
}

fn session_cookie(state: &AppState, value: String, max_age: time::Duration) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.server.secure_cookies())
        .max_age(max_age)
        .finish()
}

/// Sign out: ends the session and clears its cookie. Harmless when not signed in.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    responses((status = 204, description = "Signed out; the cookie is cleared."))
)]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if let Some(token) = session_token(&req) {
        let hash = token.hash();
        crate::db::run(&state.pool, move |conn| session::delete(conn, &hash)).await?;
    }
    let expired = session_cookie(&state, String::new(), time::Duration::ZERO);
    Ok(HttpResponse::NoContent().cookie(expired).finish())
}

/// The organizer signed in.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    security(("session" = [])),
    responses((status = 200, description = "The signed-in organizer.", body = OrganizerView))
)]
pub async fn me(CurrentOrganizer(organizer): CurrentOrganizer) -> HttpResponse {
    HttpResponse::Ok().json(OrganizerView::from(&organizer))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateMe {
    review_notices: ReviewNotices,
}

/// An organizer's own preferences: whether to be emailed about each new item waiting for
/// review, each invitee who declines and each registrant who cancels.
#[utoipa::path(
    patch,
    path = "/api/v1/auth/me",
    request_body = UpdateMe,
    security(("session" = [])),
    responses((status = 200, description = "The organizer as changed.", body = OrganizerView))
)]
pub async fn update_me(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    ValidJson(body): ValidJson<UpdateMe>,
) -> Result<HttpResponse, AppError> {
    let updated = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            choose_notices(conn, &organizer.id, body.review_notices)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganizerView::from(&updated)))
}
