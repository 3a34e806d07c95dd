//! The registrant's private link: reading and changing their details, cancelling, and
//! the waiting list moving up when seats come free.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, token_of, TestApp, TestResponse};
use crate::invitations::{event_with_capacity, seats_taken, SLUG};
use crate::registration::invite_and_register;

/// The manage token from the link in the registrant's latest email.
async fn manage_token_from_email(app: &TestApp, email: &str) -> String {
    let mail = app.wait_for_email(email).await;
    token_of(&mail.link_containing("/manage/"))
}

async fn patch(app: &TestApp, token: &str, body: &Value) -> TestResponse {
    app.request(
        Method::PATCH,
        &format!("/api/v1/manage/{token}"),
        Some(body),
        None,
    )
    .await
}

async fn cancel(app: &TestApp, token: &str) -> TestResponse {
    app.post(&format!("/api/v1/manage/{token}/cancel"), &json!({}))
        .await
}

async fn status_of(app: &TestApp, token: &str) -> Value {
    app.get(&format!("/api/v1/manage/{token}")).await.json()["registration"]["status"].clone()
}

#[actix_web::test]
async fn a_registrant_changes_their_details_through_the_emailed_link() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite_and_register(&app, &admin, "dana@example.org").await;
    let token = manage_token_from_email(&app, "dana@example.org").await;

    let res = patch(
        &app,
        &token,
        &json!({
            "title": "Chief Administrative Officer",
            "phone": null,
            "accessibility_needs": "Step-free access, please.",
        }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let r = &res.json()["registration"];
    assert_eq!(r["title"], "Chief Administrative Officer");
    assert_eq!(r["phone"], Value::Null, "null clears a field");
    assert_eq!(
        r["dietary_requirements"], "Vegetarian",
        "fields left out are kept"
    );
    assert_eq!(r["accessibility_needs"], "Step-free access, please.");

    let bad = patch(
        &app,
        &token,
        &json!({ "full_name": " ", "phone": "12", "dietary_requirements": "x".repeat(2001) }),
    )
    .await;
    assert_eq!(
        bad.invalid_fields(),
        ["dietary_requirements", "full_name", "phone"]
    );

    let log = app
        .get_as(&admin, "/api/v1/audit-log?action=registration.updated")
        .await
        .json();
    assert_eq!(log["items"][0]["actor"], "registrant");
    assert_eq!(log["items"][0]["before"]["title"], "City Manager");
}

#[actix_web::test]
async fn an_unknown_manage_link_is_not_found() {
    let app = spawn_app().await;
    let unknown = "B".repeat(43);
    app.get(&format!("/api/v1/manage/{unknown}"))
        .await
        .problem(404);
    app.get("/api/v1/manage/short").await.problem(404);
    patch(&app, &unknown, &json!({ "title": "x" }))
        .await
        .problem(404);
    cancel(&app, &unknown).await.problem(404);
}

#[actix_web::test]
async fn a_cancelled_registration_can_be_neither_changed_nor_cancelled_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite_and_register(&app, &admin, "dana@example.org").await;
    let token = manage_token_from_email(&app, "dana@example.org").await;
    assert_eq!(seats_taken(&app, SLUG), 1);
    let res = cancel(&app, &token).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(seats_taken(&app, SLUG), 0, "the seat is given back");
    let mail = app.wait_for_email("dana@example.org").await;
    assert!(mail.subject.contains("cancelled"));
    assert!(cancel(&app, &token).await.problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("already cancelled"));
    patch(&app, &token, &json!({ "title": "Mayor" }))
        .await
        .problem(409);
    assert_eq!(status_of(&app, &token).await, "cancelled");
}

#[actix_web::test]
async fn a_freed_seat_goes_to_the_first_on_the_waiting_list() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    invite_and_register(&app, &admin, "first@example.org").await;
    let first = manage_token_from_email(&app, "first@example.org").await;
    let second = invite_and_register(&app, &admin, "second@example.org").await;
    let third = invite_and_register(&app, &admin, "third@example.org").await;
    assert_eq!(second["registration"]["status"], "waitlisted");
    let second = token_of(second["manage_url"].as_str().unwrap());
    let third = token_of(third["manage_url"].as_str().unwrap());
    app.wait_for_email("second@example.org").await;
    app.wait_for_email("third@example.org").await;
    assert_eq!(
        app.get(&format!("/api/v1/manage/{third}")).await.json()["waitlist_position"],
        2
    );

    // Leaving the waiting list frees no seat and promotes nobody.
    assert_eq!(cancel(&app, &second).await.status, 200);
    assert_eq!(seats_taken(&app, SLUG), 1);
    assert_eq!(status_of(&app, &third).await, "waitlisted");
    assert_eq!(
        app.get(&format!("/api/v1/manage/{third}")).await.json()["waitlist_position"],
        1
    );
    app.wait_for_email("second@example.org").await; // cancelled
    app.assert_no_email_to("third@example.org").await;

    assert_eq!(cancel(&app, &first).await.status, 200);
    assert_eq!(status_of(&app, &third).await, "confirmed");
    assert_eq!(seats_taken(&app, SLUG), 1);
    let promoted = app.wait_for_email("third@example.org").await;
    assert!(promoted.subject.contains("A seat opened up"));
    // The calendar file, and the QR code of the check-in code shown in the HTML.
    assert_eq!(promoted.attachments.len(), 2);
    let log = app
        .get_as(&admin, "/api/v1/audit-log?action=registration.promoted")
        .await
        .json();
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn more_capacity_promotes_the_waiting_list_in_order_and_less_than_the_confirmed_is_refused() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 2).await;
    let mut tokens = Vec::new();
    for who in ["a", "b", "c", "d", "e"] {
        let r = invite_and_register(&app, &admin, &format!("{who}@example.org")).await;
        tokens.push(token_of(r["manage_url"].as_str().unwrap()));
    }
    assert_eq!(seats_taken(&app, SLUG), 2);

    let lower = app
        .patch_as(
            &admin,
            &format!("/api/v1/events/{SLUG}"),
            &json!({ "capacity": 1 }),
        )
        .await;
    assert!(lower.problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("2 confirmed"));

    let res = app
        .patch_as(
            &admin,
            &format!("/api/v1/events/{SLUG}"),
            &json!({ "capacity": 4 }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(seats_taken(&app, SLUG), 4);
    let mut statuses = Vec::new();
    for t in &tokens {
        statuses.push(status_of(&app, t).await);
    }
    assert_eq!(
        statuses,
        [
            "confirmed",
            "confirmed",
            "confirmed",
            "confirmed",
            "waitlisted"
        ]
    );
    for who in ["c", "d"] {
        // The waiting-list email, then the promotion.
        let mails = app.wait_for_emails(&format!("{who}@example.org"), 2).await;
        assert!(
            mails[1].subject.contains("A seat opened up"),
            "{}",
            mails[1].subject
        );
    }
    app.wait_for_email("e@example.org").await;
    app.assert_no_email_to("e@example.org").await;
}
