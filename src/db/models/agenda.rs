//! The sessions of an event's agenda.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::event_sessions;
use crate::db::{now, truncate_micros, DbConnection};
use crate::domain::agenda::{SessionFields, SessionSpec};
use crate::domain::EventId;
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = event_sessions)]
pub struct AgendaSession {
    pub id: String,
    pub event_id: EventId,
    pub title: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub location: Option<String>,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl AgendaSession {
    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at.and_utc()
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at.and_utc()
    }

    /// The session's fields, to lay a change over and check again.
    pub fn fields(&self) -> SessionFields {
        SessionFields {
            title: self.title.clone(),
            starts_at: self.starts_at(),
            ends_at: self.ends_at(),
            location: self.location.clone(),
            description: self.description.clone(),
        }
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = event_sessions, treat_none_as_null = true)]
struct SessionForm<'a> {
    title: &'a str,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    location: Option<&'a str>,
    description: Option<&'a str>,
    updated_at: NaiveDateTime,
}

impl<'a> SessionForm<'a> {
    fn from_spec(spec: &'a SessionSpec) -> Self {
        Self {
            title: &spec.title,
            starts_at: truncate_micros(spec.starts_at.naive_utc()),
            ends_at: truncate_micros(spec.ends_at.naive_utc()),
            location: spec.location.as_deref(),
            description: spec.description.as_deref(),
            updated_at: now(),
        }
    }
}

pub fn create(
    conn: &mut DbConnection,
    event_id: &EventId,
    spec: &SessionSpec,
) -> Result<AgendaSession, AppError> {
    let id = super::new_id();
    diesel::insert_into(event_sessions::table)
        .values((
            SessionForm::from_spec(spec),
            event_sessions::id.eq(&id),
            event_sessions::event_id.eq(event_id),
            event_sessions::created_at.eq(now()),
        ))
        .execute(conn)?;
    find(conn, event_id, &id)
}

pub fn update(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &str,
    spec: &SessionSpec,
) -> Result<AgendaSession, AppError> {
    diesel::update(event_sessions::table.find(id))
        .set(SessionForm::from_spec(spec))
        .execute(conn)?;
    find(conn, event_id, id)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    diesel::delete(event_sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// One session of the event; 404 when it belongs to another event.
pub fn find(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &str,
) -> Result<AgendaSession, AppError> {
    event_sessions::table
        .filter(event_sessions::id.eq(id))
        .filter(event_sessions::event_id.eq(event_id))
        .select(AgendaSession::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("session"))
}

/// The event's sessions in time order.
pub fn list(conn: &mut DbConnection, event_id: &EventId) -> Result<Vec<AgendaSession>, AppError> {
    Ok(event_sessions::table
        .filter(event_sessions::event_id.eq(event_id))
        .order((
            event_sessions::starts_at.asc(),
            event_sessions::ends_at.asc(),
            event_sessions::title.asc(),
        ))
        .select(AgendaSession::as_select())
        .load(conn)?)
}

impl crate::db::models::audit::Audited for AgendaSession {
    const ENTITY: &'static str = "event_session";

    fn entity_id(&self) -> &str {
        &self.id
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.event_id)
    }
}
