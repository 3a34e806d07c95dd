//! The public web pages and their assets, through the real server. The pages are clients
//! of the API and carry no data in their HTML, so these tests need no invitation.

use std::collections::HashSet;

use actix_web::http::Method;
use regex::Regex;

use crate::helpers::{spawn_app, TestApp, TestResponse};

/// Shaped like a real token (43 URL-safe characters), but matching no invitation.
const TOKEN: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";

/// The opening tag of the control named `name`.
fn control<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no control named {name}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = at + html[at..].find('>').expect("tag end");
    &html[start..=end]
}

/// The label text for the control with this id.
fn label_for<'a>(html: &'a str, id: &str) -> &'a str {
    let re = Regex::new(&format!(
        r#"<label[^>]*\bfor="{}"[^>]*>([^<]*)</label>"#,
        regex::escape(id)
    ))
    .expect("regex");
    re.captures(html)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
        .unwrap_or_else(|| panic!("no <label for=\"{id}\">"))
}

/// What every page must be: HTML in UTF-8, English, with a skip link, our stylesheet,
/// no inline script or style (the CSP would block them), no handler attributes, no link
/// to another origin, unique ids, and a visible label for every control.
fn assert_accessible_page(res: &TestResponse) -> String {
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let csp = res.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(res.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(
        res.header("referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert_eq!(
        res.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );

    let html = res.text();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains(r#"name="viewport""#));
    assert!(html.contains(r##"<a class="skip-link" href="#main-content">"##));
    assert!(html.contains(r#"id="main-content""#));
    assert!(html.contains(r#"<link rel="stylesheet" href="/static/convene.css?v="#));

    assert!(!html.contains("<style"), "no inline styles");
    assert!(!html.contains(" style="), "no style attributes");
    let scripts = Regex::new(r"<script\b[^>]*>").expect("regex");
    for tag in scripts.find_iter(&html) {
        assert!(
            tag.as_str().contains(r#"src="/static/"#),
            "inline script: {}",
            tag.as_str()
        );
    }
    let handlers = Regex::new(r#"\son[a-z]+\s*="#).expect("regex");
    assert!(!handlers.is_match(&html), "no event handler attributes");
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "no links to other origins"
    );

    let ids = Regex::new(r#"\sid="([^"]+)""#).expect("regex");
    let mut seen = HashSet::new();
    for id in ids.captures_iter(&html) {
        assert!(seen.insert(id[1].to_owned()), "duplicate id {}", &id[1]);
    }
    let controls = Regex::new(r#"<(?:input|textarea|select)\b[^>]*\bid="([^"]+)""#).expect("regex");
    for c in controls.captures_iter(&html) {
        assert!(
            !label_for(&html, &c[1]).trim().is_empty(),
            "label for {}",
            &c[1]
        );
    }
    html
}

/// Pages whose address carries a token: no cache keeps them, no search engine lists
/// them, and the token is not repeated in the HTML.
fn assert_private(res: &TestResponse, html: &str) {
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    assert!(res
        .header("x-robots-tag")
        .is_some_and(|v| v.contains("noindex")));
    assert!(!html.contains(TOKEN), "the token is not echoed in the page");
}

/// Asserts the control exists with this autocomplete token.
fn assert_autocomplete(html: &str, name: &str, token: &str) {
    let tag = control(html, name);
    assert!(
        tag.contains(&format!("autocomplete=\"{token}\"")),
        "{name} should have autocomplete={token}: {tag}"
    );
}

#[actix_web::test]
async fn the_landing_page_says_what_the_service_is() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status, 200);
    let html = assert_accessible_page(&res);
    assert!(html.contains("invitation"));
    assert!(res
        .header("cache-control")
        .is_some_and(|v| v.contains("max-age")));
}

#[actix_web::test]
async fn the_invitation_page_is_a_labelled_registration_form() {
    let app = spawn_app().await;
    let res = app.get(&format!("/invite/{TOKEN}")).await;
    assert_eq!(res.status, 200);
    let html = assert_accessible_page(&res);
    assert_private(&res, &html);

    assert!(html.contains(r#"<script src="/static/common.js?v="#));
    assert!(html.contains(r#"<script src="/static/invite.js?v="#));
    assert!(html.contains("<noscript>"));
    assert!(html.contains(r#"<form id="registration-form" class="form" novalidate>"#));
    // The organizers' practical information is filled in by the script, where there is some.
    assert!(html.contains(r#"<div class="inset-text prose" id="event-practical" hidden></div>"#));
    assert!(!html.contains("Meals are covered"));
    assert!(!html.contains("All meals are provided"));

    // Each control is named by its JSON path in the API, so a 422 error key finds it.
    for name in [
        "full_name",
        "email",
        "title",
        "organization",
        "community.name",
        "community.state",
        "phone",
        "dietary_requirements",
        "accessibility_needs",
        "young_leader_nomination.full_name",
        "young_leader_nomination.email",
        "young_leader_nomination.title",
        "young_leader_nomination.organization",
        "young_leader_nomination.reason",
        "travel_scholarship.travelers",
        "travel_scholarship.estimated_cost_cents",
        "travel_scholarship.requested_amount_cents",
        "travel_scholarship.justification",
        "reason",
    ] {
        control(&html, name);
    }
    assert_autocomplete(&html, "full_name", "name");
    assert_autocomplete(&html, "email", "email");
    assert_autocomplete(&html, "title", "organization-title");
    assert_autocomplete(&html, "organization", "organization");
    assert_autocomplete(&html, "phone", "tel");
    assert!(control(&html, "email").contains(r#"type="email""#));
    assert!(control(&html, "phone").contains(r#"type="tel""#));

    // Optional questions say so in the label; required ones are marked for assistive tech.
    assert_eq!(label_for(&html, "phone"), "Phone number (optional)");
    assert_eq!(
        label_for(&html, "dietary-requirements"),
        "Dietary requirements (optional)"
    );
    assert_eq!(label_for(&html, "full-name"), "Full name");
    assert!(control(&html, "full_name").contains(" required"));
    assert!(!control(&html, "phone").contains(" required"));

    // Hints are tied to their controls, and each control has a place for its error.
    assert!(control(&html, "email").contains(r#"aria-describedby="email-hint""#));
    assert!(html.contains(r#"id="email-hint""#));
    assert!(html.contains(r#"<p class="error-message" id="email-error" hidden></p>"#));

    // Question groups are fieldsets with legends; the optional sections open on demand.
    assert!(html.matches("<fieldset").count() >= 5);
    assert_eq!(
        html.matches("<fieldset").count(),
        html.matches("<legend").count()
    );
    assert!(html.contains("About you"));
    assert!(html.contains("Your needs"));
    assert!(html.contains(r#"aria-controls="nomination-fields""#));
    assert!(html.contains(r#"aria-controls="scholarship-fields""#));

    // An error summary waits at the top of the form, and declining asks to confirm.
    assert!(html.contains(r#"id="error-summary" role="alert" tabindex="-1""#));
    assert!(html.contains("There is a problem"));
    assert!(html.contains("Decline this invitation"));
    assert!(html.contains("Yes, decline the invitation"));
}

#[actix_web::test]
async fn the_manage_page_shows_edits_and_cancels_a_registration() {
    let app = spawn_app().await;
    let res = app.get(&format!("/manage/{TOKEN}")).await;
    assert_eq!(res.status, 200);
    let html = assert_accessible_page(&res);
    assert_private(&res, &html);

    assert!(html.contains(r#"<script src="/static/common.js?v="#));
    assert!(html.contains(r#"<script src="/static/manage.js?v="#));
    assert!(html.contains("<noscript>"));
    assert!(html.contains(r#"id="registration-status""#));
    assert!(html.contains(r#"<form class="form" id="details-form" novalidate hidden>"#));
    // Where it says to contact the organizing team, the script adds the event's address.
    for sentence in [
        "To change them, contact the organizing team<span class=\"js-contact\"></span>.",
        "you would need to contact the organizing team<span class=\"js-contact\"></span>.",
    ] {
        assert!(html.contains(sentence), "{sentence}");
    }
    // Exactly what PATCH /manage/{token} changes: an email address or community typed
    // here would be dropped by the API, so they are shown but not offered.
    for name in [
        "full_name",
        "title",
        "organization",
        "phone",
        "dietary_requirements",
        "accessibility_needs",
    ] {
        control(&html, name);
    }
    let details = form_of(&html, "details-form");
    for name in ["email", "community.name", "community.state"] {
        assert!(!details.contains(&format!("name=\"{name}\"")), "{name}");
    }
    // The nomination form, offered when the API says the registration may nominate, has
    // the young leader's address among the fields of POST /manage/{token}/nomination.
    let nomination = form_of(&html, "nomination-form");
    for name in ["full_name", "email", "title", "organization", "reason"] {
        assert!(nomination.contains(&format!("name=\"{name}\"")), "{name}");
    }
    assert!(html.contains("Nominate a young leader"));
    assert_autocomplete(&html, "full_name", "name");
    assert_autocomplete(&html, "phone", "tel");
    assert!(html.contains("Change your details"));
    assert!(html.contains("Cancel my registration"));
    assert!(html.contains("Are you sure you want to cancel?"));
    assert!(html.contains("Yes, cancel my registration"));
    assert!(html.contains("There is a problem"));
}

/// The HTML of the form with this id, up to its end.
fn form_of<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<form class=\"form\" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no form {id}"));
    let end = html[start..].find("</form>").expect("the form ends") + start;
    &html[start..end]
}

#[actix_web::test]
async fn a_link_that_cannot_be_a_token_gets_a_friendly_404_page() {
    let app = spawn_app().await;
    for path in ["/invite/not-a-token", "/manage/short"] {
        let res = app.get(path).await;
        assert_eq!(res.status, 404, "{path}");
        let html = assert_accessible_page(&res);
        assert!(html.contains("We do not recognise this link"));
        assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    }
}

async fn asset_paths(app: &TestApp) -> Vec<String> {
    let re = Regex::new(r#""(/static/[^"]+)""#).expect("regex");
    let mut paths = Vec::new();
    for page in [
        "/".to_owned(),
        format!("/invite/{TOKEN}"),
        format!("/manage/{TOKEN}"),
    ] {
        let html = app.get(&page).await.text();
        for c in re.captures_iter(&html) {
            if !paths.contains(&c[1].to_owned()) {
                paths.push(c[1].to_owned());
            }
        }
    }
    paths
}

#[actix_web::test]
async fn every_asset_a_page_names_is_served_with_its_type_and_a_long_cache_life() {
    let app = spawn_app().await;
    let paths = asset_paths(&app).await;
    assert!(paths.len() >= 5, "{paths:?}");
    for path in paths {
        let res = app.get(&path).await;
        assert_eq!(res.status, 200, "{path}");
        let expected = match path.split('?').next().and_then(|p| p.rsplit('.').next()) {
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected asset type {other:?}"),
        };
        assert_eq!(
            res.header("content-type").as_deref(),
            Some(expected),
            "{path}"
        );
        assert_eq!(
            res.header("cache-control").as_deref(),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
        assert_eq!(
            res.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert!(!res.body.is_empty());
    }
}

#[actix_web::test]
async fn an_asset_without_its_current_version_is_cached_briefly_and_revalidated() {
    let app = spawn_app().await;
    for path in ["/static/convene.css", "/static/invite.js?v=old"] {
        let res = app.get(path).await;
        assert_eq!(res.status, 200);
        assert_eq!(
            res.header("cache-control").as_deref(),
            Some("public, max-age=300")
        );
        let etag = res.header("etag").expect("an ETag");
        let again = app
            .send(
                app.raw(Method::GET, path)
                    .insert_header(("if-none-match", etag)),
                None,
            )
            .await;
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
    }
}

#[actix_web::test]
async fn an_unknown_asset_is_a_problem_json_404() {
    let app = spawn_app().await;
    for path in [
        "/static/nothing.js",
        "/static/..%2FCargo.toml",
        "/static/convene.css.map",
    ] {
        app.get(path).await.problem(404);
    }
}

#[actix_web::test]
async fn scripts_write_no_html_and_load_nothing_from_elsewhere() {
    let app = spawn_app().await;
    for name in ["common.js", "invite.js", "manage.js", "convene.css"] {
        let body = app.get(&format!("/static/{name}")).await.text();
        for banned in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "http://",
            "https://",
            "@import",
        ] {
            assert!(!body.contains(banned), "{name} contains {banned}");
        }
    }
}

/// The organizer dashboard's pages: every one is a shell with no data in it, under the
/// same protections as the public pages, naming its page script for admin.js.
const DASHBOARD: [(&str, &str); 16] = [
    ("/admin", "events"),
    ("/admin/sign-in", "sign-in"),
    ("/admin/events/new", "event-form"),
    ("/admin/organizers", "organizers"),
    ("/admin/audit", "audit"),
    ("/admin/settings", "settings"),
    ("/admin/events/future-city-2027", "overview"),
    ("/admin/events/future-city-2027/edit", "event-form"),
    ("/admin/events/future-city-2027/invitations", "invitations"),
    ("/admin/events/future-city-2027/requests", "requests"),
    ("/admin/events/future-city-2027/nominations", "nominations"),
    (
        "/admin/events/future-city-2027/scholarships",
        "scholarships",
    ),
    (
        "/admin/events/future-city-2027/registrations",
        "registrations",
    ),
    (
        "/admin/events/future-city-2027/registrations/0b7c5a0e-8f4e-4d7a-9c39-5d1f0e2a6b11",
        "registration",
    ),
    ("/admin/events/future-city-2027/emails", "emails"),
    ("/admin/events/future-city-2027/agenda", "agenda"),
];

#[actix_web::test]
async fn every_dashboard_page_is_an_accessible_shell_with_no_data_in_it() {
    let app = spawn_app().await;
    let assets = Regex::new(r#""(/static/[^"]+)""#).expect("regex");
    for (path, page) in DASHBOARD {
        let res = app.get(path).await;
        assert_eq!(res.status, 200, "{path}");
        let html = assert_accessible_page(&res);
        assert_eq!(
            res.header("cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
        assert!(
            html.contains(&format!(r#"data-page="{page}""#)),
            "{path} names its page script"
        );
        assert!(
            html.contains(r#"<script src="/static/admin.js?v="#),
            "{path}"
        );
        assert!(html.contains(r#"id="confirm-dialog""#), "{path}");
        for c in assets.captures_iter(&html) {
            assert_eq!(app.get(&c[1]).await.status, 200, "{path} names {}", &c[1]);
        }
    }
}

#[actix_web::test]
async fn the_dashboard_hides_admin_only_controls_until_it_knows_the_role() {
    let app = spawn_app().await;
    let html = app.get("/admin").await.text();
    let create = html
        .find("/admin/events/new")
        .expect("a link to create an event");
    let holder = html[..create].rfind("<div").expect("its container");
    assert!(
        html[holder..create].contains("data-admin-only hidden"),
        "the create link is hidden until the script knows the organizer is an admin"
    );
    for link in ["/admin/organizers", "/admin/audit"] {
        let at = html.find(&format!(r#"href="{link}""#)).expect(link);
        let item = html[..at].rfind("<li").expect("its list item");
        assert!(html[item..at].contains("data-admin-only hidden"), "{link}");
    }
}

#[actix_web::test]
async fn a_dashboard_address_that_names_nothing_is_a_404_page() {
    let app = spawn_app().await;
    for path in [
        "/admin/nothing-here",
        "/admin/events/Not_A_Slug",
        "/admin/events/future-city-2027/unknown",
        "/admin/events/future-city-2027/registrations/%3Cscript%3E",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 404, "{path}");
        let html = assert_accessible_page(&res);
        assert!(html.contains("Page not found"), "{path}");
        assert!(!html.contains("<script>"), "{path}");
    }
}

#[actix_web::test]
async fn dashboard_scripts_write_no_html_and_load_nothing_from_elsewhere() {
    let app = spawn_app().await;
    for name in [
        "admin.js",
        "admin-events.js",
        "admin-invitations.js",
        "admin-review.js",
        "admin-registrations.js",
        "admin-emails.js",
        "admin-announcements.js",
        "admin-wording.js",
        "admin-agenda.js",
        "admin-accounts.js",
        "admin.css",
    ] {
        let body = app.get(&format!("/static/{name}")).await.text();
        // The chart's SVG elements are made in the SVG namespace, which is named by a URL.
        let body = body.replace("'http://www.w3.org/2000/svg'", "");
        for banned in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "http://",
            "https://",
            "@import",
        ] {
            assert!(!body.contains(banned), "{name} contains {banned}");
        }
    }
}
