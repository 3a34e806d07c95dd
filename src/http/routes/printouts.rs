//! The printouts for the day at the door, for organizers: `badges.pdf` and the sign-in
//! sheet `attendees.pdf`, both of the confirmed registrants as they are now.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::models::check_in;
use crate::db::models::event::{self, Event};
use crate::db::{self};
use crate::email::messages::format_dates;
use crate::error::AppError;
use crate::http::extract::CurrentOrganizer;
use crate::http::openapi::EventPath;
use crate::http::AppState;
use crate::print::{self, Attendee, Paper};

/// `?paper=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaperQuery {
    /// `a4` (the default) or `letter` (US Letter).
    #[param(example = "a4", pattern = r"^ *(?:[aA]4|[lL][eE][tT][tT][eE][rR]) *$")]
    paper: Option<String>,
}

/// The event and its confirmed registrants, read on a pool thread.
async fn confirmed(state: &AppState, slug: String) -> Result<(Event, Vec<Attendee>), AppError> {
    db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        let rows = check_in::confirmed_with_communities(conn, &event.id)?;
        Ok((
            event,
            rows.into_iter().map(|(r, c)| Attendee::of(r, c)).collect(),
        ))
    })
    .await
}

/// Renders on a blocking thread: laying out and subsetting fonts is CPU work.
async fn render<F>(f: F) -> Result<Vec<u8>, AppError>
where
    F: FnOnce() -> Result<Vec<u8>, AppError> + Send + 'static,
{
    web::block(f)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF rendering task failed: {e}")))?
}

fn pdf(filename: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        // Names and affiliations of people: no shared cache keeps them.
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

/// Badges for printing: one per confirmed registrant, sorted by family name, six to a
/// sheet with cut lines (name, title, community, "Young leader" where it applies).
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/badges.pdf",
    params(EventPath, PaperQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "The badges (PDF, fonts embedded).", content_type = "application/pdf", body = String),
        (status = 404, description = "No such event."),
        (status = 422, description = "`paper` is neither `a4` nor `letter`."),
    )
)]
pub async fn badges(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
    query: web::Query<PaperQuery>,
) -> Result<HttpResponse, AppError> {
    let paper = Paper::parse(query.paper.as_deref())?;
    let (event, attendees) = confirmed(&state, slug.into_inner()).await?;
    let name = event.name.clone();
    let bytes = render(move || print::badges::render(&name, attendees, paper)).await?;
    Ok(pdf(&format!("{}-badges.pdf", event.slug), bytes))
}

/// The sign-in sheet: the confirmed registrants by community, each with a line to sign.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/attendees.pdf",
    params(EventPath, PaperQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "The sign-in sheet (PDF, fonts embedded).", content_type = "application/pdf", body = String),
        (status = 404, description = "No such event."),
        (status = 422, description = "`paper` is neither `a4` nor `letter`."),
    )
)]
pub async fn attendees(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
    query: web::Query<PaperQuery>,
) -> Result<HttpResponse, AppError> {
    let paper = Paper::parse(query.paper.as_deref())?;
    let (event, attendees) = confirmed(&state, slug.into_inner()).await?;
    let name = event.name.clone();
    let dates = format_dates(event.starts_on, event.ends_on);
    let bytes = render(move || print::sign_in::render(&name, &dates, attendees, paper)).await?;
    Ok(pdf(&format!("{}-attendees.pdf", event.slug), bytes))
}
