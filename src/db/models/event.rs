use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::models::community::Community;
use crate::db::schema::{communities, events};
use crate::db::{now, truncate_micros, DbConnection};
use crate::domain::event::{EventFields, EventSpec, EventStatus};
use crate::domain::refusal::Refusal;
use crate::domain::EventId;
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: EventId,
    pub slug: String,
    pub name: String,
    pub venue: String,
    pub city: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub timezone: String,
    pub capacity: i32,
    pub scholarship_budget_cents: i64,
    pub currency: String,
    pub status: EventStatus,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Confirmed registrations; never above `capacity`.
    pub seats_taken: i32,
    /// Days an invitation stays valid unless the organizer sets its expiry.
    pub invitation_ttl_days: i32,
    pub nominations_per_executive: i32,
    /// The travel scholarships awarded that stand (offered or accepted); never above
    /// `scholarship_budget_cents`.
    pub scholarship_awarded_cents: i64,
    /// Markdown; see [`crate::domain::markdown`] for how it is shown.
    pub description: String,
    pub practical_info: String,
    /// The organizing team's address: the `Reply-To` of the event's emails.
    pub contact_email: Option<String>,
    pub program: Option<String>,
    pub reminder_days_before: Option<i32>,
    /// The `SEQUENCE` of the event's calendar files: raised when its dates or venue change.
    pub calendar_sequence: i32,
    /// Days after the event ends that its people's personal data is kept.
    pub retention_days: i32,
    /// When the retention sweep anonymized its people; none until then.
    pub anonymized_at: Option<NaiveDateTime>,
}

impl Event {
    /// What is left of the scholarship budget.
    pub fn scholarship_left_cents(&self) -> i64 {
        (self.scholarship_budget_cents - self.scholarship_awarded_cents).max(0)
    }

    /// When the event begins: midnight of its first day in its own time zone.
    pub fn starts_at(&self) -> DateTime<Utc> {
        self.timezone
            .parse::<chrono_tz::Tz>()
            .ok()
            .and_then(|tz| crate::domain::event::start_of_day(tz, self.starts_on))
            .unwrap_or_else(|| self.starts_on.and_time(chrono::NaiveTime::MIN).and_utc())
    }
}

impl Event {
    pub fn status(&self) -> EventStatus {
        self.status
    }

    pub fn opens_at(&self) -> Option<DateTime<Utc>> {
        self.registration_opens_at.map(|t| t.and_utc())
    }

    pub fn closes_at(&self) -> DateTime<Utc> {
        self.registration_closes_at.and_utc()
    }

    /// Why registration is refused right now, if it is.
    pub fn registration_closed_reason(
        &self,
        at: DateTime<Utc>,
    ) -> Option<crate::domain::event::ClosedReason> {
        crate::domain::event::registration_closed_reason(
            self.status(),
            self.opens_at(),
            self.closes_at(),
            at,
        )
    }

    /// The event's settings, to lay a patch over and check again.
    pub fn fields(&self) -> EventFields {
        EventFields {
            slug: self.slug.clone(),
            name: self.name.clone(),
            venue: self.venue.clone(),
            city: self.city.clone(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            timezone: self.timezone.clone(),
            capacity: i64::from(self.capacity),
            scholarship_budget_cents: self.scholarship_budget_cents,
            currency: self.currency.clone(),
            status: self.status(),
            registration_opens_at: self.opens_at(),
            registration_closes_at: Some(self.closes_at()),
            invitation_ttl_days: i64::from(self.invitation_ttl_days),
            nominations_per_executive: i64::from(self.nominations_per_executive),
            description: self.description.clone(),
            practical_info: self.practical_info.clone(),
            contact_email: self.contact_email.clone(),
            program: self.program.clone(),
            reminder_days_before: self.reminder_days_before.map(i64::from),
            retention_days: i64::from(self.retention_days),
        }
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = events)]
#[diesel(treat_none_as_null = true)]
struct EventForm<'a> {
    slug: &'a str,
    name: &'a str,
    venue: &'a str,
    city: &'a str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    timezone: &'a str,
    capacity: i32,
    scholarship_budget_cents: i64,
    currency: &'a str,
    status: &'a str,
    registration_opens_at: Option<NaiveDateTime>,
    registration_closes_at: NaiveDateTime,
    invitation_ttl_days: i32,
    nominations_per_executive: i32,
    description: &'a str,
    practical_info: &'a str,
    contact_email: Option<&'a str>,
    program: Option<&'a str>,
    reminder_days_before: Option<i32>,
    retention_days: i32,
    updated_at: NaiveDateTime,
}

