//! The registrant's private page, reached with the manage token from their confirmation
//! email: see the registration, change their own details, or cancel.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::audit::Actor;
use crate::db::models::community;
use crate::db::models::event::{self, Event};
use crate::db::models::registration::{self, Registration};
use crate::db::models::{nomination, scholarship};
use crate::db::{self, DbConnection};
use crate::domain::nomination::{may_nominate, NominationStatus};
use crate::domain::registration::{DetailsChange, DetailsFields, RegistrationStatus};
use crate::error::AppError;
use crate::http::extract::ValidJson;
use crate::http::openapi::TokenPath;
use crate::http::run::as_registrant;
use crate::http::views::PublicEventView;
use crate::http::views::{NominationView, RegistrationView, ScholarshipView};
use crate::http::AppState;
use crate::workflows::cancel;
use crate::workflows::links;
use crate::workflows::update_details::update_details;

/// A registration as its registrant sees it on their private page.
#[derive(Serialize, ToSchema)]
pub struct ManageView {
    registration: RegistrationView,
    /// 1 for the first on the waiting list; absent unless waitlisted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    waitlist_position: Option<i64>,
    event: PublicEventView,
    /// The latest nomination, if any (`nominations` has them all).
    nomination: Option<NominationView>,
    nominations: Vec<NominationView>,
    scholarship: Option<ScholarshipView>,
    /// Whether this registration may nominate a young leader now
    /// (`POST /manage/{token}/nomination`): an executive's, not cancelled, with
    /// nominations left under the event's `nominations_per_executive`.
    may_nominate: bool,
    /// What the QR code at `/api/v1/manage/{token}/checkin.png` holds, shown at the door;
    /// `null` unless the registration is confirmed.
    #[schema(example = "K7QM4XRD9TZB")]
    checkin_code: Option<String>,
}

fn view(conn: &mut DbConnection, reg: &Registration) -> Result<ManageView, AppError> {
    let event: Event = event::find(conn, &reg.event_id)?;
    let community = community::find(conn, &reg.community_id)?;
    let nominations = nomination::for_registration(conn, &reg.id)?;
    let counted = nominations
        .iter()
        .filter(|n| NominationStatus::COUNTED.contains(&n.status()))
        .count() as i64;
    let may_nominate = may_nominate(
        reg.kind,
        reg.status(),
        counted,
        event.nominations_per_executive,
    )
    .is_ok();
    let scholarship = scholarship::for_registration(conn, &reg.id)?;
    let waitlist_position = match reg.status() {
        RegistrationStatus::Waitlisted => Some(registration::waitlist_position(conn, reg)?),
        _ => None,
    };
    Ok(ManageView {
        registration: RegistrationView::of(reg, &community),
        waitlist_position,
        event: PublicEventView::of(&event),
        nomination: nominations.last().map(NominationView::of),
        nominations: nominations.iter().map(NominationView::of).collect(),
        scholarship: scholarship.as_ref().map(ScholarshipView::of),
        may_nominate,
        checkin_code: (reg.status() == RegistrationStatus::Confirmed)
            .then(|| reg.checkin_code.clone()),
    })
}

/// The registration behind a private link, with its event, nominations and scholarship.
#[utoipa::path(
    get,
    path = "/api/v1/manage/{token}",
    params(TokenPath),
    responses(
        (status = 200, description = "The registration.", body = ManageView),
        (status = 404, description = "No registration has this token."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let view = db::run(&state.pool, move |conn| {
        let reg = links::registration_by_manage_token(conn, &token)?;
        view(conn, &reg)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change the registrant's own details; the fields left out stay, `null` or `""` clears
/// an optional one.
#[utoipa::path(
    patch,
    path = "/api/v1/manage/{token}",
    params(TokenPath),
    request_body = DetailsFields,
    responses(
        (status = 200, description = "The registration as changed.", body = ManageView),
        (status = 404, description = "No registration has this token."),
        (status = 409, description = "The registration is cancelled."),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    token: web::Path<String>,
    ValidJson(fields): ValidJson<DetailsFields>,
) -> Result<HttpResponse, AppError> {
    let change = DetailsChange::parse(fields).map_err(AppError::Validation)?;
    let view = as_registrant(&state.pool, token.into_inner(), move |conn, before| {
        let after = update_details(conn, before, &change, &Actor::registrant())?;
        view(conn, &after)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Cancel the registration.
///
/// Withdraws its pending nomination and scholarship request, releases its
/// travel-scholarship award back to the budget, and emails the registrant; a confirmed
/// seat is given back and goes to the first on the waiting list, in the same transaction.
#[utoipa::path(
    post,
    path = "/api/v1/manage/{token}/cancel",
    params(TokenPath),
    responses(
        (status = 200, description = "Cancelled.", body = ManageView),
        (status = 404, description = "No registration has this token."),
        (status = 409, description = "Already cancelled."),
    )
)]
pub async fn cancel(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let base = state.settings.server.base_url.clone();
    let (view, cancelled_id) =
        as_registrant(&state.pool, token.into_inner(), move |conn, before| {
            let after = cancel::cancel(conn, &base, before)?;
            Ok((view(conn, &after)?, after.id))
        })
        .await?;
    state.outbox.notify();
    tracing::info!(registration_id = %cancelled_id, "registration cancelled");
    Ok(HttpResponse::Ok().json(view))
}
