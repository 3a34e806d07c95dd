//! The organizers' own words on an event (issue 14, part A): its Markdown content shown
//! as safe HTML, its contact address (the `Reply-To` of its emails), its programme and
//! reminder setting.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestDatabase};

const SLUG: &str = "future-city-2027";

const DESCRIPTION: &str = "# The convening\n\nTwo days with **forty** chief executives. \
See [the campus map](https://example.org/map).\n\n<script>alert('x')</script>\n\n\
[a trap](javascript:alert(1)) and <img src=x onerror=alert(2)> and <iframe src=\"https://evil.example\"></iframe>";

#[actix_web::test]
async fn an_event_keeps_its_content_and_shows_the_markdown_as_safe_html() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let created = app
        .create_event_with(
            &admin,
            SLUG,
            json!({
                "description": DESCRIPTION,
                "practical_info": "Meals are covered.\n\n- Hotel: *The Inn*",
                "contact_email": "summit@example.org",
                "program": "future-city",
            }),
        )
        .await;
    assert_eq!(created["description"], DESCRIPTION);
    assert_eq!(created["contact_email"], "summit@example.org");
    assert_eq!(created["program"], "future-city");
    assert_eq!(created["reminder_days_before"], 3, "the default");

    let public = app.get(&format!("/api/v1/events/{SLUG}")).await.json();
    let html = public["description_html"].as_str().unwrap();
    assert!(html.contains("<h3>The convening</h3>"), "{html}");
    assert!(html.contains("<strong>forty</strong>"), "{html}");
    assert!(html.contains("href=\"https://example.org/map\""), "{html}");
    assert_safe(html);
    assert!(public["practical_info_html"]
        .as_str()
        .unwrap()
        .contains("<em>The Inn</em>"));
    assert_eq!(public["contact_email"], "summit@example.org");
    assert!(
        public.get("reminder_days_before").is_none(),
        "an organizer's setting"
    );

    // The public page shows both, and names the address.
    let page = app.get(&format!("/events/{SLUG}")).await;
    assert_eq!(page.status, 200);
    let page = page.text();
    assert!(page.contains("<strong>forty</strong>"), "{page}");
    assert!(page.contains("<em>The Inn</em>"), "{page}");
    assert!(page.contains("mailto:summit@example.org"), "{page}");
    assert_safe(&page);
}

fn assert_safe(html: &str) {
    let lower = html.to_ascii_lowercase();
    // Raw HTML may be shown as text (`&lt;img ... onerror=...&gt;`), never as markup.
    for bad in ["<script>alert", "<iframe", "<img", "href=\"javascript:"] {
        assert!(!lower.contains(bad), "{bad} passed: {html}");
    }
}

#[actix_web::test]
async fn a_change_sets_or_clears_each_content_field_and_leaves_the_others() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(
        &admin,
        SLUG,
        json!({ "contact_email": "summit@example.org", "reminder_days_before": null }),
    )
    .await;
    let path = format!("/api/v1/events/{SLUG}");
    let res = app
        .patch_as(
            &admin,
            &path,
            &json!({ "description": "New words", "reminder_days_before": 7 }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let e = res.json();
    assert_eq!(e["description"], "New words");
    assert_eq!(e["reminder_days_before"], 7);
    assert_eq!(e["contact_email"], "summit@example.org", "left as it was");

    let e = app
        .patch_as(
            &admin,
            &path,
            &json!({ "contact_email": null, "program": "civic-lab", "reminder_days_before": null }),
        )
        .await
        .json();
    assert_eq!(e["contact_email"], Value::Null);
    assert_eq!(e["program"], "civic-lab");
    assert_eq!(e["reminder_days_before"], Value::Null);
    assert_eq!(e["description"], "New words");
}

#[actix_web::test]
async fn bad_content_names_every_field_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = crate::helpers::event_body(SLUG);
    body["description"] = json!("x".repeat(20_001));
    body["practical_info"] = json!("y".repeat(20_001));
    body["contact_email"] = json!("not an address");
    body["program"] = json!("Not A Slug!");
    body["reminder_days_before"] = json!(31);
    let res = app.post_as(&admin, "/api/v1/events", &body).await;
    assert_eq!(
        res.invalid_fields(),
        [
            "contact_email",
            "description",
            "practical_info",
            "program",
            "reminder_days_before"
        ]
    );

    // 20,000 characters is the limit, not over it; the same rules hold for a change.
    app.create_event_with(
        &admin,
        SLUG,
        json!({ "description": "é".repeat(20_000), "reminder_days_before": 30 }),
    )
    .await;
    let res = app
        .patch_as(
            &admin,
            &format!("/api/v1/events/{SLUG}"),
            &json!({ "practical_info": "z".repeat(20_001), "reminder_days_before": 0 }),
        )
        .await;
    assert_eq!(
        res.invalid_fields(),
        ["practical_info", "reminder_days_before"]
    );
}

