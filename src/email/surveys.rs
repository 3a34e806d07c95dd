//! The survey emails, to an attendee: a wave of the survey with its personal link, and
//! the one reminder (with a link of its own: only hashes are stored, so the first link
//! cannot be repeated; both work).

use serde_json::json;

use super::messages::registration_email;
use super::Outgoing;
use crate::db::models::event::Event;
use crate::db::models::registration::Registration;
use crate::db::models::survey::SurveyResponse;
use crate::domain::survey::Wave;

/// The survey of `r`'s wave, or its reminder.
pub fn survey(
    event: &Event,
    reg: &Registration,
    r: &SurveyResponse,
    link: &str,
    reminder: bool,
) -> Outgoing {
    let template = if reminder {
        "survey_reminder"
    } else {
        "survey_invitation"
    };
    let mut email = registration_email(
        template,
        event,
        reg,
        json!({ "follow_up": r.wave() == Wave::FollowUp, "survey_link": link }),
        vec![],
    );
    email.entity = Some(("survey_response", r.id.clone()));
    email
}
