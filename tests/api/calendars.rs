//! Calendar files that follow the registration, read back with a calendar library: the
//! confirmation publishes an entry, a change of dates or venue sends confirmed registrants
//! the same entry with a higher SEQUENCE, and a cancellation cancels it (METHOD:CANCEL,
//! the same UID, a higher SEQUENCE still). No calendar file carries a private link.

use icalendar::{Calendar, Component};
use serde_json::json;

use crate::helpers::{spawn_app, token_of, TestApp};
use crate::invitations::SLUG;
use crate::registration::invite_and_register;
use crate::smtp::ReceivedEmail;

/// What a calendar reads in an email's `event.ics`.
#[derive(Debug)]
struct Entry {
    method: String,
    uid: String,
    sequence: u32,
    status: String,
    start: String,
    location: String,
}

fn entry(mail: &ReceivedEmail) -> Entry {
    let ics = mail
        .attachments
        .iter()
        .find(|a| a.filename == "event.ics")
        .unwrap_or_else(|| panic!("'{}' has no event.ics", mail.subject));
    assert!(
        !ics.content.contains("/manage/"),
        "a private link: {}",
        ics.content
    );
    let calendar: Calendar = ics.content.parse().expect("a calendar file");
    let event = calendar
        .components
        .iter()
        .find_map(|c| c.as_event())
        .expect("one VEVENT");
    let text = |key: &str| event.property_value(key).unwrap_or_default().to_owned();
    Entry {
        method: calendar
            .property_value("METHOD")
            .unwrap_or_default()
            .to_owned(),
        uid: event.get_uid().expect("UID").to_owned(),
        sequence: event.get_sequence().expect("SEQUENCE"),
        status: text("STATUS"),
        start: text("DTSTART"),
        location: text("LOCATION"),
    }
}

async fn cancel(app: &TestApp, manage_url: &serde_json::Value) {
    let token = token_of(manage_url.as_str().expect("manage_url"));
    let res = app
        .post(&format!("/api/v1/manage/{token}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[actix_web::test]
async fn a_cancellation_cancels_the_calendar_entry_the_confirmation_made() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let dana = invite_and_register(&app, &admin, "dana@example.org").await;
    let published = entry(&app.wait_for_email("dana@example.org").await);
    assert_eq!(published.method, "PUBLISH");
    assert_eq!(published.status, "CONFIRMED");
    assert_eq!(
        published.uid,
        format!("{}@convene", dana["registration"]["id"].as_str().unwrap())
    );

    cancel(&app, &dana["manage_url"]).await;
    let cancelled = entry(&app.wait_for_email("dana@example.org").await);
    assert_eq!(cancelled.method, "CANCEL");
    assert_eq!(cancelled.status, "CANCELLED");
    assert_eq!(cancelled.uid, published.uid);
    assert!(cancelled.sequence > published.sequence, "{cancelled:?}");
}

#[actix_web::test]
async fn moving_the_event_sends_its_confirmed_registrants_the_same_entry_with_a_higher_sequence() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app
        .create_event_with(&admin, SLUG, json!({ "capacity": 2 }))
        .await;
    let mut first = Vec::new();
    let mut answers = Vec::new();
    for who in ["dana", "lee", "sam"] {
        let to = format!("{who}@example.org");
        answers.push(invite_and_register(&app, &admin, &to).await);
        first.push(app.wait_for_email(&to).await);
    }
    assert_eq!(answers[2]["registration"]["status"], "waitlisted");
    let dana = entry(&first[0]);

    // A new name moves nothing: no email.
    let events = format!("/api/v1/events/{SLUG}");
    let res = app
        .patch_as(&admin, &events, &json!({ "name": "The Future City 2027" }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.assert_no_email_to("dana@example.org").await;

    // New dates: the two confirmed registrants get the entry again, moved.
    let start: chrono::NaiveDate = event["starts_on"].as_str().unwrap().parse().unwrap();
    let moved = start + chrono::Duration::days(7);
    let res = app
        .patch_as(
            &admin,
            &events,
            &json!({ "starts_on": moved, "ends_on": moved + chrono::Duration::days(1) }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let mut updates = Vec::new();
    for who in ["dana", "lee"] {
        let mail = app.wait_for_email(&format!("{who}@example.org")).await;
        assert!(
            mail.subject.starts_with("Changed: The Future City 2027"),
            "{}",
            mail.subject
        );
        let link = token_of(&mail.link_containing("/manage/"));
        assert_eq!(app.get(&format!("/api/v1/manage/{link}")).await.status, 200);
        updates.push(entry(&mail));
    }
    assert_eq!(updates[0].uid, dana.uid);
    assert_eq!(updates[0].method, "PUBLISH");
    assert!(updates[0].sequence > dana.sequence, "{:?}", updates[0]);
    assert_eq!(updates[0].start, moved.format("%Y%m%d").to_string());
    assert_eq!(updates[1].uid, entry(&first[1]).uid);
    app.assert_no_email_to("sam@example.org").await;

    // A new venue: higher again.
    let res = app
        .patch_as(&admin, &events, &json!({ "venue": "Harbour Hall" }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let venue = entry(&app.wait_for_email("dana@example.org").await);
    assert!(venue.sequence > updates[0].sequence, "{venue:?}");
    assert!(venue.location.starts_with("Harbour Hall"), "{venue:?}");
    app.wait_for_email("lee@example.org").await;

    // Dana cancels: her entry is cancelled above its last SEQUENCE; Sam, promoted, gets
    // the moved entry at the current SEQUENCE. A waitlisted cancellation has no calendar.
    cancel(&app, &answers[0]["manage_url"]).await;
    let cancelled = entry(&app.wait_for_email("dana@example.org").await);
    assert_eq!(
        (cancelled.method.as_str(), cancelled.uid.as_str()),
        ("CANCEL", dana.uid.as_str())
    );
    assert!(cancelled.sequence > venue.sequence, "{cancelled:?}");
    let promoted = entry(&app.wait_for_email("sam@example.org").await);
    assert_eq!(promoted.sequence, venue.sequence);
    assert_eq!(promoted.start, moved.format("%Y%m%d").to_string());
}

#[actix_web::test]
async fn a_waitlisted_registration_cancelled_has_no_calendar_to_take_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(&admin, SLUG, json!({ "capacity": 1 }))
        .await;
    invite_and_register(&app, &admin, "dana@example.org").await;
    app.wait_for_email("dana@example.org").await;
    let lee = invite_and_register(&app, &admin, "lee@example.org").await;
    app.wait_for_email("lee@example.org").await;
    cancel(&app, &lee["manage_url"]).await;
    let mail = app.wait_for_email("lee@example.org").await;
    assert!(mail.attachments.iter().all(|a| a.filename != "event.ics"));
}
