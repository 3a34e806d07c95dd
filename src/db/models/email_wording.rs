//! An event's own wording of its emails: one row per (event, kind) that an organizer
//! replaced; no row means the default wording.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::event_email_templates as t;
use crate::db::{now, DbConnection};
use crate::domain::EventId;
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = t)]
pub struct EmailWording {
    pub event_id: EventId,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub updated_by: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// The event's wording of `kind`, if an organizer replaced it.
pub fn find(
    conn: &mut DbConnection,
    event_id: &EventId,
    kind: &str,
) -> Result<Option<EmailWording>, AppError> {
    Ok(t::table
        .find((event_id, kind))
        .select(EmailWording::as_select())
        .first(conn)
        .optional()?)
}

/// Every kind the event has replaced.
pub fn for_event(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<EmailWording>, AppError> {
    Ok(t::table
        .filter(t::event_id.eq(event_id))
        .select(EmailWording::as_select())
        .load(conn)?)
}

/// Stores the event's wording of `kind`, replacing any before (in the caller's transaction).
pub fn save(
    conn: &mut DbConnection,
    event_id: &EventId,
    kind: &str,
    subject: &str,
    body: &str,
    by: Option<&str>,
) -> Result<EmailWording, AppError> {
    // Delete and insert: an upsert does not compile through the MultiConnection.
    diesel::delete(t::table.find((event_id, kind))).execute(conn)?;
    diesel::insert_into(t::table)
        .values((
            t::event_id.eq(event_id),
            t::kind.eq(kind),
            t::subject.eq(subject),
            t::body.eq(body),
            t::updated_by.eq(by),
            t::updated_at.eq(now()),
        ))
        .execute(conn)?;
    find(conn, event_id, kind)?.ok_or_else(|| AppError::not_found("email template"))
}

/// Removes the event's wording of `kind`; false if there was none.
pub fn remove(conn: &mut DbConnection, event_id: &EventId, kind: &str) -> Result<bool, AppError> {
    Ok(diesel::delete(t::table.find((event_id, kind))).execute(conn)? == 1)
}

impl crate::db::models::audit::Audited for EmailWording {
    const ENTITY: &'static str = "email_template";

    fn entity_id(&self) -> &str {
        &self.kind
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.event_id)
    }
}
