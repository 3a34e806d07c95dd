//! Correct a registration's attendee details (name, title, phone, needs...).

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::registration::{self, Registration};
use crate::db::{self, DbConnection};
use crate::domain::refusal::{Act, Refusal};
use crate::domain::registration::{DetailsChange, RegistrationStatus};
use crate::error::AppError;

/// Applies `change` to `before` (as read in this transaction); a conflict once cancelled.
pub fn update_details(
    conn: &mut DbConnection,
    before: &Registration,
    change: &DetailsChange,
    actor: &Actor,
) -> Result<Registration, AppError> {
    if before.status() == RegistrationStatus::Cancelled {
        return Err(Refusal::RegistrationCancelled(Act::ChangeDetails).into());
    }
    let after = registration::update_details(conn, &before.id, change, db::now())?;
    audit::record(
        conn,
        actor,
        Entry::changed("registration.updated", before, &after),
    )?;
    Ok(after)
}
