//! The public web pages: a landing page, the registration form behind an invitation
//! link (`/invite/{token}`) and the page where a registrant manages their registration
//! (`/manage/{token}`); and the organizer dashboard under `/admin` (`admin.rs`).
//!
//! The pages are thin clients of the JSON API (`/api/v1/invitations/…`,
//! `/api/v1/manage/…`): the HTML carries no data and never the token, which stays in
//! the address bar where the page's script reads it. Templates and assets are compiled
//! into the binary, so the service needs no files beside it and no front-end build.

mod admin;
mod assets;
mod impact;
mod reference;

use std::sync::LazyLock;

use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Environment, UndefinedBehavior};

use crate::domain::markdown::to_safe_html;
use crate::domain::SecretToken;
use crate::error::AppError;

/// Registers the page routes and `/static/{file}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(landing))
        .route("/invite/{token}", web::get().to(invite))
        .route("/manage/{token}", web::get().to(manage))
        .route("/events/{slug}", web::get().to(event_page))
        .route("/survey/{token}", web::get().to(survey))
        .route("/static/{file}", web::get().to(assets::serve))
        .configure(impact::configure)
        .configure(admin::configure);
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // `.html` templates are auto-escaped by minijinja's default callback.
    env.add_function("asset", assets::url);
    env.add_filter("code", reference::code);
    let sources: [(&str, &str); 11] = [
        ("layout.html", include_str!("templates/layout.html")),
        ("_fields.html", include_str!("templates/_fields.html")),
        ("_states.html", include_str!("templates/_states.html")),
        ("index.html", include_str!("templates/index.html")),
        (
            "api_reference.html",
            include_str!("templates/api_reference.html"),
        ),
        ("invite.html", include_str!("templates/invite.html")),
        ("manage.html", include_str!("templates/manage.html")),
        ("survey.html", include_str!("templates/survey.html")),
        ("event.html", include_str!("templates/event.html")),
        (
            "event_not_found.html",
            include_str!("templates/event_not_found.html"),
        ),
        (
            "link_not_found.html",
            include_str!("templates/link_not_found.html"),
        ),
    ];
    let more = admin::TEMPLATES.iter().chain(impact::TEMPLATES).copied();
    for (name, source) in sources.into_iter().chain(more) {
        env.add_template(name, source)
            .expect("page templates compile");
    }
    env
});

fn render(name: &str) -> Result<String, AppError> {
    render_with(name, context! {})
}

fn render_with(name: &str, ctx: minijinja::Value) -> Result<String, AppError> {
    TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("page template {name}: {e:#}")))
}

/// Who may keep a copy of a page.
#[derive(Clone, Copy)]
enum Caching {
    /// No secret in the address: caches may keep it a few minutes.
    Public,
    /// The address carries a secret token: no cache keeps it, no search engine lists it.
    Private,
}

fn html(status: StatusCode, body: String, caching: Caching) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header(ContentType::html());
    match caching {
        Caching::Public => {
            res.insert_header((header::CACHE_CONTROL, "public, max-age=300"));
        }
        Caching::Private => {
            res.insert_header((header::CACHE_CONTROL, "no-store"));
            res.insert_header(("x-robots-tag", "noindex, nofollow"));
        }
    }
    res.body(body)
}

/// `GET /`: what the service is, for someone who arrives without a link.
async fn landing() -> Result<HttpResponse, AppError> {
    Ok(html(StatusCode::OK, render("index.html")?, Caching::Public))
}

/// `GET /invite/{token}`: the registration form (and the decline option).
async fn invite(token: web::Path<String>) -> Result<HttpResponse, AppError> {
    token_page("invite.html", &token)
}

/// `GET /manage/{token}`: view, change or cancel a registration.
async fn manage(token: web::Path<String>) -> Result<HttpResponse, AppError> {
    token_page("manage.html", &token)
}

