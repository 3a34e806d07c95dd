//! Answer an award: the registrant accepts or declines an offered travel scholarship
//! before its reply-by time; a declined award's amount goes back to the budget.

use super::request_scholarship::request_of;
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::registration::{self, Registration};
use crate::db::models::scholarship::{self, ScholarshipRequest};
use crate::db::{self, DbConnection};
use crate::domain::refusal::{Record, Refusal};
use crate::domain::scholarship::{award_answer_refusal, AwardStatus};
use crate::error::AppError;

/// `answer` is `Accepted` or `Declined`.
pub fn answer_award(
    conn: &mut DbConnection,
    reg: &Registration,
    answer: AwardStatus,
) -> Result<ScholarshipRequest, AppError> {
    registration::lock_event(conn, &reg.event_id)?;
    let before = request_of(conn, reg)?;
    let now = db::now();
    let refusal = award_answer_refusal(
        before.status(),
        before.award(),
        before.reply_by.map(|t| t.and_utc()),
        now.and_utc(),
    );
    if let Some(why) = refusal {
        return Err(Refusal::Award(why).into());
    }
    if !scholarship::answer_award(conn, &before.id, answer, now)? {
        return Err(Refusal::Stale(Record::Award).into());
    }
    if answer == AwardStatus::Declined {
        scholarship::release_budget(
            conn,
            &before.event_id,
            before.awarded_amount_cents.unwrap_or(0),
        )?;
    }
    let after = scholarship::find(conn, &before.id)?;
    audit::record(
        conn,
        &Actor::registrant(),
        Entry::changed(
            &format!("scholarship.award_{}", answer.as_str()),
            &before,
            &after,
        ),
    )?;
    Ok(after)
}
