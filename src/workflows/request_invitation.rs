//! Request an invitation: someone not invited asks; organizers are told.

use chrono::Utc;
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::models::invitation;
use crate::db::models::invitation_request::{self, Submitted};
use crate::db::DbConnection;
use crate::domain::event::EventStatus;
use crate::domain::invitation_request::InvitationRequestForm;
use crate::domain::refusal::Refusal;
use crate::email::{invitation_requests, outbox, reviewers};
use crate::error::AppError;

/// What became of a request; the requester is told the same in every case, so that the
/// form says nothing about who is invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// Stored; its receipt and the organizers' notices are queued.
    New,
    /// The same address asked again while its request waits: merged, nothing sent.
    Repeated,
    /// The address already has a live invitation: nothing stored.
    AlreadyInvited,
}

/// The event by its slug, if it takes requests: 404 for a draft, 409 once closed.
fn taking_requests(conn: &mut DbConnection, slug: &str) -> Result<Event, AppError> {
    let found = event::find_by_slug(conn, slug)?;
    match found.status() {
        EventStatus::Draft => Err(AppError::not_found("event")),
        EventStatus::Closed | EventStatus::Archived => Err(Refusal::RequestsClosed.into()),
        EventStatus::Open => Ok(found),
    }
}

pub fn request_invitation(
    conn: &mut DbConnection,
    base_url: &Url,
    slug: &str,
    form: &InvitationRequestForm,
) -> Result<Requested, AppError> {
    let event = taking_requests(conn, slug)?;
    if invitation::live_for_email(conn, &event.id, form.email.as_str(), Utc::now())? {
        return Ok(Requested::AlreadyInvited);
    }
    let (stored, how) = invitation_request::submit(conn, &event.id, form)?;
    let action = match how {
        Submitted::New => "invitation_request.received",
        Submitted::Merged => "invitation_request.repeated",
    };
    audit::record(conn, &Actor::public(), Entry::created(action, &stored))?;
    if how == Submitted::Merged {
        // One receipt per request: a repeat while it is pending sends nothing new.
        return Ok(Requested::Repeated);
    }
    outbox::queue(conn, invitation_requests::received(&event, &stored))?;
    reviewers::notify(
        conn,
        base_url,
        &event,
        "request for an invitation",
        &stored.full_name,
    )?;
    Ok(Requested::New)
}
