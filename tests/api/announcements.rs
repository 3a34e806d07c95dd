//! Announcements: the audience chosen by registration status, invitation status and kind,
//! counted by a dry run, one email per person however they are matched (a registrant's
//! with a working manage link), safe to retry with an Idempotency-Key, their delivery
//! counted, and every bad input a 422 naming its field.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{json_body, spawn_app, token_of, Session, TestApp, TestResponse};
use crate::invitations::{invitation_body, invitation_token, invite, SLUG};
use crate::registration::{invite_and_register, registered};

fn path() -> String {
    format!("/api/v1/events/{SLUG}/announcements")
}

async fn announce(app: &TestApp, s: &Session, body: &Value, key: Option<&str>) -> TestResponse {
    let mut req = app.raw_as(Method::POST, &path(), Some(s));
    if let Some(key) = key {
        req = req.insert_header(("Idempotency-Key", key));
    }
    app.send(req, Some(json_body(body))).await
}

fn body(audience: Value) -> Value {
    json!({
        "subject": "The programme is out",
        "body": "# What to expect\n\nThe **full programme** is on the event page.\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))",
        "audience": audience,
    })
}

async fn dry_run(app: &TestApp, s: &Session, audience: Value) -> u64 {
    let mut b = body(audience.clone());
    b["dry_run"] = json!(true);
    let res = announce(app, s, &b, None).await;
    assert_eq!(res.status, 200, "{audience}: {}", res.text());
    res.json()["recipients"].as_u64().expect("recipients")
}

