//! Request a travel scholarship after registering (one per registration), and withdraw it
//! while it waits for review, from the registrant's private link (asking on the
//! registration form is part of `register`).

use chrono::Utc;
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::models::registration::Registration;
use crate::db::models::scholarship::{self, ScholarshipRequest};
use crate::db::{self, DbConnection};
use crate::domain::refusal::{Act, Refusal};
use crate::domain::registration::RegistrationStatus;
use crate::domain::scholarship::{ScholarshipFields, ScholarshipForm, ScholarshipStatus};
use crate::email::{messages, outbox, reviewers, scholarships as emails};
use crate::error::AppError;

/// Stores the request of `reg`, judged before the form so that a cancelled registration
/// is not met with a list of fields to correct; the receipt carries the manage link.
pub fn request(
    conn: &mut DbConnection,
    base_url: &Url,
    reg: &Registration,
    manage_token: &str,
    fields: &ScholarshipFields,
) -> Result<ScholarshipRequest, AppError> {
    if reg.status() == RegistrationStatus::Cancelled {
        return Err(Refusal::RegistrationCancelled(Act::RequestScholarship).into());
    }
    if scholarship::for_registration(conn, &reg.id)?.is_some() {
        return Err(Refusal::AlreadyRequestedScholarship.into());
    }
    let event = event::find(conn, &reg.event_id)?;
    if event.starts_at() <= Utc::now() {
        return Err(Refusal::TooLateToRequestScholarship.into());
    }
    let form = ScholarshipForm::parse(fields).map_err(AppError::Validation)?;
    let stored = scholarship::create(conn, &event.id, &reg.id, &form, db::now())?;
    audit::record(
        conn,
        &Actor::registrant(),
        Entry::created("scholarship.requested", &stored),
    )?;
    let link = messages::manage_link(base_url, manage_token);
    outbox::queue(
        conn,
        emails::request_received(&event, reg, &stored, Some(&link)),
    )?;
    reviewers::notify(
        conn,
        base_url,
        &event,
        "travel scholarship request",
        &reg.full_name,
    )?;
    Ok(stored)
}

/// The registration's request; not found when it has none.
pub fn request_of(
    conn: &mut DbConnection,
    reg: &Registration,
) -> Result<ScholarshipRequest, AppError> {
    scholarship::for_registration(conn, &reg.id)?
        .ok_or_else(|| AppError::not_found("scholarship request"))
}

/// Withdraws the request of `reg` while it waits for review.
pub fn withdraw(
    conn: &mut DbConnection,
    reg: &Registration,
) -> Result<ScholarshipRequest, AppError> {
    let before = request_of(conn, reg)?;
    before.status().transition(ScholarshipStatus::Withdrawn)?;
    let after = scholarship::withdraw(conn, &before.id, db::now())?;
    audit::record(
        conn,
        &Actor::registrant(),
        Entry::changed("scholarship.withdrawn", &before, &after),
    )?;
    Ok(after)
}
