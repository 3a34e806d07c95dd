//! The survey's waves: once an event has ended its attendance is written down (once),
//! then each attendee gets the post-event survey `send_after_hours` after the end and the
//! follow-up `follow_up_after_days` after it, each once, with a personal link; those who
//! have not answered a wave [`REMINDER_AFTER_DAYS`] days after it was sent are reminded
//! once. The sweeper of every instance does this as of its time ([`sweep_surveys`]); an
//! organizer can send a wave at once ([`send_wave`]), still once per person.
//!
//! Once across instances: the attendance by a conditional UPDATE of the event's survey
//! row, each survey by the unique key (event, person, wave) of its row, each reminder by
//! a conditional UPDATE of `reminded_at`; each in its own transaction with its email and
//! audit entry.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::models::impact::{self, Attendance};
use crate::db::models::registration::{self, Registration};
use crate::db::models::survey::{self, SurveyResponse};
use crate::db::{truncate_micros, write_transaction, DbConnection};
use crate::domain::event::EventStatus;
use crate::domain::registration::RegistrationStatus;
use crate::domain::survey::{ended_at, Wave, REMINDER_AFTER_DAYS, WAVE_WINDOW_DAYS};
use crate::domain::SecretToken;
use crate::email::{outbox, surveys};
use crate::error::AppError;

/// Surveys reminded per sweep; the rest wait for the next one.
const BATCH: i64 = 200;

/// When the event is over.
pub fn event_ended_at(e: &Event) -> DateTime<Utc> {
    ended_at(&e.timezone, e.ends_on)
}

