use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::inserts::{gather, Inserts};
use crate::db::schema::audit_log;
use crate::db::{now, DbConnection};
use crate::domain::EventId;
use crate::error::AppError;

/// Who caused a change: an organizer, an invitee through their token, the system, or the CLI.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<String>,
    pub kind: &'static str,
}

impl Actor {
    pub fn organizer(id: &str) -> Self {
        Self {
            id: Some(id.to_owned()),
            kind: "organizer",
        }
    }

    pub fn system() -> Self {
        Self {
            id: None,
            kind: "system",
        }
    }

    /// Someone on a public form, not signed in (a request for an invitation).
    pub fn public() -> Self {
        Self {
            id: None,
            kind: "public",
        }
    }

    /// An invitee, through the link in their invitation email.
    pub fn invitee() -> Self {
        Self {
            id: None,
            kind: "invitee",
        }
    }

    /// A registrant, through their private manage link.
    pub fn registrant() -> Self {
        Self {
            id: None,
            kind: "registrant",
        }
    }

    pub fn cli() -> Self {
        Self {
            id: None,
            kind: "cli",
        }
    }
}

// None is stored as NULL, not DEFAULT: one statement form, which diesel can cache.
#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct NewAuditEntry<'a> {
    occurred_at: NaiveDateTime,
    actor_id: Option<&'a str>,
    actor: &'a str,
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    event_id: Option<&'a EventId>,
    before_state: Option<String>,
    after_state: Option<String>,
}

/// [`NewAuditEntry`] owning its values: diesel caches a multi-row insert of a fixed
/// number of rows only for a `'static` row type.
#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct OwnedAuditEntry {
    occurred_at: NaiveDateTime,
    actor_id: Option<String>,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    event_id: Option<EventId>,
    before_state: Option<String>,
    after_state: Option<String>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub event_id: Option<EventId>,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
}

/// A stored record the audit log can name: its kind, its id and its event.
pub trait Audited: serde::Serialize {
    /// The log's `entity_type` for this kind of record.
    const ENTITY: &'static str;
    fn entity_id(&self) -> &str;
    fn event_id(&self) -> Option<&EventId>;
}

/// One change to record, in the same transaction as the change itself. Made from the
/// record (`created`, `changed`, `changed_from`), or for something that is not a record of
/// its own, from its names (`new`, with `before`/`after`).
pub struct Entry<'a> {
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    event_id: Option<&'a EventId>,
    before: Option<String>,
    after: Option<String>,
}

impl<'a> Entry<'a> {
    pub fn new(
        action: &'a str,
        entity_type: &'a str,
        entity_id: &'a str,
        event_id: Option<&'a EventId>,
    ) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            event_id,
            before: None,
            after: None,
        }
    }

    /// `record` came to be.
    pub fn created<T: Audited>(action: &'a str, record: &'a T) -> Self {
        Self::new(action, T::ENTITY, record.entity_id(), record.event_id()).after(state(record))
    }

    /// `before` became `after`.
    pub fn changed<T: Audited>(action: &'a str, before: &T, after: &'a T) -> Self {
        Self::changed_from(action, state(before), after)
    }

    /// `after`, whose state before was taken earlier with [`state`] (before the
    /// transaction, or before the row was changed).
    pub fn changed_from<T: Audited>(action: &'a str, before: Option<String>, after: &'a T) -> Self {
        Self::created(action, after).before(before)
    }

    pub fn before(mut self, state: Option<String>) -> Self {
        self.before = state;
        self
    }

    pub fn after(mut self, state: Option<String>) -> Self {
        self.after = state;
        self
    }
}

/// The JSON text of a state as the log stores it (`None` if it cannot be serialised).
pub fn state<T: serde::Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value).ok().map(|v| v.to_string())
}

/// Records one change, now.
pub fn record(conn: &mut DbConnection, actor: &Actor, entry: Entry<'_>) -> Result<(), AppError> {
    diesel::insert_into(audit_log::table)
        .values(NewAuditEntry {
            occurred_at: now(),
            actor_id: actor.id.as_deref(),
            actor: actor.kind,
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: entry.entity_id,
            event_id: entry.event_id,
            before_state: entry.before,
            after_state: entry.after,
        })
        .execute(conn)?;
    Ok(())
}

/// Records `N` changes that happened at `at` in one statement (one round trip on
/// PostgreSQL; a fixed `N` keeps it one cached statement).
pub fn record_all<const N: usize>(
    conn: &mut DbConnection,
    actor: &Actor,
    at: NaiveDateTime,
    entries: [Entry<'_>; N],
) -> Result<(), AppError> {
    let rows = entries.map(|e| OwnedAuditEntry::of(actor, at, e));
    // A multi-row insert does not compile through the MultiConnection: use the inner one.
    crate::db::on_backend!(conn, |c| diesel::insert_into(audit_log::table)
        .values(rows)
        .execute(c))?;
    Ok(())
}

/// Records changes by several actors at several times in one statement (their number
/// varies, so the statement is not cached: for a run of writes done together).
pub fn record_each<'a>(
    conn: &mut DbConnection,
    entries: impl IntoIterator<Item = (&'a Actor, NaiveDateTime, Entry<'a>)>,
) -> Result<(), AppError> {
    let mut inserts = Inserts::on(conn);
    gather_each(&mut inserts, entries);
    inserts.write(conn)
}

/// [`record_each`] gathered into `inserts`, to be written with them.
pub fn gather_each<'a>(
    inserts: &mut Inserts<'_>,
    entries: impl IntoIterator<Item = (&'a Actor, NaiveDateTime, Entry<'a>)>,
) {
    let rows: Vec<OwnedAuditEntry> = entries
        .into_iter()
        .map(|(actor, at, e)| OwnedAuditEntry::of(actor, at, e))
        .collect();
    if !rows.is_empty() {
        gather!(inserts, diesel::insert_into(audit_log::table).values(rows));
    }
}

impl OwnedAuditEntry {
    fn of(actor: &Actor, at: NaiveDateTime, e: Entry<'_>) -> Self {
        Self {
            occurred_at: at,
            actor_id: actor.id.clone(),
            actor: actor.kind.to_owned(),
            action: e.action.to_owned(),
            entity_type: e.entity_type.to_owned(),
            entity_id: e.entity_id.to_owned(),
            event_id: e.event_id.cloned(),
            before_state: e.before,
            after_state: e.after,
        }
    }
}

/// Filters for reading the log; entries come newest first.
#[derive(Default, Debug)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub event_id: Option<EventId>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    /// Entries about this person: an email address, or part of a name
    /// ([`super::audit_people::entries_about`]).
    pub person: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, f: &AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    let mut q = audit_log::table.into_boxed();
    if let Some(v) = &f.entity_type {
        q = q.filter(audit_log::entity_type.eq(v.clone()));
    }
    if let Some(v) = &f.entity_id {
        q = q.filter(audit_log::entity_id.eq(v.clone()));
    }
    if let Some(v) = &f.event_id {
        q = q.filter(audit_log::event_id.eq(v.clone()));
    }
    if let Some(v) = &f.actor_id {
        q = q.filter(audit_log::actor_id.eq(v.clone()));
    }
    if let Some(v) = &f.action {
        q = q.filter(audit_log::action.eq(v.clone()));
    }
    if let Some(v) = &f.person {
        q = q.filter(super::audit_people::entries_about(v));
    }
    if let Some(v) = f.before_id {
        q = q.filter(audit_log::id.lt(v));
    }
    Ok(q.order(audit_log::id.desc())
        .limit(f.limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}
