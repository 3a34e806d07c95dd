//! Organizers acting for a person: register someone who phoned, correct their details,
//! cancel, confirm from the waiting list, re-send their manage link. Each is audited with
//! the organizer as the actor; a registration of another event is 404.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::audit::Actor;
use crate::db::models::community;
use crate::db::models::event;
use crate::db::models::registration::{self, Registration};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::nomination::decision_note;
use crate::domain::registration::{DetailsChange, DetailsFields, RegistrationFields};
use crate::domain::RegistrationId;
use crate::error::AppError;
use crate::http::extract::{CurrentOrganizer, OptionalJson, ValidJson};
use crate::http::openapi::{EventItemPath, EventPath};
use crate::http::views::RegistrationView;
use crate::http::AppState;
use crate::workflows::register_for::{self, register_for};
use crate::workflows::{cancel, confirm, send_manage_link, update_details};

fn view(conn: &mut DbConnection, reg: &Registration) -> Result<RegistrationView, AppError> {
    let community = community::find(conn, &reg.community_id)?;
    Ok(RegistrationView::of(reg, &community))
}

/// The event's registration `id`, read in the caller's transaction.
fn registration_of(
    conn: &mut DbConnection,
    slug: &str,
    id: &RegistrationId,
) -> Result<Registration, AppError> {
    let event = event::find_by_slug(conn, slug)?;
    registration::find_in_event(conn, &event.id, id)
}

/// Runs `act` on the event's registration named by `path` in one write transaction, as
/// `organizer`, and answers the registration as it is after: the shape of every act on
/// one registration.
async fn act_on(
    state: &AppState,
    organizer_id: String,
    path: (String, String),
    act: impl FnOnce(&mut DbConnection, &Registration, &Actor) -> Result<Registration, AppError>
        + Send
        + 'static,
) -> Result<RegistrationView, AppError> {
    let (slug, id) = (path.0, RegistrationId::from(path.1));
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let before = registration_of(conn, &slug, &id)?;
            let after = act(conn, &before, &Actor::organizer(&organizer_id))?;
            view(conn, &after)
        })
    })
    .await
}

/// Register a person for the event, as they would with their invitation.
///
/// For someone who phoned or wrote: the person's open invitation is accepted (or one is
/// made, already accepted), and the registration made, in one transaction. Capacity and
/// the waiting list apply, and the person gets the usual confirmation email with their
/// private link. The body is the invitee's registration form; `community` is required.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/registrations",
    params(EventPath),
    request_body = RegistrationFields,
    security(("session" = [])),
    responses(
        (status = 201, description = "Registered (`confirmed`, or `waitlisted` when the event is full).", body = RegistrationView),
        (status = 404, description = "No such event."),
        (status = 409, description = "The address already holds a registration that is not cancelled, or registration is closed."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    ValidJson(fields): ValidJson<RegistrationFields>,
) -> Result<HttpResponse, AppError> {
    let form = register_for::parse_form(fields)?;
    let slug = slug.into_inner();
    let base = state.settings.server.base_url.clone();
    let (view, id) = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let actor = Actor::organizer(&organizer.id);
            let reg = register_for(conn, &base, &event, form, &actor)?.registration;
            Ok((view(conn, &reg)?, reg.id))
        })
    })
    .await?;
    state.outbox.notify();
    tracing::info!(registration_id = %id, "registered by an organizer");
    Ok(HttpResponse::Created().json(view))
}

/// Correct a registration's attendee details; fields left out stay, `null` or `""`
/// clears an optional one.
#[utoipa::path(
    patch,
    path = "/api/v1/events/{slug}/registrations/{id}",
    params(EventItemPath),
    request_body = DetailsFields,
    security(("session" = [])),
    responses(
        (status = 200, description = "The registration as changed.", body = RegistrationView),
        (status = 404, description = "No such event, or no such registration of it."),
        (status = 409, description = "The registration is cancelled."),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    ValidJson(fields): ValidJson<DetailsFields>,
) -> Result<HttpResponse, AppError> {
    let change = DetailsChange::parse(fields).map_err(AppError::Validation)?;
    let view = act_on(
        &state,
        organizer.id,
        path.into_inner(),
        move |conn, before, actor| update_details::update_details(conn, before, &change, actor),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A cancellation's body, which may be left out: `{note?}`, kept in the audit log.
#[derive(Deserialize, Serialize, Default, ToSchema)]
#[serde(default)]
pub struct CancelRequest {
    /// Why, for the other organizers (the audit log); not sent to the person.
    #[schema(
        example = "Phoned: a council meeting was moved to that week.",
        format = "paragraph",
        max_length = 2000
    )]
    note: Option<String>,
}

/// Cancel a registration for the person.
///
/// As when the registrant cancels: their pending nomination and scholarship request are
/// withdrawn, an award goes back to the budget, they are emailed, and a confirmed seat
/// goes to the first on the waiting list.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/registrations/{id}/cancel",
    params(EventItemPath),
    request_body(content = Option<CancelRequest>, description = "Optional; may be empty."),
    security(("session" = [])),
    responses(
        (status = 200, description = "Cancelled.", body = RegistrationView),
        (status = 404, description = "No such event, or no such registration of it."),
        (status = 409, description = "Already cancelled."),
    )
)]
pub async fn cancel(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
    OptionalJson(body): OptionalJson<CancelRequest>,
) -> Result<HttpResponse, AppError> {
    let note = decision_note(body.note.as_deref()).map_err(|m| AppError::invalid("note", m))?;
    let base = state.settings.server.base_url.clone();
    let view = act_on(
        &state,
        organizer.id,
        path.into_inner(),
        move |conn, before, actor| {
            cancel::cancel_with_note(conn, &base, before, actor, note.as_deref())
        },
    )
    .await?;
    state.outbox.notify();
    tracing::info!(registration_id = %view.id, "registration cancelled by an organizer");
    Ok(HttpResponse::Ok().json(view))
}

/// Confirm a waitlisted registration now, out of the waiting list's order, when a seat is
/// free; the person is emailed as when promoted.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/registrations/{id}/confirm",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Confirmed.", body = RegistrationView),
        (status = 404, description = "No such event, or no such registration of it."),
        (status = 409, description = "The registration is not waitlisted, or no seat is free."),
    )
)]
pub async fn confirm(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let base = state.settings.server.base_url.clone();
    let view = act_on(
        &state,
        organizer.id,
        path.into_inner(),
        move |conn, before, actor| confirm::confirm(conn, &base, before, actor),
    )
    .await?;
    state.outbox.notify();
    tracing::info!(registration_id = %view.id, "confirmed from the waiting list by an organizer");
    Ok(HttpResponse::Ok().json(view))
}

/// The answer of a re-sent link.
#[derive(Serialize, ToSchema)]
pub struct ManageLinkSent {
    /// The address the link goes to.
    #[schema(example = "ada@example.org")]
    sent_to: String,
}

/// Email the person a fresh link to their registration (they lost theirs); the links they
/// were sent before keep working.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/registrations/{id}/manage-link",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 202, description = "The email is queued.", body = ManageLinkSent),
        (status = 404, description = "No such event, or no such registration of it."),
    )
)]
pub async fn manage_link(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let id = RegistrationId::from(id);
    let base = state.settings.server.base_url.clone();
    let sent_to = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let reg = registration_of(conn, &slug, &id)?;
            let actor = Actor::organizer(&organizer.id);
            send_manage_link::send_manage_link(conn, &base, &reg, &actor)?;
            Ok(reg.email)
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Accepted().json(ManageLinkSent { sent_to }))
}
