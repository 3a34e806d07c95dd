//! The agenda (issue 14, part A): anyone reads an event's sessions in time order;
//! organizers add, change and remove them, each inside the event's days.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{event_body, spawn_app, TestApp};

const SLUG: &str = "future-city-2027";

/// `hh:mm` in New York (the test event's zone) on the event's day number `day` (0 is
/// its first day), as RFC 3339 in UTC.
fn local(app_event: &Value, day: i64, hh_mm: &str) -> String {
    use chrono::TimeZone;
    let first: chrono::NaiveDate = app_event["starts_on"].as_str().unwrap().parse().unwrap();
    let date = first + chrono::Duration::days(day);
    let time = chrono::NaiveTime::parse_from_str(hh_mm, "%H:%M").unwrap();
    chrono_tz::America::New_York
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339()
}

async fn sessions(app: &TestApp) -> Vec<Value> {
    let res = app.get(&format!("/api/v1/events/{SLUG}/sessions")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn organizers_build_an_agenda_that_anyone_reads_in_time_order() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let reviewer = app.reviewer().await;
    let event = app.create_event(&admin, SLUG).await;
    let path = format!("/api/v1/events/{SLUG}/sessions");
    let lunch = app
        .post_as(
            &reviewer,
            &path,
            &json!({
                "title": "Lunch", "starts_at": local(&event, 0, "12:00"),
                "ends_at": local(&event, 0, "13:00"), "location": "The Atrium",
            }),
        )
        .await;
    assert_eq!(lunch.status, 201, "{}", lunch.text());
    let lunch = lunch.json();
    let opening = app
        .post_as(
            &admin,
            &path,
            &json!({
                "title": "Opening plenary", "starts_at": local(&event, 0, "09:00"),
                "ends_at": local(&event, 0, "10:30"), "description": "Welcome.",
            }),
        )
        .await
        .json();
    app.post_as(
        &admin,
        &path,
        &json!({
            "title": "Site visits", "starts_at": local(&event, 1, "09:00"),
            "ends_at": local(&event, 1, "12:00"),
        }),
    )
    .await;

    let items = sessions(&app).await;
    let titles: Vec<&str> = items.iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Opening plenary", "Lunch", "Site visits"]);
    assert_eq!(items[0]["description"], "Welcome.");
    assert_eq!(items[1]["location"], "The Atrium");
    for key in [
        "id",
        "title",
        "starts_at",
        "ends_at",
        "location",
        "description",
    ] {
        assert!(items[0].get(key).is_some(), "{key}");
    }

    // Moved before the opening, its location cleared.
    let moved = app
        .patch_as(
            &admin,
            &format!("{path}/{}", lunch["id"].as_str().unwrap()),
            &json!({ "starts_at": local(&event, 0, "08:00"), "ends_at": local(&event, 0, "08:45"), "location": null }),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(moved.json()["location"], Value::Null);
    let titles: Vec<String> = sessions(&app)
        .await
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["Lunch", "Opening plenary", "Site visits"]);

    let res = app
        .request(
            Method::DELETE,
            &format!("{path}/{}", opening["id"].as_str().unwrap()),
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_eq!(sessions(&app).await.len(), 2);
    let res = app
        .request(
            Method::DELETE,
            &format!("{path}/{}", opening["id"].as_str().unwrap()),
            None,
            Some(&admin),
        )
        .await;
    res.problem(404);
    assert_eq!(
        app.audit_log(&admin, "action=session.deleted").await.len(),
        1
    );

    // The event page shows the agenda by day, in the event's time.
    let page = app.get(&format!("/events/{SLUG}")).await.text();
    assert!(page.contains("Agenda"), "{page}");
    assert!(page.contains(">08:00</time> – 08:45"), "{page}");
    assert!(page.contains(">09:00</time> – 12:00"), "{page}");
    let first: chrono::NaiveDate = event["starts_on"].as_str().unwrap().parse().unwrap();
    assert!(
        page.contains(&first.format("%A %-d %B %Y").to_string()),
        "{page}"
    );
}

#[actix_web::test]
async fn a_session_outside_the_event_or_ending_before_it_starts_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app.create_event(&admin, SLUG).await;
    let path = format!("/api/v1/events/{SLUG}/sessions");
    let res = app
        .post_as(
            &admin,
            &path,
            &json!({ "title": "Too early", "starts_at": local(&event, -1, "23:00"), "ends_at": local(&event, 0, "09:00") }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["starts_at"]);
    // The event lasts three days (0, 1, 2): day 3 is outside.
    let res = app
        .post_as(
            &admin,
            &path,
            &json!({ "title": "Too late", "starts_at": local(&event, 2, "22:00"), "ends_at": local(&event, 3, "01:00") }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["ends_at"]);
    let res = app
        .post_as(
            &admin,
            &path,
            &json!({ "title": " ", "starts_at": local(&event, 0, "10:00"), "ends_at": local(&event, 0, "09:00") }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["ends_at", "title"]);

    // A change is checked as a whole.
    let ok = app
        .post_as(
            &admin,
            &path,
            &json!({ "title": "Fine", "starts_at": local(&event, 0, "10:00"), "ends_at": local(&event, 0, "11:00") }),
        )
        .await
        .json();
    let res = app
        .patch_as(
            &admin,
            &format!("{path}/{}", ok["id"].as_str().unwrap()),
            &json!({ "ends_at": local(&event, 0, "09:30") }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["ends_at"]);
    assert_eq!(sessions(&app).await.len(), 1);
}

#[actix_web::test]
async fn only_organizers_change_the_agenda_and_a_drafts_agenda_is_not_public() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app.create_event(&admin, SLUG).await;
    let path = format!("/api/v1/events/{SLUG}/sessions");
    let body = json!({ "title": "Opening", "starts_at": local(&event, 0, "09:00"), "ends_at": local(&event, 0, "10:00") });
    app.post(&path, &body).await.problem(401);
    app.get("/api/v1/events/no-such-event/sessions")
        .await
        .problem(404);
    let other = app.post_as(&admin, &path, &body).await.json();
    // A session id under another event's slug is not found.
    let mut second = event_body("second-event");
    second["status"] = json!("draft");
    app.post_as(&admin, "/api/v1/events", &second).await;
    app.patch_as(
        &admin,
        &format!(
            "/api/v1/events/second-event/sessions/{}",
            other["id"].as_str().unwrap()
        ),
        &json!({ "title": "Moved" }),
    )
    .await
    .problem(404);
    app.get("/api/v1/events/second-event/sessions")
        .await
        .problem(404);
    assert_eq!(
        app.get_as(&admin, "/api/v1/events/second-event/sessions")
            .await
            .status,
        200
    );
}
