//! The award's deadline: the offered awards whose reply-by time has passed (lapsed
//! here) and those coming up to it (reminded here, once), for the sweep
//! (`workflows::award_deadlines`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::ScholarshipRequest;
use crate::db::schema::scholarship_requests;
use crate::db::DbConnection;
use crate::domain::scholarship::AwardStatus;
use crate::domain::ScholarshipRequestId;
use crate::error::AppError;

/// Up to `limit` offered awards, the soonest reply-by first: what both sweeps read.
macro_rules! offered {
    ($limit:expr) => {
        scholarship_requests::table
            .filter(scholarship_requests::award_status.eq(AwardStatus::Offered.as_str()))
            .order(scholarship_requests::reply_by.asc())
            .limit($limit)
            .select(ScholarshipRequest::as_select())
    };
}

/// Offered awards that were not answered by their reply-by time, soonest first.
pub fn unanswered_past_reply_by(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    limit: i64,
) -> Result<Vec<ScholarshipRequest>, AppError> {
    Ok(offered!(limit)
        .filter(scholarship_requests::reply_by.le(at))
        .load(conn)?)
}

/// Offered awards not yet reminded whose reply-by time falls between `at` and `until`.
pub fn due_for_reminder(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<ScholarshipRequest>, AppError> {
    Ok(offered!(limit)
        .filter(scholarship_requests::reminded_at.is_null())
        .filter(scholarship_requests::reply_by.gt(at))
        .filter(scholarship_requests::reply_by.le(until))
        .load(conn)?)
}

/// The award `id` while it is offered: what both sweeps change, each under its condition.
macro_rules! still_offered {
    ($id:expr) => {
        scholarship_requests::table
            .find($id)
            .filter(scholarship_requests::award_status.eq(AwardStatus::Offered.as_str()))
    };
}

/// Marks an award that was not answered by its reply-by time as lapsed. One conditional
/// UPDATE: of several sweepers (processes) only one wins the row; the others get false.
pub fn lapse_award(
    conn: &mut DbConnection,
    id: &ScholarshipRequestId,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(still_offered!(id).filter(scholarship_requests::reply_by.le(at)))
        .set((
            scholarship_requests::award_status.eq(AwardStatus::Lapsed.as_str()),
            scholarship_requests::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Notes that the reminder to answer an award is being sent, once: false when it was
/// already noted (by another sweeper) or the award is no longer waiting for an answer.
pub fn mark_reminded(
    conn: &mut DbConnection,
    id: &ScholarshipRequestId,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        still_offered!(id)
            .filter(scholarship_requests::reminded_at.is_null())
            .filter(scholarship_requests::reply_by.gt(at)),
    )
    .set(scholarship_requests::reminded_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}
