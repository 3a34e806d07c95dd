//! The outbox end to end: mail queued in the database goes through the real worker and
//! the real SMTP client to the test SMTP server, across outages and refusals.

use std::collections::HashSet;
use std::time::Duration;

use convene::email::outbox::{self, StoredEmail};
use convene::email::{templates, Attachment, Outgoing};
use convene::startup::Application;
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{
    spawn_app, spawn_app_with, test_settings, wait_until, Backend, TestApp, FAST_EMAIL_RETRIES,
};
use crate::smtp::{sent_message_id, RawMessage, Stage, WAIT};

/// The `_test` template's variables, addressed to `name`.
fn context(name: &str) -> serde_json::Value {
    let mut context = templates::example("_test").expect("the _test example");
    context["recipient"]["full_name"] = json!(name);
    context
}

pub fn test_email(to: &str, name: &str) -> Outgoing {
    Outgoing {
        template: "_test",
        to: to.to_owned(),
        context: context(name),
        attachments: Vec::new(),
        event_id: None,
        entity: None,
    }
}

/// Queues emails in one transaction, as a request handler would; returns their ids.
pub async fn queue(app: &TestApp, emails: Vec<Outgoing>) -> Vec<String> {
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        conn.transaction(|conn| {
            emails
                .into_iter()
                .map(|e| outbox::queue(conn, e))
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("queued")
    })
    .await
    .expect("blocking task")
}

async fn stored(app: &TestApp, id: &str) -> StoredEmail {
    use convene::db::schema::emails;
    let pool = app.pool.clone();
    let id = id.to_owned();
    actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        emails::table
            .find(&id)
            .select(StoredEmail::as_select())
            .first(&mut conn)
            .expect("the email is stored")
    })
    .await
    .expect("blocking task")
}

/// Waits (up to 10 s) until the stored email satisfies `ready`, and returns it.
pub async fn wait_until_email(
    app: &TestApp,
    id: &str,
    what: &str,
    ready: impl Fn(&StoredEmail) -> bool,
) -> StoredEmail {
    wait_until(format!("email {id} to be {what}"), WAIT, async || {
        let email = stored(app, id).await;
        if ready(&email) {
            return Ok(email);
        }
        Err(format!(
            "it is {} after {} attempt(s), last error {:?}",
            email.status, email.attempts, email.last_error
        ))
    })
    .await
}

fn is_sent(e: &StoredEmail) -> bool {
    e.status == "sent"
}

#[actix_web::test]
async fn a_queued_email_arrives_with_both_parts_its_message_id_and_its_calendar_file() {
    let app = spawn_app().await;
    let mut email = test_email("dana@example.org", "Dana Whitfield");
    email.attachments = vec![Attachment {
        filename: "the-future-city.ics".into(),
        content_type: "text/calendar".into(),
        content: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n".into(),
        ..Default::default()
    }];
    let id = queue(&app, vec![email]).await.remove(0);

    let received = app.wait_for_email("dana@example.org").await;
    let row = stored(&app, &id).await;
    assert_eq!(received.subject, "Test message for Dana Whitfield");
    assert_eq!(received.subject, row.subject);
    assert!(received
        .text
        .contains("This is a test message about The Future City."));
    assert!(received
        .html
        .contains("<p>This is a test message about The Future City.</p>"));
    // In the sender's domain (CONVENE_MAIL_FROM), not a made-up one.
    assert_eq!(
        received.message_id,
        sent_message_id(&row.message_id, "localhost")
    );
    assert!(received.raw.contains("From: convene <no-reply@localhost>"));
    assert!(received
        .raw
        .contains("\r\nAuto-Submitted: auto-generated\r\n"));
    assert!(received.raw.contains("\r\nDate: "));
    assert_eq!(received.attachments.len(), 1);
    let ics = &received.attachments[0];
    assert_eq!(ics.filename, "the-future-city.ics");
    assert_eq!(
        ics.content_type,
        "text/calendar; charset=utf-8; method=PUBLISH"
    );
    assert!(ics.content.starts_with("BEGIN:VCALENDAR"));
}

