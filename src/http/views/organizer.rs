//! An organizer, as the API shows them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::organizer::Organizer;

/// What the API shows of an organizer.
#[derive(Serialize, ToSchema)]
pub struct OrganizerView {
    #[schema(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    pub id: String,
    #[schema(example = "admin@example.org")]
    pub email: String,
    #[schema(example = "Ada Admin")]
    pub name: String,
    #[schema(value_type = crate::domain::organizer::Role)]
    pub role: &'static str,
    /// `none` or `each`: emailed about each new item waiting for review.
    #[schema(value_type = crate::domain::organizer::ReviewNotices)]
    pub review_notices: String,
}

impl From<&Organizer> for OrganizerView {
    fn from(o: &Organizer) -> Self {
        Self {
            id: o.id.clone(),
            email: o.email.clone(),
            name: o.name.clone(),
            role: o.role().as_str(),
            review_notices: o.review_notices.clone(),
        }
    }
}
