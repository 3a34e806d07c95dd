//! Nominate a young leader after registering, and withdraw a pending nomination, from the
//! executive's private link (nominating on the registration form is part of `register`).
//!
//! A young leader's registration may not nominate: that is `Forbidden` (who is asking,
//! not the state of anything, is what is wrong), while a cancelled registration or a full
//! quota is a conflict.

use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::models::nomination::{self, Decision, Nomination};
use crate::db::models::registration::{self, Registration};
use crate::db::{self, DbConnection};
use crate::domain::nomination::{may_nominate, NominationForm, NominationStatus};
use crate::domain::refusal::Refusal;
use crate::domain::NominationId;
use crate::email::{messages, nominations as emails, outbox, reviewers};
use crate::error::AppError;

/// The registration's event if it may nominate now.
pub fn check_may_nominate(conn: &mut DbConnection, reg: &Registration) -> Result<Event, AppError> {
    let event = event::find(conn, &reg.event_id)?;
    let counted = nomination::counted_for(conn, &reg.id)?;
    may_nominate(
        reg.kind,
        reg.status(),
        counted,
        event.nominations_per_executive,
    )
    .map_err(Refusal::MayNotNominate)?;
    Ok(event)
}

/// Stores the nomination of the registration `reg` (read and judged before the form was
/// parsed), judging it again under the nominator's lock; queues the receipt with the
/// manage link `manage_token` and tells the reviewers.
pub fn nominate(
    conn: &mut DbConnection,
    base_url: &Url,
    reg: &Registration,
    manage_token: &str,
    form: &NominationForm,
) -> Result<Nomination, AppError> {
    nomination::lock_nominator(conn, &reg.id)?;
    // Again under the lock: a cancellation or another nomination may have come.
    let reg = registration::find(conn, &reg.id)?;
    let event = check_may_nominate(conn, &reg)?;
    let created = nomination::create(conn, &event.id, &reg.id, &reg.community_id, form, db::now())?;
    audit::record(
        conn,
        &Actor::registrant(),
        Entry::created("nomination.created", &created),
    )?;
    let link = messages::manage_link(base_url, manage_token);
    outbox::queue(conn, emails::received(&event, &reg, &created, &link))?;
    reviewers::notify(
        conn,
        base_url,
        &event,
        "young-leader nomination",
        &reg.full_name,
    )?;
    Ok(created)
}

/// Withdraws the registration's nomination `id` while it is pending.
pub fn withdraw(
    conn: &mut DbConnection,
    reg: &Registration,
    id: &NominationId,
) -> Result<Nomination, AppError> {
    let before = nomination::find_of_registration(conn, &reg.id, id)?;
    let to = before.status().transition(NominationStatus::Withdrawn)?;
    let after = nomination::set_status(
        conn,
        &before.id,
        NominationStatus::Pending,
        to,
        Decision::default(),
        db::now(),
    )?;
    audit::record(
        conn,
        &Actor::registrant(),
        Entry::changed("nomination.withdrawn", &before, &after),
    )?;
    Ok(after)
}