#[actix_web::test]
async fn every_email_of_the_event_is_answered_to_its_contact_address() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(
        &admin,
        SLUG,
        json!({ "contact_email": "summit@example.org" }),
    )
    .await;
    let invite = |email: &str| {
        json!({
            "email": email, "full_name": "Dana Reyes", "title": "City Manager",
            "community": { "name": "Springfield", "state": "IL" },
        })
    };
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invite("dana@example.org"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let mail = app.wait_for_email("dana@example.org").await;
    assert!(
        mail.raw.contains("\r\nReply-To: summit@example.org\r\n"),
        "{}",
        mail.raw
    );

    // Without an address, no Reply-To; a changed address is used from then on.
    app.patch_as(
        &admin,
        &format!("/api/v1/events/{SLUG}"),
        &json!({ "contact_email": null }),
    )
    .await;
    app.post_as(
        &admin,
        &format!("/api/v1/events/{SLUG}/invitations"),
        &invite("lee@example.org"),
    )
    .await;
    let mail = app.wait_for_email("lee@example.org").await;
    assert!(!mail.raw.contains("Reply-To"), "{}", mail.raw);
}

#[actix_web::test]
async fn an_export_made_before_the_content_fields_still_imports() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let pool = app.pool.clone();
    let export = actix_web::web::block(move || {
        let mut conn = pool.get().unwrap();
        convene::db::transfer::export(&mut conn, SLUG).unwrap()
    })
    .await
    .unwrap();
    let mut old = serde_json::to_value(&export).unwrap();
    for field in [
        "description",
        "practical_info",
        "contact_email",
        "program",
        "reminder_days_before",
    ] {
        old["event"].as_object_mut().unwrap().remove(field);
    }
    old.as_object_mut().unwrap().remove("sessions");
    let data: convene::db::transfer::EventExport = serde_json::from_value(old).unwrap();

    let target = TestDatabase::create();
    let mut conn = target.connect();
    convene::db::run_migrations(&mut conn).unwrap();
    convene::db::transfer::import(&mut conn, data).unwrap();
    let again = convene::db::transfer::export(&mut conn, SLUG).unwrap();
    assert_eq!(again.event.description, "");
    assert_eq!(again.event.reminder_days_before, Some(3));
    assert!(again.sessions.is_empty());
}

#[actix_web::test]
async fn the_emails_give_the_practical_information_in_the_organizers_words_or_none() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(
        &admin,
        SLUG,
        json!({ "practical_info": "Lunch is **served** at noon." }),
    )
    .await;
    crate::registration::invite_and_register(&app, &admin, "dana@example.org").await;
    app.wait_for_email("dana@example.org").await; // the confirmation
    let mails = app.emails_to("dana@example.org"); // and the invitation before it
    assert_eq!(mails.len(), 2);
    for mail in mails {
        assert!(
            mail.text.contains("Lunch is **served** at noon."),
            "{}",
            mail.text
        );
        assert!(
            mail.html.contains("<strong>served</strong>"),
            "{}",
            mail.html
        );
        assert!(!mail.text.contains("Meals are covered"), "{}", mail.text);
    }
    let res = app
        .patch_as(
            &admin,
            &format!("/api/v1/events/{SLUG}"),
            &json!({ "practical_info": "" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    crate::invitations::invite(&app, &admin, SLUG, "lee@example.org").await;
    let mail = app.wait_for_email("lee@example.org").await;
    assert!(!mail.text.contains("Meals are covered"), "{}", mail.text);
    assert!(!mail.text.contains("Lunch"), "{}", mail.text);
}
