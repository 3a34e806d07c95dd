//! Registrations that reach the group committer together are written together
//! (`workflows::register::Registering`): the same answers, rows, emails and audit entries,
//! in the order they arrived, as if each were written alone; what cannot join a run (a
//! new community, an invitation used meanwhile) is still written alone, in its place.

use convene::config::SqliteSync;
use convene::db::group_commit::GroupCommit;
use convene::db::read_together::ReadTogether;
use convene::db::schema::registrations;
use convene::db::ConnectionFactory;
use convene::domain::Refusal;
use convene::workflows::{links, register};
use convene::AppError;
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{as_one_batch, assert_a_microsecond_apart, spawn_app};
use crate::invitations::{event_with_capacity, invitation_body, invitation_token, seats_taken};
use crate::registration::registration_body;

const SLUG: &str = "together-summit";

#[actix_web::test]
async fn a_run_of_registrations_is_written_in_order_with_each_ones_seat_email_and_audit() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 5).await;
    let emails: Vec<String> = (0..30).map(|i| format!("exec{i:02}@example.org")).collect();
    let rows: Vec<_> = emails
        .iter()
        .map(|e| invitation_body(e, "An Executive"))
        .collect();
    let bulk = format!("/api/v1/events/{SLUG}/invitations/bulk");
    let res = app.post_as(&admin, &bulk, &json!(rows)).await;
    assert_eq!(res.json()["created"], 30, "{}", res.text());
    let mut tokens = Vec::new();
    for e in &emails {
        tokens.push(invitation_token(&app, e).await);
    }
    // The fourth sends the third's invitation again; the eleventh names a new community.
    tokens[3] = tokens[2].clone();
    let base = app.settings.server.base_url.clone();
    let url = convene::config::DatabaseUrl::parse(&app.db.url).unwrap();
    let pages = ReadTogether::start(
        &app.pool,
        ConnectionFactory::new(url.clone(), SqliteSync::Full),
    )
    .unwrap();
    let mut prepared = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        let mut form = registration_body(&emails[k]);
        if k == 10 {
            form["community"] = json!({ "name": "Shelbyville", "state": "IL" });
        }
        let hash = links::invitation_token_hash(token).unwrap();
        let fields = serde_json::from_value(form).unwrap();
        let ready = register::prepare(&pages, &app.pool, &base, hash, fields).await;
        prepared.push(ready.expect("prepared"));
    }

    // A committer of our own on the same database, held busy until all 30 are queued:
    // they are then one batch, as under load.
    let commits = GroupCommit::start(ConnectionFactory::new(url, SqliteSync::Full)).unwrap();
    let writes = futures_util::future::join_all(prepared.into_iter().map(|p| {
        commits.run_merged(register::Registering {
            prepared: p,
            base: base.clone(),
        })
    }));
    let answers = as_one_batch(&commits, writes).await;

    let mut statuses = Vec::new();
    for (k, answer) in answers.iter().enumerate() {
        match answer {
            Ok(r) => statuses.push((k, r.registration.status.as_str().to_owned())),
            Err(AppError::Refused(Refusal::AlreadyRegistered)) => assert_eq!(k, 3),
            Err(e) => panic!("registration {k}: {e:?}"),
        }
    }
    assert_eq!(statuses.len(), 29);
    let confirmed: Vec<usize> = statuses
        .iter()
        .filter(|(_, s)| s == "confirmed")
        .map(|(k, _)| *k)
        .collect();
    assert_eq!(
        confirmed,
        [0, 1, 2, 4, 5],
        "seats go in the order of arrival"
    );
    assert_eq!(seats_taken(&app, SLUG), 5);

    // Each has its one email; those waiting are told their place, in the order they came.
    let waiting: Vec<usize> = statuses
        .iter()
        .filter(|(_, s)| s == "waitlisted")
        .map(|(k, _)| *k)
        .collect();
    for (place, &k) in waiting.iter().enumerate() {
        let mail = app.wait_for_email(&emails[k]).await;
        let number = format!("you are number {}.", place + 1);
        assert!(mail.text.contains(&number), "{k}: {}", mail.text);
    }
    for &k in &confirmed {
        let mail = app.wait_for_email(&emails[k]).await;
        assert!(
            mail.subject.starts_with("You're registered"),
            "{k}: {}",
            mail.subject
        );
    }
    app.drain_outbox().await;
    for (k, e) in emails.iter().enumerate() {
        // The invitation, and then the confirmation or the place on the waiting list
        // (the fourth used the third's invitation, and was refused).
        let expected = if k == 3 { 1 } else { 2 };
        assert_eq!(app.emails_to(e).len(), expected, "{e}");
    }
    for action in ["invitation.accepted", "registration.created"] {
        let log = app
            .audit_log(&admin, &format!("action={action}&limit=100"))
            .await;
        assert_eq!(log.len(), 29, "{action}");
    }

    // The last run (12th to 30th) was written together: its rows were made one
    // microsecond apart, which keeps the waiting list in the order of arrival.
    let ids: Vec<String> = answers[11..]
        .iter()
        .map(|a| a.as_ref().unwrap().registration.id.to_string())
        .collect();
    let mut conn = app.pool.get().unwrap();
    let made: Vec<(String, chrono::NaiveDateTime)> = registrations::table
        .filter(registrations::id.eq_any(&ids))
        .select((registrations::id, registrations::created_at))
        .load(&mut conn)
        .unwrap();
    assert_a_microsecond_apart(&ids, made);
}
