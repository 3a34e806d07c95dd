//! What anyone sees of an event.

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::rfc3339;
use crate::db::models::event::Event;
use crate::domain::event::EventStatus;
use crate::domain::markdown::to_safe_html;

/// What anyone may see of an event.
#[derive(Serialize, ToSchema)]
pub struct PublicEventView {
    #[schema(example = "summit-2027")]
    slug: String,
    #[schema(example = "Community Leaders Summit 2027")]
    name: String,
    #[schema(example = "Convention Center")]
    venue: String,
    #[schema(example = "Springfield")]
    city: String,
    #[schema(example = "2027-05-12")]
    starts_on: NaiveDate,
    #[schema(example = "2027-05-14")]
    ends_on: NaiveDate,
    #[schema(example = "America/Chicago")]
    timezone: String,
    #[schema(value_type = EventStatus)]
    status: String,
    #[schema(example = "USD")]
    currency: String,
    #[schema(format = DateTime)]
    registration_opens_at: Option<String>,
    #[schema(format = DateTime, example = "2027-05-12T05:00:00Z")]
    registration_closes_at: String,
    /// Whether an invitee may register now.
    registration_open: bool,
    /// Markdown, as the organizers wrote it.
    description: String,
    /// `description` as HTML, cleaned: safe to put into a page as it is.
    #[schema(example = "<p>Two days with the chief executives of forty communities.</p>")]
    description_html: String,
    /// Markdown, as the organizers wrote it.
    practical_info: String,
    /// `practical_info` as HTML, cleaned: safe to put into a page as it is.
    practical_info_html: String,
    /// The organizing team's address, for questions.
    #[schema(example = "summit@example.org")]
    contact_email: Option<String>,
    /// The programme the event belongs to.
    #[schema(example = "future-city")]
    program: Option<String>,
}

impl PublicEventView {
    pub fn of(e: &Event) -> Self {
        Self {
            slug: e.slug.clone(),
            name: e.name.clone(),
            venue: e.venue.clone(),
            city: e.city.clone(),
            starts_on: e.starts_on,
            ends_on: e.ends_on,
            timezone: e.timezone.clone(),
            status: e.status.as_str().to_owned(),
            currency: e.currency.clone(),
            registration_opens_at: e.registration_opens_at.map(rfc3339),
            registration_closes_at: rfc3339(e.registration_closes_at),
            registration_open: e.registration_closed_reason(Utc::now()).is_none(),
            description: e.description.clone(),
            description_html: to_safe_html(&e.description),
            practical_info: e.practical_info.clone(),
            practical_info_html: to_safe_html(&e.practical_info),
            contact_email: e.contact_email.clone(),
            program: e.program.clone(),
        }
    }
}
