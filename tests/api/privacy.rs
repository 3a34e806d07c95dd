//! Personal data kept only as long as needed: the retention sweep (what it anonymizes,
//! once, and that the check-in and impact figures stay the same), failed emails' bodies
//! dropped after 30 days, and one person's export and erasure.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, token_of, Session, TestApp};
use crate::invitations::{invitation_token, invite};
use crate::registration::{register, registration_body};

/// Invites and registers `email` (named `name`) to `slug`; the registration and the
/// manage link's token from the confirmation.
async fn registrant(
    app: &TestApp,
    admin: &Session,
    slug: &str,
    email: &str,
    name: &str,
) -> (Value, String) {
    invite(app, admin, slug, email).await;
    let token = invitation_token(app, email).await;
    let mut form = registration_body(email);
    form["full_name"] = json!(name);
    let res = register(app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let confirmation = app.wait_for_email(email).await;
    let manage = token_of(&confirmation.link_containing("/manage/"));
    (res.json()["registration"].clone(), manage)
}

/// Moves the event so that it ended two days ago (yesterday is not over yet west of UTC
/// in the first hours of a UTC day); when it ended.
async fn ended_two_days_ago(app: &TestApp, admin: &Session, slug: &str) -> DateTime<Utc> {
    let ends = Utc::now().date_naive() - Duration::days(2);
    let res = app
        .patch_as(
            admin,
            &format!("/api/v1/events/{slug}"),
            &json!({ "starts_on": ends.to_string(), "ends_on": ends.to_string() }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.drain_outbox().await;
    app.smtp.take_subjects_starting("Changed:");
    convene::domain::survey::ended_at(res.json()["timezone"].as_str().unwrap(), ends)
}

/// One retention pass as of `at`, as the sweeper runs it.
async fn retention(app: &TestApp, at: DateTime<Utc>) -> convene::workflows::retention::Retained {
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        convene::workflows::retention::sweep_retention(&mut conn, at).expect("retention")
    })
    .await
    .expect("block")
}

#[actix_web::test]
async fn retention_days_has_a_default_and_a_range() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app.create_event(&admin, "ret-range").await;
    assert_eq!(event["retention_days"], 365);
    assert_eq!(event["anonymized_at"], Value::Null);
    for bad in [29, 3651] {
        let res = app
            .patch_as(
                &admin,
                "/api/v1/events/ret-range",
                &json!({ "retention_days": bad }),
            )
            .await;
        assert_eq!(res.invalid_fields(), ["retention_days"], "{bad}");
    }
    let res = app
        .patch_as(
            &admin,
            "/api/v1/events/ret-range",
            &json!({ "retention_days": 30 }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["retention_days"], 30);
}

#[actix_web::test]
async fn the_retention_sweep_anonymizes_an_ended_event_once_and_every_figure_stays() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(&admin, "ret-ev", json!({ "retention_days": 30 }))
        .await;
    // Another event, not ended: its people are not touched.
    app.create_event(&admin, "ret-other").await;
    let (ada, ada_manage) =
        registrant(&app, &admin, "ret-ev", "ada@example.org", "Ada Lovelace").await;
    registrant(&app, &admin, "ret-ev", "bo@example.org", "Bo Diddley").await;
    registrant(&app, &admin, "ret-other", "cy@example.org", "Cy Young").await;
    let ada_id = ada["id"].as_str().unwrap();
    let res = app
        .post_as(
            &admin,
            "/api/v1/events/ret-ev/check-ins",
            &json!({ "registration_id": ada_id }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let ended = ended_two_days_ago(&app, &admin, "ret-ev").await;
    let stats = app.get_json_as(&admin, "/api/v1/events/ret-ev/stats").await;
    let check_ins = app
        .get_json_as(&admin, "/api/v1/events/ret-ev/check-ins")
        .await;

    // Not yet: 30 days after the end is the first moment.
    let done = retention(&app, ended + Duration::days(30) - Duration::minutes(1)).await;
    assert_eq!(done.events, 0);
    assert_eq!(
        app.get(&format!("/api/v1/manage/{ada_manage}"))
            .await
            .status,
        200
    );
    let impact_before = app.get_json_as(&admin, "/api/v1/impact").await;
    assert_eq!(impact_before["participants"], 1, "{impact_before}");

    let at = ended + Duration::days(30) + Duration::minutes(1);
    assert_eq!(retention(&app, at).await.events, 1);
    assert_eq!(retention(&app, at).await.events, 0, "once");

    // The people are gone from every list and link.
    let regs = app
        .get_json_as(&admin, "/api/v1/events/ret-ev/registrations")
        .await;
    let text = regs.to_string();
    for gone in ["Ada", "Bo Diddley", "example.org", "555 0100", "Vegetarian"] {
        assert!(!text.contains(gone), "{gone} in {text}");
    }
    assert_eq!(regs["items"][0]["full_name"], "(anonymized)");
    assert_eq!(
        app.get(&format!("/api/v1/manage/{ada_manage}"))
            .await
            .status,
        404
    );
    let mails = app
        .get_json_as(&admin, "/api/v1/events/ret-ev/emails")
        .await
        .to_string();
    assert!(!mails.contains("example.org"), "{mails}");
    let export = app
        .get_json_as(&admin, "/api/v1/people/ada@example.org")
        .await;
    assert_eq!(export["registrations"], json!([]));
    assert_eq!(export["invitations"], json!([]));
    let about_people: Vec<Value> = app
        .audit_log(&admin, "event=ret-ev")
        .await
        .into_iter()
        .filter(|e| e["entity_type"] != "event")
        .collect();
    assert!(
        about_people
            .iter()
            .any(|e| e["entity_type"] == "registration"),
        "the registrations' entries stay, without details: {about_people:?}"
    );
    for entry in about_people {
        assert_eq!(entry["after"], Value::Null, "{entry}");
        assert_eq!(entry["before"], Value::Null, "{entry}");
    }
    let event = app.get_json_as(&admin, "/api/v1/events/ret-ev").await;
    assert!(event["anonymized_at"].is_string(), "{event}");

    // Every figure is the same.
    assert_eq!(
        app.get_json_as(&admin, "/api/v1/events/ret-ev/stats").await,
        stats
    );
    let after = app
        .get_json_as(&admin, "/api/v1/events/ret-ev/check-ins")
        .await;
    assert_eq!(after["expected"], check_ins["expected"], "{after}");
    assert_eq!(after["arrived"], 1, "{after}");
    assert_eq!(after["check_ins"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.get_json_as(&admin, "/api/v1/impact").await,
        impact_before
    );

    // The other event's person is untouched.
    let other = app
        .get_json_as(&admin, "/api/v1/events/ret-other/registrations")
        .await;
    assert_eq!(other["items"][0]["full_name"], "Cy Young");
}

#[actix_web::test]
async fn a_failed_email_keeps_its_body_thirty_days_then_cannot_be_resent() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, "ret-mail").await;
    app.smtp.fail_permanently_at(crate::smtp::Stage::Rcpt);
    invite(&app, &admin, "ret-mail", "dana@example.org").await;
    let emails = crate::helpers::wait_until(
        "the invitation fails",
        std::time::Duration::from_secs(10),
        async || {
            let list = app
                .get_json_as(&admin, "/api/v1/events/ret-mail/emails?status=failed")
                .await;
            if list["total"] == 1 {
                Ok(list)
            } else {
                Err(list.to_string())
            }
        },
    )
    .await;
    let id = emails["items"][0]["id"].as_str().unwrap().to_owned();
    let done = retention(&app, Utc::now() + Duration::days(29)).await;
    assert_eq!(done.bodies, 0);
    let done = retention(&app, Utc::now() + Duration::days(31)).await;
    assert_eq!(done.bodies, 1);
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/ret-mail/emails/{id}/resend"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text());
    assert!(res.text().contains("no longer stored"), "{}", res.text());
}

#[actix_web::test]
async fn one_person_is_exported_then_erased_everywhere_and_the_counts_stay() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(&admin, "er-one", json!({ "capacity": 1 }))
        .await;
    app.create_event(&admin, "er-two").await;
    let (dana, manage) =
        registrant(&app, &admin, "er-one", "dana@example.org", "Dana Whitfield").await;
    // Eli waits for Dana's seat.
    invite(&app, &admin, "er-one", "eli@example.org").await;
    let token = invitation_token(&app, "eli@example.org").await;
    let mut form = registration_body("eli@example.org");
    form["full_name"] = json!("Eli Waiting");
    let res = register(&app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["status"], "waitlisted");
    app.wait_for_email("eli@example.org").await;
    // An open invitation to another event.
    invite(&app, &admin, "er-two", "dana@example.org").await;
    app.wait_for_email("dana@example.org").await;

    // Bad addresses, and anyone but an admin, are refused.
    let res = app.get_as(&admin, "/api/v1/people/not-an-address").await;
    assert_eq!(res.invalid_fields(), ["email"]);
    let reviewer = app.reviewer().await;
    app.get_as(&reviewer, "/api/v1/people/dana@example.org")
        .await
        .problem(403);
    app.post_as(
        &reviewer,
        "/api/v1/people/dana@example.org/erase",
        &json!({}),
    )
    .await
    .problem(403);

    // The export, in any case of the address.
    let export = app
        .get_json_as(&admin, "/api/v1/people/Dana@Example.ORG")
        .await;
    assert_eq!(export["email"], "dana@example.org");
    assert_eq!(export["invitations"].as_array().unwrap().len(), 2);
    let regs = export["registrations"].as_array().unwrap();
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0]["id"], dana["id"]);
    assert_eq!(regs[0]["phone"], "+1 617 555 0100");
    assert!(export["emails"].as_array().unwrap().len() >= 3, "{export}");
    assert!(!export["audit"].as_array().unwrap().is_empty());
    let text = export.to_string();
    assert!(!text.contains("token_hash"), "{text}");
    assert_eq!(
        app.audit_log(&admin, "action=person.exported").await.len(),
        1
    );

    let res = app
        .post_as(&admin, "/api/v1/people/dana@example.org/erase", &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let erased = res.json();
    assert_eq!(erased["cancelled_registrations"], 1, "{erased}");
    assert_eq!(erased["revoked_invitations"], 1, "{erased}");
    assert_eq!(erased["registrations"], 1, "{erased}");
    assert_eq!(erased["invitations"], 2, "{erased}");
    let log = app.get_json_as(&admin, "/api/v1/audit-log?limit=500").await;
    assert!(!log.to_string().contains("dana@example.org"), "{log}");

    // Eli has Dana's seat; Dana is sent nothing more, and her link is dead.
    let promoted = app.wait_for_email("eli@example.org").await;
    assert!(
        promoted.subject.to_lowercase().contains("seat")
            || promoted.subject.to_lowercase().contains("confirmed"),
        "{}",
        promoted.subject
    );
    app.drain_outbox().await;
    app.assert_no_email_to("dana@example.org").await;
    assert_eq!(
        app.get(&format!("/api/v1/manage/{manage}")).await.status,
        404
    );

    // Nothing is held about the address any more, anywhere the organizers look.
    let export = app
        .get_json_as(&admin, "/api/v1/people/dana@example.org")
        .await;
    for list in [
        "invitations",
        "registrations",
        "nominations",
        "emails",
        "audit",
    ] {
        assert_eq!(export[list], json!([]), "{list}");
    }
    let stats = app.get_json_as(&admin, "/api/v1/events/er-one/stats").await;
    let regs = app
        .get_json_as(&admin, "/api/v1/events/er-one/registrations")
        .await;
    assert_eq!(regs["items"].as_array().unwrap().len(), 2, "the rows stay");
    let text = regs.to_string();
    assert!(!text.contains("dana@example.org"), "{text}");
    assert!(!text.contains("Whitfield"), "{text}");
    // Dana's registration counts as cancelled, Eli's as confirmed in her seat.
    assert_eq!(stats["registrations"]["cancelled"], 1, "{stats}");
    assert_eq!(stats["registrations"]["confirmed"], 1, "{stats}");
    assert_eq!(stats["event"]["seats_taken"], 1, "{stats}");
    assert_eq!(app.audit_log(&admin, "action=person.erased").await.len(), 1);
}