/// Writes down who attended the event, once, if it has ended by `at`: those checked in,
/// or the confirmed registrations where nobody was checked in. True if this call did it.
pub fn record_attendance(
    conn: &mut DbConnection,
    e: &Event,
    at: DateTime<Utc>,
) -> Result<bool, AppError> {
    if event_ended_at(e) > at || impact::attendance_recorded(conn, &e.id)? {
        return Ok(false);
    }
    let at = truncate_micros(at.naive_utc());
    write_transaction(conn, |conn| {
        if !impact::claim_attendance(conn, &e.id, at)? {
            return Ok(false);
        }
        let attendees = impact::attendees_now(conn, &e.id)?;
        let emails: Vec<&str> = attendees.iter().map(|r| r.email.as_str()).collect();
        let people = impact::people_for_emails(conn, &emails, at)?;
        let rows = attendees
            .iter()
            .map(|reg| {
                let person_id = people.get(&reg.email.trim().to_lowercase()).cloned();
                Ok(Attendance {
                    event_id: e.id.clone(),
                    person_id: person_id.ok_or_else(|| anyhow::anyhow!("no person id"))?,
                    community_id: reg.community_id.clone(),
                    registration_id: Some(reg.id.clone()),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let n = impact::add_attendances(conn, &rows)?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::new(
                "event.attendance_recorded",
                "event",
                e.id.as_str(),
                Some(&e.id),
            )
            .after(audit::state(&serde_json::json!({ "attendees": n }))),
        )?;
        Ok(true)
    })
}

/// Why a wave cannot be sent by hand. `http` turns each into its status and words.
#[derive(Debug)]
pub enum SendRefused {
    /// The event has not ended yet.
    NotEnded,
    /// The survey is closed.
    Closed,
    /// A draft event did not take place.
    Draft,
}

/// Sends `wave` now to every attendee who has not had it; how many got it.
pub fn send_wave(
    conn: &mut DbConnection,
    base_url: &Url,
    e: &Event,
    wave: Wave,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Result<Result<usize, SendRefused>, AppError> {
    if e.status() == EventStatus::Draft {
        return Ok(Err(SendRefused::Draft));
    }
    if event_ended_at(e) > at {
        return Ok(Err(SendRefused::NotEnded));
    }
    if !survey::settings(conn, &e.id)?.open {
        return Ok(Err(SendRefused::Closed));
    }
    record_attendance(conn, e, at)?;
    let at = truncate_micros(at.naive_utc());
    let mut sent = 0;
    for (attendance, _) in survey::pending_recipients(conn, &e.id, wave)? {
        if send_one(conn, base_url, e, &attendance, wave, at, actor)? {
            sent += 1;
        }
    }
    Ok(Ok(sent))
}

/// Sends one survey, unless this person already had this wave (false then).
fn send_one(
    conn: &mut DbConnection,
    base_url: &Url,
    e: &Event,
    attendance: &Attendance,
    wave: Wave,
    at: NaiveDateTime,
    actor: &Actor,
) -> Result<bool, AppError> {
    let Some(reg_id) = attendance.registration_id.as_ref() else {
        return Ok(false);
    };
    write_transaction(conn, |conn| {
        // Read again in the transaction: a cancellation meanwhile is never surveyed.
        let reg = registration::find(conn, reg_id)?;
        if reg.status() == RegistrationStatus::Cancelled {
            return Ok(false);
        }
        let row = SurveyResponse::new(&e.id, &attendance.person_id, wave, at);
        if !survey::insert_response(conn, &row)? {
            return Ok(false);
        }
        let link = new_link(conn, base_url, &row.id, at)?;
        outbox::queue(conn, surveys::survey(e, &reg, &row, &link, false))?;
        audit::record(conn, actor, Entry::created("survey.sent", &row))?;
        Ok(true)
    })
}

/// A new personal link to the survey (only its hash is stored).
fn new_link(
    conn: &mut DbConnection,
    base_url: &Url,
    response_id: &str,
    at: NaiveDateTime,
) -> Result<String, AppError> {
    let token = SecretToken::generate();
    survey::add_link(conn, response_id, &token.hash(), at)?;
    Ok(crate::email::messages::web_link(
        base_url,
        &format!("/survey/{}", token.expose()),
    ))
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub post_event: usize,
    pub follow_up: usize,
    pub reminded: usize,
}

/// One sweep as of `now`: records the attendance of the events that ended, sends the
/// waves that are due, and the reminders. Safe to run in several processes at once. An
/// event or survey that fails does not hold up the others; the first error is returned
/// after the rest were done (the next sweep tries it again).
pub fn sweep_surveys(
    conn: &mut DbConnection,
    base_url: &Url,
    now: DateTime<Utc>,
) -> Result<SweepReport, AppError> {
    let mut report = SweepReport::default();
    let mut first_error = None;
    for e in event::list(conn, None)? {
        if let Err(err) = sweep_event(conn, base_url, &e, now, &mut report) {
            tracing::warn!(event_id = %e.id, error = %err, "survey sweep of an event failed");
            first_error.get_or_insert(err);
        }
    }
    let at = truncate_micros(now.naive_utc());
    let sent_before = at - Duration::days(REMINDER_AFTER_DAYS);
    for r in survey::due_for_reminder(conn, sent_before, BATCH)? {
        match remind(conn, base_url, &r, at) {
            Ok(true) => report.reminded += 1,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(survey_id = %r.id, error = %err, "survey reminder failed");
                first_error.get_or_insert(err);
            }
        }
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(report),
    }
}

/// The waves of one event that are due as of `now`.
fn sweep_event(
    conn: &mut DbConnection,
    base_url: &Url,
    e: &Event,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let ended = event_ended_at(e);
    // A draft never took place.
    if ended > now || e.status() == EventStatus::Draft {
        return Ok(());
    }
    record_attendance(conn, e, now)?;
    let settings = survey::settings(conn, &e.id)?;
    if !settings.open {
        return Ok(());
    }
    let window = Duration::days(WAVE_WINDOW_DAYS);
    for wave in [Wave::PostEvent, Wave::FollowUp] {
        let due = settings.due_at(wave, ended);
        if now < due || now > due + window {
            continue;
        }
        if let Ok(n) = send_wave(conn, base_url, e, wave, now, &Actor::system())? {
            match wave {
                Wave::PostEvent => report.post_event += n,
                Wave::FollowUp => report.follow_up += n,
            }
        }
    }
    Ok(())
}

/// Reminds one attendee of a survey they have not answered, once, while it is open
/// (a closed survey, or a reminder come too late to matter, is marked and not sent).
fn remind(
    conn: &mut DbConnection,
    base_url: &Url,
    r: &SurveyResponse,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    write_transaction(conn, |conn| {
        if !survey::claim_reminder(conn, &r.id, at)? {
            return Ok(false);
        }
        let e = event::find(conn, &r.event_id)?;
        let late = at - r.sent_at > Duration::days(WAVE_WINDOW_DAYS);
        let reg = attendee(conn, r)?;
        let (false, true, Some(reg)) = (late, survey::settings(conn, &e.id)?.open, reg) else {
            return Ok(false);
        };
        let link = new_link(conn, base_url, &r.id, at)?;
        outbox::queue(conn, surveys::survey(&e, &reg, r, &link, true))?;
        let after = survey::find_response(conn, &r.id)?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::changed("survey.reminded", r, &after),
        )?;
        Ok(true)
    })
}

/// The registration of the person a survey was sent to, while it is kept and not cancelled.
fn attendee(conn: &mut DbConnection, r: &SurveyResponse) -> Result<Option<Registration>, AppError> {
    let rows = impact::attendances(conn, std::slice::from_ref(&r.event_id))?;
    let Some(reg_id) = rows
        .into_iter()
        .find(|a| a.person_id == r.person_id)
        .and_then(|a| a.registration_id)
    else {
        return Ok(None);
    };
    let reg = registration::find(conn, &reg_id)?;
    Ok((reg.status() != RegistrationStatus::Cancelled).then_some(reg))
}