#[actix_web::test]
async fn a_sent_email_keeps_its_subject_and_history_but_not_its_bodies() {
    let app = spawn_app().await;
    let mut email = test_email("dana@example.org", "Dana Whitfield");
    email.attachments = vec![Attachment {
        filename: "notes.txt".into(),
        content_type: "text/plain".into(),
        content: "a secret link: https://example.org/manage/abc".into(),
        ..Default::default()
    }];
    let id = queue(&app, vec![email]).await.remove(0);
    app.wait_for_email("dana@example.org").await;

    let row = wait_until_email(&app, &id, "sent", is_sent).await;
    assert!(row.sent_at.is_some());
    assert_eq!(row.attempts, 0, "no failed attempt");
    assert_eq!(
        (row.body_text, row.body_html, row.attachments),
        (None, None, None)
    );
    assert_eq!(row.subject, "Test message for Dana Whitfield");
    assert_eq!(row.recipient, "dana@example.org");
    assert!(row.locked_until.is_none());
}

#[actix_web::test]
async fn mail_queued_while_the_smtp_server_is_down_arrives_exactly_once_when_it_is_back() {
    let app = spawn_app().await;
    app.smtp.stop().await;
    let recipients: Vec<String> = (0..5).map(|i| format!("guest{i}@example.org")).collect();
    let ids = queue(
        &app,
        recipients
            .iter()
            .map(|to| test_email(to, "A Guest"))
            .collect(),
    )
    .await;

    for id in &ids {
        let row = wait_until_email(&app, id, "retried after a refused connection", |e| {
            e.attempts >= 1
        })
        .await;
        assert_eq!(row.status, "pending", "a refused connection is transient");
        assert!(row.last_error.is_some());
        assert!(row.body_text.is_some(), "kept until sent");
    }
    assert!(app.smtp.received().is_empty());

    app.smtp.restart().await;
    for to in &recipients {
        app.wait_for_email(to).await;
    }
    for id in &ids {
        wait_until_email(&app, id, "sent", is_sent).await;
    }
    app.drain_outbox().await;
    let received = app.smtp.received();
    assert_eq!(received.len(), ids.len(), "each email exactly once");
    let message_ids: HashSet<String> = received.into_iter().map(|e| e.message_id).collect();
    assert_eq!(message_ids.len(), ids.len());
}

#[actix_web::test]
async fn temporary_refusals_are_retried_until_the_mail_is_accepted() {
    let app = spawn_app().await;
    for (i, stage) in [Stage::Mail, Stage::Rcpt, Stage::Data]
        .into_iter()
        .enumerate()
    {
        app.smtp.fail_temporarily_at(stage);
        let to = format!("retry{i}@example.org");
        let id = queue(&app, vec![test_email(&to, "A Guest")])
            .await
            .remove(0);
        let row = wait_until_email(&app, &id, "refused twice", |e| e.attempts >= 2).await;
        assert_eq!(row.status, "pending", "{stage:?}: 4xx is transient");
        let error = row.last_error.unwrap_or_default();
        assert!(error.contains("451"), "{stage:?}: {error}");

        app.smtp.accept();
        let received = app.wait_for_email(&to).await;
        let row = wait_until_email(&app, &id, "sent", is_sent).await;
        assert!(row.attempts >= 2);
        assert_eq!(
            received.message_id,
            sent_message_id(&row.message_id, "localhost")
        );
    }
    app.drain_outbox().await;
    assert_eq!(app.smtp.received().len(), 3, "refused mail was not stored");
}