/// The event and its people: Dana (executive) and Lee (young leader) confirmed, Sam
/// invited and silent, Pat declined, Ana registered, cancelled and invited again.
async fn people(app: &TestApp) -> Session {
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite_and_register(app, &admin, "dana@example.org").await;
    app.wait_for_email("dana@example.org").await;
    let mut lee = invitation_body("lee@example.org", "Lee Young");
    lee["kind"] = json!("young_leader");
    let res = app
        .post_as(&admin, &format!("/api/v1/events/{SLUG}/invitations"), &lee)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let token = invitation_token(app, "lee@example.org").await;
    registered(app, &token, "lee@example.org").await;
    app.wait_for_email("lee@example.org").await;
    invite(app, &admin, SLUG, "sam@example.org").await;
    app.wait_for_email("sam@example.org").await;
    invite(app, &admin, SLUG, "pat@example.org").await;
    let token = invitation_token(app, "pat@example.org").await;
    let res = app
        .post(&format!("/api/v1/invitations/{token}/decline"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let ana = invite_and_register(app, &admin, "ana@example.org").await;
    app.wait_for_email("ana@example.org").await;
    let manage = token_of(ana["manage_url"].as_str().expect("manage_url"));
    let res = app
        .post(&format!("/api/v1/manage/{manage}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.wait_for_email("ana@example.org").await; // cancelled
    invite(app, &admin, SLUG, "ana@example.org").await;
    app.wait_for_email("ana@example.org").await;
    app.drain_outbox().await;
    admin
}

#[actix_web::test]
async fn an_announcement_reaches_its_audience_once_each_and_a_dry_run_only_counts() {
    let app = spawn_app().await;
    let admin = people(&app).await;
    for (audience, expected) in [
        (json!({ "registration_statuses": ["confirmed"] }), 2),
        (json!({ "kinds": ["young_leader"] }), 1),
        (json!({ "kinds": ["executive", "young_leader"] }), 2),
        (
            json!({ "registration_statuses": ["confirmed"], "kinds": ["executive"] }),
            1,
        ),
        (json!({ "invitation_statuses": ["sent"] }), 2),
        (json!({ "invitation_statuses": ["declined"] }), 1),
        (json!({ "invitation_statuses": ["expired"] }), 0),
        (json!({ "registration_statuses": ["cancelled"] }), 1),
        // Ana is matched twice, and counted once.
        (
            json!({ "registration_statuses": ["cancelled"], "invitation_statuses": ["sent"] }),
            2,
        ),
        (json!({ "registration_statuses": [] }), 0),
    ] {
        assert_eq!(
            dry_run(&app, &admin, audience.clone()).await,
            expected,
            "{audience}"
        );
    }
    for who in ["dana", "lee", "sam", "pat", "ana"] {
        app.assert_no_email_to(&format!("{who}@example.org")).await;
    }

    let audience = json!({
        "registration_statuses": ["confirmed", "cancelled"],
        "invitation_statuses": ["sent"],
    });
    let res = announce(&app, &admin, &body(audience.clone()), None).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let made = res.json();
    assert_eq!(made["recipients"], 4);
    let id = made["id"].as_str().expect("id").to_owned();
    for who in ["dana", "lee", "sam", "ana"] {
        let to = format!("{who}@example.org");
        let mail = app.wait_for_email(&to).await;
        assert_eq!(mail.subject, "The programme is out");
        assert!(
            mail.html.contains("<strong>full programme</strong>"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(!mail.html.contains("href=\"javascript"), "{}", mail.html);
        assert!(mail.html.contains("&lt;script&gt;"), "{}", mail.html);
        assert!(mail
            .text
            .contains("The **full programme** is on the event page."));
        app.assert_no_email_to(&to).await;
    }
    app.assert_no_email_to("pat@example.org").await;

    // A registrant's email opens the registration; an invitee's has no manage link.
    let dana = app.emails_to("dana@example.org").pop().expect("dana's");
    let link = token_of(&dana.link_containing("/manage/"));
    let shown = app.get(&format!("/api/v1/manage/{link}")).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(shown.json()["registration"]["email"], "dana@example.org");
    let sam = app.emails_to("sam@example.org").pop().expect("sam's");
    assert!(sam.links().iter().all(|l| !l.contains("/manage/")));

    // Listed with its delivery; audited.
    let list = app.get_json_as(&admin, &path()).await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["recipients"], 4);
    assert_eq!(items[0]["sent"], 4);
    assert_eq!(items[0]["failed"], 0);
    assert_eq!(items[0]["subject"], "The programme is out");
    assert_eq!(items[0]["audience"], audience);
    let entries = app
        .audit_log(
            &admin,
            &format!("action=announcement.created&entity_id={id}"),
        )
        .await;
    assert_eq!(entries.len(), 1);
}

#[actix_web::test]
async fn a_retried_announcement_with_its_key_is_made_and_sent_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    for who in ["dana", "lee", "sam"] {
        let to = format!("{who}@example.org");
        invite_and_register(&app, &admin, &to).await;
        app.wait_for_email(&to).await;
    }
    let b = body(json!({ "registration_statuses": ["confirmed"] }));
    // Three at once, as a client retrying while the first is still at work; then again.
    let answers = futures_util::future::join_all(
        (0..3).map(|_| announce(&app, &admin, &b, Some("programme-1"))),
    )
    .await;
    let mut ids = Vec::new();
    for res in answers {
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.json()["recipients"], 3);
        ids.push(res.json()["id"].as_str().expect("id").to_owned());
    }
    let again = announce(&app, &admin, &b, Some("programme-1")).await;
    assert_eq!(again.status, 201, "{}", again.text());
    ids.push(again.json()["id"].as_str().expect("id").to_owned());
    ids.dedup();
    assert_eq!(ids.len(), 1, "one announcement: {ids:?}");
    for who in ["dana", "lee", "sam"] {
        let to = format!("{who}@example.org");
        app.wait_for_email(&to).await;
        app.assert_no_email_to(&to).await;
    }
    let list = app.get_json_as(&admin, &path()).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);

    // The same key for another announcement is a conflict; a new key makes a new one.
    let mut other = b.clone();
    other["subject"] = json!("Something else");
    assert_eq!(
        announce(&app, &admin, &other, Some("programme-1"))
            .await
            .status,
        409
    );
    let res = announce(&app, &admin, &other, Some("programme-2")).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_ne!(res.json()["id"], ids[0].as_str());
    for who in ["dana", "lee", "sam"] {
        let mail = app.wait_for_email(&format!("{who}@example.org")).await;
        assert_eq!(mail.subject, "Something else");
    }
}

#[actix_web::test]
async fn an_audience_of_nobody_sends_nothing_and_bad_input_names_its_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "sam@example.org").await;
    app.wait_for_email("sam@example.org").await;

    let res = announce(
        &app,
        &admin,
        &body(json!({ "registration_statuses": ["confirmed"] })),
        Some("nobody"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({ "recipients": 0 }));
    app.assert_no_email_to("sam@example.org").await;
    let list = app.get_json_as(&admin, &path()).await;
    assert_eq!(list["items"], json!([]));

    let cases: Vec<(Value, &str)> = vec![
        (body(json!({})), "audience"),
        (json!({ "subject": "Hi", "body": "Text" }), "audience"),
        (
            body(json!({ "invitation_statuses": ["pending"] })),
            "audience.invitation_statuses[0]",
        ),
        (
            body(json!({ "registration_statuses": ["gone"] })),
            "audience.registration_statuses[0]",
        ),
        (body(json!({ "kind": ["executive"] })), "audience"),
        (
            json!({ "subject": "Hi\r\nBcc: all@example.org", "body": "Text", "audience": { "kinds": ["executive"] } }),
            "subject",
        ),
        (
            json!({ "subject": "Hi", "body": "x".repeat(20_001), "audience": { "kinds": ["executive"] } }),
            "body",
        ),
        (
            json!({ "subject": "Hi", "body": "  ", "audience": { "kinds": ["executive"] } }),
            "body",
        ),
    ];
    for (bad, field) in cases {
        let res = announce(&app, &admin, &bad, None).await;
        assert_eq!(res.status, 422, "{bad}: {}", res.text());
        assert!(
            res.invalid_fields().iter().any(|f| f.starts_with(field)),
            "{bad}: {:?}",
            res.invalid_fields()
        );
    }
    let res = announce(
        &app,
        &admin,
        &body(json!({ "invitation_statuses": ["sent"] })),
        Some(&"k".repeat(201)),
    )
    .await;
    assert_eq!(res.invalid_fields(), ["Idempotency-Key"]);
    app.assert_no_email_to("sam@example.org").await;

    // Anonymous callers are refused; another event's slug is 404.
    let res = app
        .post(&path(), &body(json!({ "kinds": ["executive"] })))
        .await;
    assert_eq!(res.status, 401);
    let res = app
        .get_as(&admin, "/api/v1/events/no-such-event/announcements")
        .await;
    assert_eq!(res.status, 404);
}
