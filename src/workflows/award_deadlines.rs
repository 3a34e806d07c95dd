//! Award deadlines: the registrant of an offered travel-scholarship award is reminded
//! once, [`REMINDER_BEFORE_DAYS`] days before its reply-by time (at once if less is left),
//! and an award left unanswered past it lapses, giving its amount back to the budget and
//! emailing the registrant.
//!
//! Several processes may sweep one database at the same moment. Each award is handled in
//! its own transaction and claimed by one conditional UPDATE (`reminded_at IS NULL`,
//! `award_status = 'offered'`), so exactly one process wins each award: nobody is
//! reminded twice, and no amount is given back twice.

use chrono::{DateTime, Utc};
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::scholarship::{self, ScholarshipRequest};
use crate::db::models::{event, registration};
use crate::db::{truncate_micros, write_transaction, DbConnection};
use crate::domain::scholarship::REMINDER_BEFORE_DAYS;
use crate::email::{outbox, scholarships};
use crate::error::AppError;
use crate::workflows::links;

/// Awards handled per sweep and kind; the rest wait for the next sweep.
const BATCH: i64 = 200;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub reminded: usize,
    pub lapsed: usize,
}

/// One sweep as of `now`: lapses the awards left unanswered past their reply-by time,
/// then reminds those whose time is nearly up. Safe to run in several processes at once.
pub fn sweep_scholarships(
    conn: &mut DbConnection,
    base_url: &Url,
    now: DateTime<Utc>,
) -> Result<SweepReport, AppError> {
    let at = truncate_micros(now.naive_utc());
    let mut report = SweepReport::default();
    for s in scholarship::unanswered_past_reply_by(conn, at, BATCH)? {
        if lapse(conn, base_url, &s, at)? {
            report.lapsed += 1;
        }
    }
    let until = at + chrono::Duration::days(REMINDER_BEFORE_DAYS);
    for s in scholarship::due_for_reminder(conn, at, until, BATCH)? {
        if remind(conn, base_url, &s, at)? {
            report.reminded += 1;
        }
    }
    Ok(report)
}

/// Lapses one award if it is still offered and past its reply-by time (false if another
/// sweeper, or the registrant's answer, came first).
fn lapse(
    conn: &mut DbConnection,
    base_url: &Url,
    s: &ScholarshipRequest,
    at: chrono::NaiveDateTime,
) -> Result<bool, AppError> {
    write_transaction(conn, |conn| {
        // The event row first, as every change to the budget takes it.
        registration::lock_event(conn, &s.event_id)?;
        let before = scholarship::find(conn, &s.id)?;
        if !scholarship::lapse_award(conn, &s.id, at)? {
            return Ok(false);
        }
        scholarship::release_budget(
            conn,
            &before.event_id,
            before.awarded_amount_cents.unwrap_or(0),
        )?;
        let after = scholarship::find(conn, &s.id)?;
        let event = event::find(conn, &after.event_id)?;
        let reg = registration::find(conn, &after.registration_id)?;
        let link = links::new_manage_link(conn, base_url, &reg)?;
        outbox::queue(conn, scholarships::lapsed(&event, &reg, &after, &link))?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::changed("scholarship.lapsed", &before, &after),
        )?;
        tracing::info!(scholarship_id = %after.id, "scholarship award lapsed");
        Ok(true)
    })
}

/// Reminds the registrant of one award, once (false if it was already done).
fn remind(
    conn: &mut DbConnection,
    base_url: &Url,
    s: &ScholarshipRequest,
    at: chrono::NaiveDateTime,
) -> Result<bool, AppError> {
    write_transaction(conn, |conn| {
        let before = scholarship::find(conn, &s.id)?;
        if !scholarship::mark_reminded(conn, &s.id, at)? {
            return Ok(false);
        }
        let after = scholarship::find(conn, &s.id)?;
        let event = event::find(conn, &after.event_id)?;
        let reg = registration::find(conn, &after.registration_id)?;
        let link = links::new_manage_link(conn, base_url, &reg)?;
        outbox::queue(conn, scholarships::reminder(&event, &reg, &after, &link))?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::changed("scholarship.reminded", &before, &after),
        )?;
        Ok(true)
    })
}
