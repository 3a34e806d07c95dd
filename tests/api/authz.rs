//! The authorization matrix. One row per (method, path): every organizer endpoint tried
//! anonymously, with a forged, a malformed, an expired session and one of a disabled
//! account (401), by a reviewer where only admins may (403), and as a write from another
//! site (403); every record under an event's address tried with a record of another
//! event (404, untouched); every invitee endpoint tried with a random, a malformed, an
//! expired, a revoked token and a token of the other kind (404 / 410).
//!
//! Every answer, refusals included, must carry the security headers.
//!
//! The signed-in rows also check that the endpoint exists (an answer other than 401, 403
//! or the 404 of an unknown address), so a row whose route was renamed fails here rather
//! than passing on the default service's 404.

use actix_web::http::Method;
use chrono::Utc;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, token_of, Session, TestApp, TestResponse};
use crate::invitations::{invitation_token, invite};
use crate::registration::registration_body;

/// Who may call an organizer endpoint.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    /// Any signed-in organizer, admin or reviewer.
    Organizer,
    Admin,
}
use Who::{Admin, Organizer};

/// Every organizer endpoint. `{slug}` is an event, `{id}` a record id.
const ORGANIZER_ENDPOINTS: &[(&str, &str, Who)] = &[
    ("GET", "/auth/me", Organizer),
    ("PATCH", "/auth/me", Organizer),
    ("GET", "/events", Organizer),
    ("POST", "/events", Admin),
    ("PATCH", "/events/{slug}", Admin),
    ("GET", "/audit-log", Admin),
    ("GET", "/organizers", Admin),
    ("POST", "/organizers", Admin),
    ("PATCH", "/organizers/{id}", Admin),
    ("GET", "/events/{slug}/stats", Organizer),
    ("GET", "/events/{slug}/invitations", Organizer),
    ("GET", "/events/{slug}/invitations.csv", Organizer),
    ("POST", "/events/{slug}/invitations", Organizer),
    ("POST", "/events/{slug}/invitations/bulk", Organizer),
    ("POST", "/events/{slug}/invitations/remind", Organizer),
    ("GET", "/events/{slug}/invitations/{id}", Organizer),
    ("POST", "/events/{slug}/invitations/{id}/revoke", Organizer),
    ("POST", "/events/{slug}/invitations/{id}/resend", Organizer),
    ("GET", "/events/{slug}/invitation-requests", Organizer),
    (
        "POST",
        "/events/{slug}/invitation-requests/{id}/approve",
        Organizer,
    ),
    (
        "POST",
        "/events/{slug}/invitation-requests/{id}/decline",
        Organizer,
    ),
    ("GET", "/events/{slug}/registrations", Organizer),
    ("GET", "/events/{slug}/registrations.csv", Organizer),
    ("POST", "/events/{slug}/registrations", Organizer),
    ("PATCH", "/events/{slug}/registrations/{id}", Organizer),
    (
        "POST",
        "/events/{slug}/registrations/{id}/cancel",
        Organizer,
    ),
    (
        "POST",
        "/events/{slug}/registrations/{id}/confirm",
        Organizer,
    ),
    (
        "POST",
        "/events/{slug}/registrations/{id}/manage-link",
        Organizer,
    ),
    ("GET", "/events/{slug}/nominations", Organizer),
    ("GET", "/events/{slug}/nominations.csv", Organizer),
    ("POST", "/events/{slug}/nominations/{id}/approve", Organizer),
    ("POST", "/events/{slug}/nominations/{id}/decline", Organizer),
    ("GET", "/events/{slug}/scholarships", Organizer),
    ("GET", "/events/{slug}/scholarships.csv", Organizer),
    (
        "POST",
        "/events/{slug}/scholarships/{id}/decision",
        Organizer,
    ),
    ("GET", "/events/{slug}/emails", Organizer),
    ("POST", "/events/{slug}/emails/{id}/resend", Organizer),
    ("POST", "/events/{slug}/check-ins", Organizer),
    ("GET", "/events/{slug}/check-ins", Organizer),
    ("DELETE", "/events/{slug}/check-ins/{id}", Organizer),
    ("GET", "/events/{slug}/catering", Organizer),
    ("GET", "/events/{slug}/announcements", Organizer),
    ("POST", "/events/{slug}/announcements", Organizer),
    ("GET", "/events/{slug}/email-templates", Organizer),
    (
        "PUT",
        "/events/{slug}/email-templates/invitation",
        Organizer,
    ),
    (
        "DELETE",
        "/events/{slug}/email-templates/invitation",
        Organizer,
    ),
    (
        "POST",
        "/events/{slug}/email-templates/invitation/preview",
        Organizer,
    ),
    (
        "POST",
        "/events/{slug}/email-templates/invitation/test",
        Organizer,
    ),
];

