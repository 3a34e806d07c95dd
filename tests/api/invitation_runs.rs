//! Invitations that reach the group committer together are written together
//! (`workflows::invite::Inviting`): the same answers, rows, emails and audit entries, in
//! the order they arrived, as if each were made alone; an address twice in a run, or
//! already invited, is refused in its place.

use convene::config::SqliteSync;
use convene::db::group_commit::GroupCommit;
use convene::db::models::audit::Actor;
use convene::db::models::event;
use convene::db::models::invitation::Invitation;
use convene::db::schema::invitations;
use convene::db::ConnectionFactory;
use convene::domain::invitation::InvitationSpec;
use convene::domain::Refusal;
use convene::workflows::invite::Inviting;
use convene::AppError;
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{as_one_batch, assert_a_microsecond_apart, spawn_app};
use crate::invitations::{event_with_capacity, invitation_body, invitation_token};

#[actix_web::test]
async fn a_run_of_invitations_is_written_in_order_and_a_repeated_address_is_refused_in_its_place() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, "run-summit", 50).await;
    app.create_event_with(&admin, "other-summit", json!({ "capacity": 50 }))
        .await;
    let already = "already@example.org";
    let res = app
        .post_as(
            &admin,
            "/api/v1/events/run-summit/invitations",
            &invitation_body(already, "Early Bird"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());

    // In arrival order: five to the summit (the fourth repeats the second, the fifth is
    // of a new community), one to the other event, then two to the summit again (the
    // last already invited before the batch).
    let arrivals = [
        ("run-summit", "exec0@example.org"),
        ("run-summit", "exec1@example.org"),
        ("run-summit", "exec2@example.org"),
        ("run-summit", "exec1@example.org"),
        ("run-summit", "exec4@example.org"),
        ("other-summit", "exec1@example.org"),
        ("run-summit", "exec6@example.org"),
        ("run-summit", already),
    ];
    let organizer_id = admin.organizer["id"].as_str().unwrap().to_owned();
    let base = app.settings.server.base_url.clone();
    let mut items = Vec::new();
    let mut conn = app.pool.get().expect("a connection");
    for (k, (slug, email)) in arrivals.iter().enumerate() {
        let mut body = invitation_body(email, &format!("Executive {k}"));
        if k == 4 {
            body["community"] = json!({ "name": "Shelbyville", "state": "IL" });
        }
        let fields = serde_json::from_value(body).unwrap();
        items.push(Inviting {
            event: event::find_by_slug(&mut conn, slug).expect("the event"),
            spec: InvitationSpec::parse(fields, chrono::Utc::now()).expect("a good invitation"),
            community: None,
            actor: Actor::organizer(&organizer_id),
            base: base.clone(),
        });
    }
    drop(conn);

    // A committer of our own on the same database, held busy until all are queued: they
    // are then one batch, as under load.
    let url = convene::config::DatabaseUrl::parse(&app.db.url).unwrap();
    let commits = GroupCommit::start(ConnectionFactory::new(url, SqliteSync::Full)).unwrap();
    let writes = futures_util::future::join_all(items.into_iter().map(|i| commits.run_merged(i)));
    let answers = as_one_batch(&commits, writes).await;

    let mut made = Vec::new();
    for (k, answer) in answers.iter().enumerate() {
        match answer {
            Ok(invited) => {
                assert_eq!(invited.invitation.email, arrivals[k].1, "{k}");
                made.push((k, invited.invitation.id.to_string()));
            }
            Err(AppError::Refused(Refusal::AlreadyInvited)) => {
                assert!(k == 3 || k == 7, "{k} was refused")
            }
            Err(e) => panic!("invitation {k}: {e:?}"),
        }
    }
    assert_eq!(
        made.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        [0, 1, 2, 4, 5, 6]
    );
    let shelbyville = answers[4].as_ref().unwrap();
    assert_eq!(shelbyville.community.name, "Shelbyville");

    // The first run (the first five) was written together: its rows were made one
    // microsecond apart, which keeps the list in the order of arrival.
    let run: Vec<&str> = made[..4].iter().map(|(_, id)| id.as_str()).collect();
    let mut conn = app.pool.get().unwrap();
    let times: Vec<(String, chrono::NaiveDateTime)> = invitations::table
        .filter(invitations::id.eq_any(&run))
        .select((invitations::id, invitations::created_at))
        .load(&mut conn)
        .unwrap();
    assert_a_microsecond_apart(&run, times);
    // Each answer is the row as stored (the run's rows are built, not read back).
    for answer in answers.iter().flatten() {
        let stored: Invitation = invitations::table
            .find(&answer.invitation.id)
            .select(Invitation::as_select())
            .first(&mut conn)
            .unwrap();
        assert_eq!(
            serde_json::to_value(&answer.invitation).unwrap(),
            serde_json::to_value(&stored).unwrap()
        );
        assert_eq!(answer.invitation.token_hash, stored.token_hash);
    }
    drop(conn);

    // Each invitation made has its one email with a link that opens it, and its audit
    // entry; exec1 has one for each event.
    for (k, _) in &made {
        let token = invitation_token(&app, arrivals[*k].1).await;
        let page = app.get(&format!("/api/v1/invitations/{token}")).await;
        assert_eq!(page.status, 200, "{k}: {}", page.text());
    }
    app.drain_outbox().await;
    for (email, expected) in [
        ("exec0@example.org", 1),
        ("exec1@example.org", 2),
        ("exec4@example.org", 1),
        ("exec6@example.org", 1),
        (already, 1),
    ] {
        assert_eq!(app.emails_to(email).len(), expected, "{email}");
    }
    let log = app
        .audit_log(&admin, "action=invitation.created&limit=100")
        .await;
    assert_eq!(log.len(), 7, "the early one and six of the batch");
}

#[actix_web::test]
async fn invitations_sent_at_the_same_moment_are_each_made_once() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, "busy-summit", 50).await;
    let path = "/api/v1/events/busy-summit/invitations";
    // 24 requests at once: 20 addresses, two of them sent three times.
    let emails: Vec<String> = (0..24)
        .map(|i| format!("person{}@example.org", if i >= 20 { i % 2 } else { i }))
        .collect();
    let answers = futures_util::future::join_all(emails.iter().map(|e| {
        let body = invitation_body(e, "A Person");
        let (app, admin) = (&app, &admin);
        async move { app.post_as(admin, path, &body).await }
    }))
    .await;
    for (k, e) in emails.iter().enumerate() {
        let statuses: Vec<u16> = emails
            .iter()
            .zip(&answers)
            .filter(|(other, _)| *other == e)
            .map(|(_, a)| a.status)
            .collect();
        let created = statuses.iter().filter(|s| **s == 201).count();
        let conflicts = statuses.iter().filter(|s| **s == 409).count();
        assert_eq!(created, 1, "{k} {e}: {statuses:?}");
        assert_eq!(created + conflicts, statuses.len(), "{k} {e}: {statuses:?}");
    }
    for answer in answers.iter().filter(|a| a.status == 201) {
        let view = answer.json();
        assert_eq!(view["email_status"], "pending", "{view}");
        let location = answer.header("location").expect("a Location");
        assert_eq!(app.get_as(&admin, &location).await.status, 200);
    }
    app.drain_outbox().await;
    for i in 0..20 {
        let e = format!("person{i}@example.org");
        assert_eq!(app.emails_to(&e).len(), 1, "{e}");
    }
}
