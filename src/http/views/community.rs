//! A community, as the API shows it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::community::Community;

#[derive(Serialize, ToSchema)]
pub struct CommunityView {
    pub id: String,
    #[schema(example = "Springfield")]
    pub name: String,
    #[schema(example = "IL")]
    pub state: String,
    #[schema(example = "US")]
    pub country: String,
}

impl CommunityView {
    pub fn of(c: &Community) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            state: c.state.clone(),
            country: c.country.clone(),
        }
    }
}
