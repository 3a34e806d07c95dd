//! Notices to organizers who asked for them (`PATCH /auth/me {"review_notices": "each"}`):
//! an invitee who declines and a registrant who cancels are news too, read here from the
//! test SMTP server.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{spawn_app, token_of, Session, TestApp, TestResponse};
use crate::invitations::{invitation_token, invite, SLUG};
use crate::registration::invite_and_register;

async fn choose_notices(app: &TestApp, s: &Session, value: &str) -> TestResponse {
    let body = json!({ "review_notices": value });
    app.request(Method::PATCH, "/api/v1/auth/me", Some(&body), Some(s))
        .await
}

/// Sets the organizer's review notices and checks the answer.
async fn set_notices(app: &TestApp, s: &Session, value: &str) {
    let res = choose_notices(app, s, value).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["review_notices"], value);
}

/// An event, its admin, and a reviewer who asked for notices.
async fn a_reviewer_who_asked_for_notices() -> (TestApp, Session, Session) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let reviewer = app.reviewer().await;
    set_notices(&app, &reviewer, "each").await;
    (app, admin, reviewer)
}

fn email_of(s: &Session) -> String {
    s.organizer["email"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn organizers_who_asked_are_emailed_when_an_invitee_declines() {
    let (app, admin, reviewer) = a_reviewer_who_asked_for_notices().await;

    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    let res = app
        .post(
            &format!("/api/v1/invitations/{token}/decline"),
            &json!({ "reason": "I am travelling that week." }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    let notice = app.wait_for_email(&email_of(&reviewer)).await;
    assert_eq!(
        notice.subject,
        "Dana Whitfield declined the invitation (The Future City)"
    );
    assert!(notice.text.contains("I am travelling that week."));
    assert!(notice
        .link_containing(&format!("/admin/events/{SLUG}/invitations"))
        .starts_with(&app.address));
    app.assert_no_email_to(&email_of(&admin)).await;
}

#[actix_web::test]
async fn organizers_who_asked_are_emailed_when_a_registrant_cancels_and_not_once_they_stop() {
    let (app, admin, reviewer) = a_reviewer_who_asked_for_notices().await;

    let reg = invite_and_register(&app, &admin, "dana@example.org").await;
    let id = reg["registration"]["id"].as_str().unwrap().to_owned();
    let mail = app.wait_for_email("dana@example.org").await;
    let manage = token_of(&mail.link_containing("/manage/"));
    // The executive registered without nominating: no notice for that.
    app.assert_no_email_to(&email_of(&reviewer)).await;

    let res = app
        .post(&format!("/api/v1/manage/{manage}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let notice = app.wait_for_email(&email_of(&reviewer)).await;
    assert_eq!(
        notice.subject,
        "Dana Whitfield cancelled their registration (The Future City)"
    );
    assert!(notice
        .link_containing(&format!("/admin/events/{SLUG}/registrations/{id}"))
        .starts_with(&app.address));
    app.assert_no_email_to(&email_of(&admin)).await;

    // Turned off, nothing more comes.
    set_notices(&app, &reviewer, "none").await;
    invite(&app, &admin, SLUG, "eli@example.org").await;
    let token = invitation_token(&app, "eli@example.org").await;
    let res = app
        .post(&format!("/api/v1/invitations/{token}/decline"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.assert_no_email_to(&email_of(&reviewer)).await;

    // Each choice is audited as the organizer's own change.
    let log = app.audit_log(&admin, "action=organizer.updated").await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["actor_id"], reviewer.organizer["id"]);
    assert_eq!(log[0]["entity_id"], reviewer.organizer["id"]);
    assert_eq!(log[0]["before"]["review_notices"], "each");
    assert_eq!(log[0]["after"]["review_notices"], "none");
}

#[actix_web::test]
async fn an_unknown_review_notice_setting_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let reviewer = app.reviewer().await;
    let res = choose_notices(&app, &reviewer, "weekly").await;
    assert_eq!(res.invalid_fields(), ["review_notices"]);
}
