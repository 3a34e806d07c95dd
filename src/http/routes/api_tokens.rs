//! API tokens, managed by admins: `Authorization: Bearer TOKEN` for integrations.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::api_token::{self, ApiToken};
use crate::db::{now, write_transaction};
use crate::domain::api_token::ApiTokenForm;
use crate::domain::organizer::Role;
use crate::error::AppError;
use crate::http::extract::{Admin, ValidJson};
use crate::http::run::admin_removes;
use crate::http::views::rfc3339;
use crate::http::AppState;
use crate::workflows::api_tokens;

/// A token as listed: never its secret.
#[derive(Serialize, ToSchema)]
pub struct ApiTokenView {
    #[schema(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    id: String,
    #[schema(example = "CRM sync")]
    name: String,
    /// What the token may do; never more than its creator may.
    #[schema(value_type = Role)]
    role: &'static str,
    /// The email of the organizer it acts for.
    #[schema(example = "admin@example.org")]
    created_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    /// After this time the token is refused (401); none: it does not expire.
    #[schema(format = DateTime)]
    expires_at: Option<String>,
    /// Set once revoked; it is refused (401) from then on.
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    #[schema(example = "active")]
    status: &'static str,
}

fn view(t: &ApiToken, created_by: String) -> ApiTokenView {
    let status = if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at.is_some_and(|e| e <= now()) {
        "expired"
    } else {
        "active"
    };
    ApiTokenView {
        id: t.id.clone(),
        name: t.name.clone(),
        role: t.role.as_str(),
        created_by,
        created_at: rfc3339(t.created_at),
        expires_at: t.expires_at.map(rfc3339),
        revoked_at: t.revoked_at.map(rfc3339),
        status,
    }
}

/// A new token, with its secret: shown this once only.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiToken {
    #[serde(flatten)]
    token: ApiTokenView,
    /// The secret, for `Authorization: Bearer`. It is stored only as a hash and cannot be
    /// shown again.
    #[schema(example = "cvt_q3Zr0m2WJ1sC9tQpXn8aV5yEo4LkUiHbGd7fRwMzA6c")]
    #[serde(rename = "token")]
    secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiTokenList {
    items: Vec<ApiTokenView>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateApiToken {
    /// What the token is for, 1 to 100 characters.
    #[schema(example = "CRM sync", format = "line", max_length = 100)]
    name: String,
    /// At most the role of the admin making it. Read as text, so that a wrong value
    /// (even `null`, which serde reads as no JSON value at all for an enum) is a 422 naming it.
    #[schema(value_type = Role)]
    role: String,
    /// When it stops working (RFC 3339, in the future); none: never.
    #[schema(format = DateTime, example = "2027-12-31T23:59:59Z")]
    #[serde(default)]
    expires_at: Option<String>,
}

/// Make an API token (admins). Its secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/auth/tokens",
    request_body = CreateApiToken,
    security(("session" = [])),
    responses(
        (status = 201, description = "Created; `token` is the secret, shown this once.", body = CreatedApiToken),
        (status = 403, description = "Only an admin may make tokens, and none above their own role."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    ValidJson(body): ValidJson<CreateApiToken>,
) -> Result<HttpResponse, AppError> {
    let role = Role::parse(&body.role);
    let form = ApiTokenForm::parse(&body.name, role, body.expires_at.as_deref(), now())
        .map_err(AppError::Validation)?;
    let email = admin.email.clone();
    let (token, secret) = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| api_tokens::create(conn, &admin, form))
    })
    .await?;
    Ok(HttpResponse::Created().json(CreatedApiToken {
        token: view(&token, email),
        secret: secret.expose(),
    }))
}

/// Every API token, newest first, without their secrets (admins).
#[utoipa::path(
    get,
    path = "/api/v1/auth/tokens",
    security(("session" = [])),
    responses(
        (status = 200, description = "The tokens.", body = ApiTokenList),
        (status = 403, description = "Only an admin may manage tokens."),
    )
)]
pub async fn list(state: web::Data<AppState>, _: Admin) -> Result<HttpResponse, AppError> {
    let all = crate::db::run(&state.pool, api_token::list).await?;
    let items = all.into_iter().map(|(t, by)| view(&t, by)).collect();
    Ok(HttpResponse::Ok().json(ApiTokenList { items }))
}

/// One API token, without its secret (admins).
#[utoipa::path(
    get,
    path = "/api/v1/auth/tokens/{id}",
    params(("id" = String, Path, description = "The token's id.")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The token.", body = ApiTokenView),
        (status = 403, description = "Only an admin may manage tokens."),
        (status = 404, description = "No such token."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (token, by) = crate::db::run(&state.pool, move |conn| {
        let token = api_token::find(conn, &id)?;
        let by = api_token::creator_email(conn, &token)?;
        Ok((token, by))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(&token, by)))
}

/// Revoke an API token (admins): it is refused from now on. Revoking it again is harmless.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/tokens/{id}",
    params(("id" = String, Path, description = "The token's id.")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = "Only an admin may manage tokens."),
        (status = 404, description = "No such token."),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    admin_removes(&state.pool, admin, id.into_inner(), api_tokens::revoke).await
}
