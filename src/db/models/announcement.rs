//! Announcements, and what their audience is chosen from. Their emails are the outbox
//! rows whose entity is the announcement, so their delivery is counted from there.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::invitation::Invitation;
use super::registration::Registration;
use crate::db::schema::{announcements, emails, invitations, registrations};
use crate::db::{now, DbConnection};
use crate::domain::EventId;
use crate::error::AppError;

/// The outbox's `entity_type` for an announcement's emails.
pub const ENTITY: &str = "announcement";

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    pub id: String,
    pub event_id: EventId,
    pub subject: String,
    pub body: String,
    /// The audience as asked (JSON of `domain::announcement::Audience`).
    pub audience: String,
    pub recipients: i32,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A new announcement's row.
#[derive(Insertable)]
#[diesel(table_name = announcements, treat_none_as_default_value = false)]
pub struct NewAnnouncement<'a> {
    pub id: &'a str,
    pub event_id: &'a EventId,
    pub subject: &'a str,
    pub body: &'a str,
    pub audience: &'a str,
    pub recipients: i32,
    pub idempotency_key: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

pub fn create(conn: &mut DbConnection, a: NewAnnouncement<'_>) -> Result<Announcement, AppError> {
    diesel::insert_into(announcements::table)
        .values((&a, announcements::created_at.eq(now())))
        .execute(conn)?;
    Ok(announcements::table
        .find(a.id)
        .select(Announcement::as_select())
        .first(conn)?)
}

/// The announcement an earlier request with this `Idempotency-Key` made, if any.
pub fn find_by_key(
    conn: &mut DbConnection,
    event_id: &EventId,
    key: &str,
) -> Result<Option<Announcement>, AppError> {
    Ok(announcements::table
        .filter(announcements::event_id.eq(event_id))
        .filter(announcements::idempotency_key.eq(key))
        .select(Announcement::as_select())
        .first(conn)
        .optional()?)
}

/// The event's announcements, newest first.
pub fn list_for_event(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<Announcement>, AppError> {
    Ok(announcements::table
        .filter(announcements::event_id.eq(event_id))
        .order((announcements::created_at.desc(), announcements::id.desc()))
        .select(Announcement::as_select())
        .load(conn)?)
}

/// `(announcement id, email status, count)` for the emails of these announcements.
pub fn delivery_counts(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<Vec<(String, String, i64)>, AppError> {
    use diesel::dsl::count_star;
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<(Option<String>, String, i64)> = emails::table
        .filter(emails::entity_type.eq(ENTITY))
        .filter(emails::entity_id.eq_any(ids))
        .group_by((emails::entity_id, emails::status))
        .select((emails::entity_id, emails::status, count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, status, n)| id.map(|id| (id, status, n)))
        .collect())
}

/// Every registration of the event, oldest first.
pub fn registrations_of(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<Registration>, AppError> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .select(Registration::as_select())
        .load(conn)?)
}

/// Every invitation of the event, oldest first.
pub fn invitations_of(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<Invitation>, AppError> {
    Ok(invitations::table
        .filter(invitations::event_id.eq(event_id))
        .order((invitations::created_at.asc(), invitations::id.asc()))
        .select(Invitation::as_select())
        .load(conn)?)
}

impl crate::db::models::audit::Audited for Announcement {
    const ENTITY: &'static str = ENTITY;

    fn entity_id(&self) -> &str {
        &self.id
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.event_id)
    }
}