/// `GET /survey/{token}`: an attendee's survey, answered through the API.
async fn survey(token: web::Path<String>) -> Result<HttpResponse, AppError> {
    token_page("survey.html", &token)
}

/// `GET /events/{slug}`: the public page of an event, with the request-an-invitation form.
/// Drafts are not public.
async fn event_page(
    state: web::Data<crate::http::AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::event::EventStatus;
    let slug = slug.into_inner();
    let found = crate::db::run(
        &state.pool,
        move |conn| match crate::workflows::agenda::list(conn, &slug) {
            Ok(found) => Ok(Some(found)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        },
    )
    .await?;
    let Some((event, sessions)) = found.filter(|(e, _)| e.status() != EventStatus::Draft) else {
        return Ok(html(
            StatusCode::NOT_FOUND,
            render("event_not_found.html")?,
            Caching::Public,
        ));
    };
    let accepting = event.status() == EventStatus::Open;
    let dates = crate::email::messages::format_dates(event.starts_on, event.ends_on);
    // Cleaned by ammonia: safe to put into the page as it is.
    let markdown = |md: &str| minijinja::Value::from_safe_string(to_safe_html(md));
    let body = render_with(
        "event.html",
        context! {
            event => context! {
                name => event.name, slug => event.slug, venue => event.venue, city => event.city,
                contact_email => event.contact_email,
            },
            description_html => markdown(&event.description),
            practical_info_html => markdown(&event.practical_info),
            dates => dates,
            agenda => agenda_by_day(&event.timezone, &sessions),
            accepting => accepting,
        },
    )?;
    Ok(html(StatusCode::OK, body, Caching::Public))
}

/// The agenda as the event page shows it: a list per day, times in the event's zone.
fn agenda_by_day(
    timezone: &str,
    sessions: &[crate::db::models::agenda::AgendaSession],
) -> Vec<minijinja::Value> {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut days: Vec<(chrono::NaiveDate, Vec<minijinja::Value>)> = Vec::new();
    for s in sessions {
        let starts = s.starts_at().with_timezone(&tz);
        let ends = s.ends_at().with_timezone(&tz);
        let day = starts.date_naive();
        // A session past midnight names the day it ends.
        let end = if ends.date_naive() == day {
            ends.format("%H:%M").to_string()
        } else {
            ends.format("%H:%M (%a %-d %b)").to_string()
        };
        let item = context! {
            start => starts.format("%H:%M").to_string(),
            start_iso => s.starts_at().to_rfc3339(),
            end => end,
            title => s.title.clone(),
            location => s.location.clone(),
            description => s.description.clone(),
        };
        match days.last_mut() {
            Some((d, items)) if *d == day => items.push(item),
            _ => days.push((day, vec![item])),
        }
    }
    days.into_iter()
        .map(|(day, items)| {
            context! {
                label => crate::email::messages::format_date(day),
                id => format!("day-{day}"),
                sessions => items,
            }
        })
        .collect()
}

/// A token that cannot be one of ours gets a human 404 page at once; any other token is
/// checked by the API when the page's script asks for the invitation or registration.
fn token_page(template: &str, raw: &str) -> Result<HttpResponse, AppError> {
    if SecretToken::parse(raw).is_none() {
        let body = render("link_not_found.html")?;
        return Ok(html(StatusCode::NOT_FOUND, body, Caching::Private));
    }
    Ok(html(StatusCode::OK, render(template)?, Caching::Private))
}

/// `GET /api/docs`: the API reference, rendered from the OpenAPI document.
pub fn api_reference(doc: &utoipa::openapi::OpenApi) -> Result<HttpResponse, AppError> {
    let body = render_with("api_reference.html", reference::context(doc))?;
    Ok(html(StatusCode::OK, body, Caching::Public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders() {
        for name in [
            "index.html",
            "invite.html",
            "manage.html",
            "survey.html",
            "link_not_found.html",
        ] {
            let page = render(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(page.starts_with("<!doctype html>"), "{name}");
        }
    }
}
