//! Check-in at the door, for organizers (reviewers included): check someone in by the code
//! on their QR code or by their registration, undo it, and the arrivals so far; and the
//! QR code itself, for the registrant's page.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, SecondsFormat};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::check_in::CheckInBy;
use crate::db::models::community::Community;
use crate::db::models::event::{self, Event};
use crate::db::models::registration::Registration;
use crate::db::{self};
use crate::domain::check_in::{qr_png, CheckInTarget};
use crate::domain::registration::RegistrationStatus;
use crate::domain::RegistrationId;
use crate::error::AppError;
use crate::http::extract::{CurrentOrganizer, ValidJson};
use crate::http::openapi::{EventPath, TokenPath};
use crate::http::AppState;
use crate::workflows::check_in::{self as workflow, CheckInError};

/// Whom to check in: exactly one of the two.
#[derive(Deserialize, ToSchema, Default)]
pub struct CheckInRequest {
    /// The code from the registrant's QR code, or typed from the text under it (case,
    /// spaces and dashes do not matter).
    #[schema(example = "K7QM4XRD9TZB")]
    code: Option<String>,
    /// The registration's id, for someone found by name.
    registration_id: Option<String>,
}

/// The community of someone at the door.
#[derive(Serialize, ToSchema)]
pub struct CheckInCommunity {
    id: String,
    #[schema(example = "Springfield")]
    name: String,
    #[schema(example = "IL")]
    state: String,
    #[schema(example = "US")]
    country: String,
}

/// Who is at the door: enough to greet them and hand over the right badge.
#[derive(Serialize, ToSchema)]
pub struct CheckInPerson {
    id: String,
    #[schema(example = "Ada Lovelace")]
    full_name: String,
    #[schema(example = "City Manager")]
    title: String,
    community: CheckInCommunity,
    /// `executive` or `young_leader`.
    #[schema(example = "executive")]
    kind: String,
}

impl CheckInPerson {
    fn of(r: &Registration, c: &Community) -> Self {
        Self {
            id: r.id.to_string(),
            full_name: r.full_name.clone(),
            title: r.title.clone(),
            community: CheckInCommunity {
                id: c.id.to_string(),
                name: c.name.clone(),
                state: c.state.clone(),
                country: c.country.clone(),
            },
            kind: r.kind.as_str().to_owned(),
        }
    }
}

/// The organizer who checked someone in.
#[derive(Serialize, ToSchema)]
pub struct CheckInOrganizer {
    id: String,
    /// Absent if the account is gone.
    #[schema(example = "Jane Organizer")]
    name: Option<String>,
}

/// A check-in.
#[derive(Serialize, ToSchema)]
pub struct CheckInView {
    registration: CheckInPerson,
    #[schema(format = DateTime)]
    checked_in_at: String,
    checked_in_by: Option<CheckInOrganizer>,
}

impl CheckInView {
    fn of(c: &CheckInBy, r: &Registration, community: &Community) -> Self {
        Self {
            registration: CheckInPerson::of(r, community),
            checked_in_at: rfc3339(c.check_in.checked_in_at),
            checked_in_by: c.check_in.checked_in_by.clone().map(|id| CheckInOrganizer {
                id,
                name: c.by_name.clone(),
            }),
        }
    }
}

/// Arrivals against the people expected.
#[derive(Serialize, ToSchema)]
pub struct CheckInList {
    /// Confirmed registrations.
    #[schema(example = 40)]
    expected: i64,
    /// Check-ins of registrations still confirmed (one who arrived and cancelled later
    /// is listed but not counted).
    #[schema(example = 12)]
    arrived: i64,
    /// Latest first.
    check_ins: Vec<CheckInView>,
}

fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `09:12 on 2027-03-05 (America/New_York)`: a moment as the people at the door read it.
fn local_time(event: &Event, t: NaiveDateTime) -> String {
    let tz: chrono_tz::Tz = event.timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = t.and_utc().with_timezone(&tz);
    format!("{} ({})", local.format("%H:%M on %Y-%m-%d"), event.timezone)
}

