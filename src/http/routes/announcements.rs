//! Announcements: organizers write to a chosen group of an event's people, see how many
//! it reaches first (a dry run), and follow how their emails fared.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::audit::Actor;
use crate::db::write_transaction;
use crate::domain::announcement::{parse_idempotency_key, AnnouncementSpec, Audience};
use crate::error::AppError;
use crate::http::extract::{CurrentOrganizer, ValidJson};
use crate::http::openapi::EventPath;
use crate::http::views::rfc3339;
use crate::http::AppState;
use crate::workflows::announce::{self, Announced, Delivery};

/// The header that makes a retried announcement safe.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Who an announcement goes to: at least one list. The registrations in
/// `registration_statuses` and the invitations in `invitation_statuses`, each kept to
/// `kinds` when given; `kinds` alone means the confirmed and waitlisted registrants of
/// those kinds. A person matched more than once gets one email.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read through `Audience`, which has the same shape
pub struct AudienceRequest {
    /// `confirmed`, `waitlisted`, `cancelled`.
    #[schema(example = json!(["confirmed", "waitlisted"]))]
    registration_statuses: Option<Vec<String>>,
    /// `sent` (not answered yet), `declined`, `expired`.
    #[schema(example = json!(["sent"]))]
    invitation_statuses: Option<Vec<String>>,
    /// `executive`, `young_leader`.
    #[schema(example = json!(["executive"]))]
    kinds: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
pub struct AnnouncementRequest {
    /// One line, at most 200 characters.
    #[schema(example = "The programme is out", format = "line", max_length = 200)]
    subject: String,
    /// Markdown, at most 20,000 characters; the email's HTML part is rendered from it
    /// (raw HTML, scripts and `javascript:` links never pass), its text part is as written.
    #[schema(
        example = "The **full programme** is now on the event page.",
        format = "paragraph",
        max_length = 20000
    )]
    body: String,
    #[schema(value_type = AudienceRequest)]
    audience: Audience,
    /// Count the recipients and send nothing (200).
    #[serde(default)]
    dry_run: bool,
}

/// How many people the announcement reaches (or, for a dry run, would reach).
#[derive(Serialize, ToSchema)]
pub struct RecipientCount {
    #[schema(example = 42)]
    recipients: usize,
}

/// An announcement made: its id and how many people it goes to.
#[derive(Serialize, ToSchema)]
pub struct AnnouncementCreated {
    #[schema(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    id: String,
    #[schema(example = 42)]
    recipients: i32,
}

/// An announcement, with the states of its emails.
#[derive(Serialize, ToSchema)]
pub struct AnnouncementView {
    id: String,
    subject: String,
    /// As written (Markdown).
    body: String,
    #[schema(value_type = AudienceRequest)]
    audience: serde_json::Value,
    /// The people it went to: one email each.
    recipients: i32,
    /// Emails delivered.
    sent: i64,
    /// Emails that failed for good.
    failed: i64,
    /// Emails still being sent (or waiting for a retry).
    pending: i64,
    #[schema(format = DateTime)]
    created_at: String,
    created_by: Option<String>,
}

impl AnnouncementView {
    fn of(d: Delivery) -> Self {
        let a = d.announcement;
        Self {
            audience: serde_json::from_str(&a.audience).unwrap_or_default(),
            id: a.id,
            subject: a.subject,
            body: a.body,
            recipients: a.recipients,
            sent: d.sent,
            failed: d.failed,
            pending: d.pending,
            created_at: rfc3339(a.created_at),
            created_by: a.created_by,
        }
    }
}

/// The event's announcements, newest first.
#[derive(Serialize, ToSchema)]
pub struct AnnouncementList {
    items: Vec<AnnouncementView>,
}

/// Announce to a group of the event's people (organizers).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/announcements",
    params(
        EventPath,
        ("Idempotency-Key" = Option<String>, Header,
            description = "1 to 200 visible ASCII characters. A request retried with the key of an earlier one makes no second announcement and answers as the first did."),
    ),
    request_body = AnnouncementRequest,
    security(("session" = [])),
    responses(
        (status = 201, description = "Made; each recipient gets one email.", body = AnnouncementCreated),
        (status = 200, description = "A dry run, or an audience that matches nobody: nothing is sent.", body = RecipientCount),
        (status = 404, description = "No such event."),
        (status = 409, description = "The Idempotency-Key was used for a different announcement."),
        (status = 422, description = "A field is wrong, or `audience` gives no list."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    ValidJson(body): ValidJson<AnnouncementRequest>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    // A value that is not visible ASCII is not a string at all (`to_str` fails): as bad.
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| parse_idempotency_key(v.to_str().unwrap_or_default()))
        .transpose()
        .map_err(AppError::Validation)?;
    let spec = AnnouncementSpec::parse(&body.subject, &body.body, body.audience)
        .map_err(AppError::Validation)?;
    if body.dry_run {
        let n = crate::db::run(&state.pool, move |conn| {
            announce::count(conn, &slug, &spec.audience)
        })
        .await?;
        return Ok(HttpResponse::Ok().json(RecipientCount { recipients: n }));
    }
    let base = state.settings.server.base_url.clone();
    let actor = Actor::organizer(&organizer.id);
    let done = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            announce::announce(conn, &base, &actor, &slug, &spec, key.as_deref())
        })
    })
    .await?;
    Ok(match done {
        Announced::Created(a) => {
            state.outbox.notify();
            HttpResponse::Created().json(AnnouncementCreated {
                id: a.id,
                recipients: a.recipients,
            })
        }
        Announced::Replayed(a) => HttpResponse::Created().json(AnnouncementCreated {
            id: a.id,
            recipients: a.recipients,
        }),
        Announced::Nobody => HttpResponse::Ok().json(RecipientCount { recipients: 0 }),
    })
}

/// The event's announcements with how their emails fared (organizers).
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/announcements",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Newest first.", body = AnnouncementList),
        (status = 404, description = "No such event."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    CurrentOrganizer(_organizer): CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let all = crate::db::run(&state.pool, move |conn| announce::list(conn, &slug)).await?;
    let items = all.into_iter().map(AnnouncementView::of).collect();
    Ok(HttpResponse::Ok().json(AnnouncementList { items }))
}
