//! The survey's rows: an event's settings, the attendance written down once the event
//! ended (by pseudonymous person ids), each survey sent with its answers, and its links.
//! Why the figures are kept this way: `workflows::impact`.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::registration::Registration;
use crate::db::schema::{
    check_ins, event_surveys, impact_attendances, impact_people, impact_publications,
    registrations, survey_links, survey_responses,
};
use crate::db::DbConnection;
use crate::domain::registration::RegistrationStatus;
use crate::domain::survey::{Answers, SurveySettings, Wave};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = event_surveys)]
struct SettingsRow {
    send_after_hours: i32,
    follow_up_after_days: i32,
    open: bool,
}

/// The event's survey settings (the defaults if never set).
pub fn settings(conn: &mut DbConnection, event_id: &str) -> Result<SurveySettings, AppError> {
    let row = event_surveys::table
        .find(event_id)
        .select(SettingsRow::as_select())
        .first(conn)
        .optional()?;
    Ok(
        row.map_or_else(SurveySettings::default, |r| SurveySettings {
            send_after_hours: r.send_after_hours,
            follow_up_after_days: r.follow_up_after_days,
            open: r.open,
        }),
    )
}

/// Makes the event's settings row if there is none (with the defaults).
fn ensure_row(conn: &mut DbConnection, event_id: &str, at: NaiveDateTime) -> Result<(), AppError> {
    let d = SurveySettings::default();
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(event_surveys::table)
            .values((
                event_surveys::event_id.eq(event_id),
                event_surveys::send_after_hours.eq(d.send_after_hours),
                event_surveys::follow_up_after_days.eq(d.follow_up_after_days),
                event_surveys::open.eq(d.open),
                event_surveys::updated_at.eq(at),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if super::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub fn save_settings(
    conn: &mut DbConnection,
    event_id: &str,
    s: &SurveySettings,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    ensure_row(conn, event_id, at)?;
    diesel::update(event_surveys::table.find(event_id))
        .set((
            event_surveys::send_after_hours.eq(s.send_after_hours),
            event_surveys::follow_up_after_days.eq(s.follow_up_after_days),
            event_surveys::open.eq(s.open),
            event_surveys::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Claims the writing down of the event's attendance: true for the one caller that sets
/// `attendance_recorded_at` (a conditional UPDATE, so once across instances).
pub fn claim_attendance(
    conn: &mut DbConnection,
    event_id: &str,
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
pub fn attendance_recorded(conn: &mut DbConnection, event_id: &str) -> Result<bool, AppError> {
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
    event_ids: &[String],
) -> Result<HashSet<String>, AppError> {
    Ok(event_surveys::table
        .filter(event_surveys::event_id.eq_any(event_ids))
        .filter(event_surveys::attendance_recorded_at.is_not_null())
        .select(event_surveys::event_id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Distinct people and communities among these events' attendances: per event, and of
/// all of them together (which is not the sum: one person may attend two events).
pub struct AttendanceCounts {
    pub by_event: Vec<(String, i64, i64)>,
    pub people: i64,
    pub communities: i64,
}

/// [`AttendanceCounts`], counted by the database (a programme's report reads no rows).
pub fn attendance_counts(
    conn: &mut DbConnection,
    event_ids: &[String],
) -> Result<AttendanceCounts, AppError> {
    use diesel::dsl::count;
    let distinct_people = || count(impact_attendances::person_id).aggregate_distinct();
    let distinct_communities = || count(impact_attendances::community_id).aggregate_distinct();
    // GROUP BY does not compile through the MultiConnection: the backend's own connection.
    let by_event = crate::db::on_backend!(conn, |c| impact_attendances::table
        .filter(impact_attendances::event_id.eq_any(event_ids))
        .group_by(impact_attendances::event_id)
        .select((
            impact_attendances::event_id,
            distinct_people(),
            distinct_communities(),
        ))
        .load::<(String, i64, i64)>(c))?;
    let (people, communities) = crate::db::on_backend!(conn, |c| impact_attendances::table
        .filter(impact_attendances::event_id.eq_any(event_ids))
        .select((distinct_people(), distinct_communities()))
        .first::<(i64, i64)>(c))?;
    Ok(AttendanceCounts {
        by_event,
        people,
        communities,
    })
}

/// How many answered surveys of an event and wave gave these three answers, and the
/// residents they engaged in all.
#[derive(Queryable, Debug)]
pub struct AnswerCount {
    pub event_id: String,
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
    event_ids: &[String],
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

/// The answered surveys of these events whose authors allowed quoting.
pub fn quotable(
    conn: &mut DbConnection,
    event_ids: &[String],
) -> Result<Vec<SurveyResponse>, AppError> {
    Ok(survey_responses::table
        .filter(survey_responses::event_id.eq_any(event_ids))
        .filter(survey_responses::answered_at.is_not_null())
        .filter(survey_responses::may_quote.eq(true))
        .filter(survey_responses::testimonial.is_not_null())
        .order((
            survey_responses::answered_at.asc(),
            survey_responses::id.asc(),
        ))
        .select(SurveyResponse::as_select())
        .load(conn)?)
}

/// The attendances of these people at these events.
pub fn attendances_of(
    conn: &mut DbConnection,
    event_ids: &[String],
    person_ids: &[&str],
) -> Result<Vec<Attendance>, AppError> {
    Ok(impact_attendances::table
        .filter(impact_attendances::event_id.eq_any(event_ids))
        .filter(impact_attendances::person_id.eq_any(person_ids))
        .select(Attendance::as_select())
        .load(conn)?)
}

/// Who attended, as of now: those checked in (not cancelled since), or, where nobody of
/// the event was checked in, the confirmed registrations.
pub fn attendees_now(
    conn: &mut DbConnection,
    event_id: &str,
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

/// The person id of an address (made on first sight; addresses compared lowercased).
pub fn person_for_email(
    conn: &mut DbConnection,
    email: &str,
    at: NaiveDateTime,
) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    let find = |conn: &mut DbConnection| -> Result<Option<String>, AppError> {
        Ok(impact_people::table
            .filter(impact_people::email.eq(&email))
            .select(impact_people::id)
            .first(conn)
            .optional()?)
    };
    if let Some(id) = find(conn)? {
        return Ok(id);
    }
    let id = super::new_id();
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(impact_people::table)
            .values((
                impact_people::id.eq(&id),
                impact_people::email.eq(&email),
                impact_people::created_at.eq(at),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(id),
        Err(e) if super::is_unique_violation(&e) => {
            find(conn)?.ok_or_else(|| AppError::conflict("person id: try again"))
        }
        Err(e) => Err(e.into()),
    }
}

/// One attendee of an ended event.
#[derive(Queryable, Selectable, Insertable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = impact_attendances)]
pub struct Attendance {
    pub event_id: String,
    pub person_id: String,
    pub community_id: String,
    pub registration_id: Option<String>,
}

/// Adds an attendance (false if the person is already counted for the event).
pub fn add_attendance(conn: &mut DbConnection, a: &Attendance) -> Result<bool, AppError> {
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(impact_attendances::table)
            .values(a)
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The attendances of these events.
pub fn attendances(
    conn: &mut DbConnection,
    event_ids: &[String],
) -> Result<Vec<Attendance>, AppError> {
    Ok(impact_attendances::table
        .filter(impact_attendances::event_id.eq_any(event_ids))
        .select(Attendance::as_select())
        .load(conn)?)
}

/// The attendees of the event who have not had `wave` yet, with their registration
/// (never a cancelled one).
pub fn pending_recipients(
    conn: &mut DbConnection,
    event_id: &str,
    wave: Wave,
) -> Result<Vec<(Attendance, Registration)>, AppError> {
    let sent: HashSet<String> = survey_responses::table
        .filter(survey_responses::event_id.eq(event_id))
        .filter(survey_responses::wave.eq(wave.as_str()))
        .select(survey_responses::person_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let rows: Vec<(Attendance, Registration)> = impact_attendances::table
        .inner_join(
            registrations::table
                .on(impact_attendances::registration_id.eq(registrations::id.nullable())),
        )
        .filter(impact_attendances::event_id.eq(event_id))
        .filter(registrations::status.ne(RegistrationStatus::Cancelled.as_str()))
        .order(registrations::created_at.asc())
        .select((Attendance::as_select(), Registration::as_select()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(a, _)| !sent.contains(&a.person_id))
        .collect())
}

/// A survey sent to one attendee for one wave, with the answers once given.
#[derive(Queryable, Selectable, Insertable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = survey_responses)]
pub struct SurveyResponse {
    pub id: String,
    pub event_id: String,
    pub person_id: String,
    pub wave: String,
    pub sent_at: NaiveDateTime,
    pub reminded_at: Option<NaiveDateTime>,
    pub answered_at: Option<NaiveDateTime>,
    pub would_recommend: Option<bool>,
    pub learned: Option<bool>,
    pub still_applying: Option<bool>,
    pub residents_engaged: Option<i64>,
    #[serde(skip)]
    pub highlight: Option<String>,
    #[serde(skip)]
    pub testimonial: Option<String>,
    pub may_quote: bool,
}

impl crate::db::models::audit::Audited for SurveyResponse {
    const ENTITY: &'static str = "survey_response";
    fn entity_id(&self) -> &str {
        &self.id
    }
    fn event_id(&self) -> Option<&str> {
        Some(&self.event_id)
    }
}

impl SurveyResponse {
    pub fn wave(&self) -> Wave {
        match self.wave.as_str() {
            "follow_up" => Wave::FollowUp,
            _ => Wave::PostEvent,
        }
    }

    pub fn answers(&self) -> Answers {
        Answers {
            would_recommend: self.would_recommend,
            learned_and_met_objectives: self.learned,
            highlight: self.highlight.clone(),
            testimonial: self.testimonial.clone(),
            may_quote: self.may_quote,
            still_applying: self.still_applying,
            residents_engaged: self.residents_engaged,
        }
    }

    /// A survey just sent, not answered.
    pub fn new(event_id: &str, person_id: &str, wave: Wave, at: NaiveDateTime) -> Self {
        Self {
            id: super::new_id(),
            event_id: event_id.to_owned(),
            person_id: person_id.to_owned(),
            wave: wave.as_str().to_owned(),
            sent_at: at,
            reminded_at: None,
            answered_at: None,
            would_recommend: None,
            learned: None,
            still_applying: None,
            residents_engaged: None,
            highlight: None,
            testimonial: None,
            may_quote: false,
        }
    }
}

/// Stores a survey sent (false if this person already had this wave of this event: the
/// unique key decides between concurrent senders).
pub fn insert_response(conn: &mut DbConnection, r: &SurveyResponse) -> Result<bool, AppError> {
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(survey_responses::table)
            .values(r)
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub fn add_link(
    conn: &mut DbConnection,
    response_id: &str,
    token_hash: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(survey_links::table)
        .values((
            survey_links::token_hash.eq(token_hash),
            survey_links::response_id.eq(response_id),
            survey_links::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The survey a link's token hash opens.
pub fn find_by_link(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<SurveyResponse>, AppError> {
    Ok(survey_links::table
        .inner_join(survey_responses::table)
        .filter(survey_links::token_hash.eq(token_hash))
        .select(SurveyResponse::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_response(conn: &mut DbConnection, id: &str) -> Result<SurveyResponse, AppError> {
    Ok(survey_responses::table
        .find(id)
        .select(SurveyResponse::as_select())
        .first(conn)?)
}

/// Replaces the answers of a survey.
pub fn save_answers(
    conn: &mut DbConnection,
    id: &str,
    a: &Answers,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(survey_responses::table.find(id))
        .set((
            survey_responses::answered_at.eq(Some(at)),
            survey_responses::would_recommend.eq(a.would_recommend),
            survey_responses::learned.eq(a.learned_and_met_objectives),
            survey_responses::still_applying.eq(a.still_applying),
            survey_responses::residents_engaged.eq(a.residents_engaged),
            survey_responses::highlight.eq(a.highlight.as_deref()),
            survey_responses::testimonial.eq(a.testimonial.as_deref()),
            survey_responses::may_quote.eq(a.may_quote),
        ))
        .execute(conn)?;
    Ok(())
}

/// Surveys sent before `sent_before`, unanswered and not yet reminded.
pub fn due_for_reminder(
    conn: &mut DbConnection,
    sent_before: NaiveDateTime,
    limit: i64,
) -> Result<Vec<SurveyResponse>, AppError> {
    Ok(survey_responses::table
        .filter(survey_responses::answered_at.is_null())
        .filter(survey_responses::reminded_at.is_null())
        .filter(survey_responses::sent_at.le(sent_before))
        .order(survey_responses::sent_at.asc())
        .limit(limit)
        .select(SurveyResponse::as_select())
        .load(conn)?)
}

/// Claims the reminder of a survey: true for the one caller that sets `reminded_at`
/// while it is still unanswered.
pub fn claim_reminder(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        survey_responses::table
            .find(id)
            .filter(survey_responses::reminded_at.is_null())
            .filter(survey_responses::answered_at.is_null()),
    )
    .set(survey_responses::reminded_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
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
