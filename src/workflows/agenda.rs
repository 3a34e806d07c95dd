//! Organizers keep an event's agenda: add, change and remove sessions, each inside the
//! event's days in its time zone, each change audited.

use chrono::{DateTime, Utc};

use crate::db::models::agenda::{self, AgendaSession};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::DbConnection;
use crate::domain::agenda::{EventDays, SessionFields, SessionSpec};
use crate::error::AppError;

/// A change to a session: the fields left out (`None`) stay; `Some(None)` clears an
/// optional one.
#[derive(Default, Debug)]
pub struct SessionChange {
    pub title: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub location: Option<Option<String>>,
    pub description: Option<Option<String>>,
}

fn days(e: &Event) -> Result<EventDays, AppError> {
    let timezone = e.timezone.parse().map_err(|_| {
        AppError::Internal(anyhow::anyhow!("event {} has an unknown time zone", e.id))
    })?;
    Ok(EventDays {
        timezone,
        starts_on: e.starts_on,
        ends_on: e.ends_on,
    })
}

/// The event `slug`'s agenda, in time order.
pub fn list(conn: &mut DbConnection, slug: &str) -> Result<(Event, Vec<AgendaSession>), AppError> {
    let e = event::find_by_slug(conn, slug)?;
    let sessions = agenda::list(conn, &e.id)?;
    Ok((e, sessions))
}

/// Adds a session to the event `slug`'s agenda.
pub fn add(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    fields: SessionFields,
) -> Result<AgendaSession, AppError> {
    let e = event::find_by_slug(conn, slug)?;
    let spec = SessionSpec::parse(fields, days(&e)?).map_err(AppError::Validation)?;
    let created = agenda::create(conn, &e.id, &spec)?;
    audit::record(conn, actor, Entry::created("session.created", &created))?;
    Ok(created)
}

/// Changes a session; the result must still fit the event's days.
pub fn change(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    id: &str,
    c: SessionChange,
) -> Result<AgendaSession, AppError> {
    let e = event::find_by_slug(conn, slug)?;
    let before = agenda::find(conn, &e.id, id)?;
    let mut f = before.fields();
    f.title = c.title.unwrap_or(f.title);
    f.starts_at = c.starts_at.unwrap_or(f.starts_at);
    f.ends_at = c.ends_at.unwrap_or(f.ends_at);
    if let Some(location) = c.location {
        f.location = location;
    }
    if let Some(description) = c.description {
        f.description = description;
    }
    let spec = SessionSpec::parse(f, days(&e)?).map_err(AppError::Validation)?;
    let after = agenda::update(conn, &e.id, id, &spec)?;
    audit::record(
        conn,
        actor,
        Entry::changed("session.updated", &before, &after),
    )?;
    Ok(after)
}

/// Removes a session from the agenda.
pub fn remove(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    id: &str,
) -> Result<(), AppError> {
    let e = event::find_by_slug(conn, slug)?;
    let before = agenda::find(conn, &e.id, id)?;
    agenda::delete(conn, id)?;
    audit::record(
        conn,
        actor,
        Entry::new("session.deleted", "event_session", &before.id, Some(&e.id))
            .before(audit::state(&before)),
    )?;
    Ok(())
}
