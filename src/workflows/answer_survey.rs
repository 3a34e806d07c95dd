//! An attendee answers their survey through its personal link: they see its questions
//! and their answers, and may change them (the last answer replaces the one before)
//! until the survey is closed (then 410). An unknown link is `UnknownToken` (404,
//! counted against the client's address like other links).

use serde_json::{Map, Value};

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::models::survey::{self, SurveyResponse};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::refusal::{Ended, Refusal};
use crate::domain::survey::Answers;
use crate::domain::SecretToken;
use crate::error::AppError;

/// A survey opened by its link, with its event.
#[derive(Debug)]
pub struct OpenSurvey {
    pub event: Event,
    pub response: SurveyResponse,
}

/// The survey behind a link, while it is open.
pub fn open(conn: &mut DbConnection, raw_token: &str) -> Result<OpenSurvey, AppError> {
    let hash = SecretToken::parse(raw_token)
        .map(|t| t.hash())
        .ok_or(AppError::UnknownToken("survey"))?;
    let response = survey::find_by_link(conn, &hash)?.ok_or(AppError::UnknownToken("survey"))?;
    let event = event::find(conn, &response.event_id)?;
    if !survey::settings(conn, &event.id)?.open {
        return Err(Refusal::Ended(Ended::SurveyClosed).into());
    }
    Ok(OpenSurvey { event, response })
}

/// Stores the answers (replacing any earlier ones), audited without the free text.
pub fn answer(
    conn: &mut DbConnection,
    raw_token: &str,
    answers: &Map<String, Value>,
) -> Result<OpenSurvey, AppError> {
    write_transaction(conn, |conn| {
        let found = open(conn, raw_token)?;
        let parsed =
            Answers::parse(found.response.wave(), answers).map_err(AppError::Validation)?;
        survey::save_answers(conn, &found.response, &parsed, db::now())?;
        let after = survey::find_response(conn, &found.response.id)?;
        audit::record(
            conn,
            &Actor::registrant(),
            Entry::changed("survey.answered", &found.response, &after),
        )?;
        Ok(OpenSurvey {
            event: found.event,
            response: after,
        })
    })
}
