//! The organizer dashboard under `/admin`: events, their numbers and agenda, invitations,
//! the review queues (requests for an invitation, nominations, scholarships), registrations,
//! the outbox, and for admins the audit log, the organizer accounts and the integrations
//! (API tokens and webhooks).
//!
//! Like the public pages, each page is an HTML shell compiled into the binary and a client
//! of the JSON API: the HTML carries no data, so these handlers need no session. The
//! page's script asks `GET /api/v1/auth/me` first and sends whoever is not signed in to
//! `/admin/sign-in`; the API decides what each organizer may see and do, and the pages
//! only hide the controls that it would refuse.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};

use super::{html, Caching};
use crate::domain::Slug;
use crate::error::AppError;

/// The dashboard's templates, added to the pages' environment.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "admin_layout.html",
        include_str!("templates/admin_layout.html"),
    ),
    (
        "admin_macros.html",
        include_str!("templates/admin_macros.html"),
    ),
    (
        "admin_sign_in.html",
        include_str!("templates/admin_sign_in.html"),
    ),
    (
        "admin_events.html",
        include_str!("templates/admin_events.html"),
    ),
    (
        "admin_event_form.html",
        include_str!("templates/admin_event_form.html"),
    ),
    (
        "admin_overview.html",
        include_str!("templates/admin_overview.html"),
    ),
    (
        "admin_invitations.html",
        include_str!("templates/admin_invitations.html"),
    ),
    (
        "admin_review.html",
        include_str!("templates/admin_review.html"),
    ),
    (
        "admin_registrations.html",
        include_str!("templates/admin_registrations.html"),
    ),
    (
        "admin_registration.html",
        include_str!("templates/admin_registration.html"),
    ),
    (
        "admin_emails.html",
        include_str!("templates/admin_emails.html"),
    ),
    (
        "admin_audit.html",
        include_str!("templates/admin_audit.html"),
    ),
    (
        "admin_organizers.html",
        include_str!("templates/admin_organizers.html"),
    ),
    (
        "admin_integrations.html",
        include_str!("templates/admin_integrations.html"),
    ),
    (
        "admin_checkin.html",
        include_str!("templates/admin_checkin.html"),
    ),
    (
        "admin_announcements.html",
        include_str!("templates/admin_announcements.html"),
    ),
    (
        "admin_wording.html",
        include_str!("templates/admin_wording.html"),
    ),
    (
        "admin_agenda.html",
        include_str!("templates/admin_agenda.html"),
    ),
    (
        "admin_catering.html",
        include_str!("templates/admin_catering.html"),
    ),
    (
        "admin_survey.html",
        include_str!("templates/admin_survey.html"),
    ),
    (
        "admin_forgot_password.html",
        include_str!("templates/admin_forgot_password.html"),
    ),
    (
        "admin_reset_password.html",
        include_str!("templates/admin_reset_password.html"),
    ),
    (
        "admin_password.html",
        include_str!("templates/admin_password.html"),
    ),
    (
        "admin_settings.html",
        include_str!("templates/admin_settings.html"),
    ),
    (
        "admin_people.html",
        include_str!("templates/admin_people.html"),
    ),
    (
        "admin_not_found.html",
        include_str!("templates/admin_not_found.html"),
    ),
];

/// Registers the dashboard's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(events))
        .route("/admin/", web::get().to(events))
        .route("/admin/sign-in", web::get().to(sign_in))
        .route("/admin/forgot-password", web::get().to(forgot_password))
        .route(
            "/admin/reset-password/{token}",
            web::get().to(reset_password),
        )
        .route("/admin/password", web::get().to(password))
        .route("/admin/settings", web::get().to(settings))
        .route("/admin/events/new", web::get().to(new_event))
        .route("/admin/organizers", web::get().to(organizers))
        .route("/admin/audit", web::get().to(audit))
        .route("/admin/integrations", web::get().to(integrations))
        .route("/admin/people", web::get().to(people))
        .route("/admin/events/{slug}", web::get().to(overview))
        .route("/admin/events/{slug}/edit", web::get().to(edit_event))
        .route("/admin/events/{slug}/{section}", web::get().to(section))
        .route(
            "/admin/events/{slug}/registrations/{id}",
            web::get().to(registration),
        )
        .route("/admin/{tail:.*}", web::get().to(not_found));
}

/// The parts of an event's pages, in the order of its navigation: (path, label).
const SECTIONS: [(&str, &str); 13] = [
    ("", "Overview"),
    ("agenda", "Agenda"),
    ("invitations", "Invitations"),
    ("requests", "Requests"),
    ("nominations", "Nominations"),
    ("scholarships", "Scholarships"),
    ("registrations", "Registrations"),
    ("emails", "Emails"),
    ("announcements", "Announcements"),
    ("wording", "Email wording"),
    ("check-in", "Check-in"),
    ("catering", "Catering"),
    ("survey", "Survey"),
];

/// Renders a dashboard page. `page` names the page for its script; `slug` and `current`
/// (the section's path) fill the event's navigation.
fn page(
    template: &str,
    page: &str,
    slug: Option<&Slug>,
    current: &str,
    extra: Value,
) -> Result<HttpResponse, AppError> {
    let sections: Vec<Value> = SECTIONS
        .iter()
        .map(|(path, label)| context! { path => *path, label => *label, current => *path == current })
        .collect();
    let ctx = context! {
        page => page,
        slug => slug.map(Slug::as_str),
        sections => sections,
        ..extra
    };
    let body = super::render_with(template, ctx)?;
    // Not secret, but a signed-in organizer's screens are nobody else's to keep.
    Ok(html(StatusCode::OK, body, Caching::Private))
}

