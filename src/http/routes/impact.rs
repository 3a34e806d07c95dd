//! Programmes and their impact report (organizers): the figures, the CSV export, the
//! programmes with their events, and publishing a programme's public page.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::{self};
use crate::domain::Slug;
use crate::error::AppError;
use crate::http::extract::CurrentOrganizer;
use crate::http::views::{csv_download, impact_csv_rows, ImpactView, IMPACT_CSV_HEADER};
use crate::http::AppState;
use crate::workflows::impact::{self, Report};

/// `?program=`: the programme to report on.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImpactQuery {
    /// A programme's slug; left out or empty: every event.
    #[param(
        example = "future-city",
        pattern = r"^ *(?:[a-z0-9](?:-?[a-z0-9]){2,31})? *$"
    )]
    program: Option<String>,
}

/// The report for the query: 422 for a programme that cannot be a slug, 404 for one that
/// no event names.
async fn report_for(state: &AppState, q: ImpactQuery) -> Result<Report, AppError> {
    let program = match q.program.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            Slug::parse(raw)
                .map_err(|m| AppError::invalid("program", m))?
                .as_str()
                .to_owned(),
        ),
    };
    let counts = state.impact_counts.clone();
    db::run(&state.pool, move |conn| {
        if let Some(p) = program.as_deref() {
            let known = impact::programs(conn)?.iter().any(|x| x.program == p);
            if !known {
                return Err(AppError::not_found("programme"));
            }
        }
        impact::report(conn, &counts, program.as_deref(), chrono::Utc::now())
    })
    .await
}

/// The impact report: the figures of the events that have ended.
#[utoipa::path(
    get,
    path = "/api/v1/impact",
    params(ImpactQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "The report.", body = ImpactView),
        (status = 404, description = "No event belongs to this programme."),
        (status = 422, description = "`program` is not a slug."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    q: web::Query<ImpactQuery>,
) -> Result<HttpResponse, AppError> {
    let report = report_for(&state, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ImpactView::of(&report)))
}

/// The impact report as CSV: one row per event, then the total.
#[utoipa::path(
    get,
    path = "/api/v1/impact.csv",
    params(ImpactQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "A CSV download (`Content-Disposition: attachment`).",
            content_type = "text/csv", body = String,
            example = "event,name,starts_on,ends_on,participants,...\n"),
        (status = 404, description = "No event belongs to this programme."),
        (status = 422, description = "`program` is not a slug."),
    )
)]
pub async fn export(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    q: web::Query<ImpactQuery>,
) -> Result<HttpResponse, AppError> {
    let report = report_for(&state, q.into_inner()).await?;
    let view = ImpactView::of(&report);
    let name = view.program.clone().unwrap_or_else(|| "all-events".into());
    csv_download(
        &format!("{name}-impact.csv"),
        &IMPACT_CSV_HEADER,
        impact_csv_rows(&view),
    )
}

/// An event of a programme.
#[derive(Serialize, ToSchema)]
pub struct ProgramEventView {
    #[schema(example = "summit-2027")]
    slug: String,
    #[schema(example = "The Future City")]
    name: String,
    #[schema(example = "2027-05-10")]
    starts_on: String,
    #[schema(example = "2027-05-12")]
    ends_on: String,
    #[schema(example = "open")]
    status: String,
}

/// A programme and its events.
#[derive(Serialize, ToSchema)]
pub struct ProgramView {
    #[schema(example = "future-city")]
    program: String,
    /// Whether its impact page is public (`/impact/{program}`).
    published: bool,
    /// Earliest first.
    events: Vec<ProgramEventView>,
}

/// The programmes.
#[derive(Serialize, ToSchema)]
pub struct ProgramList {
    /// By name.
    items: Vec<ProgramView>,
}

/// The programmes, each with its events.
#[utoipa::path(
    get,
    path = "/api/v1/programs",
    security(("session" = [])),
    responses((status = 200, description = "Every programme an event names.", body = ProgramList))
)]
pub async fn programs(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
) -> Result<HttpResponse, AppError> {
    let all = db::run(&state.pool, impact::programs).await?;
    let items = all
        .into_iter()
        .map(|p| ProgramView {
            program: p.program,
            published: p.published,
            events: p
                .events
                .into_iter()
                .map(|e| ProgramEventView {
                    status: e.status().as_str().to_owned(),
                    slug: e.slug,
                    name: e.name,
                    starts_on: e.starts_on.to_string(),
                    ends_on: e.ends_on.to_string(),
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ProgramList { items }))
}

/// `{program}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ProgramPath {
    /// The programme's slug.
    #[param(example = "future-city")]
    program: String,
}

/// Where the public page is.
#[derive(Serialize, ToSchema)]
pub struct PublishedView {
    #[schema(example = "future-city")]
    program: String,
    /// The public page's path.
    #[schema(example = "/impact/future-city")]
    url: String,
}

/// Publish a programme's impact page at `/impact/{program}` (publishing again is harmless).
#[utoipa::path(
    post,
    path = "/api/v1/programs/{program}/publish",
    params(ProgramPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Published.", body = PublishedView),
        (status = 404, description = "No event belongs to this programme."),
    )
)]
pub async fn publish(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    program: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let program = program.into_inner();
    let p = program.clone();
    db::run(&state.pool, move |conn| {
        impact::publish(conn, &p, &organizer.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PublishedView {
        url: format!("/impact/{program}"),
        program,
    }))
}
