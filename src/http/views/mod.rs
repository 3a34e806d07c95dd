//! How the API shows the service's records: the views that more than one route answers
//! with, so that route modules never import each other.

mod community;
mod csv;
mod event;
mod impact;
mod organizer;
mod registration;

use chrono::{NaiveDateTime, SecondsFormat};

pub use community::CommunityView;
pub use csv::{csv_download, neutralise_formula, EventCsvAnswers, SheetFormat};
pub use event::PublicEventView;
pub use impact::{impact_csv_rows, ImpactView, IMPACT_CSV_HEADER};
pub use organizer::OrganizerView;
pub use registration::{NominationView, RegistrationRef, RegistrationView, ScholarshipView};

/// A stored UTC time as RFC 3339, as every answer gives times.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
