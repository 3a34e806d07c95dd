//! Organizers acting for a person (issue 15): registering someone who phoned, correcting,
//! cancelling, confirming from the waiting list, re-sending a lost link, re-inviting after
//! a cancellation; and every email to a registrant carrying a link that opens their
//! registration, the earlier links still working.

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, token_from, token_of, Session, TestApp, TestResponse};
use crate::invitations::{event_with_capacity, invitation_token, invite, seats_taken, SLUG};
use crate::registration::{invite_and_register, register, registration_body};
use crate::smtp::ReceivedEmail;

fn registrations() -> String {
    format!("/api/v1/events/{SLUG}/registrations")
}

async fn register_for(app: &TestApp, s: &Session, email: &str) -> TestResponse {
    app.post_as(s, &registrations(), &registration_body(email))
        .await
}

/// Registers `email` as an organizer; the answer must be 201.
async fn registered_for(app: &TestApp, s: &Session, email: &str) -> Value {
    let res = register_for(app, s, email).await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

async fn act(app: &TestApp, s: &Session, id: &str, action: &str) -> TestResponse {
    app.post_as(s, &format!("{}/{id}/{action}", registrations()), &json!({}))
        .await
}

/// The manage token of the link in an email.
fn manage_token(mail: &ReceivedEmail) -> String {
    token_of(&mail.link_containing("/manage/"))
}

/// The registration behind a manage token, which must open.
async fn opened(app: &TestApp, token: &str) -> Value {
    let res = app.get(&format!("/api/v1/manage/{token}")).await;
    assert_eq!(res.status, 200, "the link opens: {}", res.text());
    res.json()["registration"].clone()
}

/// The event's capacity changed in the database, with no promotion (as an import would).
fn set_capacity(app: &TestApp, capacity: i32) {
    use convene::db::schema::events;
    let mut conn = app.pool.get().expect("connection");
    diesel::update(events::table.filter(events::slug.eq(SLUG)))
        .set(events::capacity.eq(capacity))
        .execute(&mut *conn)
        .expect("capacity");
}

#[actix_web::test]
async fn the_promotion_email_carries_a_new_link_and_the_earlier_one_still_works() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    let first = invite_and_register(&app, &admin, "ada@example.org").await;
    app.wait_for_email("ada@example.org").await;
    invite_and_register(&app, &admin, "bo@example.org").await;
    let waitlisted = app.wait_for_email("bo@example.org").await;
    let earlier = manage_token(&waitlisted);

    let ada = token_of(first["manage_url"].as_str().unwrap());
    let res = app
        .post(&format!("/api/v1/manage/{ada}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    let promoted = app.wait_for_email("bo@example.org").await;
    assert!(promoted.subject.starts_with("A seat opened up"));
    let fresh = manage_token(&promoted);
    assert_ne!(fresh, earlier, "a new link, as only hashes are stored");
    let reg = opened(&app, &fresh).await;
    assert_eq!(reg["email"], "bo@example.org");
    assert_eq!(reg["status"], "confirmed");
    assert_eq!(opened(&app, &earlier).await["id"], reg["id"]);
}

#[actix_web::test]
async fn the_scholarship_award_email_carries_a_link_that_opens_the_registration() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "ada@example.org").await;
    let token = invitation_token(&app, "ada@example.org").await;
    let mut form = registration_body("ada@example.org");
    form["travel_scholarship"] = json!({
        "travelers": 2, "estimated_cost_cents": 180_000, "requested_amount_cents": 90_000,
        "justification": "Our travel budget is frozen this year.",
    });
    let res = register(&app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.wait_for_email("ada@example.org").await; // the confirmation, covering the request
    let list = app
        .get_json_as(&admin, &format!("/api/v1/events/{SLUG}/scholarships"))
        .await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();

    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/scholarships/{id}/decision"),
            &json!({ "decision": "approved", "awarded_amount_cents": 60_000 }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let award = app.wait_for_email("ada@example.org").await;
    assert!(
        award.subject.contains("travel scholarship"),
        "{}",
        award.subject
    );
    let shown = app
        .get(&format!("/api/v1/manage/{}", manage_token(&award)))
        .await
        .json();
    assert_eq!(shown["registration"]["email"], "ada@example.org");
    assert_eq!(shown["scholarship"]["status"], "approved");
}

#[actix_web::test]
async fn a_young_leaders_invitation_resent_and_reminded_keeps_its_own_wording() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    let mut form = registration_body("dana@example.org");
    form["young_leader_nomination"] = json!({
        "full_name": "Sam Ortiz", "email": "sam@example.org", "title": "Policy Analyst",
        "organization": "City of Springfield", "reason": "Sam runs the budgeting workshops.",
    });
    assert_eq!(register(&app, &token, &form).await.status, 201);
    let nominations = app
        .get_json_as(&admin, &format!("/api/v1/events/{SLUG}/nominations"))
        .await;
    let id = nominations["items"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/nominations/{id}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let invitation_id = res.json()["invitation_id"].as_str().unwrap().to_owned();
    app.wait_for_email("sam@example.org").await;

    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations/{invitation_id}/resend"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let resent = app.wait_for_email("sam@example.org").await;
    assert_eq!(
        resent.subject,
        "Dana Whitfield has nominated you: your invitation to The Future City"
    );
    assert!(resent.text.contains("Sam runs the budgeting workshops."));

    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations/remind"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let reminder = app.wait_for_email("sam@example.org").await;
    assert_eq!(
        reminder.subject,
        "A reminder: Dana Whitfield has nominated you: your invitation to The Future City"
    );
    assert!(reminder.text.contains("Sam runs the budgeting workshops."));
    let link = token_from(&reminder);
    let res = app.get(&format!("/api/v1/invitations/{link}")).await;
    assert_eq!(res.status, 200, "the reminder's link opens: {}", res.text());
}

#[actix_web::test]
async fn an_organizer_registers_a_person_who_phoned_and_capacity_applies() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    let reviewer = app.reviewer().await;

    let ada = registered_for(&app, &reviewer, "ada@example.org").await;
    assert_eq!(ada["status"], "confirmed");
    assert_eq!(ada["email"], "ada@example.org");
    let confirmation = app.wait_for_email("ada@example.org").await;
    assert!(
        confirmation.subject.contains("registered"),
        "{}",
        confirmation.subject
    );
    assert_eq!(
        opened(&app, &manage_token(&confirmation)).await["id"],
        ada["id"]
    );
    assert_eq!(seats_taken(&app, SLUG), 1);

    let res = register_for(&app, &admin, "ada@example.org").await;
    assert!(res
        .problem_detail(409)
        .contains("already holds a registration"));

    // Full: the next one waits, and an open invitation of theirs is the one accepted.
    invite(&app, &admin, SLUG, "bo@example.org").await;
    let invitation = app.wait_for_email("bo@example.org").await;
    let bo = registered_for(&app, &admin, "bo@example.org").await;
    assert_eq!(bo["status"], "waitlisted");
    app.wait_for_email("bo@example.org").await;
    let res = app
        .get(&format!("/api/v1/invitations/{}", token_from(&invitation)))
        .await;
    assert_eq!(res.json()["status"], "accepted", "{}", res.text());

    let log = app
        .audit_log(
            &admin,
            &format!(
                "action=registration.created&entity_id={}",
                ada["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(log[0]["actor"], "organizer");
    assert_eq!(log[0]["actor_id"], reviewer.organizer["id"]);

    let mut body = registration_body("cy@example.org");
    body.as_object_mut().unwrap().remove("community");
    body["email"] = json!("not-an-address");
    let res = app.post_as(&admin, &registrations(), &body).await;
    assert_eq!(res.invalid_fields(), ["community", "email"]);
}

#[actix_web::test]
async fn an_organizer_corrects_cancels_and_confirms_for_a_person() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    let ada = registered_for(&app, &admin, "ada@example.org").await;
    let ada_id = ada["id"].as_str().unwrap().to_owned();
    app.wait_for_email("ada@example.org").await;
    let bo = registered_for(&app, &admin, "bo@example.org").await;
    let bo_id = bo["id"].as_str().unwrap().to_owned();
    app.wait_for_email("bo@example.org").await;
    let cy = registered_for(&app, &admin, "cy@example.org").await;
    let cy_id = cy["id"].as_str().unwrap().to_owned();
    app.wait_for_email("cy@example.org").await;

    let res = app
        .patch_as(
            &admin,
            &format!("{}/{ada_id}", registrations()),
            &json!({ "title": "Chief Administrative Officer", "phone": null }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["title"], "Chief Administrative Officer");
    assert_eq!(res.json()["phone"], Value::Null);
    let res = app
        .patch_as(
            &admin,
            &format!("{}/{ada_id}", registrations()),
            &json!({ "full_name": " " }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["full_name"]);

    let res = act(&app, &admin, &cy_id, "confirm").await;
    assert!(res.problem_detail(409).contains("No seat is free"));
    let res = act(&app, &admin, &ada_id, "confirm").await;
    res.problem(409);

    let res = app
        .post_as(
            &admin,
            &format!("{}/{ada_id}/cancel", registrations()),
            &json!({ "note": "Phoned: a council meeting moved." }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "cancelled");
    let cancelled = app.wait_for_email("ada@example.org").await;
    assert!(
        cancelled.subject.contains("cancelled"),
        "{}",
        cancelled.subject
    );
    // The first on the waiting list gets the seat, with a link that opens.
    let promoted = app.wait_for_email("bo@example.org").await;
    assert_eq!(
        opened(&app, &manage_token(&promoted)).await["id"],
        bo_id.as_str()
    );
    act(&app, &admin, &ada_id, "cancel").await.problem(409);

    // A seat comes free without a promotion: the organizer confirms Cy out of order.
    set_capacity(&app, 2);
    let res = act(&app, &admin, &cy_id, "confirm").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "confirmed");
    let seat = app.wait_for_email("cy@example.org").await;
    assert_eq!(
        opened(&app, &manage_token(&seat)).await["status"],
        "confirmed"
    );
    assert_eq!(seats_taken(&app, SLUG), 2);

    for (action, id) in [
        ("registration.updated", &ada_id),
        ("registration.cancelled", &ada_id),
        ("registration.confirmed", &cy_id),
    ] {
        let log = app
            .audit_log(&admin, &format!("action={action}&entity_id={id}"))
            .await;
        assert_eq!(log.len(), 1, "{action}: {log:?}");
        assert_eq!(log[0]["actor"], "organizer", "{action}");
        assert_eq!(log[0]["actor_id"], admin.organizer["id"], "{action}");
    }
    let log = app
        .audit_log(
            &admin,
            &format!("action=registration.cancelled&entity_id={ada_id}"),
        )
        .await;
    assert_eq!(log[0]["after"]["note"], "Phoned: a council meeting moved.");
}

#[actix_web::test]
async fn a_lost_manage_link_is_sent_again_and_the_earlier_one_keeps_working() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let answer = invite_and_register(&app, &admin, "ada@example.org").await;
    app.wait_for_email("ada@example.org").await;
    let earlier = token_of(answer["manage_url"].as_str().unwrap());
    let id = answer["registration"]["id"].as_str().unwrap().to_owned();

    let res = act(&app, &admin, &id, "manage-link").await;
    assert_eq!(res.status, 202, "{}", res.text());
    assert_eq!(res.json()["sent_to"], "ada@example.org");
    let mail = app.wait_for_email("ada@example.org").await;
    let fresh = manage_token(&mail);
    assert_ne!(fresh, earlier);
    assert_eq!(opened(&app, &fresh).await["id"], id.as_str());
    assert_eq!(opened(&app, &earlier).await["id"], id.as_str());
    let log = app
        .audit_log(
            &admin,
            &format!("action=registration.manage_link_sent&entity_id={id}"),
        )
        .await;
    assert_eq!(log[0]["actor"], "organizer");
    assert!(!log[0].to_string().contains(&fresh), "no token in the log");
}

#[actix_web::test]
async fn a_person_whose_registration_was_cancelled_can_be_invited_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let answer = invite_and_register(&app, &admin, "ada@example.org").await;
    app.wait_for_email("ada@example.org").await;
    let id = answer["registration"]["id"].as_str().unwrap().to_owned();

    let path = format!("/api/v1/events/{SLUG}/invitations");
    let body = crate::invitations::invitation_body("ada@example.org", "Ada Whitfield");
    let again = || app.post_as(&admin, &path, &body);
    assert!(again()
        .await
        .problem_detail(409)
        .contains("live invitation"));
    assert_eq!(act(&app, &admin, &id, "cancel").await.status, 200);
    app.wait_for_email("ada@example.org").await;

    let res = again().await;
    assert_eq!(res.status, 201, "{}", res.text());
    // A second open invitation is still refused.
    assert!(again()
        .await
        .problem_detail(409)
        .contains("live invitation"));
    let token = invitation_token(&app, "ada@example.org").await;
    let res = register(&app, &token, &registration_body("ada@example.org")).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["status"], "confirmed");
    assert!(again()
        .await
        .problem_detail(409)
        .contains("live invitation"));
    // And an organizer can register them again after a cancellation too.
    let new_id = res.json()["registration"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_for_email("ada@example.org").await;
    assert_eq!(act(&app, &admin, &new_id, "cancel").await.status, 200);
    assert_eq!(
        registered_for(&app, &admin, "ada@example.org").await["status"],
        "confirmed"
    );
}

#[actix_web::test]
async fn acting_on_another_events_registration_is_404() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    app.create_event(&admin, "other-2027").await;
    let ada = registered_for(&app, &admin, "ada@example.org").await;
    let id = ada["id"].as_str().unwrap();
    for action in ["cancel", "confirm", "manage-link"] {
        let res = app
            .post_as(
                &admin,
                &format!("/api/v1/events/other-2027/registrations/{id}/{action}"),
                &json!({}),
            )
            .await;
        res.problem(404);
    }
    let res = app
        .patch_as(
            &admin,
            &format!("/api/v1/events/other-2027/registrations/{id}"),
            &json!({ "title": "Mayor" }),
        )
        .await;
    res.problem(404);
    let res = act(&app, &admin, "no-such-id", "cancel").await;
    res.problem(404);
    app.post_as(
        &admin,
        "/api/v1/events/nope/registrations",
        &registration_body("x@example.org"),
    )
    .await
    .problem(404);
}
