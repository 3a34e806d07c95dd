//! Email safety: whatever people type reaches emails only as data. A line break in a name,
//! title or address (header injection: `\r\nBcc: ...`) is refused with 422 naming the
//! field, at every entry point whose values end up in an email; an address list or a
//! display name where one address belongs is refused; markup in a name is shown escaped.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{event_body, spawn_app, token_of};
use crate::invitation_requests::request_body;
use crate::invitations::{invitation_body, invitation_token, invite, SLUG};
use crate::registration::{registered, registration_body};

const EVIL: &str = "evil@example.com";
const INJECTION: &str = "Dana Whitfield\r\nBcc: evil@example.com";

/// Sets the value at a dotted path (`community.name`) of a JSON body.
fn with(mut body: Value, path: &str, value: &str) -> Value {
    let mut at = &mut body;
    for part in path.split('.') {
        at = &mut at[part];
    }
    *at = json!(value);
    body
}

fn nomination() -> Value {
    json!({
        "full_name": "Sam Ortiz", "email": "sam@example.org", "title": "Policy Analyst",
        "organization": "City of Springfield", "reason": "A rising leader in our city.",
    })
}

#[actix_web::test]
async fn a_line_break_or_a_second_address_is_refused_wherever_text_reaches_an_email() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let invitation = invitation_token(&app, "dana@example.org").await;
    invite(&app, &admin, SLUG, "lee@example.org").await;
    let registered_token = invitation_token(&app, "lee@example.org").await;
    let manage = token_of(
        registered(&app, &registered_token, "lee@example.org").await["manage_url"]
            .as_str()
            .unwrap(),
    );

    let events = "/api/v1/events".to_owned();
    let invitations = format!("/api/v1/events/{SLUG}/invitations");
    let requests = format!("/api/v1/events/{SLUG}/invitation-requests");
    let register = format!("/api/v1/invitations/{invitation}/registration");
    let nominate = format!("/api/v1/manage/{manage}/nomination");
    let manage_path = format!("/api/v1/manage/{manage}");
    let invitee = invitation_body("dana@example.org", "Dana Whitfield");
    // (endpoint, method, a valid body, the field, a bad value): the field's value reaches
    // an email's headers (names in subjects, addresses) or its text.
    let rows: Vec<(&str, Method, Value, &str, &str)> = vec![
        (
            &events,
            Method::POST,
            event_body("other-summit"),
            "name",
            "Summit\r\nBcc: evil@example.com",
        ),
        (
            &invitations,
            Method::POST,
            invitee.clone(),
            "full_name",
            INJECTION,
        ),
        (
            &invitations,
            Method::POST,
            invitee.clone(),
            "title",
            "City Manager\nBcc: evil@example.com",
        ),
        (
            &invitations,
            Method::POST,
            invitee.clone(),
            "community.name",
            "Springfield\r\nBcc: evil@example.com",
        ),
        (
            &invitations,
            Method::POST,
            invitee.clone(),
            "email",
            "dana@example.org\r\nBcc: evil@example.com",
        ),
        (
            &invitations,
            Method::POST,
            invitee.clone(),
            "email",
            "dana@example.org, evil@example.com",
        ),
        (
            &invitations,
            Method::POST,
            invitee.clone(),
            "email",
            "Dana <evil@example.com>",
        ),
        (
            &requests,
            Method::POST,
            request_body("maria@example.org"),
            "full_name",
            INJECTION,
        ),
        (
            &requests,
            Method::POST,
            request_body("maria@example.org"),
            "email",
            "maria@example.org\nBcc: evil@example.com",
        ),
        (
            &register,
            Method::POST,
            registration_body("dana@example.org"),
            "full_name",
            INJECTION,
        ),
        (
            &register,
            Method::POST,
            registration_body("dana@example.org"),
            "email",
            "dana@example.org;evil@example.com",
        ),
        (
            &nominate,
            Method::POST,
            nomination(),
            "full_name",
            INJECTION,
        ),
        (
            &nominate,
            Method::POST,
            nomination(),
            "email",
            "sam@example.org\r\nCc: evil@example.com",
        ),
        (
            &manage_path,
            Method::PATCH,
            json!({ "title": "City Manager" }),
            "title",
            "CAO\r\nBcc: evil@example.com",
        ),
    ];
    for (path, method, valid, field, bad) in rows {
        let body = with(valid, field, bad);
        let res = app
            .request(method.clone(), path, Some(&body), Some(&admin))
            .await;
        assert_eq!(
            res.invalid_fields(),
            [field],
            "{method} {path} with {field} = {bad:?}: {}",
            res.text()
        );
    }
    app.assert_no_email_to(EVIL).await;
    for mail in app.smtp.received() {
        assert!(
            !mail.raw.to_ascii_lowercase().contains("evil@"),
            "no email mentions the injected address: {}",
            mail.raw
        );
    }
}

#[actix_web::test]
async fn markup_in_a_name_reaches_the_email_escaped_and_the_subject_stays_one_line() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut event = event_body(SLUG);
    event["name"] = json!("The <b>Future</b> City & Co");
    let res = app.post_as(&admin, "/api/v1/events", &event).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body(
                "dana@example.org",
                "Dana <script>alert(1)</script> Whitfield",
            ),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let mail = app.wait_for_email("dana@example.org").await;
    assert!(!mail.html.contains("<script>"), "{}", mail.html);
    assert!(mail.html.contains("&lt;script&gt;"), "{}", mail.html);
    assert!(!mail.html.contains("<b>Future</b>"), "{}", mail.html);
    assert!(
        mail.subject.contains("The <b>Future</b> City & Co"),
        "the subject is plain text, shown as typed: {}",
        mail.subject
    );
    let headers = mail.raw.split("\r\n\r\n").next().unwrap_or_default();
    assert_eq!(
        headers.matches("\r\nSubject:").count() + usize::from(headers.starts_with("Subject:")),
        1,
        "{headers}"
    );
    assert_eq!(mail.to, ["dana@example.org"]);
}
