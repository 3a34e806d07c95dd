//! What the impact report counts: the attendance of ended events written down once (by
//! pseudonymous person ids), the answers counted per event, the quotable answers, and
//! the programmes made public. Why the figures are kept this way: `workflows::impact`.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::registration::Registration;
use super::survey::{ensure_row, SurveyResponse};
use crate::db::schema::{
    check_ins, event_surveys, impact_attendances, impact_people, impact_publications,
    registrations, survey_responses,
};
use crate::db::DbConnection;
use crate::domain::registration::RegistrationStatus;
use crate::domain::{CommunityId, EventId, RegistrationId};
use crate::error::AppError;

/// Claims the writing down of the event's attendance: true for the one caller that sets
/// `attendance_recorded_at` (a conditional UPDATE, so once across instances).
pub fn claim_attendance(
    conn: &mut DbConnection,
    event_id: &EventId,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    ensure_row(conn, event_id, at)?;
    let n = diesel::update(
        event_surveys::table
            .find(event_id)
            .filter(event_surveys::attendance_recorded_at.is_null()),
    )
    .set(event_surveys::attendance_recorded_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether the event's attendance was written down.
pub fn attendance_recorded(conn: &mut DbConnection, event_id: &EventId) -> Result<bool, AppError> {
    let at: Option<Option<NaiveDateTime>> = event_surveys::table
        .find(event_id)
        .select(event_surveys::attendance_recorded_at)
        .first(conn)
        .optional()?;
    Ok(at.flatten().is_some())
}

/// Which of these events have their attendance written down (one query for a report's
/// many events, instead of one each).
pub fn attendance_recorded_among(
    conn: &mut DbConnection,
    event_ids: &[EventId],
) -> Result<HashSet<EventId>, AppError> {
    Ok(event_surveys::table
        .filter(event_surveys::event_id.eq_any(event_ids))
        .filter(event_surveys::attendance_recorded_at.is_not_null())
        .select(event_surveys::event_id)
        .load::<EventId>(conn)?
        .into_iter()
        .collect())
}

/// Distinct people and communities among these events' attendances: per event (the
/// event's id, people, communities), counted by the database.
pub fn attendance_by_event(
    conn: &mut DbConnection,
    event_ids: &[EventId],
) -> Result<Vec<(EventId, i64, i64)>, AppError> {
    use diesel::dsl::count;
    // GROUP BY does not compile through the MultiConnection: the backend's own connection.
    Ok(crate::db::on_backend!(conn, |c| impact_attendances::table
        .filter(impact_attendances::event_id.eq_any(event_ids))
        .group_by(impact_attendances::event_id)
        .select((
            impact_attendances::event_id,
            count(impact_attendances::person_id).aggregate_distinct(),
            count(impact_attendances::community_id).aggregate_distinct(),
        ))
        .load::<(EventId, i64, i64)>(c))?)
}

/// Distinct people and communities among these events' attendances all together (not
/// the sum of the events': one person may attend two events).
pub fn attendance_in_all(
    conn: &mut DbConnection,
    event_ids: &[EventId],
) -> Result<(i64, i64), AppError> {
    use diesel::dsl::count;
    Ok(crate::db::on_backend!(conn, |c| impact_attendances::table
        .filter(impact_attendances::event_id.eq_any(event_ids))
        .select((
            count(impact_attendances::person_id).aggregate_distinct(),
            count(impact_attendances::community_id).aggregate_distinct(),
        ))
        .first::<(i64, i64)>(c))?)
}

/// How many answered surveys of an event and wave gave these three answers, and the
/// residents they engaged in all.
#[derive(Queryable, Clone, Debug)]
pub struct AnswerCount {
    pub event_id: EventId,
    pub wave: String,
    pub would_recommend: Option<bool>,
    pub learned: Option<bool>,
    pub still_applying: Option<bool>,
    pub answers: i64,
    pub residents_engaged: i64,
}

/// The answered surveys of these events, counted by the database per event, wave and
/// combination of the yes/no answers (at most 27 rows an event and wave).
pub fn answer_counts(
    conn: &mut DbConnection,
    event_ids: &[EventId],
) -> Result<Vec<AnswerCount>, AppError> {
    use diesel::dsl::{count_star, sql};
    use diesel::sql_types::BigInt;
    Ok(crate::db::on_backend!(conn, |c| survey_responses::table
        .filter(survey_responses::event_id.eq_any(event_ids))
        .filter(survey_responses::answered_at.is_not_null())
        .group_by((
            survey_responses::event_id,
            survey_responses::wave,
            survey_responses::would_recommend,
            survey_responses::learned,
            survey_responses::still_applying,
        ))
        .select((
            survey_responses::event_id,
            survey_responses::wave,
            survey_responses::would_recommend,
            survey_responses::learned,
            survey_responses::still_applying,
            count_star(),
            // SUM of a BIGINT is NUMERIC on PostgreSQL: back to BIGINT on both.
            sql::<BigInt>("CAST(COALESCE(SUM(residents_engaged), 0) AS BIGINT)"),
        ))
        .load::<AnswerCount>(c))?)
}

/// The version of each event's answers (0 for an event never answered): it grows with
/// every answer given or changed, so that counts made at one version can be kept until
/// the next ([`answers_changed`]).
pub fn answers_versions(
    conn: &mut DbConnection,
    event_ids: &[EventId],
) -> Result<HashMap<EventId, i64>, AppError> {
    Ok(event_surveys::table
        .filter(event_surveys::event_id.eq_any(event_ids))
        .select((event_surveys::event_id, event_surveys::answers_version))
        .load::<(EventId, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Says that the event's answers changed: every write of an answer calls it in the
/// same transaction, so that no one keeps counts made before it ([`answers_versions`]).
pub fn answers_changed(
    conn: &mut DbConnection,
    event_id: &EventId,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    ensure_row(conn, event_id, at)?;
    diesel::update(event_surveys::table.find(event_id))
        .set(event_surveys::answers_version.eq(event_surveys::answers_version + 1))
        .execute(conn)?;
    Ok(())
}

/// The answered surveys of these events whose authors allowed quoting.
pub fn quotable(
    conn: &mut DbConnection,
    event_ids: &[EventId],
) -> Result<Vec<SurveyResponse>, AppError> {
    // The conditions are written as the partial index `survey_responses_quotable` states
    // them (no bound parameters), so that both databases read the few quotable rows
    // through it instead of every answer of the events.
    Ok(survey_responses::table
        .filter(survey_responses::event_id.eq_any(event_ids))
        .filter(survey_responses::may_quote)
        .filter(survey_responses::testimonial.is_not_null())
        .filter(survey_responses::answered_at.is_not_null())
        .order((
            survey_responses::answered_at.asc(),
            survey_responses::id.asc(),
        ))
        .select(SurveyResponse::as_select())
        .load(conn)?)
}

/// The attendances of these people, at any event (read through the index on the person:
/// asking for "these events and these people" made SQLite seek every pair, 22,500 for a
/// programme's quotes); the caller keeps the events it wants.
pub fn attendances_of(
    conn: &mut DbConnection,
    person_ids: &[&str],
) -> Result<Vec<Attendance>, AppError> {
    let mut found = Vec::with_capacity(person_ids.len());
    for chunk in person_ids.chunks(CHUNK) {
        found.extend(
            impact_attendances::table
                .filter(impact_attendances::person_id.eq_any(chunk))
                .select(Attendance::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// Who attended, as of now: those checked in (not cancelled since), or, where nobody of
/// the event was checked in, the confirmed registrations.
pub fn attendees_now(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<Registration>, AppError> {
    let checked_in: Vec<Registration> = registrations::table
        .inner_join(check_ins::table)
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.ne(RegistrationStatus::Cancelled.as_str()))
        .select(Registration::as_select())
        .load(conn)?;
    if !checked_in.is_empty() {
        return Ok(checked_in);
    }
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
        .select(Registration::as_select())
        .load(conn)?)
}

/// Rows per statement when many are read or written at once (well under SQLite's and
/// PostgreSQL's limits on bound parameters).
const CHUNK: usize = 500;

/// The person id of each address (made on first sight; addresses compared lowercased),
/// keyed by the lowercased address. A few statements for hundreds of addresses: the
/// first report of an imported programme writes down tens of thousands of attendances,
/// which took 25 s on PostgreSQL one address at a time (`BENCHMARKS.md`).
pub fn people_for_emails(
    conn: &mut DbConnection,
    emails: &[&str],
    at: NaiveDateTime,
) -> Result<HashMap<String, String>, AppError> {
    // A statement run often gets a generic plan on PostgreSQL, made without its
    // parameters: for `email = ANY($1)` with 500 addresses that was a sequential scan
    // comparing every row with every address, 180 ms a chunk and most of the 20 s that
    // the first report of an imported programme took. Planned with its parameters, it
    // reads the index. `LOCAL`: for the rest of the caller's transaction only.
    if let DbConnection::Postgresql(c) = conn {
        diesel::connection::SimpleConnection::batch_execute(
            c,
            "SET LOCAL plan_cache_mode = force_custom_plan",
        )?;
    }
    let mut wanted: Vec<String> = emails.iter().map(|e| e.trim().to_lowercase()).collect();
    wanted.sort();
    wanted.dedup();
    let mut ids = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(CHUNK) {
        let known = |conn: &mut DbConnection| -> Result<Vec<(Option<String>, String)>, AppError> {
            Ok(impact_people::table
                .filter(impact_people::email.eq_any(chunk))
                .select((impact_people::email, impact_people::id))
                .load(conn)?)
        };
        let found = known(conn)?;
        let have: HashSet<&str> = found.iter().filter_map(|(e, _)| e.as_deref()).collect();
        let new: Vec<_> = chunk
            .iter()
            .filter(|e| !have.contains(e.as_str()))
            .map(|e| {
                (
                    impact_people::id.eq(super::new_id()),
                    impact_people::email.eq(Some(e.clone())),
                    impact_people::created_at.eq(at),
                )
            })
            .collect();
        let found = if new.is_empty() {
            found
        } else {
            // A concurrent writer may have made some of them meanwhile: its ids win,
            // and ours are not inserted (the address is unique).
            crate::db::on_backend!(conn, |c| diesel::insert_into(impact_people::table)
                .values(&new)
                .on_conflict_do_nothing()
                .execute(c))?;
            known(conn)?
        };
        ids.extend(found.into_iter().filter_map(|(e, id)| Some((e?, id))));
    }
    match wanted.iter().find(|e| !ids.contains_key(*e)) {
        Some(_) => Err(AppError::Internal(anyhow::anyhow!(
            "an address has no person id after it was inserted"
        ))),
        None => Ok(ids),
    }
}

/// One attendee of an ended event.
#[derive(Queryable, Selectable, Insertable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = impact_attendances, treat_none_as_default_value = false)]
pub struct Attendance {
    pub event_id: EventId,
    pub person_id: String,
    pub community_id: CommunityId,
    pub registration_id: Option<RegistrationId>,
}

/// Adds attendances, leaving out a person already counted for the event; returns how
/// many were added.
pub fn add_attendances(conn: &mut DbConnection, rows: &[Attendance]) -> Result<usize, AppError> {
    let mut added = 0;
    for chunk in rows.chunks(CHUNK) {
        added += crate::db::on_backend!(conn, |c| diesel::insert_into(impact_attendances::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(added)
}

/// The attendances of these events.
pub fn attendances(
    conn: &mut DbConnection,
    event_ids: &[EventId],
) -> Result<Vec<Attendance>, AppError> {
    Ok(impact_attendances::table
        .filter(impact_attendances::event_id.eq_any(event_ids))
        .select(Attendance::as_select())
        .load(conn)?)
}

/// Makes a programme's impact page public (false if it already was).
pub fn publish(
    conn: &mut DbConnection,
    program: &str,
    by: &str,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(impact_publications::table)
            .values((
                impact_publications::program.eq(program),
                impact_publications::published_at.eq(at),
                impact_publications::published_by.eq(by),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub fn is_published(conn: &mut DbConnection, program: &str) -> Result<bool, AppError> {
    let n: i64 = impact_publications::table
        .filter(impact_publications::program.eq(program))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn published(conn: &mut DbConnection) -> Result<HashSet<String>, AppError> {
    Ok(impact_publications::table
        .select(impact_publications::program)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}
