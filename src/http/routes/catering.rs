//! `GET /events/{slug}/catering`: the confirmed registrants' dietary requirements and
//! accessibility needs, counted for the caterer and the venue.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::event;
use crate::db::{self};
use crate::error::AppError;
use crate::http::extract::CurrentOrganizer;
use crate::http::openapi::EventPath;
use crate::http::AppState;
use crate::workflows::check_in as workflow;

#[derive(Serialize, ToSchema)]
pub struct DietaryCount {
    /// One spelling of the requirement as registrants wrote it (the most frequent).
    #[schema(example = "Vegetarian")]
    requirement: String,
    #[schema(example = 7)]
    count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AccessibilityCount {
    /// One spelling of the need as registrants wrote it (the most frequent).
    #[schema(example = "Step-free access")]
    need: String,
    #[schema(example = 2)]
    count: i64,
}

/// What the caterer and the venue need to know. Answers are grouped whatever their case
/// and spacing ("Gluten  free" and "gluten free" are one), most asked-for first; blank
/// answers and "none", "n/a" and the like are left out.
#[derive(Serialize, ToSchema)]
pub struct Catering {
    /// Confirmed registrations: the meals to plan.
    #[schema(example = 40)]
    confirmed: i64,
    dietary: Vec<DietaryCount>,
    accessibility: Vec<AccessibilityCount>,
}

/// The confirmed registrants' requirements, counted.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/catering",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "The counts, exact at the moment they are read.", body = Catering),
        (status = 404, description = "No such event."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let c = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        workflow::catering(conn, &event)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Catering {
        confirmed: c.confirmed,
        dietary: c
            .dietary
            .into_iter()
            .map(|n| DietaryCount {
                requirement: n.text,
                count: n.count,
            })
            .collect(),
        accessibility: c
            .accessibility
            .into_iter()
            .map(|n| AccessibilityCount {
                need: n.text,
                count: n.count,
            })
            .collect(),
    }))
}
