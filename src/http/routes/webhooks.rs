//! Webhooks, managed by admins: add (the secret shown once), list, show, remove, and
//! each hook's deliveries.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::webhook::{self, Delivery, Webhook};
use crate::db::write_transaction;
use crate::domain::webhook::WebhookForm;
use crate::error::AppError;
use crate::http::extract::{Admin, ListQuery, NoParams, Page, PageParams, ValidJson};
use crate::http::run::admin_removes;
use crate::http::views::rfc3339;
use crate::http::AppState;
use crate::workflows::webhooks;

/// A hook as listed: never its secret.
#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    id: String,
    #[schema(example = "https://crm.example.org/hooks/convene")]
    url: String,
    #[schema(example = json!(["registration.created", "registration.cancelled"]))]
    events: Vec<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// Since when its deliveries fail, without one success since; none: healthy.
    #[schema(format = DateTime)]
    failing_since: Option<String>,
    /// Set once it has failed for 3 days: nothing more is sent to it.
    #[schema(format = DateTime)]
    disabled_at: Option<String>,
    /// `active` or `disabled`.
    #[schema(example = "active")]
    status: &'static str,
}

fn view(h: &Webhook) -> WebhookView {
    WebhookView {
        id: h.id.clone(),
        url: h.url.clone(),
        events: h.event_names().map(str::to_owned).collect(),
        created_at: rfc3339(h.created_at),
        failing_since: h.failing_since.map(rfc3339),
        disabled_at: h.disabled_at.map(rfc3339),
        status: if h.disabled_at.is_some() {
            "disabled"
        } else {
            "active"
        },
    }
}

/// A new hook, with its signing secret: shown this once only.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    webhook: WebhookView,
    /// Verifies the `webhook-signature` of each delivery (Standard Webhooks).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    items: Vec<WebhookView>,
}

/// The events a hook may subscribe to, as the document lists them (read as text, so that
/// a wrong one is named by its place in `events`).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
enum WebhookEventName {
    #[serde(rename = "invitation.sent")]
    InvitationSent,
    #[serde(rename = "invitation.declined")]
    InvitationDeclined,
    #[serde(rename = "registration.created")]
    RegistrationCreated,
    #[serde(rename = "registration.cancelled")]
    RegistrationCancelled,
    #[serde(rename = "registration.promoted")]
    RegistrationPromoted,
    #[serde(rename = "nomination.decided")]
    NominationDecided,
    #[serde(rename = "scholarship.decided")]
    ScholarshipDecided,
    #[serde(rename = "checkin.created")]
    CheckinCreated,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// Where deliveries are posted: http or https, at most 2000 characters.
    #[schema(example = "https://crm.example.org/hooks/convene", max_length = 2000)]
    url: String,
    /// At least one of `invitation.sent`, `invitation.declined`, `registration.created`,
    /// `registration.cancelled`, `registration.promoted`, `nomination.decided`,
    /// `scholarship.decided`, `checkin.created`, each once.
    #[schema(
        value_type = Vec<WebhookEventName>,
        min_items = 1,
        example = json!(["registration.created"])
    )]
    events: Vec<String>,
    /// `whsec_` and the base64 of 24 to 64 bytes; one is made when none is given.
    #[serde(default)]
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    secret: Option<String>,
}

/// Add a webhook (admins). Its signing secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    request_body = CreateWebhook,
    security(("session" = [])),
    responses(
        (status = 201, description = "Created; `secret` signs its deliveries, shown this once.", body = CreatedWebhook),
        (status = 403, description = "Only an admin may manage webhooks."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    ValidJson(body): ValidJson<CreateWebhook>,
) -> Result<HttpResponse, AppError> {
    let form = WebhookForm::parse(&body.url, &body.events, body.secret.as_deref())
        .map_err(AppError::Validation)?;
    let hook = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| webhooks::create(conn, &admin, form))
    })
    .await?;
    Ok(HttpResponse::Created().json(CreatedWebhook {
        webhook: view(&hook),
        secret: hook.secret.clone(),
    }))
}

/// Every webhook (admins), without their secrets.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    security(("session" = [])),
    responses(
        (status = 200, description = "The hooks.", body = WebhookList),
        (status = 403, description = "Only an admin may manage webhooks."),
    )
)]
pub async fn list(state: web::Data<AppState>, _: Admin) -> Result<HttpResponse, AppError> {
    let all = crate::db::run(&state.pool, webhook::list).await?;
    let items = all.iter().map(view).collect();
    Ok(HttpResponse::Ok().json(WebhookList { items }))
}

/// One webhook (admins), without its secret.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    params(("id" = String, Path, description = "The webhook's id.")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The hook.", body = WebhookView),
        (status = 403, description = "Only an admin may manage webhooks."),
        (status = 404, description = "No such webhook."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let hook = crate::db::run(&state.pool, move |conn| webhook::find(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(view(&hook)))
}

/// Remove a webhook and its deliveries (admins): nothing more is sent to it.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    params(("id" = String, Path, description = "The webhook's id.")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Only an admin may manage webhooks."),
        (status = 404, description = "No such webhook."),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    admin_removes(&state.pool, admin, id.into_inner(), webhooks::delete).await
}

/// One delivery of one event to a hook, and how it went.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    /// The `webhook-id` it is sent with (the same at every attempt).
    #[schema(example = "msg_2b1f0c7e9d2a4c3f8e6b5a4d3c2b1a09")]
    id: String,
    #[schema(example = "registration.created")]
    event_type: String,
    /// `pending`, `retrying`, `delivered`, or `failed` (the hook was disabled first).
    #[schema(example = "delivered")]
    status: String,
    attempts: i32,
    /// The HTTP status of the last answer; none when there was no answer.
    last_response_code: Option<i32>,
    last_error: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    delivered_at: Option<String>,
}

fn delivery_view(d: Delivery) -> DeliveryView {
    let undelivered = matches!(d.status.as_str(), "pending" | "retrying");
    DeliveryView {
        next_attempt_at: undelivered.then(|| rfc3339(d.next_attempt_at)),
        id: d.id,
        event_type: d.event_type,
        status: d.status,
        attempts: d.attempts,
        last_response_code: d.last_response_code,
        last_error: d.last_error,
        created_at: rfc3339(d.created_at),
        last_attempt_at: d.last_attempt_at.map(rfc3339),
        delivered_at: d.delivered_at.map(rfc3339),
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    items: Vec<DeliveryView>,
    total: i64,
}

/// A webhook's deliveries, newest first (admins).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    params(("id" = String, Path, description = "The webhook's id."), PageParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of deliveries.", body = DeliveryList),
        (status = 403, description = "Only an admin may manage webhooks."),
        (status = 404, description = "No such webhook."),
        (status = 422, description = "A paging value is wrong."),
    )
)]
pub async fn deliveries(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<String>,
    query: ListQuery<NoParams>,
) -> Result<HttpResponse, AppError> {
    let Page { limit, offset } = query.page;
    let id = id.into_inner();
    let (items, total) = crate::db::run(&state.pool, move |conn| {
        webhook::find(conn, &id)?;
        webhook::deliveries(conn, &id, limit, offset)
    })
    .await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        items: items.into_iter().map(delivery_view).collect(),
        total,
    }))
}