#[actix_web::test]
async fn a_permanent_refusal_fails_the_email_and_an_organizer_can_send_it_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app.create_event(&admin, "future-city").await;
    let reviewer = app.reviewer().await;

    app.smtp.fail_permanently_at(Stage::Rcpt);
    let mut email = test_email("dana@example.org", "Dana Whitfield");
    email.event_id = Some(event["id"].as_str().unwrap().to_owned().into());
    let id = queue(&app, vec![email]).await.remove(0);
    let row = wait_until_email(&app, &id, "failed", |e| e.status == "failed").await;
    assert_eq!(row.attempts, 1, "a 5xx is not retried");
    assert!(row.body_text.is_some(), "kept so that it can be sent again");

    let res = app
        .get_as(&reviewer, "/api/v1/events/future-city/emails")
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["total"], 1);
    let item = &body["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["template"], "_test");
    assert_eq!(item["recipient"], "dana@example.org");
    assert_eq!(item["subject"], "Test message for Dana Whitfield");
    assert_eq!(item["status"], "failed");
    assert_eq!(item["attempts"], 1);
    assert!(
        item["last_error"].as_str().unwrap().contains("550"),
        "{item}"
    );
    assert!(item["created_at"].is_string() && item["next_attempt_at"].is_string());
    assert!(item["sent_at"].is_null());
    assert!(item.get("body_text").is_none() && item.get("body_html").is_none());
    app.assert_no_email_to("dana@example.org").await;

    app.smtp.accept();
    let path = format!("/api/v1/events/future-city/emails/{id}/resend");
    let res = app.post_as(&reviewer, &path, &json!({})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "pending");
    assert_eq!(res.json()["attempts"], 0);

    let received = app.wait_for_email("dana@example.org").await;
    assert_eq!(
        received.message_id,
        sent_message_id(&row.message_id, "localhost"),
        "the same email again"
    );
    wait_until_email(&app, &id, "sent", is_sent).await;
    let item = &app
        .get_as(&reviewer, "/api/v1/events/future-city/emails?status=sent")
        .await
        .json()["items"][0];
    assert_eq!(item["status"], "sent");
    assert!(item["sent_at"].is_string());

    // Sent now, and its body is gone: nothing to send again.
    app.post_as(&reviewer, &path, &json!({})).await.problem(409);
    let audit = app
        .get_as(&admin, "/api/v1/audit-log?action=email.resent")
        .await
        .json();
    assert_eq!(audit["items"][0]["entity_id"], id.as_str());
}

#[actix_web::test]
async fn every_failed_email_of_an_event_is_sent_again_at_once_after_the_cause_is_fixed() {
    use convene::db::schema::emails;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app.create_event(&admin, "future-city").await;
    let other = app.create_event(&admin, "other-city").await;
    let of = |e: &serde_json::Value, to: &str| {
        let mut email = test_email(to, "Someone");
        email.event_id = Some(e["id"].as_str().unwrap().to_owned().into());
        email
    };
    // A mail server refusing everything (a wrong password would do the same).
    app.smtp.fail_permanently_at(Stage::Rcpt);
    let ids = queue(
        &app,
        vec![
            of(&event, "a@example.org"),
            of(&event, "b@example.org"),
            of(&event, "c@example.org"),
            of(&other, "z@example.org"),
        ],
    )
    .await;
    for id in &ids {
        wait_until_email(&app, id, "failed", |e| e.status == "failed").await;
    }
    // One failed long ago, and its body (with its link) is no longer kept.
    let pool = app.pool.clone();
    let gone = ids[2].clone();
    actix_web::web::block(move || {
        diesel::update(emails::table.find(gone))
            .set((
                emails::body_text.eq(None::<String>),
                emails::body_html.eq(None::<String>),
            ))
            .execute(&mut pool.get().unwrap())
    })
    .await
    .unwrap()
    .unwrap();

    app.smtp.accept();
    let path = "/api/v1/events/future-city/emails/resend-failed";
    let res = app.post_as(&admin, path, &json!({})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({ "requeued": 2, "not_resendable": 1 }));
    app.wait_for_email("a@example.org").await;
    app.wait_for_email("b@example.org").await;
    wait_until_email(&app, &ids[0], "sent", is_sent).await;
    wait_until_email(&app, &ids[1], "sent", is_sent).await;
    // The other event's failed email is not this event's to send.
    app.assert_no_email_to("z@example.org").await;
    app.assert_no_email_to("c@example.org").await;
    let failed = app
        .get_as(&admin, "/api/v1/events/future-city/emails?status=failed")
        .await
        .json();
    assert_eq!(failed["total"], 1);

    // Again: nothing more to send, and no second copy of anything.
    let res = app.post_as(&admin, path, &json!({})).await;
    assert_eq!(res.json(), json!({ "requeued": 0, "not_resendable": 1 }));
    app.assert_no_email_to("a@example.org").await;
    let audit = app
        .get_as(&admin, "/api/v1/audit-log?action=emails.resent_failed")
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    assert_eq!(audit["items"][0]["after"]["requeued"], 2);
    app.post(
        "/api/v1/events/future-city/emails/resend-failed",
        &json!({}),
    )
    .await
    .problem(401);
    app.post_as(
        &admin,
        "/api/v1/events/no-such-event/emails/resend-failed",
        &json!({}),
    )
    .await
    .problem(404);
}