impl<'a> EventForm<'a> {
    fn from_spec(spec: &'a EventSpec) -> Self {
        Self {
            slug: spec.slug.as_str(),
            name: &spec.name,
            venue: &spec.venue,
            city: &spec.city,
            starts_on: spec.starts_on,
            ends_on: spec.ends_on,
            timezone: spec.timezone.name(),
            capacity: spec.capacity,
            scholarship_budget_cents: spec.scholarship_budget.value(),
            currency: spec.currency.as_str(),
            status: spec.status.as_str(),
            registration_opens_at: spec
                .registration_opens_at
                .map(|t| truncate_micros(t.naive_utc())),
            registration_closes_at: truncate_micros(spec.registration_closes_at.naive_utc()),
            invitation_ttl_days: spec.invitation_ttl_days,
            nominations_per_executive: spec.nominations_per_executive,
            description: &spec.description,
            practical_info: &spec.practical_info,
            contact_email: spec.contact_email.as_ref().map(|e| e.as_str()),
            program: spec.program.as_ref().map(|p| p.as_str()),
            reminder_days_before: spec.reminder_days_before,
            retention_days: spec.retention_days,
            updated_at: now(),
        }
    }
}

fn slug_taken(spec: &EventSpec) -> impl FnOnce(diesel::result::Error) -> AppError + '_ {
    move |e| {
        if super::is_unique_violation(&e) {
            Refusal::SlugTaken(spec.slug.to_string()).into()
        } else {
            e.into()
        }
    }
}

/// Creates an event; 409 when the slug is taken.
pub fn create(conn: &mut DbConnection, spec: &EventSpec) -> Result<Event, AppError> {
    let id = EventId::new();
    let created_at = now();
    diesel::insert_into(events::table)
        .values((
            EventForm::from_spec(spec),
            events::id.eq(&id),
            events::created_at.eq(created_at),
        ))
        .execute(conn)
        .map_err(slug_taken(spec))?;
    find(conn, &id)
}

/// Replaces an event's settings; 409 when the new slug is taken.
pub fn update(conn: &mut DbConnection, id: &EventId, spec: &EventSpec) -> Result<Event, AppError> {
    diesel::update(events::table.find(id))
        .set(EventForm::from_spec(spec))
        .execute(conn)
        .map_err(slug_taken(spec))?;
    find(conn, id)
}

pub fn find(conn: &mut DbConnection, id: &EventId) -> Result<Event, AppError> {
    events::table
        .find(id)
        .select(Event::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("event"))
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> Result<Event, AppError> {
    events::table
        .filter(events::slug.eq(slug))
        .select(Event::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("event '{slug}'")))
}

/// The event `slug` and the community whose match key is `key`, if there is one, read by
/// one statement: an invitation through the API needs both before its write, and on
/// PostgreSQL each statement is a round trip.
pub fn find_by_slug_with_community(
    conn: &mut DbConnection,
    slug: &str,
    key: &str,
) -> Result<(Event, Option<Community>), AppError> {
    events::table
        .left_join(communities::table.on(communities::match_key.eq(key)))
        .filter(events::slug.eq(slug))
        .select((Event::as_select(), Option::<Community>::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("event '{slug}'")))
}

/// Events, soonest first; archived ones only when asked for by status.
pub fn list(conn: &mut DbConnection, status: Option<EventStatus>) -> Result<Vec<Event>, AppError> {
    let mut q = events::table.into_boxed();
    q = match status {
        Some(s) => q.filter(events::status.eq(s.as_str())),
        None => q.filter(events::status.ne(EventStatus::Archived.as_str())),
    };
    Ok(q.order((events::starts_on.asc(), events::slug.asc()))
        .select(Event::as_select())
        .load(conn)?)
}

impl crate::db::models::audit::Audited for Event {
    const ENTITY: &'static str = "event";

    fn entity_id(&self) -> &str {
        self.id.as_str()
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.id)
    }
}

/// Raises the SEQUENCE of the event's calendar entries by one (its dates or venue changed).
pub fn bump_calendar_sequence(conn: &mut DbConnection, id: &EventId) -> Result<Event, AppError> {
    diesel::update(events::table.find(id))
        .set(events::calendar_sequence.eq(events::calendar_sequence + 1))
        .execute(conn)?;
    find(conn, id)
}