/// The refusal in words for the desk.
fn refusal(event: &Event, e: CheckInError) -> AppError {
    match e {
        CheckInError::UnknownCode => AppError::not_found("registration with this check-in code"),
        CheckInError::UnknownRegistration => AppError::not_found("registration"),
        CheckInError::AlreadyCheckedIn {
            registration,
            previous,
        } => {
            let by = match (&previous.by_name, &previous.check_in.checked_in_by) {
                (Some(name), _) => format!(" by {name}"),
                (None, Some(_)) => " by an organizer whose account is gone".to_owned(),
                (None, None) => String::new(),
            };
            AppError::conflict(format!(
                "{} was already checked in at {}{by}.",
                registration.full_name,
                local_time(event, previous.check_in.checked_in_at)
            ))
        }
        CheckInError::NotConfirmed {
            registration,
            status,
        } => AppError::conflict(match status {
            RegistrationStatus::Waitlisted => format!(
                "{}'s registration is waitlisted: they have no seat.",
                registration.full_name
            ),
            _ => format!(
                "{}'s registration is {}.",
                registration.full_name,
                status.as_str()
            ),
        }),
        CheckInError::Other(e) => e,
    }
}

/// Check someone in at the door, by the code on their QR code or by their registration.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/check-ins",
    params(EventPath),
    request_body = CheckInRequest,
    security(("session" = [])),
    responses(
        (status = 201, description = "Checked in.", body = CheckInView),
        (status = 404, description = "No such event, or no registration of it has this code or id."),
        (status = 409, description = "Checked in already (the answer says when and by whom), or the registration is waitlisted or cancelled (the answer names its status)."),
        (status = 422, description = "Neither `code` nor `registration_id`, or both: `errors` names the field."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    ValidJson(body): ValidJson<CheckInRequest>,
) -> Result<HttpResponse, AppError> {
    let target = CheckInTarget::parse(body.code.as_deref(), body.registration_id.as_deref())?;
    let slug = slug.into_inner();
    // Desks scan at once: on SQLite through the group committer, which took p99 from 81
    // to 11 ms at 8 desks on SQLite FULL (`AppState::concurrent_write`, BENCHMARKS.md).
    let view = state
        .concurrent_write(move |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let done = workflow::check_in(conn, &event, &target, &organizer.id)
                .map_err(|e| refusal(&event, e))?;
            let by = CheckInBy {
                check_in: done.check_in,
                by_name: Some(organizer.name.clone()),
            };
            Ok(CheckInView::of(&by, &done.registration, &done.community))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Arrivals so far, against the confirmed registrations.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/check-ins",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "The check-ins, latest first.", body = CheckInList),
        (status = 404, description = "No such event."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let arrivals = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        workflow::arrivals(conn, &event)
    })
    .await?;
    let check_ins: Vec<CheckInView> = arrivals
        .check_ins
        .iter()
        .map(|(c, r, community)| CheckInView::of(c, r, community))
        .collect();
    Ok(HttpResponse::Ok().json(CheckInList {
        expected: arrivals.expected,
        arrived: arrivals.arrived,
        check_ins,
    }))
}

/// `{slug}/check-ins/{registration_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct CheckInPath {
    /// The event's slug.
    #[param(example = "summit-2027")]
    slug: String,
    /// The registration checked in.
    #[param(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    registration_id: String,
}

/// Undo a check-in (the wrong person was checked in).
#[utoipa::path(
    delete,
    path = "/api/v1/events/{slug}/check-ins/{registration_id}",
    params(CheckInPath),
    security(("session" = [])),
    responses(
        (status = 204, description = "Undone: the registrant is no longer checked in."),
        (status = 404, description = "No such event, or this registration of it is not checked in."),
    )
)]
pub async fn undo(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, registration_id) = path.into_inner();
    let registration_id = RegistrationId::from(registration_id);
    db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        workflow::undo(conn, &event, &registration_id, &organizer.id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The registrant's check-in code as a QR code, to show at the door.
#[utoipa::path(
    get,
    path = "/api/v1/manage/{token}/checkin.png",
    params(TokenPath),
    responses(
        (status = 200, description = "The QR code of `checkin_code` (PNG).", content_type = "image/png", body = String),
        (status = 404, description = "No registration has this token, or it is not confirmed (only a confirmed registration is expected at the door)."),
    )
)]
pub async fn qr_code(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let png = db::run(&state.pool, move |conn| {
        let code = workflow::code_for_manage_token(conn, &token)?;
        qr_png(&code)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/png"))
        // The address carries the manage token: no shared cache keeps it.
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(png))
}
