//! The registrant's private page, reached with the manage token from their confirmation
//! email: see the registration, change their own details, or cancel. Also the waiting
//! list's promotion, shared with the event update (a raised capacity).

use actix_web::{web, HttpResponse};
use serde::Serialize;
use url::Url;
use utoipa::ToSchema;

use crate::db::models::audit::{self, Actor, Change};
use crate::db::models::community;
use crate::db::models::event::{self, Event};
use crate::db::models::registration::{self, Registration};
use crate::db::models::{nomination, scholarship};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::registration::{DetailsChange, DetailsFields, RegistrationStatus};
use crate::domain::SecretToken;
use crate::email::{messages, outbox};
use crate::error::AppError;
use crate::http::extract::ValidJson;
use crate::http::openapi::TokenPath;
use crate::http::routes::events::PublicEventView;
use crate::http::routes::registrations::{NominationView, RegistrationView, ScholarshipView};
use crate::startup::AppState;

/// The registrant's actions are recorded in the audit log under this actor.
pub fn registrant() -> Actor {
    Actor {
        id: None,
        kind: "registrant",
    }
}

/// Confirms waitlisted registrations, first come first served, while seats are free, in
/// the caller's transaction; queues each one's "a seat opened up" email with its calendar
/// file and audits it. Returns how many were promoted (the caller notifies the outbox).
pub fn promote_waitlisted(
    conn: &mut DbConnection,
    event_id: &str,
    base: &Url,
) -> Result<usize, AppError> {
    let event = event::find(conn, event_id)?;
    let mut promoted = 0;
    while let Some(next) = registration::next_waitlisted(conn, event_id)? {
        if !registration::claim_seat(conn, event_id)? {
            break;
        }
        let at = db::now();
        let confirmed = match registration::set_status(
            conn,
            &next.id,
            RegistrationStatus::Waitlisted,
            RegistrationStatus::Confirmed,
            at,
        ) {
            Ok(r) => r,
            // Its registrant cancelled at this very moment: give the seat to the next.
            Err(AppError::Conflict(_)) => {
                registration::release_seat(conn, event_id)?;
                continue;
            }
            Err(e) => return Err(e),
        };
        outbox::queue(
            conn,
            messages::registration_promoted(&event, &confirmed, base),
        )?;
        audit::record(
            conn,
            &Actor::system(),
            Change {
                action: "registration.promoted",
                entity_type: "registration",
                entity_id: &confirmed.id,
                event_id: Some(event_id),
                before: serde_json::to_value(&next).ok(),
                after: serde_json::to_value(&confirmed).ok(),
            },
        )?;
        tracing::info!(registration_id = %confirmed.id, event_id, "promoted from the waiting list");
        promoted += 1;
    }
    Ok(promoted)
}

/// The registration whose manage token this is; 404 for anything else.
pub fn find_by_token(conn: &mut DbConnection, raw: &str) -> Result<Registration, AppError> {
    let hash = SecretToken::parse(raw)
        .map(|t| t.hash())
        .ok_or(AppError::UnknownToken("registration"))?;
    registration::find_by_manage_hash(conn, &hash)?.ok_or(AppError::UnknownToken("registration"))
}

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
    /// What the QR code at `/api/v1/manage/{token}/checkin.png` holds, shown at the door;
    /// `null` unless the registration is confirmed.
    #[schema(example = "K7QM4XRD9TZB")]
    checkin_code: Option<String>,
}

fn view(conn: &mut DbConnection, reg: &Registration) -> Result<ManageView, AppError> {
    let event: Event = event::find(conn, &reg.event_id)?;
    let community = community::find(conn, &reg.community_id)?;
    let nominations = nomination::for_registration(conn, &reg.id)?;
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
        let reg = find_by_token(conn, &token)?;
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
    let token = token.into_inner();
    let view = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let before = find_by_token(conn, &token)?;
            if before.status() == RegistrationStatus::Cancelled {
                return Err(AppError::conflict(
                    "This registration is cancelled; it can no longer be changed.",
                ));
            }
            let after = registration::update_details(conn, &before.id, &change, db::now())?;
            audit::record(
                conn,
                &registrant(),
                Change {
                    action: "registration.updated",
                    entity_type: "registration",
                    entity_id: &after.id,
                    event_id: Some(&after.event_id),
                    before: serde_json::to_value(&before).ok(),
                    after: serde_json::to_value(&after).ok(),
                },
            )?;
            view(conn, &after)
        })
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
    let token = token.into_inner();
    let base = state.settings.base_url.clone();
    let (view, cancelled_id) = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let before = find_by_token(conn, &token)?;
            // The event row first, as every change to the seats or the scholarship budget
            // takes it: one order of locks, so no deadlock on PostgreSQL.
            registration::lock_event(conn, &before.event_id)?;
            let from = before.status();
            from.transition(RegistrationStatus::Cancelled)
                .map_err(AppError::Conflict)?;
            let at = db::now();
            let after = registration::set_status(
                conn,
                &before.id,
                from,
                RegistrationStatus::Cancelled,
                at,
            )?;
            let actor = registrant();
            let event_id = after.event_id.clone();
            audit::record(
                conn,
                &actor,
                Change {
                    action: "registration.cancelled",
                    entity_type: "registration",
                    entity_id: &after.id,
                    event_id: Some(&event_id),
                    before: serde_json::to_value(&before).ok(),
                    after: serde_json::to_value(&after).ok(),
                },
            )?;
            let mut withdrawn = false;
            for n in nomination::withdraw_pending(conn, &after.id, at)? {
                withdrawn = true;
                let now = nomination::find(conn, &n.id)?;
                audit::record(
                    conn,
                    &actor,
                    Change {
                        action: "nomination.withdrawn",
                        entity_type: "nomination",
                        entity_id: &n.id,
                        event_id: Some(&event_id),
                        before: serde_json::to_value(&n).ok(),
                        after: serde_json::to_value(&now).ok(),
                    },
                )?;
            }
            if let Some(s) = scholarship::withdraw_pending(conn, &after.id, at)? {
                withdrawn = true;
                audit::record(
                    conn,
                    &actor,
                    Change {
                        action: "scholarship.withdrawn",
                        entity_type: "scholarship_request",
                        entity_id: &s.id,
                        event_id: Some(&event_id),
                        before: None,
                        after: serde_json::to_value(&s).ok(),
                    },
                )?;
            }
            if let Some(s) = scholarship::release_award(conn, &after.id, at)? {
                scholarship::release_budget(conn, &event_id, s.standing_award_cents())?;
                let released = scholarship::find(conn, &s.id)?;
                audit::record(
                    conn,
                    &actor,
                    Change {
                        action: "scholarship.award_released",
                        entity_type: "scholarship_request",
                        entity_id: &s.id,
                        event_id: Some(&event_id),
                        before: serde_json::to_value(&s).ok(),
                        after: serde_json::to_value(&released).ok(),
                    },
                )?;
            }
            let event = event::find(conn, &event_id)?;
            outbox::queue(
                conn,
                messages::registration_cancelled(&event, &after, &base, withdrawn),
            )?;
            if from == RegistrationStatus::Confirmed {
                registration::release_seat(conn, &event_id)?;
                promote_waitlisted(conn, &event_id, &base)?;
            }
            Ok((view(conn, &after)?, after.id))
        })
    })
    .await?;
    state.outbox.notify();
    tracing::info!(registration_id = %cancelled_id, "registration cancelled");
    Ok(HttpResponse::Ok().json(view))
}
