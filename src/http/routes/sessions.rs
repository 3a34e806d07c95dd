//! The agenda: anyone reads an event's sessions; organizers add, change and remove them.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::db::models::agenda::AgendaSession;
use crate::db::models::audit::Actor;
use crate::db::write_transaction;
use crate::domain::agenda::SessionFields;
use crate::domain::event::EventStatus;
use crate::error::AppError;
use crate::http::extract::{CurrentOrganizer, MaybeOrganizer, ValidJson};
use crate::http::openapi::{EventItemPath, EventPath};
use crate::http::views::rfc3339;
use crate::http::AppState;
use crate::workflows::agenda::{self, SessionChange};

/// A session of the agenda.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    #[schema(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    id: String,
    #[schema(example = "Opening plenary")]
    title: String,
    #[schema(format = DateTime, example = "2027-05-12T14:00:00Z")]
    starts_at: String,
    #[schema(format = DateTime, example = "2027-05-12T15:30:00Z")]
    ends_at: String,
    #[schema(example = "Memorial Hall", format = "optional-line", max_length = 200)]
    location: Option<String>,
    description: Option<String>,
}

impl SessionView {
    fn of(s: &AgendaSession) -> Self {
        Self {
            id: s.id.clone(),
            title: s.title.clone(),
            starts_at: rfc3339(s.starts_at),
            ends_at: rfc3339(s.ends_at),
            location: s.location.clone(),
            description: s.description.clone(),
        }
    }
}

/// The agenda, in time order.
#[derive(Serialize, ToSchema)]
pub struct SessionList {
    items: Vec<SessionView>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateSessionRequest {
    /// At most 200 characters.
    #[schema(example = "Opening plenary", format = "line", max_length = 200)]
    title: String,
    /// Within the event's days, in its time zone.
    #[schema(example = "2027-05-12T14:00:00Z")]
    starts_at: DateTime<Utc>,
    /// After `starts_at`, within the event's days.
    #[schema(example = "2027-05-12T15:30:00Z")]
    ends_at: DateTime<Utc>,
    #[schema(example = "Memorial Hall")]
    location: Option<String>,
    /// At most 5,000 characters.
    #[schema(format = "paragraph", max_length = 5000)]
    description: Option<String>,
}

/// Every field optional; `null` clears `location` or `description`.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct UpdateSessionRequest {
    #[schema(format = "line", max_length = 200)]
    title: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = "optional-line", max_length = 200)]
    location: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = "paragraph", max_length = 5000)]
    description: Option<Option<String>>,
}

/// Tells a field set to `null` (`Some(None)`) from a field left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The event's agenda, in time order (anyone; a draft's only to organizers).
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/sessions",
    params(EventPath),
    security((), ("session" = [])),
    responses(
        (status = 200, description = "The sessions, in time order.", body = SessionList),
        (status = 404, description = "No such event, or a draft and not signed in."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    MaybeOrganizer(organizer): MaybeOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let (event, sessions) =
        crate::db::run(&state.pool, move |conn| agenda::list(conn, &slug)).await?;
    if organizer.is_none() && event.status() == EventStatus::Draft {
        return Err(AppError::not_found("event"));
    }
    let items = sessions.iter().map(SessionView::of).collect();
    Ok(HttpResponse::Ok().json(SessionList { items }))
}

/// Add a session to the agenda (organizers).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/sessions",
    params(EventPath),
    request_body = CreateSessionRequest,
    security(("session" = [])),
    responses(
        (status = 201, description = "Added.", body = SessionView),
        (status = 404, description = "No such event."),
        (status = 422, description = "A field is wrong, the session ends before it starts, or it falls outside the event's dates."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    ValidJson(body): ValidJson<CreateSessionRequest>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let fields = SessionFields {
        title: body.title,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        location: body.location,
        description: body.description,
    };
    let created = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            agenda::add(conn, &Actor::organizer(&organizer.id), &slug, fields)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(SessionView::of(&created)))
}

/// Change a session (organizers); the fields left out stay as they are.
#[utoipa::path(
    patch,
    path = "/api/v1/events/{slug}/sessions/{id}",
    params(EventItemPath),
    request_body = UpdateSessionRequest,
    security(("session" = [])),
    responses(
        (status = 200, description = "The session as changed.", body = SessionView),
        (status = 404, description = "No such event or session."),
        (status = 422, description = "A field is wrong, the session ends before it starts, or it falls outside the event's dates."),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    ValidJson(body): ValidJson<UpdateSessionRequest>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let change = SessionChange {
        title: body.title,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        location: body.location,
        description: body.description,
    };
    let updated = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            agenda::change(conn, &Actor::organizer(&organizer.id), &slug, &id, change)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(SessionView::of(&updated)))
}

/// Remove a session from the agenda (organizers).
#[utoipa::path(
    delete,
    path = "/api/v1/events/{slug}/sessions/{id}",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "No such event or session."),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            agenda::remove(conn, &Actor::organizer(&organizer.id), &slug, &id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
