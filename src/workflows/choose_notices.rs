//! An organizer chooses the emails they want about the events (their review notices).
//! Audited like any change to an organizer account, since the dashboard promises that
//! every change made there is in the audit log.

use serde_json::json;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::organizer::{self, Organizer};
use crate::db::DbConnection;
use crate::domain::organizer::ReviewNotices;
use crate::error::AppError;

/// Sets the review notices of the organizer `id`, who makes the change themself.
pub fn choose_notices(
    conn: &mut DbConnection,
    id: &str,
    notices: ReviewNotices,
) -> Result<Organizer, AppError> {
    let before = organizer::find(conn, id)?;
    organizer::set_review_notices(conn, id, notices.as_str())?;
    let after = organizer::find(conn, id)?;
    let state = |o: &Organizer| Some(json!({ "review_notices": o.review_notices }).to_string());
    audit::record(
        conn,
        &Actor::organizer(id),
        Entry::new("organizer.updated", "organizer", id, None)
            .before(state(&before))
            .after(state(&after)),
    )?;
    Ok(after)
}
