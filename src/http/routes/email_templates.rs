//! The event's own wording of its emails: organizers list every kind, replace one,
//! restore the default, preview a wording with sample values, and send themselves a test.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::Actor;
use crate::db::write_transaction;
use crate::error::AppError;
use crate::http::extract::{CurrentOrganizer, ValidJson};
use crate::http::openapi::EventPath;
use crate::http::AppState;
use crate::workflows::email_wording::{self, KindWording};

/// `{slug}/email-templates/{kind}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct KindPath {
    /// The event's slug.
    #[param(example = "summit-2027")]
    slug: String,
    /// The kind of email (as listed).
    #[param(example = "registration_confirmed")]
    kind: String,
}

/// One kind of email with the wording the event sends.
#[derive(Serialize, ToSchema)]
pub struct EmailTemplateView {
    #[schema(example = "registration_confirmed")]
    kind: &'static str,
    #[schema(example = "You're registered: {{ event_name }}, {{ event_dates }}")]
    subject: String,
    /// Markdown with `{{ placeholder }}`s.
    body: String,
    /// Replaced by the organizers; otherwise the default wording.
    customized: bool,
    /// The placeholders this kind's wording may use.
    #[schema(example = json!(["recipient_name", "event_name", "manage_link"]))]
    placeholders: Vec<&'static str>,
    /// The placeholder the wording must keep (the link the email exists for), if any.
    #[schema(example = "manage_link")]
    required: Option<&'static str>,
}

impl EmailTemplateView {
    fn of(k: KindWording) -> Self {
        Self {
            kind: k.kind.name,
            subject: k.wording.subject,
            body: k.wording.body,
            customized: k.customized,
            placeholders: k.kind.placeholders(),
            required: k.kind.required,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EmailTemplateList {
    items: Vec<EmailTemplateView>,
}

#[derive(Deserialize, ToSchema)]
pub struct EmailTemplateRequest {
    /// One line, at most 200 characters, with placeholders.
    #[schema(
        example = "See you soon, {{ recipient_name }}",
        format = "line",
        max_length = 200
    )]
    subject: String,
    /// Markdown, at most 20,000 characters, with placeholders.
    #[schema(
        example = "Your place is confirmed. [Your registration]({{ manage_link }})",
        format = "paragraph",
        max_length = 20000
    )]
    body: String,
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct PreviewRequest {
    /// The current subject when left out.
    #[schema(format = "line", max_length = 200)]
    subject: Option<String>,
    /// The current body when left out.
    #[schema(format = "paragraph", max_length = 20000)]
    body: Option<String>,
}

/// An email as it would be sent, with sample values.
#[derive(Serialize, ToSchema)]
pub struct PreviewView {
    subject: String,
    html: String,
    text: String,
}

/// Every kind of email the event sends, with its wording (organizers).
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/email-templates",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Every kind, in the order organizers meet them.", body = EmailTemplateList),
        (status = 404, description = "No such event."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    CurrentOrganizer(_organizer): CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let all = crate::db::run(&state.pool, move |conn| email_wording::list(conn, &slug)).await?;
    let items = all.into_iter().map(EmailTemplateView::of).collect();
    Ok(HttpResponse::Ok().json(EmailTemplateList { items }))
}

/// Replace the wording of one kind of email for this event (organizers).
#[utoipa::path(
    put,
    path = "/api/v1/events/{slug}/email-templates/{kind}",
    params(KindPath),
    request_body = EmailTemplateRequest,
    security(("session" = [])),
    responses(
        (status = 200, description = "Saved: the event's emails of this kind use it from now on.", body = EmailTemplateView),
        (status = 404, description = "No such event or kind of email."),
        (status = 422, description = "A field is wrong: an unknown placeholder (named), or the link the email exists for is missing."),
    )
)]
pub async fn replace(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    ValidJson(body): ValidJson<EmailTemplateRequest>,
) -> Result<HttpResponse, AppError> {
    let (slug, kind) = path.into_inner();
    let actor = Actor::organizer(&organizer.id);
    let saved = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            email_wording::replace(conn, &actor, &slug, &kind, &body.subject, &body.body)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(EmailTemplateView::of(saved)))
}

/// Restore the default wording of one kind of email (organizers).
#[utoipa::path(
    delete,
    path = "/api/v1/events/{slug}/email-templates/{kind}",
    params(KindPath),
    security(("session" = [])),
    responses(
        (status = 204, description = "The default wording is used again."),
        (status = 404, description = "No such event or kind of email."),
    )
)]
pub async fn restore(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, kind) = path.into_inner();
    let actor = Actor::organizer(&organizer.id);
    crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            email_wording::restore(conn, &actor, &slug, &kind)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One kind of email rendered with sample values, in the wording given, without saving
/// (organizers).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/email-templates/{kind}/preview",
    params(KindPath),
    request_body = PreviewRequest,
    security(("session" = [])),
    responses(
        (status = 200, description = "The email as it would be sent.", body = PreviewView),
        (status = 404, description = "No such event or kind of email."),
        (status = 422, description = "A field is wrong, as when saving."),
    )
)]
pub async fn preview(
    state: web::Data<AppState>,
    CurrentOrganizer(_organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    ValidJson(body): ValidJson<PreviewRequest>,
) -> Result<HttpResponse, AppError> {
    let (slug, kind) = path.into_inner();
    let r = crate::db::run(&state.pool, move |conn| {
        email_wording::preview(conn, &slug, &kind, body.subject, body.body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PreviewView {
        subject: r.subject,
        html: r.html,
        text: r.text,
    }))
}

/// Send the signed-in organizer this kind of email as the event sends it now, with
/// sample values (organizers).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/email-templates/{kind}/test",
    params(KindPath),
    security(("session" = [])),
    responses(
        (status = 202, description = "Queued to the signed-in organizer's address."),
        (status = 404, description = "No such event or kind of email."),
    )
)]
pub async fn test(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, kind) = path.into_inner();
    let to = organizer.email.clone();
    crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            email_wording::send_test(conn, &slug, &kind, &to)
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Accepted().finish())
}
