//! The survey's rows: an event's settings, each survey sent with its answers, and its
//! links. What the impact report counts of them is in [`super::impact`].

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::impact::Attendance;
use super::registration::Registration;
use crate::db::schema::{
    event_surveys, impact_attendances, registrations, survey_links, survey_responses,
};
use crate::db::DbConnection;
use crate::domain::registration::RegistrationStatus;
use crate::domain::survey::{Answers, SurveySettings, Wave};
use crate::domain::EventId;
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = event_surveys)]
struct SettingsRow {
    send_after_hours: i32,
    follow_up_after_days: i32,
    open: bool,
}

/// The event's survey settings (the defaults if never set).
pub fn settings(conn: &mut DbConnection, event_id: &EventId) -> Result<SurveySettings, AppError> {
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
pub(super) fn ensure_row(
    conn: &mut DbConnection,
    event_id: &EventId,
    at: NaiveDateTime,
) -> Result<(), AppError> {
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
    event_id: &EventId,
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

/// The attendees of the event who have not had `wave` yet, with their registration
/// (never a cancelled one).
pub fn pending_recipients(
    conn: &mut DbConnection,
    event_id: &EventId,
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
    pub event_id: EventId,
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
    fn event_id(&self) -> Option<&EventId> {
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
    pub fn new(event_id: &EventId, person_id: &str, wave: Wave, at: NaiveDateTime) -> Self {
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
        // A survey stored with its answers (an import) is an answer given.
        Ok(_) if r.answered_at.is_some() => {
            super::impact::answers_changed(conn, &r.event_id, r.sent_at)?;
            Ok(true)
        }
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

/// Replaces the answers of a survey, and makes its event's answers a new version (so
/// that the impact report counts them again).
pub fn save_answers(
    conn: &mut DbConnection,
    response: &SurveyResponse,
    a: &Answers,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(survey_responses::table.find(&response.id))
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
    super::impact::answers_changed(conn, &response.event_id, at)
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