#[actix_web::test]
async fn a_failed_email_whose_body_is_gone_cannot_be_sent_again() {
    use convene::db::schema::emails;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app.create_event(&admin, "future-city").await;
    let mut email = test_email("dana@example.org", "Dana Whitfield");
    email.event_id = Some(event["id"].as_str().unwrap().to_owned().into());
    let id = queue(&app, vec![email]).await.remove(0);
    wait_until_email(&app, &id, "sent", is_sent).await;
    // A failure recorded by an older version, which did not keep bodies.
    let pool = app.pool.clone();
    let row_id = id.clone();
    actix_web::web::block(move || {
        diesel::update(emails::table.find(row_id))
            .set(emails::status.eq("failed"))
            .execute(&mut pool.get().unwrap())
    })
    .await
    .unwrap()
    .unwrap();

    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/future-city/emails/{id}/resend"),
            &json!({}),
        )
        .await;
    let problem = res.problem(409);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("no longer stored"));
    app.post_as(
        &admin,
        "/api/v1/events/future-city/emails/no-such-email/resend",
        &json!({}),
    )
    .await
    .problem(404);
}

#[actix_web::test]
async fn the_outbox_of_an_event_is_listed_newest_first_in_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let event = app.create_event(&admin, "future-city").await;
    let other = app.create_event(&admin, "other-event").await;
    for (name, event) in [
        ("First", &event),
        ("Second", &event),
        ("Elsewhere", &other),
        ("Third", &event),
    ] {
        let mut email = test_email("dana@example.org", name);
        email.event_id = Some(event["id"].as_str().unwrap().to_owned().into());
        queue(&app, vec![email]).await;
    }
    app.drain_outbox().await;

    let page = app
        .get_as(&admin, "/api/v1/events/future-city/emails?limit=2")
        .await
        .json();
    assert_eq!(page["total"], 3);
    let subjects: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["Test message for Third", "Test message for Second"]
    );
    let rest = app
        .get_as(&admin, "/api/v1/events/future-city/emails?limit=2&offset=2")
        .await
        .json();
    assert_eq!(rest["items"][0]["subject"], "Test message for First");
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    let failed = app
        .get_as(&admin, "/api/v1/events/future-city/emails?status=failed")
        .await
        .json();
    assert_eq!(failed["total"], 0);

    let bad = app
        .get_as(
            &admin,
            "/api/v1/events/future-city/emails?status=lost&limit=0",
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["limit", "status"]);
    app.get_as(&admin, "/api/v1/events/no-such-event/emails")
        .await
        .problem(404);
    app.get("/api/v1/events/future-city/emails")
        .await
        .problem(401);
}

#[actix_web::test]
async fn without_an_smtp_server_each_email_is_written_as_an_eml_file() {
    let app = spawn_app_with(&[("CONVENE_SMTP_URL", "")]).await;
    let id = queue(&app, vec![test_email("dana@example.org", "Dana Whitfield")])
        .await
        .remove(0);
    let row = wait_until_email(&app, &id, "sent", is_sent).await;

    let path = app.mail_dir.path().join(format!("{id}.eml"));
    let data =
        std::fs::read(&path).unwrap_or_else(|e| panic!("{} was written: {e}", path.display()));
    let email = crate::smtp::ReceivedEmail::parse(&RawMessage {
        envelope: crate::smtp::Envelope {
            from: String::new(),
            to: Vec::new(),
        },
        data,
    });
    assert_eq!(email.subject, "Test message for Dana Whitfield");
    assert_eq!(
        email.message_id,
        sent_message_id(&row.message_id, "localhost")
    );
    assert!(email.raw.contains("To: dana@example.org"));
    assert!(app.smtp.received().is_empty(), "nothing went to SMTP");
}