fn slug_of(raw: &str) -> Option<Slug> {
    Slug::parse(raw).ok().filter(|s| s.as_str() == raw)
}

fn missing() -> Result<HttpResponse, AppError> {
    let body = super::render_with(
        "admin_not_found.html",
        context! { page => "not-found", slug => None::<&str>, sections => Vec::<Value>::new() },
    )?;
    Ok(html(StatusCode::NOT_FOUND, body, Caching::Private))
}

async fn sign_in() -> Result<HttpResponse, AppError> {
    page("admin_sign_in.html", "sign-in", None, "", context! {})
}

async fn forgot_password() -> Result<HttpResponse, AppError> {
    page(
        "admin_forgot_password.html",
        "forgot-password",
        None,
        "",
        context! {},
    )
}

/// The page of an emailed reset link; its script reads the token from the address.
async fn reset_password() -> Result<HttpResponse, AppError> {
    page(
        "admin_reset_password.html",
        "reset-password",
        None,
        "",
        context! {},
    )
}

async fn password() -> Result<HttpResponse, AppError> {
    page("admin_password.html", "password", None, "", context! {})
}

/// The signed-in organizer's own settings (the emails they want).
async fn settings() -> Result<HttpResponse, AppError> {
    page("admin_settings.html", "settings", None, "", context! {})
}

async fn events() -> Result<HttpResponse, AppError> {
    page("admin_events.html", "events", None, "", context! {})
}

async fn new_event() -> Result<HttpResponse, AppError> {
    page(
        "admin_event_form.html",
        "event-form",
        None,
        "",
        context! { editing => false },
    )
}

async fn organizers() -> Result<HttpResponse, AppError> {
    page("admin_organizers.html", "organizers", None, "", context! {})
}

async fn integrations() -> Result<HttpResponse, AppError> {
    page(
        "admin_integrations.html",
        "integrations",
        None,
        "",
        context! {},
    )
}

async fn people() -> Result<HttpResponse, AppError> {
    page("admin_people.html", "people", None, "", context! {})
}

async fn audit() -> Result<HttpResponse, AppError> {
    page("admin_audit.html", "audit", None, "", context! {})
}

async fn overview(slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    match slug_of(&slug) {
        Some(s) => page("admin_overview.html", "overview", Some(&s), "", context! {}),
        None => missing(),
    }
}

async fn edit_event(slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    match slug_of(&slug) {
        Some(s) => page(
            "admin_event_form.html",
            "event-form",
            Some(&s),
            "edit",
            context! { editing => true },
        ),
        None => missing(),
    }
}

async fn section(path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (raw, section) = path.into_inner();
    let Some(slug) = slug_of(&raw) else {
        return missing();
    };
    let (template, name) = match section.as_str() {
        "invitations" => ("admin_invitations.html", "invitations"),
        "requests" => ("admin_review.html", "requests"),
        "nominations" => ("admin_review.html", "nominations"),
        "scholarships" => ("admin_review.html", "scholarships"),
        "registrations" => ("admin_registrations.html", "registrations"),
        "emails" => ("admin_emails.html", "emails"),
        "announcements" => ("admin_announcements.html", "announcements"),
        "wording" => ("admin_wording.html", "wording"),
        "agenda" => ("admin_agenda.html", "agenda"),
        "check-in" => ("admin_checkin.html", "check-in"),
        "catering" => ("admin_catering.html", "catering"),
        "survey" => ("admin_survey.html", "survey"),
        _ => return missing(),
    };
    page(
        template,
        name,
        Some(&slug),
        &section,
        context! { queue => name },
    )
}

async fn registration(path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (raw, id) = path.into_inner();
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match slug_of(&raw) {
        Some(s) if id_ok => page(
            "admin_registration.html",
            "registration",
            Some(&s),
            "registrations",
            context! {},
        ),
        _ => missing(),
    }
}

async fn not_found() -> Result<HttpResponse, AppError> {
    missing()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dashboard_page_renders() {
        let slug = Slug::parse("future-city-2027").expect("slug");
        for (template, name) in [
            ("admin_sign_in.html", "sign-in"),
            ("admin_forgot_password.html", "forgot-password"),
            ("admin_reset_password.html", "reset-password"),
            ("admin_password.html", "password"),
            ("admin_settings.html", "settings"),
            ("admin_events.html", "events"),
            ("admin_event_form.html", "event-form"),
            ("admin_overview.html", "overview"),
            ("admin_invitations.html", "invitations"),
            ("admin_review.html", "requests"),
            ("admin_review.html", "nominations"),
            ("admin_review.html", "scholarships"),
            ("admin_registrations.html", "registrations"),
            ("admin_registration.html", "registration"),
            ("admin_emails.html", "emails"),
            ("admin_announcements.html", "announcements"),
            ("admin_wording.html", "wording"),
            ("admin_agenda.html", "agenda"),
            ("admin_checkin.html", "check-in"),
            ("admin_catering.html", "catering"),
            ("admin_survey.html", "survey"),
            ("admin_audit.html", "audit"),
            ("admin_organizers.html", "organizers"),
            ("admin_integrations.html", "integrations"),
        ] {
            let res = page(
                template,
                name,
                Some(&slug),
                name,
                context! { queue => name, editing => true },
            )
            .unwrap_or_else(|e| panic!("{template}: {e}"));
            assert_eq!(res.status(), StatusCode::OK, "{template}");
        }
        assert_eq!(missing().expect("404 page").status(), StatusCode::NOT_FOUND);
    }
}
