//! The impact pages, rendered on the server from the report (`http::views::ImpactView`):
//! `/admin/impact` for organizers (unlike the dashboard's other pages, its HTML carries
//! the figures, so it asks for the session itself and sends others to sign in), and the
//! public `/impact/{program}` once the programme is published (404 before).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::{html, render_with, Caching};
use crate::db;
use crate::domain::Slug;
use crate::error::AppError;
use crate::http::extract::MaybeOrganizer;
use crate::http::views::ImpactView;
use crate::http::AppState;
use crate::workflows::impact;

pub const TEMPLATES: &[(&str, &str)] = &[
    ("impact.html", include_str!("templates/impact.html")),
    (
        "impact_not_found.html",
        include_str!("templates/impact_not_found.html"),
    ),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/impact", web::get().to(admin_page))
        .route("/impact/{program}", web::get().to(public_page));
}

#[derive(Deserialize)]
struct ImpactQuery {
    program: Option<String>,
}

#[derive(serde::Serialize)]
struct ProgramLink {
    program: String,
    published: bool,
}

/// `GET /admin/impact[?program=P]`: the report with the programmes and the CSV link.
async fn admin_page(
    state: web::Data<AppState>,
    MaybeOrganizer(organizer): MaybeOrganizer,
    q: web::Query<ImpactQuery>,
) -> Result<HttpResponse, AppError> {
    if organizer.is_none() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin/sign-in"))
            .finish());
    }
    let program = q
        .into_inner()
        .program
        .filter(|p| !p.trim().is_empty())
        .and_then(|p| Slug::parse(p.trim()).ok())
        .map(|s| s.as_str().to_owned());
    let counts = state.impact_counts.clone();
    let (report, programs) = db::run(&state.pool, move |conn| {
        let programs = impact::programs(conn)?;
        let report = impact::report(conn, &counts, program.as_deref(), chrono::Utc::now())?;
        Ok((report, programs))
    })
    .await?;
    let programs: Vec<ProgramLink> = programs
        .into_iter()
        .map(|p| ProgramLink {
            program: p.program,
            published: p.published,
        })
        .collect();
    let view = ImpactView::of(&report);
    let published = programs
        .iter()
        .any(|p| p.published && Some(&p.program) == view.program.as_ref());
    let body = render_with(
        "impact.html",
        context! { admin => true, published => published, program => view.program.clone(), report => minijinja::Value::from(minijinja::value::Serde(&view)), programs => minijinja::Value::from(minijinja::value::Serde(&programs)) },
    )?;
    Ok(html(StatusCode::OK, body, Caching::Private))
}

/// `GET /impact/{program}`: the published report, for anyone.
async fn public_page(
    state: web::Data<AppState>,
    program: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let program = program.into_inner();
    let counts = state.impact_counts.clone();
    let found = db::run(&state.pool, move |conn| {
        match impact::public_report(conn, &counts, &program, chrono::Utc::now()) {
            Ok(r) => Ok(Some(r)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await?;
    let Some(report) = found else {
        return Ok(html(
            StatusCode::NOT_FOUND,
            render_with("impact_not_found.html", context! {})?,
            Caching::Public,
        ));
    };
    let view = ImpactView::of(&report);
    let body = render_with(
        "impact.html",
        context! { admin => false, published => true, program => view.program.clone(), report => minijinja::Value::from(minijinja::value::Serde(&view)), programs => Vec::<String>::new() },
    )?;
    Ok(html(StatusCode::OK, body, Caching::Public))
}
