//! Who arrived at an event: one `check_ins` row per registration, its primary key the
//! registration's id, so that a second check-in of the same person fails in the database
//! whatever the timing of the two requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::community::Community;
use super::registration::Registration;
use crate::db::schema::{check_ins, communities, organizers, registrations};
use crate::db::DbConnection;
use crate::domain::registration::RegistrationStatus;
use crate::domain::{EventId, RegistrationId};
use crate::error::AppError;

#[derive(Queryable, Selectable, Insertable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = check_ins, treat_none_as_default_value = false)]
pub struct CheckIn {
    pub registration_id: RegistrationId,
    pub event_id: EventId,
    pub checked_in_at: NaiveDateTime,
    /// The organizer at the desk.
    pub checked_in_by: Option<String>,
}

/// A check-in with the name of the organizer who made it (`None` once the account is gone).
#[derive(Clone, Debug)]
pub struct CheckInBy {
    pub check_in: CheckIn,
    pub by_name: Option<String>,
}

/// Stores the check-in. `Ok(false)` when the registration is checked in already (the
/// primary key refused it); the caller's transaction stays usable, as the insert runs in
/// a savepoint of its own (PostgreSQL aborts a whole transaction on a failed statement).
pub fn insert(conn: &mut DbConnection, row: &CheckIn) -> Result<bool, AppError> {
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(check_ins::table)
            .values(row)
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The registration's check-in, with who made it.
pub fn find(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
) -> Result<Option<CheckInBy>, AppError> {
    let found = check_ins::table
        .left_join(organizers::table)
        .filter(check_ins::registration_id.eq(registration_id))
        .select((CheckIn::as_select(), organizers::name.nullable()))
        .first::<(CheckIn, Option<String>)>(conn)
        .optional()?;
    Ok(found.map(|(check_in, by_name)| CheckInBy { check_in, by_name }))
}

/// Removes the check-in of a registration of this event; `None` if there was none.
pub fn delete(
    conn: &mut DbConnection,
    event_id: &EventId,
    registration_id: &RegistrationId,
) -> Result<Option<CheckIn>, AppError> {
    let target = check_ins::table
        .filter(check_ins::event_id.eq(event_id))
        .filter(check_ins::registration_id.eq(registration_id));
    let Some(row) = target.select(CheckIn::as_select()).first(conn).optional()? else {
        return Ok(None);
    };
    let n = diesel::delete(target).execute(conn)?;
    Ok((n == 1).then_some(row))
}

/// One registration of an event, found by `$column = $value`.
macro_rules! registration_where {
    ($event_id:expr, $column:expr, $value:expr) => {
        registrations::table
            .filter(registrations::event_id.eq($event_id))
            .filter($column.eq($value))
            .select(Registration::as_select())
    };
}

/// The registration of this event whose check-in code this is, and its community, held
/// against a change of its status until the transaction ends (see [`with_community`]).
pub fn registration_by_code(
    conn: &mut DbConnection,
    event_id: &EventId,
    code: &str,
) -> Result<Option<(Registration, Community)>, AppError> {
    // The locking clause does not compile through the MultiConnection: use the inner one.
    let found = match conn {
        DbConnection::Postgresql(pg) => {
            registration_where!(event_id, registrations::checkin_code, code)
                .for_share()
                .first(pg)
                .optional()?
        }
        DbConnection::Sqlite(_) => registration_where!(event_id, registrations::checkin_code, code)
            .first(conn)
            .optional()?,
    };
    with_community(conn, found)
}

/// The registration of this event with this id, held as [`registration_by_code`] holds it.
pub fn registration_by_id(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &str,
) -> Result<Option<(Registration, Community)>, AppError> {
    let found = match conn {
        DbConnection::Postgresql(pg) => registration_where!(event_id, registrations::id, id)
            .for_share()
            .first(pg)
            .optional()?,
        DbConnection::Sqlite(_) => registration_where!(event_id, registrations::id, id)
            .first(conn)
            .optional()?,
    };
    with_community(conn, found)
}

/// The registration's community. On PostgreSQL the registration was read `FOR SHARE`
/// (the community is read apart so that its row is not locked for every desk): a
/// cancellation committing between that read and the check-in's insert would otherwise
/// leave a cancelled person checked in. With the share lock the cancellation waits for the
/// check-in (and then cancels a person who had arrived), or the read waits for the
/// cancellation and sees it. Two desks scanning one person both get the share lock; the
/// check-in's primary key still lets only one through. SQLite's write transaction already
/// excludes every other writer.
fn with_community(
    conn: &mut DbConnection,
    found: Option<Registration>,
) -> Result<Option<(Registration, Community)>, AppError> {
    let Some(registration) = found else {
        return Ok(None);
    };
    let community = super::community::find(conn, &registration.community_id)?;
    Ok(Some((registration, community)))
}

/// Every check-in of the event, latest first, with the registration, its community and
/// the organizer's name.
pub fn list(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<(CheckInBy, Registration, Community)>, AppError> {
    let rows = check_ins::table
        .inner_join(registrations::table.inner_join(communities::table))
        .left_join(organizers::table)
        .filter(check_ins::event_id.eq(event_id))
        .order((
            check_ins::checked_in_at.desc(),
            check_ins::registration_id.asc(),
        ))
        .select((
            CheckIn::as_select(),
            organizers::name.nullable(),
            Registration::as_select(),
            Community::as_select(),
        ))
        .load::<(CheckIn, Option<String>, Registration, Community)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(check_in, by_name, r, c)| (CheckInBy { check_in, by_name }, r, c))
        .collect())
}

/// How many registrations of the event are confirmed: the people expected at the door.
pub fn confirmed_count(conn: &mut DbConnection, event_id: &EventId) -> Result<i64, AppError> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .count()
        .get_result(conn)?)
}

/// One registrant's answers: dietary requirements, accessibility needs.
pub type Needs = (Option<String>, Option<String>);

/// The dietary requirements and accessibility needs of the event's confirmed registrants,
/// one pair per registrant, as they wrote them.
pub fn confirmed_needs(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<Needs>, AppError> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .select((
            registrations::dietary_requirements,
            registrations::accessibility_needs,
        ))
        .load(conn)?)
}

/// The event's confirmed registrations with their communities: the people on the badges
/// and the sign-in sheet.
pub fn confirmed_with_communities(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<(Registration, Community)>, AppError> {
    Ok(registrations::table
        .inner_join(communities::table)
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .select((Registration::as_select(), Community::as_select()))
        .load(conn)?)
}