/// Endpoints anyone may call: no session needed, but writes from another site are refused.
const PUBLIC_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("GET", "/events/{slug}"),
    ("POST", "/events/{slug}/invitation-requests"),
];

/// Records addressed under an event: tried as an admin with a record of another event.
/// The body is one that would be accepted, so the 404 is the event's scope, not the form.
const RECORDS_OF_AN_EVENT: &[(&str, &str, &str)] = &[
    ("GET", "/events/{slug}/invitations/{invitation}", "{}"),
    (
        "POST",
        "/events/{slug}/invitations/{invitation}/revoke",
        "{}",
    ),
    (
        "POST",
        "/events/{slug}/invitations/{invitation}/resend",
        "{}",
    ),
    (
        "POST",
        "/events/{slug}/invitation-requests/{request}/approve",
        "{}",
    ),
    (
        "POST",
        "/events/{slug}/invitation-requests/{request}/decline",
        "{}",
    ),
    (
        "POST",
        "/events/{slug}/nominations/{nomination}/approve",
        "{}",
    ),
    (
        "POST",
        "/events/{slug}/nominations/{nomination}/decline",
        "{}",
    ),
    (
        "POST",
        "/events/{slug}/scholarships/{scholarship}/decision",
        r#"{"decision": "approved", "awarded_amount_cents": 100}"#,
    ),
    ("POST", "/events/{slug}/emails/{email}/resend", "{}"),
    (
        "PATCH",
        "/events/{slug}/registrations/{registration}",
        r#"{"title": "Mayor"}"#,
    ),
    (
        "POST",
        "/events/{slug}/registrations/{registration}/cancel",
        "{}",
    ),
    (
        "POST",
        "/events/{slug}/registrations/{registration}/confirm",
        "{}",
    ),
    (
        "POST",
        "/events/{slug}/registrations/{registration}/manage-link",
        "{}",
    ),
];

/// The invitee's endpoints, reached with the token from the invitation email.
const INVITATION_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/invitations/{token}"),
    ("POST", "/invitations/{token}/registration"),
    ("POST", "/invitations/{token}/decline"),
];

/// The registrant's endpoints, reached with the manage token.
const MANAGE_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/manage/{token}"),
    ("PATCH", "/manage/{token}"),
    ("POST", "/manage/{token}/cancel"),
    ("POST", "/manage/{token}/nomination"),
    ("POST", "/manage/{token}/nominations/{nomination}/withdraw"),
    ("POST", "/manage/{token}/scholarship"),
    ("POST", "/manage/{token}/scholarship/withdraw"),
    ("POST", "/manage/{token}/scholarship/accept"),
    ("POST", "/manage/{token}/scholarship/decline"),
    ("GET", "/manage/{token}/checkin.png"),
];

const SLUG: &str = "matrix-a";
const OTHER: &str = "matrix-b";

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).expect("a method")
}

fn is_write(m: &str) -> bool {
    !matches!(m, "GET" | "HEAD")
}

/// `/api/v1` + `path` with each `{name}` replaced.
fn fill(path: &str, values: &[(&str, &str)]) -> String {
    let mut out = format!("/api/v1{path}");
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    assert!(!out.contains('{'), "unfilled placeholder in {out}");
    out
}

/// A body that is well formed for whichever endpoint gets it, so that what is judged is
/// who asks, not the form.
fn body_for(m: &str, path: &str) -> Option<(&'static str, Vec<u8>)> {
    if !is_write(m) {
        return None;
    }
    let body = if path.ends_with("/registration") {
        registration_body("someone@example.org")
    } else if path.ends_with("/nomination") {
        json!({ "full_name": "Sam Ortiz", "email": "sam@example.org", "title": "Analyst",
                "organization": "City of Springfield", "reason": "A rising leader." })
    } else if path.ends_with("/scholarship") {
        json!({ "travelers": 1, "estimated_cost_cents": 50_000, "requested_amount_cents": 40_000,
                "justification": "Our travel budget is frozen." })
    } else if path.ends_with("/bulk") {
        json!([])
    } else {
        json!({})
    };
    Some(("application/json", serde_json::to_vec(&body).expect("json")))
}

