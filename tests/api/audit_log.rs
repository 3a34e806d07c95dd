//! Reading the audit log (`GET /audit-log`, admins): filtered by the person an entry is
//! about and by kind of act, each entry naming that person, their registration and its
//! event (whose time zone the dashboard reads times in).

use serde_json::Value;

use crate::helpers::{spawn_app, token_of, Session, TestApp};
use crate::invitations::{invitation_body, invitation_token, SLUG};
use crate::registration::{register, registration_body};

/// Invites `full_name` at `email`; returns the invitation's token from the email.
async fn invited(app: &TestApp, admin: &Session, email: &str, full_name: &str) -> String {
    let res = app
        .post_as(
            admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body(email, full_name),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    invitation_token(app, email).await
}

fn actions(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn the_log_is_filtered_by_the_person_by_email_or_part_of_the_name_each_entry_naming_them() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let token = invited(&app, &admin, "dana@example.org", "Dana Whitfield").await;
    let mut body = registration_body("dana@example.org");
    body["full_name"] = "Dana Whitfield".into();
    let res = register(&app, &token, &body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let reg_id = res.json()["registration"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mail = app.wait_for_email("dana@example.org").await;
    let manage = token_of(&mail.link_containing("/manage/"));
    let res = app
        .post(
            &format!("/api/v1/manage/{manage}/cancel"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    invited(&app, &admin, "eli@example.org", "Eli Moreno").await;

    let by_email = app.audit_log(&admin, "person=DANA@example.org").await;
    assert!(actions(&by_email).contains(&"registration.cancelled"));
    assert!(actions(&by_email).contains(&"invitation.created"));
    for e in &by_email {
        assert_eq!(e["person"]["full_name"], "Dana Whitfield", "{e}");
        assert_eq!(e["person"]["registration_id"], reg_id.as_str(), "{e}");
        assert_eq!(e["event"]["slug"], SLUG);
        assert_eq!(e["event"]["timezone"], "America/New_York");
    }
    let by_name = app.audit_log(&admin, "person=%20whitf").await;
    assert_eq!(actions(&by_name), actions(&by_email));

    let eli = app.audit_log(&admin, "person=eli%40example.org").await;
    assert_eq!(actions(&eli), ["invitation.created"]);
    assert_eq!(eli[0]["person"]["full_name"], "Eli Moreno");
    assert_eq!(eli[0]["person"]["registration_id"], Value::Null);

    assert!(app.audit_log(&admin, "person=nobody").await.is_empty());
    // An entry about no person: the event itself.
    let created = app.audit_log(&admin, "action=event.created").await;
    assert_eq!(created[0]["person"], Value::Null);
    assert_eq!(created[0]["event"]["name"], "The Future City");
}

#[actix_web::test]
async fn the_log_is_filtered_by_kind_of_act_and_bad_filters_are_named() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invited(&app, &admin, "dana@example.org", "Dana Whitfield").await;
    invited(&app, &admin, "eli@example.org", "Eli Moreno").await;

    let created = app.audit_log(&admin, "action=invitation.created").await;
    assert_eq!(created.len(), 2);
    let dana = app
        .audit_log(&admin, "action=invitation.created&person=dana")
        .await;
    assert_eq!(dana.len(), 1);
    assert_eq!(dana[0]["person"]["email"], "dana@example.org");

    let res = app
        .get_as(
            &admin,
            "/api/v1/audit-log?action=cancelled&entity_type=Registration&person=%20&before=0&limit=0",
        )
        .await;
    assert_eq!(
        res.invalid_fields(),
        ["action", "before", "entity_type", "limit", "person"]
    );
    let long = "x".repeat(255);
    let res = app
        .get_as(&admin, &format!("/api/v1/audit-log?person={long}"))
        .await;
    assert_eq!(res.invalid_fields(), ["person"]);
}
