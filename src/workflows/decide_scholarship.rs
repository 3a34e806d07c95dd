//! Decide a travel-scholarship request: approve part or all of the amount asked within
//! the budget, decline, or waitlist; the registrant is emailed the decision.
//!
//! The sum awarded never exceeds the event's budget: an approval claims its amount with
//! one conditional UPDATE of the event's running sum, in the transaction of the decision
//! (see [`scholarship::claim_budget`]); a declined, lapsed or released award gives it
//! back. Every path that changes the sum takes the event row first, so that on
//! PostgreSQL the locks are always taken in the same order.

use chrono::Utc;
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::models::registration::{self, Registration};
use crate::db::models::scholarship::{self, DecisionChange, ScholarshipRequest};
use crate::db::{self, truncate_micros, DbConnection};
use crate::domain::refusal::Act;
use crate::domain::registration::RegistrationStatus;
use crate::domain::scholarship::{
    AwardStatus, Decision, DecisionContext, DecisionFields, DecisionForm,
};
use crate::domain::{Cents, Refusal, ScholarshipRequestId};
use crate::email::{outbox, scholarships as emails};
use crate::error::AppError;
use crate::webhooks;
use crate::workflows::links;

/// A decided request, with its registration and the event's budget after the decision.
pub struct Decided {
    pub request: ScholarshipRequest,
    pub registration: Registration,
    pub event: Event,
    /// Whether the registrant was emailed (waitlisting a waitlisted request again is not
    /// news to them).
    pub emailed: bool,
}

/// Decides the event's request `id` as `fields` say; the form is judged against the
/// request and the event as they stand under the event's lock.
pub fn decide(
    conn: &mut DbConnection,
    base_url: &Url,
    event_slug: &str,
    id: &ScholarshipRequestId,
    fields: &DecisionFields,
    organizer_id: &str,
) -> Result<Decided, AppError> {
    let event = event::find_by_slug(conn, event_slug)?;
    registration::lock_event(conn, &event.id)?;
    let before = scholarship::find_in_event(conn, &event.id, id)?;
    let reg = registration::find(conn, &before.registration_id)?;
    let now = Utc::now();
    let cx = DecisionContext {
        requested: Cents::new(before.requested_amount_cents)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored amount: {e}")))?,
        now,
        event_starts_at: event.starts_at(),
        timezone: event.timezone.parse().unwrap_or(chrono_tz::UTC),
    };
    let form = DecisionForm::parse(fields, &cx).map_err(AppError::Validation)?;
    let from = before.status();
    let to = from.transition(form.decision.status())?;
    if reg.status() == RegistrationStatus::Cancelled {
        return Err(Refusal::RegistrationCancelled(Act::DecideScholarship).into());
    }
    let (awarded, reply_by) = match form.decision {
        Decision::Approved { amount, reply_by } => {
            if event.starts_at() <= now {
                return Err(Refusal::TooLateToAward.into());
            }
            if !scholarship::claim_budget(conn, &event.id, amount.value())? {
                // Read again: the sum as it stands after the refused claim.
                return Err(over_budget(&event::find(conn, &event.id)?, amount));
            }
            (
                Some(amount.value()),
                Some(truncate_micros(reply_by.naive_utc())),
            )
        }
        Decision::Declined | Decision::Waitlisted => (None, None),
    };
    let after = scholarship::decide(
        conn,
        &before.id,
        from,
        DecisionChange {
            to,
            awarded_amount_cents: awarded,
            award_status: awarded.map(|_| AwardStatus::Offered),
            reply_by,
            note: form.note.as_deref(),
            decided_by: organizer_id,
            at: db::now(),
        },
    )?;
    audit::record(
        conn,
        &Actor::organizer(organizer_id),
        Entry::changed(&format!("scholarship.{}", to.as_str()), &before, &after),
    )?;
    webhooks::on_scholarship(conn, &after)?;
    let mut emailed = false;
    if from != to {
        let link = links::new_manage_link(conn, base_url, &reg)?;
        if let Some(email) = emails::decision(&event, &reg, &after, &link) {
            outbox::queue(conn, email)?;
            emailed = true;
        }
    }
    Ok(Decided {
        request: after,
        registration: reg,
        event: event::find(conn, &event.id)?,
        emailed,
    })
}

/// The refusal of an award larger than what is left of the budget, with what is left.
fn over_budget(event: &Event, amount: Cents) -> AppError {
    Refusal::OverBudget {
        left_cents: event.scholarship_left_cents(),
        amount_cents: amount.value(),
        currency: event.currency.clone(),
    }
    .into()
}
