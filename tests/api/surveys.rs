//! The survey after an event and the impact report: the settings, the waves (by hand and
//! by the sweeper, once per person however many sweep), the personal links (answered
//! again, closed, unknown), and a programme's figures checked against hand-computed ones.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::{run_cli, spawn_app_with, token_of, Api, Session, TestApp, TestResponse};
use crate::registration::{register, registration_body};

const PROGRAM: &str = "future-city";

/// An event of `PROGRAM` (a year ahead, as created; [`end`] moves it into the past).
async fn event(app: &TestApp, admin: &Session, slug: &str) {
    app.create_event_with(admin, slug, json!({ "program": PROGRAM }))
        .await;
}

/// Invites and registers `email` of `town` to the event (its emails taken); the
/// registration's id.
async fn attendee(app: &TestApp, admin: &Session, slug: &str, email: &str, town: &str) -> String {
    let name = email.split('@').next().unwrap_or(email).to_uppercase();
    let res = app
        .post_as(
            admin,
            &format!("/api/v1/events/{slug}/invitations"),
            &json!({
                "email": email, "full_name": name, "title": "City Manager",
                "community": { "name": town, "state": "IL" },
            }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let token = token_of(&app.wait_for_email(email).await.link_containing("/invite/"));
    let mut form = registration_body(email);
    form["full_name"] = json!(name);
    form["community"] = json!({ "name": town, "state": "IL" });
    let res = register(app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.wait_for_email(email).await; // confirmed
    res.json()["registration"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn check_in(app: &TestApp, admin: &Session, slug: &str, registration_id: &str) {
    let res = app
        .post_as(
            admin,
            &format!("/api/v1/events/{slug}/check-ins"),
            &json!({ "registration_id": registration_id }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
}

/// Moves the event (through the API) so that it ended `days_ago` days ago.
async fn end(app: &TestApp, admin: &Session, slug: &str, days_ago: i64) {
    let ends = Utc::now().date_naive() - Duration::days(days_ago);
    let res = app
        .patch_as(
            admin,
            &format!("/api/v1/events/{slug}"),
            &json!({ "starts_on": (ends - Duration::days(1)).to_string(), "ends_on": ends.to_string() }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    // The registrants are told the dates changed ("Changed: ..."): not what these tests
    // look at.
    app.drain_outbox().await;
    app.smtp.take_subjects_starting("Changed:");
}

async fn send(app: &TestApp, admin: &Session, slug: &str, wave: &str) -> TestResponse {
    app.post_as(
        admin,
        &format!("/api/v1/events/{slug}/survey/send"),
        &json!({ "wave": wave }),
    )
    .await
}

async fn sent(app: &TestApp, admin: &Session, slug: &str, wave: &str) -> u64 {
    let res = send(app, admin, slug, wave).await;
    assert_eq!(res.status, 202, "{}", res.text());
    res.json()["recipients"].as_u64().expect("recipients")
}

/// The survey token in the next email to `email`.
async fn survey_token(app: &TestApp, email: &str) -> String {
    token_of(&app.wait_for_email(email).await.link_containing("/survey/"))
}

async fn answer(app: &Api, token: &str, answers: Value) -> TestResponse {
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/surveys/{token}"),
        Some(&json!({ "answers": answers })),
        None,
    )
    .await
}

async fn answered(app: &Api, token: &str, answers: Value) {
    let res = answer(app, token, answers).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

fn rate(yes: i64, answered: i64, percent: Option<i64>) -> Value {
    json!({ "yes": yes, "answered": answered, "percent": percent })
}

async fn impact(app: &TestApp, s: &Session) -> Value {
    app.get_json_as(s, &format!("/api/v1/impact?program={PROGRAM}"))
        .await
}

#[actix_web::test]
async fn survey_settings_have_defaults_and_a_value_out_of_range_is_a_field_error() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    event(&app, &admin, "s1-ev").await;
    let path = "/api/v1/events/s1-ev/survey";
    let shown = app.get_json_as(&admin, path).await;
    assert_eq!(
        shown,
        json!({ "send_after_hours": 24, "follow_up_after_days": 90, "open": true })
    );
    let put = async |body: Value| {
        app.request(
            actix_web::http::Method::PUT,
            path,
            Some(&body),
            Some(&admin),
        )
        .await
    };
    let res = put(json!({ "send_after_hours": 48, "open": false })).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json(),
        json!({ "send_after_hours": 48, "follow_up_after_days": 90, "open": false })
    );
    for (body, field) in [
        (json!({ "send_after_hours": -1 }), "send_after_hours"),
        (json!({ "follow_up_after_days": 0 }), "follow_up_after_days"),
        (
            json!({ "follow_up_after_days": "soon" }),
            "follow_up_after_days",
        ),
    ] {
        let res = put(body).await;
        assert_eq!(res.invalid_fields(), [field], "{}", res.text());
    }
    assert_eq!(app.get_json_as(&admin, path).await["send_after_hours"], 48);
    assert_eq!(app.get("/api/v1/events/s1-ev/survey").await.status, 401);
    assert_eq!(
        app.audit_log(&admin, "action=survey.settings_changed")
            .await
            .len(),
        1
    );
}

#[actix_web::test]
async fn a_survey_is_answered_again_until_it_closes_and_bad_answers_are_field_errors() {
    let app = spawn_app_with(&[("CONVENE_TOKEN_MISS_LIMIT", "3")]).await;
    let admin = app.admin().await;
    event(&app, &admin, "s2-ev").await;
    attendee(&app, &admin, "s2-ev", "ana@example.org", "Springfield").await;

    // Not before the event is over; not a wave that does not exist.
    assert_eq!(send(&app, &admin, "s2-ev", "post_event").await.status, 409);
    end(&app, &admin, "s2-ev", 2).await;
    let res = send(&app, &admin, "s2-ev", "during").await;
    assert_eq!(res.invalid_fields(), ["wave"], "{}", res.text());
    assert_eq!(sent(&app, &admin, "s2-ev", "follow_up").await, 1);
    assert_eq!(sent(&app, &admin, "s2-ev", "follow_up").await, 0);
    let token = survey_token(&app, "ana@example.org").await;

    let shown = app.get(&format!("/api/v1/surveys/{token}")).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    let shown = shown.json();
    assert_eq!(shown["wave"], "follow_up");
    assert_eq!(shown["event"]["slug"], "s2-ev");
    assert_eq!(shown["questions"][1]["id"], "residents_engaged");
    assert_eq!(
        shown["answers"],
        json!({ "still_applying": null, "residents_engaged": null })
    );

    for bad in [
        json!(-1),
        json!(5_000_000_000_i64),
        json!(2.5),
        json!("many"),
    ] {
        let res = answer(&app, &token, json!({ "residents_engaged": bad })).await;
        assert_eq!(
            res.invalid_fields(),
            ["answers.residents_engaged"],
            "{}",
            res.text()
        );
    }
    let res = answer(&app, &token, json!({ "would_recommend": true })).await;
    assert_eq!(res.invalid_fields(), ["answers.would_recommend"]);

    answered(
        &app,
        &token,
        json!({ "still_applying": false, "residents_engaged": 10 }),
    )
    .await;
    answered(
        &app,
        &token,
        json!({ "still_applying": true, "residents_engaged": 40 }),
    )
    .await;
    let shown = app.get(&format!("/api/v1/surveys/{token}")).await.json();
    assert_eq!(
        shown["answers"],
        json!({ "still_applying": true, "residents_engaged": 40 })
    );
    let report = impact(&app, &admin).await;
    assert_eq!(report["residents_engaged"], 40);
    assert_eq!(report["still_applying"], rate(1, 1, Some(100)));

    // Closed: the link is gone, the answers stay counted.
    let res = app
        .request(
            actix_web::http::Method::PUT,
            "/api/v1/events/s2-ev/survey",
            Some(&json!({ "open": false })),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        answer(&app, &token, json!({ "residents_engaged": 1 }))
            .await
            .status,
        410
    );
    assert_eq!(
        app.get(&format!("/api/v1/surveys/{token}")).await.status,
        410
    );
    assert_eq!(send(&app, &admin, "s2-ev", "post_event").await.status, 409);
    assert_eq!(impact(&app, &admin).await["residents_engaged"], 40);

    // Unknown links are 404, and guessing is throttled (then even a good link waits).
    let wrong = "A".repeat(43);
    for _ in 0..3 {
        let res = app.get(&format!("/api/v1/surveys/{wrong}")).await;
        assert_eq!(res.status, 404);
    }
    let res = answer(&app, &wrong, json!({})).await;
    assert_eq!(res.status, 429, "{}", res.text());
    assert!(res.header("retry-after").is_some());
}

#[actix_web::test]
async fn three_sweepers_send_each_wave_and_its_reminder_once_and_never_to_a_cancellation() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    event(&app, &admin, "s3-ev").await;
    attendee(&app, &admin, "s3-ev", "bo@example.org", "Riverside").await;
    attendee(&app, &admin, "s3-ev", "cy@example.org", "Fairview").await;
    let gone = attendee(&app, &admin, "s3-ev", "di@example.org", "Madison").await;
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/s3-ev/registrations/{gone}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.wait_for_email("di@example.org").await; // cancelled
    end(&app, &admin, "s3-ev", 0).await; // ends tonight
    let ended = convene::domain::survey::ended_at("America/New_York", Utc::now().date_naive());

    let sweep = |at: chrono::DateTime<Utc>| {
        let pool = app.pool.clone();
        let base = app.settings.server.base_url.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            convene::workflows::survey_waves::sweep_surveys(&mut conn, &base, at).expect("sweep")
        })
    };
    let three = |at| futures_util::future::join_all((0..3).map(|_| sweep(at)));
    let total = |reports: Vec<Result<_, _>>| {
        reports.into_iter().fold((0, 0, 0), |t, r| {
            let r: convene::workflows::survey_waves::SweepReport = r.expect("sweep");
            (t.0 + r.post_event, t.1 + r.follow_up, t.2 + r.reminded)
        })
    };
    // Before the 24 hours are up: nothing.
    assert_eq!(total(three(ended + Duration::hours(23)).await), (0, 0, 0));
    assert_eq!(total(three(ended + Duration::hours(25)).await), (2, 0, 0));
    assert_eq!(total(three(ended + Duration::hours(26)).await), (0, 0, 0));
    let bo = survey_token(&app, "bo@example.org").await;
    survey_token(&app, "cy@example.org").await;
    answered(&app, &bo, json!({ "would_recommend": true })).await;
    // A week on, only Cy (who did not answer) is reminded, once; the new link works.
    let at = ended + Duration::hours(25) + Duration::days(7);
    assert_eq!(total(three(at).await), (0, 0, 1));
    assert_eq!(total(three(at + Duration::hours(1)).await), (0, 0, 0));
    let reminder = app.wait_for_email("cy@example.org").await;
    assert!(
        reminder.subject.starts_with("Reminder"),
        "{}",
        reminder.subject
    );
    let cy = token_of(&reminder.link_containing("/survey/"));
    assert_eq!(app.get(&format!("/api/v1/surveys/{cy}")).await.status, 200);

    // The follow-up, 90 days after the end, by the command as three instances would.
    let later = (ended + Duration::days(90) + Duration::hours(1)).to_rfc3339();
    let outs: Vec<String> = (0..3)
        .map(|_| {
            let out = run_cli(&app.db.url, &["sweep", "--as-of", &later], None, "warn");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect();
    assert!(outs[0].contains("follow-up surveys sent: 2"), "{}", outs[0]);
    assert!(outs[1].contains("follow-up surveys sent: 0"), "{}", outs[1]);
    for who in ["bo@example.org", "cy@example.org"] {
        let mail = app.wait_for_email(who).await;
        assert!(mail.subject.contains("A few months on"), "{}", mail.subject);
    }
    app.assert_no_email_to("bo@example.org").await;
    app.assert_no_email_to("cy@example.org").await;
    app.assert_no_email_to("di@example.org").await;
    assert_eq!(app.audit_log(&admin, "action=survey.sent").await.len(), 4);
}

#[actix_web::test]
async fn a_programme_with_no_answers_has_rates_with_no_percent() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    event(&app, &admin, "s4-ev").await;
    attendee(&app, &admin, "s4-ev", "ed@example.org", "Salem").await;
    let before = impact(&app, &admin).await;
    assert_eq!(before["events"], 0);
    assert_eq!(before["participants"], 0);
    end(&app, &admin, "s4-ev", 3).await;
    let report = impact(&app, &admin).await;
    assert_eq!(report["events"], 1);
    assert_eq!(report["participants"], 1);
    assert_eq!(report["communities"], 1);
    assert_eq!(report["residents_engaged"], 0);
    for r in ["would_recommend", "learned", "still_applying"] {
        assert_eq!(report[r], rate(0, 0, None), "{r}");
    }
    assert_eq!(report["testimonials"], json!([]));
    let res = app
        .get_as(&admin, "/api/v1/impact?program=nobody-runs-this")
        .await;
    assert_eq!(res.status, 404);
    let res = app
        .get_as(&admin, "/api/v1/impact?program=Not%20A%20Slug")
        .await;
    assert_eq!(res.invalid_fields(), ["program"]);
}

/// The report keeps its counts between reports (`workflows::impact::counts`): an answer
/// given or changed since the last report, here or through another instance on the same
/// database, must still show in the next one.
#[actix_web::test]
async fn the_next_report_counts_an_answer_given_or_changed_since_the_last_even_through_another_instance(
) {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    event(&app, &admin, "s9-ev").await;
    attendee(&app, &admin, "s9-ev", "ida@example.org", "Dover").await;
    attendee(&app, &admin, "s9-ev", "jon@example.org", "Dover").await;
    end(&app, &admin, "s9-ev", 2).await;
    assert_eq!(sent(&app, &admin, "s9-ev", "post_event").await, 2);
    let ida = survey_token(&app, "ida@example.org").await;
    let jon = survey_token(&app, "jon@example.org").await;
    let recommend = |r: &Value| r["would_recommend"].clone();

    assert_eq!(recommend(&impact(&app, &admin).await), rate(0, 0, None));
    answered(&app, &ida, json!({ "would_recommend": true })).await;
    assert_eq!(
        recommend(&impact(&app, &admin).await),
        rate(1, 1, Some(100))
    );
    answered(&app, &ida, json!({ "would_recommend": false })).await;
    assert_eq!(recommend(&impact(&app, &admin).await), rate(0, 1, Some(0)));

    let second = convene::startup::Application::build(crate::helpers::test_settings(
        &app.db.url,
        app.mail_dir.path(),
        &[],
    ))
    .await
    .expect("the second instance starts");
    let other = Api::new(format!("http://127.0.0.1:{}", second.port()));
    let handle = second.handle();
    let running = actix_web::rt::spawn(second.run_until_stopped());
    answered(&other, &jon, json!({ "would_recommend": true })).await;
    let report = impact(&app, &admin).await;
    assert_eq!(recommend(&report), rate(1, 2, Some(50)));
    assert_eq!(report["participants"], 2);
    assert_eq!(report["communities"], 1);
    handle.stop(true).await;
    running.await.ok();
}

#[actix_web::test]
async fn an_attendee_of_two_events_and_a_community_of_two_events_are_counted_once() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    for slug in ["t1-ev", "t2-ev"] {
        event(&app, &admin, slug).await;
    }
    attendee(&app, &admin, "t1-ev", "fay@example.org", "Alton").await;
    attendee(&app, &admin, "t2-ev", "fay@example.org", "Alton").await;
    attendee(&app, &admin, "t2-ev", "gus@example.org", "Alton").await;
    end(&app, &admin, "t1-ev", 20).await;
    end(&app, &admin, "t2-ev", 10).await;
    let report = impact(&app, &admin).await;
    assert_eq!(report["events"], 2);
    assert_eq!(report["participants"], 2); // Fay (twice) and Gus
    assert_eq!(report["communities"], 1); // Alton, at both events
}

#[actix_web::test]
async fn a_registration_cancelled_after_the_event_is_never_surveyed() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    event(&app, &admin, "t3-ev").await;
    attendee(&app, &admin, "t3-ev", "hal@example.org", "Alton").await;
    let ivy = attendee(&app, &admin, "t3-ev", "ivy@example.org", "Bexley").await;
    end(&app, &admin, "t3-ev", 2).await;
    // The attendance is written down (by the report), then Ivy's registration cancelled.
    assert_eq!(impact(&app, &admin).await["participants"], 2);
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/t3-ev/registrations/{ivy}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.wait_for_email("ivy@example.org").await; // cancelled
    assert_eq!(sent(&app, &admin, "t3-ev", "post_event").await, 1);
    survey_token(&app, "hal@example.org").await;
    app.assert_no_email_to("ivy@example.org").await;
}

/// Three ended events of one programme over five communities (and one event to come),
/// built through the API only; every figure checked against the hand count in comments.
#[actix_web::test]
async fn a_programme_of_three_events_over_five_communities_adds_up_figure_by_figure() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin().await;
    for slug in ["e1-ev", "e2-ev", "e3-ev", "e4-ev"] {
        event(&app, &admin, slug).await;
    }
    // e1: P1 (A), P2 (B), P3 (C) checked in; P10 (F) confirmed, not checked in: not an
    // attendee, as somebody of e1 was checked in; P9 (E) cancelled.
    let p1 = attendee(&app, &admin, "e1-ev", "p1@example.org", "Alton").await;
    let p2 = attendee(&app, &admin, "e1-ev", "p2@example.org", "Bexley").await;
    let p3 = attendee(&app, &admin, "e1-ev", "p3@example.org", "Carmel").await;
    attendee(&app, &admin, "e1-ev", "p10@example.org", "Fulton").await;
    let p9 = attendee(&app, &admin, "e1-ev", "p9@example.org", "Elgin").await;
    for id in [&p1, &p2, &p3] {
        check_in(&app, &admin, "e1-ev", id).await;
    }
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/e1-ev/registrations/{p9}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.wait_for_email("p9@example.org").await; // cancelled
                                                // e2: nobody checked in, so its confirmed registrants attended: P1 (A, again, with
                                                // the address in capitals), P4 (D), P5 (B).
    attendee(&app, &admin, "e2-ev", "P1@Example.org", "Alton").await;
    attendee(&app, &admin, "e2-ev", "p4@example.org", "Dover").await;
    attendee(&app, &admin, "e2-ev", "p5@example.org", "Bexley").await;
    // e3: P6 (E) and P7 (A) checked in.
    let p6 = attendee(&app, &admin, "e3-ev", "p6@example.org", "Elgin").await;
    let p7 = attendee(&app, &admin, "e3-ev", "p7@example.org", "Alton").await;
    check_in(&app, &admin, "e3-ev", &p6).await;
    check_in(&app, &admin, "e3-ev", &p7).await;
    // e4 has not happened yet: P8 (G) does not count.
    attendee(&app, &admin, "e4-ev", "p8@example.org", "Gilbert").await;
    end(&app, &admin, "e1-ev", 200).await;
    end(&app, &admin, "e2-ev", 150).await;
    end(&app, &admin, "e3-ev", 100).await;

    // One event at a time, each email taken before the next event's is sent: P1's two
    // surveys may arrive in either order when sent together.
    let t = |app, who: &'static str| survey_token(app, who);
    assert_eq!(sent(&app, &admin, "e1-ev", "post_event").await, 3); // P1, P2, P3
    let p1e1 = t(&app, "p1@example.org").await;
    let p2e1 = t(&app, "p2@example.org").await;
    t(&app, "p3@example.org").await;
    assert_eq!(sent(&app, &admin, "e2-ev", "post_event").await, 3); // P1, P4, P5
    let p1e2 = t(&app, "p1@example.org").await;
    let p4e2 = t(&app, "p4@example.org").await;
    t(&app, "p5@example.org").await;
    assert_eq!(sent(&app, &admin, "e3-ev", "post_event").await, 2); // P6, P7
    let p6e3 = t(&app, "p6@example.org").await;
    t(&app, "p7@example.org").await;
    app.assert_no_email_to("p9@example.org").await;
    app.assert_no_email_to("p10@example.org").await;

    // P1 first said no, then changed it to yes: only the second answer counts.
    answered(&app, &p1e1, json!({ "would_recommend": false })).await;
    let p1e1_answers = json!({ "would_recommend": true, "learned_and_met_objectives": true,
        "testimonial": "It changed how we budget.", "may_quote": true });
    answered(&app, &p1e1, p1e1_answers).await;
    answered(
        &app,
        &p2e1,
        json!({ "would_recommend": false, "learned_and_met_objectives": true,
        "testimonial": "Not for quoting.", "may_quote": false }),
    )
    .await;
    answered(&app, &p1e2, json!({ "would_recommend": true })).await;
    answered(
        &app,
        &p4e2,
        json!({ "would_recommend": true, "learned_and_met_objectives": false,
        "highlight": "The site visits", "testimonial": "Worth the trip.", "may_quote": true }),
    )
    .await;
    answered(
        &app,
        &p6e3,
        json!({ "would_recommend": true, "learned_and_met_objectives": true }),
    )
    .await;

    assert_eq!(sent(&app, &admin, "e1-ev", "follow_up").await, 3);
    let f1e1 = t(&app, "p1@example.org").await;
    t(&app, "p2@example.org").await;
    let f3e1 = t(&app, "p3@example.org").await;
    assert_eq!(sent(&app, &admin, "e2-ev", "follow_up").await, 3);
    t(&app, "p1@example.org").await;
    let f4e2 = t(&app, "p4@example.org").await;
    t(&app, "p5@example.org").await;
    assert_eq!(sent(&app, &admin, "e3-ev", "follow_up").await, 2);
    t(&app, "p6@example.org").await;
    let f7e3 = t(&app, "p7@example.org").await;
    answered(
        &app,
        &f1e1,
        json!({ "still_applying": true, "residents_engaged": 120 }),
    )
    .await;
    answered(&app, &f3e1, json!({ "residents_engaged": 10 })).await;
    answered(
        &app,
        &f4e2,
        json!({ "still_applying": true, "residents_engaged": 35 }),
    )
    .await;
    answered(
        &app,
        &f7e3,
        json!({ "still_applying": false, "residents_engaged": 0 }),
    )
    .await;

    let report = impact(&app, &admin).await;
    assert_eq!(report["program"], PROGRAM);
    assert_eq!(report["events"], 3); // e1, e2, e3 (e4 has not ended)
    assert_eq!(report["participants"], 7); // P1 (twice, once), P2, P3, P4, P5, P6, P7
    assert_eq!(report["communities"], 5); // A, B, C, D, E (not F, not G)
    assert_eq!(report["residents_engaged"], 165); // 120 + 10 + 35 + 0
                                                  // Yes: P1 at e1 and at e2, P4, P6; no: P2.
    assert_eq!(report["would_recommend"], rate(4, 5, Some(80)));
    // Yes: P1, P2, P6; no: P4; P1 at e2 did not answer it.
    assert_eq!(report["learned"], rate(3, 4, Some(75)));
    // Yes: P1, P4; no: P7; P3 gave only a number. 2/3 = 66.7%.
    assert_eq!(report["still_applying"], rate(2, 3, Some(67)));
    let quotes = report["testimonials"].as_array().expect("testimonials");
    assert_eq!(quotes.len(), 2, "{quotes:?}");
    assert_eq!(quotes[0]["quote"], "It changed how we budget.");
    assert_eq!(quotes[0]["name"], "P1");
    assert_eq!(quotes[0]["title"], "City Manager");
    assert_eq!(quotes[0]["community"]["name"], "Alton");
    assert_eq!(quotes[0]["event"], "e1-ev");
    assert_eq!(quotes[1]["quote"], "Worth the trip.");
    assert_eq!(quotes[1]["community"]["name"], "Dover");
    let by_event: Vec<(Value, Value, Value, Value)> = report["by_event"]
        .as_array()
        .expect("by_event")
        .iter()
        .map(|e| {
            (
                e["slug"].clone(),
                e["participants"].clone(),
                e["communities"].clone(),
                e["residents_engaged"].clone(),
            )
        })
        .collect();
    assert_eq!(
        by_event,
        [
            (json!("e1-ev"), json!(3), json!(3), json!(130)),
            (json!("e2-ev"), json!(3), json!(3), json!(35)),
            (json!("e3-ev"), json!(2), json!(2), json!(0)),
        ]
    );

    // The whole service's report holds the same here (no other events).
    let all = app.get_json_as(&admin, "/api/v1/impact").await;
    assert_eq!(all["participants"], 7);
    assert_eq!(all["program"], Value::Null);

    // The CSV: one row per event, then the total.
    let csv = app
        .get_as(&admin, &format!("/api/v1/impact.csv?program={PROGRAM}"))
        .await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[4].starts_with(&format!("total,{PROGRAM},,,7,5,165,4,5,80,3,4,75,2,3,67")),
        "{text}"
    );

    // The programmes with their events; publishing makes the public page.
    let programs = app.get_json_as(&admin, "/api/v1/programs").await;
    assert_eq!(programs["items"][0]["program"], PROGRAM);
    assert_eq!(
        programs["items"][0]["events"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(programs["items"][0]["published"], false);
    assert_eq!(app.get(&format!("/impact/{PROGRAM}")).await.status, 404);
    let res = app
        .post_as(&admin, "/api/v1/programs/no-such/publish", &json!({}))
        .await;
    assert_eq!(res.status, 404);
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/programs/{PROGRAM}/publish"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let page = app.get(&format!("/impact/{PROGRAM}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("It changed how we budget."));
    assert!(!page.text().contains("Not for quoting."));

    // The dashboard's page shows the same figures, to organizers only.
    let page = app
        .get_as(&admin, &format!("/admin/impact?program={PROGRAM}"))
        .await;
    assert_eq!(page.status, 200);
    let text = page.text();
    for figure in ["165", "80%", "(4 of 5)", "67%", "Worth the trip."] {
        assert!(text.contains(figure), "{figure} in {text}");
    }
    // Anybody else is sent to sign in (the client follows the redirect).
    let anon = app.get(&format!("/admin/impact?program={PROGRAM}")).await;
    assert!(!anon.text().contains("Worth the trip."), "{}", anon.text());

    // The retention sweep anonymizes the people (as `workflows::impact` says it may):
    // every figure stays, only the quotes, which need their authors, go.
    forget_people(&app).await;
    let after = impact(&app, &admin).await;
    for figure in [
        "events",
        "participants",
        "communities",
        "residents_engaged",
        "would_recommend",
        "learned",
        "still_applying",
        "by_event",
    ] {
        assert_eq!(after[figure], report[figure], "{figure}");
    }
    assert_eq!(after["testimonials"], json!([]));
}

/// The retention sweep, as of a day when every event's people are due (3,650 days is
/// the longest `retention_days`); it must anonymize every event.
async fn forget_people(app: &TestApp) {
    let pool = app.pool.clone();
    let events = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        let at = Utc::now() + Duration::days(3_700);
        convene::workflows::retention::sweep_retention(&mut conn, at).expect("retention")
    })
    .await
    .expect("block")
    .events;
    assert!(events >= 3, "{events} events anonymized");
}