/// While emails are being sent, a wake-up claims after a short gap (`worker::CLAIM_GAP`)
/// instead of at once; none may be forgotten until the next poll.
#[actix_web::test]
async fn mail_queued_one_at_a_time_while_others_are_sent_goes_out_without_the_poll() {
    // Polling every ten minutes: only wake-ups can send these in time.
    let app = spawn_app_with(&[("CONVENE_EMAIL_POLL_MS", "600000")]).await;
    let admin = app.admin().await;
    app.create_event(&admin, "future-city").await;
    // Each send takes a while, so that every invitation after the first is queued while
    // others are in flight.
    app.smtp.set_data_delay(Duration::from_millis(150));
    for i in 0..12 {
        let res = app
            .post_as(
                &admin,
                "/api/v1/events/future-city/invitations",
                &json!({
                    "email": format!("guest{i}@example.org"), "full_name": format!("Guest {i}"),
                    "title": "City Manager",
                    "community": { "name": format!("Town {i}"), "state": "IL" },
                }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    for i in 0..12 {
        let received = app
            .wait_for_emails(&format!("guest{i}@example.org"), 1)
            .await;
        assert_eq!(received.len(), 1, "guest{i} got their invitation");
    }
}

#[actix_web::test]
async fn stopping_the_server_lets_the_email_being_sent_finish() {
    let app = spawn_app().await;
    app.smtp.set_data_delay(Duration::from_millis(1500));
    let id = queue(&app, vec![test_email("dana@example.org", "Dana Whitfield")])
        .await
        .remove(0);
    wait_until_email(&app, &id, "claimed", |e| {
        e.locked_until.is_some() || e.status == "sent"
    })
    .await;

    app.stop().await;

    assert_eq!(app.emails_to("dana@example.org").len(), 1);
    let status = stored(&app, &id).await.status;
    assert_eq!(status, "sent", "recorded before the server stopped");
}

#[actix_web::test]
async fn two_servers_sharing_one_database_send_each_email_exactly_once() {
    let first = spawn_app_with(&[("CONVENE_MAIL_FROM", "first <first@localhost>")]).await;
    // Both claim paths are exercised: FOR UPDATE SKIP LOCKED on PostgreSQL, and
    // BEGIN IMMEDIATE on SQLite, where two pools share one database file.
    assert_eq!(
        first.settings.database.url.backend_name(),
        Backend::from_env().name()
    );

    let smtp_url = first.smtp.url();
    let mut vars: Vec<(&str, &str)> = vec![
        ("CONVENE_SMTP_URL", &smtp_url),
        ("CONVENE_MAIL_FROM", "second <second@localhost>"),
    ];
    vars.extend_from_slice(FAST_EMAIL_RETRIES);
    let second = Application::build(test_settings(&first.db.url, first.mail_dir.path(), &vars))
        .await
        .expect("the second server starts");
    let second_handle = second.handle();
    let second_running = actix_web::rt::spawn(second.run_until_stopped());

    // A slow server keeps each sender busy, so that both take part.
    first.smtp.set_data_delay(Duration::from_millis(300));
    let count = 40;
    let ids = queue(
        &first,
        (0..count)
            .map(|i| test_email(&format!("guest{i}@example.org"), "A Guest"))
            .collect(),
    )
    .await;
    for i in 0..count {
        first
            .smtp
            .wait_for_emails_within(&format!("guest{i}@example.org"), 1, 3 * WAIT)
            .await;
    }
    for id in &ids {
        wait_until_email(&first, id, "sent", is_sent).await;
    }
    first.drain_outbox().await;
    // Anything sent twice would have been in flight with the first copy: graceful stops
    // return once every send in flight is finished.
    first.stop().await;
    second_handle.stop(true).await;
    second_running.await.unwrap().unwrap();

    let messages = first.smtp.raw_messages();
    let stored_ids: HashSet<String> = {
        let mut set = HashSet::new();
        for id in &ids {
            // Both senders are @localhost.
            set.insert(sent_message_id(
                &stored(&first, id).await.message_id,
                "localhost",
            ));
        }
        set
    };
    let received_ids: Vec<String> = messages
        .iter()
        .map(|m| crate::smtp::ReceivedEmail::parse(m).message_id)
        .collect();
    assert_eq!(received_ids.len(), count, "each email exactly once");
    assert_eq!(received_ids.into_iter().collect::<HashSet<_>>(), stored_ids);
    let by = |sender: &str| {
        messages
            .iter()
            .filter(|m| m.envelope.from == sender)
            .count()
    };
    let (a, b) = (by("first@localhost"), by("second@localhost"));
    assert_eq!(a + b, count);
    assert!(a > 0 && b > 0, "both servers sent mail: {a} and {b}");
}

#[actix_web::test]
async fn an_email_claimed_by_a_sender_that_died_goes_out_when_the_claim_runs_out() {
    use convene::db::schema::emails;
    let app = spawn_app().await;
    let pool = app.pool.clone();
    // Queued and leased for 2 s in one transaction, as by a process that then died:
    // the worker never sees the email unleased before the lease runs out.
    let id = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        conn.transaction(|conn| {
            let id = outbox::queue(conn, test_email("dana@example.org", "Dana Whitfield"))?;
            let until = convene::db::now() + chrono::Duration::seconds(2);
            diesel::update(emails::table.find(&id))
                .set(emails::locked_until.eq(Some(until)))
                .execute(conn)?;
            Ok::<_, convene::AppError>(id)
        })
        .expect("queued and leased")
    })
    .await
    .unwrap();

    app.wait_for_email("dana@example.org").await;
    let row = wait_until_email(&app, &id, "sent", is_sent).await;
    assert_eq!(row.attempts, 0);
    assert!(
        row.sent_at.unwrap() >= row.created_at + chrono::Duration::seconds(2),
        "not before the lease ran out"
    );
}

#[actix_web::test]
async fn senders_claiming_at_the_same_time_never_take_the_same_email() {
    let db = crate::helpers::TestDatabase::create();
    let (mut a, mut b) = (db.connect(), db.connect());
    convene::db::run_migrations(&mut a).expect("migrated");
    // No server runs here: the only senders are these two connections.
    a.transaction(|conn| {
        (0..10)
            .map(|i| outbox::queue(conn, test_email(&format!("g{i}@example.org"), "A Guest")))
            .collect::<Result<Vec<_>, _>>()
    })
    .expect("queued");
    let lease = Duration::from_secs(60);

    let (first, second) = match Backend::from_env() {
        // The first claim's transaction is still open (its rows locked, its lease not
        // yet visible) when the second sender claims: SKIP LOCKED passes over them.
        Backend::Postgres { .. } => {
            diesel::connection::SimpleConnection::batch_execute(&mut b, "SET lock_timeout = '5s'")
                .unwrap();
            a.transaction(|a| {
                let first = outbox::claim_due(a, 3, lease)?;
                let second = outbox::claim_due(&mut b, 10, lease)?;
                Ok::<_, convene::AppError>((first, second))
            })
            .expect("both claims succeed without waiting")
        }
        // SQLite has one writer at a time (BEGIN IMMEDIATE): claims follow each other.
        Backend::Sqlite => (
            outbox::claim_due(&mut a, 3, lease).unwrap(),
            outbox::claim_due(&mut b, 10, lease).unwrap(),
        ),
    };
    assert_eq!((first.len(), second.len()), (3, 7));
    let to = |claimed: &[StoredEmail]| -> Vec<String> {
        claimed.iter().map(|e| e.recipient.clone()).collect()
    };
    assert_eq!(
        to(&first),
        ["g0@example.org", "g1@example.org", "g2@example.org"],
        "claimed in the order they were queued"
    );
    let first: HashSet<String> = first.into_iter().map(|e| e.id).collect();
    assert!(
        second.iter().all(|e| !first.contains(&e.id)),
        "disjoint claims"
    );
    assert!(
        outbox::claim_due(&mut a, 10, lease).unwrap().is_empty(),
        "all leased"
    );
}

#[actix_web::test]
async fn a_resend_wakes_the_worker_without_waiting_for_its_poll() {
    use convene::db::schema::emails;
    // Polling every ten minutes: only the wake-up can send the email in time.
    let app = spawn_app_with(&[("CONVENE_EMAIL_POLL_MS", "600000")]).await;
    let admin = app.admin().await;
    let event = app.create_event(&admin, "future-city").await;
    let mut email = test_email("dana@example.org", "Dana Whitfield");
    email.event_id = Some(event["id"].as_str().unwrap().to_owned().into());
    let pool = app.pool.clone();
    let id = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        conn.transaction(|conn| {
            let id = outbox::queue(conn, email)?;
            diesel::update(emails::table.find(&id))
                .set(emails::status.eq("failed"))
                .execute(conn)?;
            Ok::<_, convene::AppError>(id)
        })
        .expect("queued as failed")
    })
    .await
    .unwrap();

    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/future-city/emails/{id}/resend"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.wait_for_email("dana@example.org").await;
}
