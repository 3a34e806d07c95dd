//! The reminder before the event: each confirmed registrant once, with the calendar file,
//! the organizers' practical information and a working manage link, however many
//! instances sweep at once; never too early, never once the event has begun; and through
//! `convene sweep --as-of`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::helpers::{run_cli, spawn_app, token_of, TestApp};
use crate::invitations::SLUG;
use crate::registration::{calendar_of, invite_and_register};

/// Noon UTC, `days` days from the event's first day (negative: before it).
fn day_of_event(event: &Value, days: i64) -> DateTime<Utc> {
    let start: NaiveDate = event["starts_on"]
        .as_str()
        .expect("starts_on")
        .parse()
        .expect("a date");
    (start + Duration::days(days))
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc()
}

fn sweep_cli(app: &TestApp, as_of: DateTime<Utc>) -> String {
    let out = run_cli(
        &app.db.url,
        &["sweep", "--as-of", &as_of.to_rfc3339()],
        None,
        "warn",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[actix_web::test]
async fn each_confirmed_registrant_is_reminded_once_however_many_instances_sweep() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app
        .create_event_with(
            &admin,
            SLUG,
            json!({ "capacity": 2, "practical_info": "Lunch is served at **noon**." }),
        )
        .await;
    for who in ["dana", "lee", "sam"] {
        let to = format!("{who}@example.org");
        invite_and_register(&app, &admin, &to).await;
        app.wait_for_email(&to).await;
    }
    // Sam is on the waiting list: no reminder. Five days before, it is too early.
    let sweep = |as_of: DateTime<Utc>| {
        let pool = app.pool.clone();
        let base = app.settings.server.base_url.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            let settings = convene::workflows::sweep::SweepSettings {
                base_url: base,
                bounce_imap: None,
            };
            let report = convene::workflows::sweep::sweep(&mut conn, &settings, as_of);
            assert!(report.failed.is_empty(), "{:?}", report.failed);
            report.get("registration reminders queued")
        })
    };
    assert_eq!(sweep(day_of_event(&event, -5)).await.expect("sweep"), 0);

    let as_of = day_of_event(&event, -2);
    let reminded: usize = futures_util::future::join_all((0..3).map(|_| sweep(as_of)))
        .await
        .into_iter()
        .map(|r| r.expect("sweep"))
        .sum();
    assert_eq!(reminded, 2);
    let start = event["starts_on"].as_str().unwrap().replace('-', "");
    for who in ["dana", "lee"] {
        let to = format!("{who}@example.org");
        let mail = app.wait_for_email(&to).await;
        assert!(
            mail.subject.starts_with("Reminder: The Future City"),
            "{}",
            mail.subject
        );
        assert!(mail.html.contains("<strong>noon</strong>"), "{}", mail.html);
        let ics = calendar_of(&mail);
        assert!(
            ics.contains(&format!("DTSTART;VALUE=DATE:{start}")),
            "{ics}"
        );
        assert!(
            !ics.contains("/manage/"),
            "no private link in a calendar: {ics}"
        );
        let link = token_of(&mail.link_containing("/manage/"));
        let shown = app.get(&format!("/api/v1/manage/{link}")).await;
        assert_eq!(shown.status, 200, "{}", shown.text());
        assert_eq!(shown.json()["registration"]["email"], to.as_str());
    }
    assert_eq!(sweep(as_of).await.expect("sweep"), 0);
    assert!(sweep_cli(&app, as_of).contains("registration reminders queued: 0"));
    for who in ["dana", "lee", "sam"] {
        app.assert_no_email_to(&format!("{who}@example.org")).await;
    }
    let entries = app.audit_log(&admin, "action=registration.reminded").await;
    assert_eq!(entries.len(), 2);
}

#[actix_web::test]
async fn convene_sweep_as_of_reminds_on_its_day_and_not_once_the_event_has_begun() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app
        .create_event_with(&admin, SLUG, json!({ "reminder_days_before": 7 }))
        .await;
    invite_and_register(&app, &admin, "dana@example.org").await;
    app.wait_for_email("dana@example.org").await;

    for days in [-8, 0, 1] {
        let out = sweep_cli(&app, day_of_event(&event, days));
        assert!(
            out.contains("registration reminders queued: 0"),
            "{days}: {out}"
        );
    }
    for expected in [1, 0] {
        let out = sweep_cli(&app, day_of_event(&event, -6));
        assert!(
            out.contains(&format!("registration reminders queued: {expected}")),
            "{out}"
        );
    }
    // The running service sends what the command queued.
    let mail = app.wait_for_email("dana@example.org").await;
    assert!(mail.subject.starts_with("Reminder:"), "{}", mail.subject);
    app.assert_no_email_to("dana@example.org").await;

    // Without a reminder, nobody is reminded.
    let res = app
        .patch_as(
            &admin,
            &format!("/api/v1/events/{SLUG}"),
            &json!({ "reminder_days_before": null }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    invite_and_register(&app, &admin, "lee@example.org").await;
    app.wait_for_email("lee@example.org").await;
    let out = sweep_cli(&app, day_of_event(&event, -2));
    assert!(out.contains("registration reminders queued: 0"), "{out}");
}