async fn call(
    app: &TestApp,
    m: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<(&'static str, Vec<u8>)>,
) -> TestResponse {
    let mut req = app.raw(method(m), path);
    for (name, value) in headers {
        req = req.insert_header((*name, value.clone()));
    }
    app.send(req, body).await
}

fn cookie(value: &str) -> (&'static str, String) {
    (
        "cookie",
        format!("{}={value}", convene::auth::SESSION_COOKIE),
    )
}

/// Every answer, refusals included, carries the security headers.
fn assert_security_headers(res: &TestResponse, row: &str, case: &str) {
    let csp = res.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && res.header("x-content-type-options").as_deref() == Some("nosniff")
            && res.header("referrer-policy").as_deref() == Some("no-referrer"),
        "{row} {case}: security headers missing: {:?}",
        res.headers
    );
}

/// Asserts a problem+json answer with `status`, naming the row on failure. A 404 must
/// come from the endpoint, not from the default service of an unknown address.
fn expect(res: &TestResponse, status: u16, row: &str, case: &str) {
    assert_security_headers(res, row, case);
    assert!(
        res.status == status
            && res.header("content-type").as_deref() == Some("application/problem+json")
            && !res.text().contains("resource at this address"),
        "{row} {case}: expected {status} problem+json, got {} {:?}: {}",
        res.status,
        res.header("content-type"),
        res.text()
    );
}

/// Asserts that the endpoint exists and let this caller through: not 401/403/405, not the
/// default service's 404, and never a server error.
fn expect_let_through(res: &TestResponse, row: &str, case: &str) {
    assert_security_headers(res, row, case);
    let unknown_address = res.status == 404 && res.text().contains("resource at this address");
    assert!(
        !matches!(res.status, 401 | 403 | 405) && !unknown_address && res.status < 500,
        "{row} {case}: expected to be let through, got {}: {}",
        res.status,
        res.text()
    );
}

/// Ends every session of this organizer by moving its expiry into the past.
fn expire_sessions(app: &TestApp, session: &Session) {
    use convene::db::schema::organizer_sessions as s;
    let id = session.organizer["id"]
        .as_str()
        .expect("organizer id")
        .to_owned();
    let mut conn = app.pool.get().expect("connection");
    let past = (Utc::now() - chrono::Duration::minutes(1)).naive_utc();
    let n = diesel::update(s::table.filter(s::organizer_id.eq(id)))
        .set(s::expires_at.eq(past))
        .execute(&mut conn)
        .expect("expire sessions");
    assert!(n > 0, "the session exists");
}

