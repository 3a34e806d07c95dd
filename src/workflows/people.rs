//! One person's data, on their request (admins act for them): everything held about an
//! address, and its erasure everywhere at once.
//!
//! An erasure anonymizes as the retention sweep does (`db::models::privacy`), so every
//! count and figure stays. Before that, what is still to come is undone as an organizer
//! would undo it: a registration for an event that has not ended is cancelled (its seat
//! goes to the waiting list, its pending nomination and request are withdrawn) and an
//! open invitation is revoked; no email goes to the address after (mail still queued
//! for it is not sent).

use chrono::Utc;
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::models::privacy::{self, HeldRows, Scope};
use crate::db::{write_transaction, DbConnection};
use crate::domain::invitation::InvitationStatus;
use crate::domain::registration::RegistrationStatus;
use crate::domain::EmailAddress;
use crate::error::AppError;
use crate::workflows::cancel::cancel_with_note;
use crate::workflows::revoke::revoke;
use crate::workflows::survey_waves::event_ended_at;

/// Everything held about `email`; the export itself is audited.
pub fn export(
    conn: &mut DbConnection,
    email: &EmailAddress,
    actor: &Actor,
) -> Result<HeldRows, AppError> {
    write_transaction(conn, |conn| {
        let held = privacy::held(conn, Scope::Address(email.as_str()))?;
        let rows = privacy::rows(conn, &held)?;
        audit::record(
            conn,
            actor,
            Entry::new("person.exported", "person", email.as_str(), None),
        )?;
        Ok(rows)
    })
}

/// What an erasure did.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Erased {
    /// Registrations for events still to come, cancelled first.
    pub cancelled_registrations: usize,
    /// Open invitations, revoked first.
    pub revoked_invitations: usize,
    pub invitations: usize,
    pub registrations: usize,
    pub nominations: usize,
    pub invitation_requests: usize,
    pub scholarship_requests: usize,
    pub emails: usize,
    pub survey_responses: usize,
}

/// Erases `email` everywhere now, in one transaction.
pub fn erase(
    conn: &mut DbConnection,
    base_url: &Url,
    email: &EmailAddress,
    actor: &Actor,
) -> Result<Erased, AppError> {
    write_transaction(conn, |conn| {
        let mut done = Erased::default();
        let now = Utc::now();
        let held_before = privacy::held(conn, Scope::Address(email.as_str()))?;
        let before = privacy::rows(conn, &held_before)?;
        let note = "cancelled when the person's data was erased at their request";
        for reg in &before.registrations {
            let e = event::find(conn, &reg.event_id)?;
            if reg.status() != RegistrationStatus::Cancelled && event_ended_at(&e) > now {
                cancel_with_note(conn, base_url, reg, actor, Some(note))?;
                done.cancelled_registrations += 1;
            }
        }
        for inv in &before.invitations {
            if inv
                .status_at(now)
                .transition(InvitationStatus::Revoked)
                .is_ok()
            {
                revoke(conn, &inv.event_id, &inv.id, actor)?;
                done.revoked_invitations += 1;
            }
        }
        // Again: cancelling queued mail to the address, and that goes too.
        let held = privacy::held(conn, Scope::Address(email.as_str()))?;
        privacy::anonymize(conn, &held)?;
        privacy::forget_address_in_audit(conn, email.as_str())?;
        done.invitations = held.invitations.len();
        done.registrations = held.registrations.len();
        done.nominations = held.nominations.len();
        done.invitation_requests = held.invitation_requests.len();
        done.scholarship_requests = held.scholarships.len();
        done.emails = held.emails.len();
        done.survey_responses = held.survey_responses.len();
        audit::record(
            conn,
            actor,
            Entry::new("person.erased", "person", "(erased)", None).after(audit::state(&done)),
        )?;
        Ok(done)
    })
}
