//! An event's survey settings: when the two waves go out and whether the survey is open
//! (closing it stops the waves and the reminders, and its links answer 410).

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::Event;
use crate::db::models::survey;
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::survey::SurveySettings;
use crate::error::AppError;

/// A change to the settings; what is left out stays.
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub send_after_hours: Option<i64>,
    pub follow_up_after_days: Option<i64>,
    pub open: Option<bool>,
}

pub fn show(conn: &mut DbConnection, event: &Event) -> Result<SurveySettings, AppError> {
    survey::settings(conn, &event.id)
}

/// Changes the settings (422 naming a field out of range), audited.
pub fn update(
    conn: &mut DbConnection,
    event: &Event,
    change: SettingsChange,
    organizer_id: &str,
) -> Result<SurveySettings, AppError> {
    write_transaction(conn, |conn| {
        let before = survey::settings(conn, &event.id)?;
        let after = before
            .with(
                change.send_after_hours,
                change.follow_up_after_days,
                change.open,
            )
            .map_err(AppError::Validation)?;
        survey::save_settings(conn, &event.id, &after, db::now())?;
        audit::record(
            conn,
            &Actor::organizer(organizer_id),
            Entry::new(
                "survey.settings_changed",
                "event",
                event.id.as_str(),
                Some(&event.id),
            )
            .before(audit::state(&before))
            .after(audit::state(&after)),
        )?;
        Ok(after)
    })
}