#[actix_web::test]
async fn every_organizer_endpoint_refuses_whoever_may_not_call_it() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    let reviewer = app.reviewer().await;
    app.create_event(&admin, SLUG).await;
    let expired = app.admin().await;
    expire_sessions(&app, &expired);
    let disabled = app.reviewer().await;
    let id = disabled.organizer["id"].as_str().unwrap();
    let res = app
        .patch_as(
            &admin,
            &format!("/api/v1/organizers/{id}"),
            &json!({ "disabled": true }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    let forged = convene::domain::SecretToken::generate().expose().to_owned();
    let some_id = uuid::Uuid::new_v4().to_string();
    let evil_origin = ("origin", "https://evil.example".to_owned());
    let cross_site = ("sec-fetch-site", "cross-site".to_owned());
    for &(m, template, who) in ORGANIZER_ENDPOINTS {
        let row = format!("{m} {template}");
        let path = fill(template, &[("slug", SLUG), ("id", &some_id)]);
        let body = || body_for(m, template);
        let as_session = |s: &Session| ("cookie", s.cookie.clone());

        let res = call(&app, m, &path, &[], body()).await;
        expect(&res, 401, &row, "anonymously");
        let res = call(&app, m, &path, &[cookie(&forged)], body()).await;
        expect(&res, 401, &row, "with a forged session");
        let res = call(&app, m, &path, &[cookie("not-a-session")], body()).await;
        expect(&res, 401, &row, "with a malformed session cookie");
        let res = call(&app, m, &path, &[as_session(&expired)], body()).await;
        expect(&res, 401, &row, "with an expired session");
        let res = call(&app, m, &path, &[as_session(&disabled)], body()).await;
        expect(&res, 401, &row, "with the session of a disabled account");

        let res = call(&app, m, &path, &[as_session(&reviewer)], body()).await;
        match who {
            Admin => expect(&res, 403, &row, "by a reviewer"),
            Organizer => expect_let_through(&res, &row, "by a reviewer"),
        }
        if is_write(m) {
            for header in [&evil_origin, &cross_site] {
                let res = call(
                    &app,
                    m,
                    &path,
                    &[as_session(&admin), header.clone()],
                    body(),
                )
                .await;
                expect(
                    &res,
                    403,
                    &row,
                    &format!("from another site ({})", header.0),
                );
            }
        }
        let res = call(&app, m, &path, &[as_session(&admin)], body()).await;
        expect_let_through(&res, &row, "by an admin");
    }

    for &(m, template) in PUBLIC_ENDPOINTS {
        let row = format!("{m} {template}");
        let path = fill(template, &[("slug", SLUG)]);
        let res = call(&app, m, &path, &[], body_for(m, template)).await;
        expect_let_through(&res, &row, "anonymously");
        if is_write(m) {
            for header in [&evil_origin, &cross_site] {
                let res = call(
                    &app,
                    m,
                    &path,
                    std::slice::from_ref(header),
                    body_for(m, template),
                )
                .await;
                expect(
                    &res,
                    403,
                    &row,
                    &format!("from another site ({})", header.0),
                );
            }
        }
    }
}

/// Ids of one record of each kind in the event `slug`, and the registrant's manage token.
struct Records {
    invitation: String,
    request: String,
    nomination: String,
    scholarship: String,
    email: String,
    registration: String,
    manage: String,
}

/// An invitee of `slug` who registers with a nomination and a scholarship request, and a
/// request for an invitation.
async fn records_of(app: &TestApp, admin: &Session, slug: &str, who: &str) -> Records {
    let email = format!("{who}@example.org");
    let invitation = invite(app, admin, slug, &email).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = invitation_token(app, &email).await;
    let mut form = registration_body(&email);
    form["young_leader_nomination"] = json!({
        "full_name": "Sam Ortiz", "email": format!("sam-{who}@example.org"), "title": "Policy Analyst",
        "organization": "City of Springfield", "reason": "A rising leader in our city.",
    });
    form["travel_scholarship"] = json!({
        "travelers": 2, "estimated_cost_cents": 180_000, "requested_amount_cents": 90_000,
        "justification": "Our travel budget is frozen this year.",
    });
    let res = app
        .post(&format!("/api/v1/invitations/{token}/registration"), &form)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let manage = token_of(res.json()["manage_url"].as_str().unwrap());
    let res = app
        .post(
            &format!("/api/v1/events/{slug}/invitation-requests"),
            &crate::invitation_requests::request_body(&format!("maria-{who}@example.org")),
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    let first = |list: &str| {
        let path = format!("/api/v1/events/{slug}/{list}");
        async move {
            let res = app.get_as(admin, &path).await;
            assert_eq!(res.status, 200, "{path}: {}", res.text());
            res.json()["items"][0]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{path} lists an item: {}", res.text()))
                .to_owned()
        }
    };
    Records {
        invitation,
        request: first("invitation-requests").await,
        nomination: first("nominations").await,
        scholarship: first("scholarships").await,
        email: first("emails").await,
        registration: first("registrations").await,
        manage,
    }
}

/// What organizers see of an event's records, to compare before and after.
async fn snapshot(app: &TestApp, admin: &Session, slug: &str) -> Vec<Value> {
    app.drain_outbox().await;
    let mut all = Vec::new();
    for list in [
        "invitations",
        "invitation-requests",
        "nominations",
        "scholarships",
        "registrations",
        "emails",
    ] {
        let res = app
            .get_as(admin, &format!("/api/v1/events/{slug}/{list}"))
            .await;
        assert_eq!(res.status, 200, "{list}: {}", res.text());
        all.push(res.json());
    }
    all
}

#[actix_web::test]
async fn a_record_of_another_event_is_not_reached_through_this_events_address() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    app.create_event(&admin, OTHER).await;
    let other = records_of(&app, &admin, OTHER, "dana").await;
    let mine = records_of(&app, &admin, SLUG, "lee").await;
    let before = snapshot(&app, &admin, OTHER).await;

    for &(m, template, body) in RECORDS_OF_AN_EVENT {
        let row = format!("{m} {template}");
        let path = fill(
            template,
            &[
                ("slug", SLUG),
                ("invitation", &other.invitation),
                ("request", &other.request),
                ("nomination", &other.nomination),
                ("scholarship", &other.scholarship),
                ("email", &other.email),
                ("registration", &other.registration),
            ],
        );
        let body = is_write(m).then(|| ("application/json", body.as_bytes().to_vec()));
        let res = call(&app, m, &path, &[("cookie", admin.cookie.clone())], body).await;
        expect(&res, 404, &row, "with a record of another event");
    }
    // A registrant cannot withdraw another registrant's nomination with their own link.
    let path = fill(
        "/manage/{token}/nominations/{nomination}/withdraw",
        &[("token", &mine.manage), ("nomination", &other.nomination)],
    );
    let res = call(&app, "POST", &path, &[], body_for("POST", &path)).await;
    expect(
        &res,
        404,
        "POST /manage/{token}/nominations/{id}/withdraw",
        "with a nomination of another registrant",
    );

    assert_eq!(
        snapshot(&app, &admin, OTHER).await,
        before,
        "the other event's records are untouched"
    );
}

#[actix_web::test]
async fn every_invitee_endpoint_refuses_a_token_that_is_not_a_live_one_of_its_kind() {
    // Every wrong token below counts against this address; the throttle has its own test.
    let app = spawn_app_with(&[("CONVENE_TOKEN_MISS_LIMIT", "1000")]).await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let registrant = records_of(&app, &admin, SLUG, "dana").await;
    let used_invitation = {
        // Dana's own invitation token, taken from the invitation email again.
        let mail = app.emails_to("dana@example.org");
        let invitation = mail
            .iter()
            .find(|m| m.links().iter().any(|l| l.contains("/invite/")))
            .expect("the invitation email");
        crate::helpers::token_from(invitation)
    };

    invite(&app, &admin, SLUG, "revoked@example.org").await;
    let revoked = invitation_token(&app, "revoked@example.org").await;
    let list = app
        .get_as(&admin, &format!("/api/v1/events/{SLUG}/invitations"))
        .await
        .json();
    let revoked_id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "revoked@example.org")
        .expect("listed")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations/{revoked_id}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    invite(&app, &admin, SLUG, "expired@example.org").await;
    let expired = invitation_token(&app, "expired@example.org").await;
    {
        use convene::db::schema::invitations as i;
        let mut conn = app.pool.get().expect("connection");
        let past = (Utc::now() - chrono::Duration::minutes(1)).naive_utc();
        diesel::update(i::table.filter(i::email.eq("expired@example.org")))
            .set(i::expires_at.eq(past))
            .execute(&mut conn)
            .expect("expire the invitation");
    }

    let random = || convene::domain::SecretToken::generate().expose().to_owned();
    let nomination = registrant.nomination.clone();
    for &(m, template) in INVITATION_ENDPOINTS {
        let row = format!("{m} {template}");
        for (case, token, status) in [
            ("a random token", random(), 404),
            ("a malformed token", "not-a-token".to_owned(), 404),
            ("a manage token", registrant.manage.clone(), 404),
            ("a revoked invitation", revoked.clone(), 410),
            ("an expired invitation", expired.clone(), 410),
        ] {
            let path = fill(template, &[("token", &token)]);
            let res = call(&app, m, &path, &[], body_for(m, template)).await;
            expect(&res, status, &row, case);
        }
        if is_write(m) {
            let path = fill(template, &[("token", &expired)]);
            let origin = ("origin", "https://evil.example".to_owned());
            let res = call(&app, m, &path, &[origin], body_for(m, template)).await;
            expect(&res, 403, &row, "from another site");
        }
    }
    for &(m, template) in MANAGE_ENDPOINTS {
        let row = format!("{m} {template}");
        for (case, token) in [
            ("a random token", random()),
            ("a malformed token", "not-a-token".to_owned()),
            ("an invitation token", used_invitation.clone()),
        ] {
            let path = fill(template, &[("token", &token), ("nomination", &nomination)]);
            let res = call(&app, m, &path, &[], body_for(m, template)).await;
            expect(&res, 404, &row, case);
        }
        if is_write(m) {
            let path = fill(
                template,
                &[("token", &registrant.manage), ("nomination", &nomination)],
            );
            let origin = ("origin", "https://evil.example".to_owned());
            let res = call(&app, m, &path, &[origin], body_for(m, template)).await;
            expect(&res, 403, &row, "from another site");
        }
        // The registrant's own link works (the row's route exists).
        if m == "GET" {
            let path = fill(template, &[("token", &registrant.manage)]);
            let res = call(&app, m, &path, &[], None).await;
            assert_eq!(res.status, 200, "{row}: {}", res.text());
        }
    }
    // Nothing above changed the registration.
    let view = app
        .get(&format!("/api/v1/manage/{}", registrant.manage))
        .await
        .json();
    assert_eq!(view["registration"]["status"], "confirmed", "{view}");
    assert_eq!(view["nomination"]["status"], "pending", "{view}");
    assert_eq!(view["scholarship"]["status"], "pending", "{view}");
}
