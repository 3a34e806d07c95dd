//! Expire: invitations past their expiry are marked `expired`, so that the index of one
//! live invitation per address admits a new one.

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::Event;
use crate::db::models::invitation::{self, StatusChange};
use crate::db::{self, DbConnection};
use crate::domain::invitation::InvitationStatus;
use crate::error::AppError;

/// Marks the event's open invitations that are past their expiry (of one address, or of
/// all) as `expired`, auditing each as done by the system.
pub fn stale_invitations(
    conn: &mut DbConnection,
    event: &Event,
    email: Option<&str>,
) -> Result<usize, AppError> {
    let at = db::now();
    let stale = invitation::stale(conn, &event.id, email, at)?;
    each(conn, &stale, at)?;
    Ok(stale.len())
}

/// Marks each of `stale` (open invitations past their expiry) as `expired` at `at`,
/// auditing each as done by the system.
pub fn each(
    conn: &mut DbConnection,
    stale: &[invitation::Invitation],
    at: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    for inv in stale {
        let expired = invitation::set_status(
            conn,
            &inv.id,
            inv.stored_status(),
            InvitationStatus::Expired,
            StatusChange::default(),
            at,
        )?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::changed("invitation.expired", inv, &expired),
        )?;
    }
    Ok(())
}

/// Of `emails`, the addresses that hold a live invitation to the event (see
/// [`invitation::live_among`]), once the invitations of theirs that ran out are marked
/// `expired` as [`stale_invitations`] does, so that the index of one live invitation per
/// address admits a new one. One query for all the addresses, and one more when some
/// were accepted, rather than two or three for each.
pub fn then_live(
    conn: &mut DbConnection,
    event: &Event,
    emails: &[&str],
) -> Result<std::collections::HashSet<String>, AppError> {
    let at = db::now();
    let found = invitation::of_emails(conn, &event.id, emails)?;
    let stale: Vec<invitation::Invitation> = found
        .iter()
        .filter(|i| {
            matches!(
                i.stored_status(),
                InvitationStatus::Pending | InvitationStatus::Sent
            ) && i.expires_at <= at
        })
        .cloned()
        .collect();
    each(conn, &stale, at)?;
    let live = invitation::live_among(conn, &found, at.and_utc())?;
    Ok(live.into_iter().map(str::to_owned).collect())
}
