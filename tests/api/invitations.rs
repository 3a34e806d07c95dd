//! Invitations, as organizers send them and invitees receive them: one at a time or in
//! bulk, listed, revoked, resent and reminded. Tokens are only ever taken from the links
//! in the emails the test SMTP server received.

use std::time::Instant;

use actix_web::http::Method;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{
    spawn_app, spawn_app_with, token_from, token_of, Session, TestApp, TestResponse,
};

pub const SLUG: &str = "future-city-2027";

/// A valid invitation for `email`, from Springfield, IL.
pub fn invitation_body(email: &str, full_name: &str) -> Value {
    json!({
        "email": email,
        "full_name": full_name,
        "title": "City Manager",
        "community": { "name": "Springfield", "state": "IL" },
        "message": "We would value your experience with participatory budgeting.",
    })
}

/// Invites `email` to the event and returns the created invitation.
pub async fn invite(app: &TestApp, s: &Session, slug: &str, email: &str) -> Value {
    let res = app
        .post_as(
            s,
            &format!("/api/v1/events/{slug}/invitations"),
            &invitation_body(email, "Dana Whitfield"),
        )
        .await;
    assert_eq!(res.status, 201, "invitation failed: {}", res.text());
    res.json()
}

/// Waits for the next invitation email to `email` and returns its personal link's token.
pub async fn invitation_token(app: &TestApp, email: &str) -> String {
    token_from(&app.wait_for_email(email).await)
}

/// An event with this capacity, open for registration, created by a new admin.
pub async fn event_with_capacity(app: &TestApp, slug: &str, capacity: i64) -> Session {
    let admin = app.admin().await;
    app.create_event_with(&admin, slug, json!({ "capacity": capacity }))
        .await;
    admin
}

/// The event's seat counter, read from the database.
pub fn seats_taken(app: &TestApp, slug: &str) -> i32 {
    use convene::db::schema::events;
    let mut conn = app.pool.get().expect("connection");
    events::table
        .filter(events::slug.eq(slug))
        .select(events::seats_taken)
        .first(&mut *conn)
        .expect("the event")
}

async fn list(app: &TestApp, s: &Session, query: &str) -> Value {
    app.get_json_as(s, &format!("/api/v1/events/{SLUG}/invitations{query}"))
        .await
}

async fn post_bulk(app: &TestApp, s: &Session, content_type: &str, body: Vec<u8>) -> TestResponse {
    let req = app
        .raw(
            Method::POST,
            &format!("/api/v1/events/{SLUG}/invitations/bulk"),
        )
        .insert_header(("cookie", s.cookie.clone()))
        // A busy 2-core machine running a debug build may need more than awc's 5 s.
        .timeout(std::time::Duration::from_secs(60));
    app.send(req, Some((content_type, body))).await
}

#[actix_web::test]
async fn an_invitee_receives_a_personal_link_that_opens_their_invitation() {
    // A base URL with a trailing slash, as operators often write it.
    let app = spawn_app_with(&[("CONVENE_BASE_URL", "https://events.example.org/")]).await;
    let reviewer = {
        let admin = app.admin().await;
        app.create_event(&admin, SLUG).await;
        app.reviewer().await
    };

    let res = app
        .post_as(
            &reviewer,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body("Dana.Whitfield@Springfield.example", "Dana Whitfield"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let created = res.json();
    assert_eq!(created["status"], "sent");
    assert_eq!(
        created["kind"], "executive",
        "the kind defaults to executive"
    );
    assert_eq!(created["email"], "dana.whitfield@springfield.example");
    assert_eq!(created["community"]["name"], "Springfield");
    assert_eq!(created["community"]["country"], "US");
    let expires: chrono::DateTime<chrono::Utc> =
        created["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_days();
    assert!((29..=30).contains(&days), "expires in {days} days");

    let mail = app
        .wait_for_email("dana.whitfield@springfield.example")
        .await;
    assert!(mail.subject.contains("The Future City"), "{}", mail.subject);
    assert!(mail.text.contains("Dear Dana Whitfield"));
    assert!(mail
        .text
        .contains("Memorial Hall, Riverside Campus, Boston"));
    // No practical information of ours where the organizers wrote none.
    assert!(!mail.text.contains("Meals are covered"));
    assert!(
        mail.text.contains("participatory budgeting"),
        "the organizer's note"
    );
    assert!(mail.html.contains("Answer your invitation"));
    let link = mail.link_containing("/invite/");
    assert!(
        link.starts_with("https://events.example.org/invite/"),
        "{link}"
    );
    let token = token_of(&link);
    assert!(
        !res.text().contains(&token),
        "the token is never returned, only emailed"
    );

    let opened = app.get(&format!("/api/v1/invitations/{token}")).await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    let opened = opened.json();
    assert_eq!(opened["kind"], "executive");
    assert_eq!(opened["status"], "sent");
    assert_eq!(opened["event"]["slug"], SLUG);
    assert_eq!(opened["event"]["venue"], "Memorial Hall, Riverside Campus");
    assert!(
        opened["event"].get("capacity").is_none(),
        "public fields only"
    );
    assert_eq!(opened["invitee"]["full_name"], "Dana Whitfield");
    assert_eq!(opened["invitee"]["title"], "City Manager");
    assert_eq!(opened["invitee"]["community"]["state"], "IL");
    assert_eq!(opened["registration"], Value::Null);

    let shown = app
        .get_as(
            &reviewer,
            &format!(
                "/api/v1/events/{SLUG}/invitations/{}",
                created["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(shown.status, 200);
    assert!(shown.json().get("token_hash").is_none());
}

#[actix_web::test]
async fn communities_are_matched_however_they_are_typed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let a = invite(&app, &admin, SLUG, "a@example.org").await;
    let mut body = invitation_body("b@example.org", "Bo Lind");
    body["community"] = json!({ "name": "  SPRINGFIELD ", "state": "il", "country": "us" });
    let b = app
        .post_as(&admin, &format!("/api/v1/events/{SLUG}/invitations"), &body)
        .await
        .json();
    assert_eq!(a["community"]["id"], b["community"]["id"]);
    assert_eq!(
        b["community"]["name"], "Springfield",
        "the first spelling is kept"
    );
}

#[actix_web::test]
async fn the_public_may_not_invite() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    app.post(
        &format!("/api/v1/events/{SLUG}/invitations"),
        &invitation_body("a@example.org", "A"),
    )
    .await
    .problem(401);
    app.get(&format!("/api/v1/events/{SLUG}/invitations"))
        .await
        .problem(401);
    app.post_as(
        &admin,
        "/api/v1/events/no-such-event/invitations",
        &invitation_body("a@example.org", "A"),
    )
    .await
    .problem(404);
}

#[actix_web::test]
async fn every_bad_field_of_an_invitation_is_named() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &json!({
                "email": "not an email",
                "title": "City\nManager",
                "community": { "name": "Springfield" },
                "kind": "mayor",
                "expires_at": "2001-01-01T00:00:00Z",
            }),
        )
        .await;
    assert_eq!(
        res.invalid_fields(),
        [
            "community.state",
            "email",
            "expires_at",
            "full_name",
            "kind",
            "title"
        ]
    );
    app.assert_no_email_to("not an email").await;
}

#[actix_web::test]
async fn a_second_live_invitation_for_the_same_address_is_a_conflict_until_the_first_is_revoked() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let first = invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;

    let again = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body("DANA@example.org", "Dana Whitfield"),
        )
        .await;
    let problem = again.problem(409);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("live invitation"));

    let revoke = format!(
        "/api/v1/events/{SLUG}/invitations/{}/revoke",
        first["id"].as_str().unwrap()
    );
    let revoked = app.post_as(&admin, &revoke, &json!({})).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    assert_eq!(revoked.json()["status"], "revoked");
    app.post_as(&admin, &revoke, &json!({})).await.problem(409);

    let gone = app.get(&format!("/api/v1/invitations/{token}")).await;
    assert!(gone.problem(410)["detail"]
        .as_str()
        .unwrap()
        .contains("withdrawn"));

    let second = invite(&app, &admin, SLUG, "dana@example.org").await;
    assert_ne!(second["id"], first["id"]);
    let new_token = invitation_token(&app, "dana@example.org").await;
    assert_eq!(
        app.get(&format!("/api/v1/invitations/{new_token}"))
            .await
            .status,
        200
    );
}

/// On PostgreSQL the pages asked at the same moment are read by one statement
/// (`db::read_together`); whichever way they are read, each shows its own invitation.
#[actix_web::test]
async fn invitation_pages_asked_at_once_each_show_their_own_invitation() {
    use convene::db::models::invitation;
    use convene::workflows::links::invitation_token_hash;

    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let people = app.invite_many(&app.smtp, &admin, SLUG, "atonce", 40).await;
    // Some answered: their pages show the registration.
    for (email, token) in &people[..5] {
        crate::registration::registered(&app, token, email).await;
    }
    let unknown: Vec<String> = (0..3).map(|i| format!("{}{i}", "B".repeat(42))).collect();
    let asked: Vec<&str> = people
        .iter()
        .map(|(_, t)| t.as_str())
        .chain(people[..5].iter().map(|(_, t)| t.as_str()))
        .chain(unknown.iter().map(String::as_str))
        .collect();
    let paths: Vec<String> = asked
        .iter()
        .map(|t| format!("/api/v1/invitations/{t}"))
        .collect();
    let pages = futures_util::future::join_all(paths.iter().map(|p| app.get(p))).await;
    for (token, page) in asked.iter().zip(&pages) {
        match people.iter().position(|(_, t)| t == token) {
            Some(i) => {
                assert_eq!(page.status, 200, "{}", page.text());
                let page = page.json();
                assert_eq!(page["invitee"]["email"], people[i].0);
                assert_eq!(page["invitee"]["full_name"], format!("Guest {i}"));
                assert_eq!(page["event"]["slug"], SLUG);
                assert_eq!(page["registration"].is_null(), i >= 5, "{page}");
            }
            None => {
                page.problem(404);
            }
        }
    }

    // The statement for many reads finds what the statement for one does.
    let hashes: Vec<String> = asked
        .iter()
        .map(|t| invitation_token_hash(t).unwrap())
        .collect();
    let mut conn = app.pool.get().unwrap();
    let mut together = invitation::find_all_for_invitees(&mut conn, &hashes).unwrap();
    assert_eq!(
        together.len(),
        40,
        "one row per invitation, none for the unknown"
    );
    together.sort_by(|a, b| a.0.email.cmp(&b.0.email));
    let mut alone: Vec<_> = hashes
        .iter()
        .take(40)
        .map(|h| invitation::find_for_invitee(&mut conn, h).unwrap().unwrap())
        .collect();
    alone.sort_by(|a, b| a.0.email.cmp(&b.0.email));
    assert_eq!(format!("{together:?}"), format!("{alone:?}"));
}

#[actix_web::test]
async fn an_unknown_or_malformed_token_is_not_found() {
    let app = spawn_app().await;
    let unknown = "A".repeat(43);
    app.get(&format!("/api/v1/invitations/{unknown}"))
        .await
        .problem(404);
    app.get("/api/v1/invitations/not-a-token")
        .await
        .problem(404);
    app.post(
        &format!("/api/v1/invitations/{unknown}/registration"),
        &json!({}),
    )
    .await
    .problem(404);
    app.post(
        &format!("/api/v1/invitations/{unknown}/decline"),
        &json!({}),
    )
    .await
    .problem(404);
}

/// Moves an invitation's expiry into the past, as if its time had run out.
fn expire(app: &TestApp, id: &str) {
    use convene::db::schema::invitations;
    let mut conn = app.pool.get().expect("connection");
    diesel::update(invitations::table.find(id))
        .set(invitations::expires_at.eq(convene::db::now() - chrono::Duration::hours(1)))
        .execute(&mut *conn)
        .expect("expired");
}

#[actix_web::test]
async fn an_expired_invitation_is_gone_and_the_address_may_be_invited_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let first = invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    expire(&app, first["id"].as_str().unwrap());

    let gone = app.get(&format!("/api/v1/invitations/{token}")).await;
    assert!(gone.problem(410)["detail"]
        .as_str()
        .unwrap()
        .contains("expired"));
    app.post(
        &format!("/api/v1/invitations/{token}/registration"),
        &crate::registration::registration_body("dana@example.org"),
    )
    .await
    .problem(410);
    let listed = list(&app, &admin, "?status=expired").await;
    assert_eq!(
        listed["total"], 1,
        "it counts as expired before anyone marks it"
    );
    assert_eq!(listed["items"][0]["status"], "expired");
    assert_eq!(list(&app, &admin, "?status=sent").await["total"], 0);
    let first_id = first["id"].as_str().unwrap();
    app.post_as(
        &admin,
        &format!("/api/v1/events/{SLUG}/invitations/{first_id}/resend"),
        &json!({}),
    )
    .await
    .problem(409);

    let second = invite(&app, &admin, SLUG, "dana@example.org").await;
    assert_eq!(second["status"], "sent");
    let log = app
        .get_as(&admin, &format!("/api/v1/audit-log?entity_id={first_id}"))
        .await
        .json();
    assert_eq!(log["items"][0]["action"], "invitation.expired");
    assert_eq!(log["items"][0]["after"]["status"], "expired");
}

#[actix_web::test]
async fn a_resend_sends_a_new_link_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let created = invite(&app, &admin, SLUG, "dana@example.org").await;
    let old = invitation_token(&app, "dana@example.org").await;
    let id = created["id"].as_str().unwrap();

    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations/{id}/resend"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json()["expires_at"],
        created["expires_at"],
        "same expiry"
    );
    let new = invitation_token(&app, "dana@example.org").await;
    assert_ne!(new, old);
    app.get(&format!("/api/v1/invitations/{old}"))
        .await
        .problem(404);
    assert_eq!(
        app.get(&format!("/api/v1/invitations/{new}")).await.status,
        200
    );
}

#[actix_web::test]
async fn a_reminder_goes_to_everyone_who_has_not_answered() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    for who in ["quiet@example.org", "keen@example.org", "busy@example.org"] {
        invite(&app, &admin, SLUG, who).await;
    }
    let keen = invitation_token(&app, "keen@example.org").await;
    let busy = invitation_token(&app, "busy@example.org").await;
    invitation_token(&app, "quiet@example.org").await;
    let registered = app
        .post(
            &format!("/api/v1/invitations/{keen}/registration"),
            &crate::registration::registration_body("keen@example.org"),
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text());
    assert_eq!(
        app.post(&format!("/api/v1/invitations/{busy}/decline"), &json!({}))
            .await
            .status,
        200
    );

    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations/remind"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({ "reminded": 1 }));
    let reminder = app.wait_for_email("quiet@example.org").await;
    assert!(
        reminder.subject.starts_with("A reminder"),
        "{}",
        reminder.subject
    );
    let token = token_from(&reminder);
    assert_eq!(
        app.get(&format!("/api/v1/invitations/{token}"))
            .await
            .status,
        200
    );
    app.wait_for_email("keen@example.org").await; // the confirmation
    app.assert_no_email_to("busy@example.org").await;
    app.assert_no_email_to("keen@example.org").await;
}

#[actix_web::test]
async fn invitations_are_listed_with_filters_and_a_total() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    for i in 0..3 {
        invite(&app, &admin, SLUG, &format!("exec{i}@example.org")).await;
    }
    let mut young = invitation_body("young@example.org", "Sam Ortiz");
    young["kind"] = json!("young_leader");
    young["community"] = json!({ "name": "Shelbyville", "state": "IL" });
    let young = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &young,
        )
        .await
        .json();
    let revoked_id = list(&app, &admin, "?q=exec0").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_as(
        &admin,
        &format!("/api/v1/events/{SLUG}/invitations/{revoked_id}/revoke"),
        &json!({}),
    )
    .await;

    let all = list(&app, &admin, "").await;
    assert_eq!(all["total"], 4);
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    assert_eq!(list(&app, &admin, "?status=revoked").await["total"], 1);
    assert_eq!(list(&app, &admin, "?status=sent").await["total"], 3);
    let by_kind = list(&app, &admin, "?kind=young_leader").await;
    assert_eq!(by_kind["total"], 1);
    assert_eq!(by_kind["items"][0]["id"], young["id"]);
    assert_eq!(list(&app, &admin, "?community=shelby").await["total"], 1);
    assert_eq!(list(&app, &admin, "?q=SAM%20ORTIZ").await["total"], 1);
    assert_eq!(
        list(&app, &admin, "?q=%25").await["total"],
        0,
        "% is literal"
    );
    let page = list(&app, &admin, "?limit=2&offset=2").await;
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let bad = app
        .get_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations?status=lost&limit=0"),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["limit", "status"]);
}

#[actix_web::test]
async fn a_json_bulk_creates_the_good_rows_and_reports_each_bad_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "already@example.org").await;
    let rows = json!([
        invitation_body("one@example.org", "One"),
        { "email": "bad", "full_name": "Two", "title": "CAO",
          "community": { "name": "Springfield" } },
        invitation_body("three@example.org", "Three"),
        invitation_body("already@example.org", "Already"),
        invitation_body("one@example.org", "One again"),
        { "email": "six@example.org", "full_name": 6 },
    ]);
    let res = post_bulk(
        &app,
        &admin,
        "application/json",
        serde_json::to_vec(&rows).unwrap(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["created"], 2);
    assert_eq!(body["refused"], 4);
    let statuses: Vec<&str> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["created", "refused", "created", "refused", "refused", "refused"]
    );
    assert_eq!(body["rows"][0]["row"], 1);
    assert!(body["rows"][0]["id"].is_string());
    let errors = &body["rows"][1]["errors"];
    assert!(
        errors["email"].is_array() && errors["community.state"].is_array(),
        "{errors}"
    );
    assert!(body["rows"][3]["errors"]["email"][0]
        .as_str()
        .unwrap()
        .contains("live invitation"));
    assert!(
        body["rows"][4]["errors"]["email"].is_array(),
        "a duplicate within the upload"
    );
    assert!(body["rows"][5]["errors"]["full_name"].is_array());
    assert_eq!(list(&app, &admin, "").await["total"], 3);
    let one = invitation_token(&app, "one@example.org").await;
    assert_eq!(
        app.get(&format!("/api/v1/invitations/{one}")).await.status,
        200
    );
    invitation_token(&app, "three@example.org").await;
}

#[actix_web::test]
async fn a_bulk_upload_expires_what_ran_out_and_gives_each_new_row_its_email_link_and_audit_entry()
{
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "lapsed@example.org").await;
    let lapsed_before = invitation_token(&app, "lapsed@example.org").await;
    {
        use convene::db::schema::invitations as i;
        let mut conn = app.pool.get().expect("connection");
        let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc();
        diesel::update(i::table.filter(i::email.eq("lapsed@example.org")))
            .set(i::expires_at.eq(past))
            .execute(&mut conn)
            .expect("let the invitation run out");
    }
    let rows = json!([
        invitation_body("a@example.org", "Ann First"),
        invitation_body("lapsed@example.org", "Lee Lapsed"),
        invitation_body("b@example.org", "Bo Second"),
        invitation_body("a@example.org", "Ann Again"),
    ]);
    let res = post_bulk(
        &app,
        &admin,
        "application/json",
        serde_json::to_vec(&rows).unwrap(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    let fates: Vec<&str> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(fates, ["created", "created", "created", "refused"]);
    assert!(body["rows"][3]["errors"]["email"][0]
        .as_str()
        .unwrap()
        .contains("live invitation"));

    // The invitation that ran out is expired; the address has a new one.
    assert_eq!(list(&app, &admin, "?status=expired").await["total"], 1);
    assert_eq!(list(&app, &admin, "?status=sent").await["total"], 3);
    assert_eq!(
        app.get(&format!("/api/v1/invitations/{lapsed_before}"))
            .await
            .status,
        410
    );
    // Each new row has its own email, whose link opens its own invitation.
    for (email, name) in [
        ("a@example.org", "Ann First"),
        ("lapsed@example.org", "Lee Lapsed"),
        ("b@example.org", "Bo Second"),
    ] {
        let token = invitation_token(&app, email).await;
        let page = app.get(&format!("/api/v1/invitations/{token}")).await;
        assert_eq!(page.status, 200, "{email}: {}", page.text());
        assert_eq!(page.json()["invitee"]["full_name"], name);
    }
    assert_eq!(app.emails_to("a@example.org").len(), 1, "one email each");
    // Each is audited as the organizer's, and the lapsed one as expired by the system.
    let created = app.audit_log(&admin, "action=invitation.created").await;
    assert_eq!(created.len(), 4, "{created:?}");
    let rows = body["rows"].as_array().expect("rows");
    for id in rows[..3].iter().map(|r| &r["id"]) {
        assert!(
            created
                .iter()
                .any(|e| &e["entity_id"] == id && e["actor"] == "organizer"),
            "{id} in {created:?}"
        );
    }
    let expired = app.audit_log(&admin, "action=invitation.expired").await;
    assert_eq!(expired.len(), 1, "{expired:?}");
}

#[actix_web::test]
async fn a_csv_bulk_with_a_header_row_creates_the_good_rows() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let csv =
        "email,full_name,title,community_name,community_state,community_country,kind,message\r\n\
               ada@example.org,Ada Moreno,City Manager,Springfield,IL,,,\"Dear Ada, welcome.\"\r\n\
               young@example.org,\"Ortiz, Sam\",Analyst,Springfield,IL,US,young_leader,\r\n\
               nope,Bad Row,,Springfield,,,,\r\n\
               \r\n\
               ben@example.org,Ben Cho,Chief Administrative Officer,Toronto,ON,CA,executive,\r\n";
    let res = post_bulk(
        &app,
        &admin,
        "text/csv; charset=utf-8",
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(
        (body["created"].as_u64(), body["refused"].as_u64()),
        (Some(3), Some(1))
    );
    let bad = &body["rows"][2];
    assert_eq!(bad["row"], 3);
    assert_eq!(bad["status"], "refused");
    let fields: Vec<&String> = bad["errors"].as_object().unwrap().keys().collect();
    assert_eq!(
        fields,
        ["community_state", "email", "title"],
        "named by column"
    );

    assert_eq!(
        body["refused_csv"],
        "email,full_name,title,community_name,community_state,community_country,kind,message\n\
         nope,Bad Row,,Springfield,,,,",
        "the refused row under the header, as sent"
    );
    let young = list(&app, &admin, "?kind=young_leader").await;
    assert_eq!(young["items"][0]["full_name"], "Ortiz, Sam");
    let ben = list(&app, &admin, "?q=ben%40").await;
    assert_eq!(ben["items"][0]["community"]["country"], "CA");
    let ada = app.wait_for_email("ada@example.org").await;
    assert!(ada.text.contains("Dear Ada, welcome."));
}

#[actix_web::test]
async fn a_csv_bulk_separated_by_semicolons_or_tabs_is_read_by_its_header_row() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    // As a spreadsheet saves it where the decimal mark is a comma: `;`, a BOM, quotes.
    let semicolons = "\u{feff}email;full_name;title;community_name;community_state;message\r\n\
        ada@example.org;Ada Moreno;City Manager;Springfield;IL;\"Dear Ada; welcome, truly.\"\r\n\
        not-an-address;Sam Brooks;City Manager;Lakeside;MI;\r\n\
        ben@example.org;Ben Cho;Chief Administrative Officer;Toronto;ON;\r\n";
    let res = post_bulk(&app, &admin, "text/csv", semicolons.as_bytes().to_vec()).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(
        (body["created"].as_u64(), body["refused"].as_u64()),
        (Some(2), Some(1))
    );
    let bad = &body["rows"][1];
    assert_eq!(
        (bad["row"].as_u64(), bad["status"].as_str()),
        (Some(2), Some("refused"))
    );
    assert_eq!(
        bad["full_name"], "Sam Brooks",
        "named, to be found in a report"
    );
    assert_eq!(bad["email"], "not-an-address");
    let fields: Vec<&String> = bad["errors"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["email"]);
    assert_eq!(
        body["refused_csv"],
        "email;full_name;title;community_name;community_state;message\n\
         not-an-address;Sam Brooks;City Manager;Lakeside;MI;"
    );
    let ada = list(&app, &admin, "?q=ada%40").await;
    assert_eq!(ada["items"][0]["message"], "Dear Ada; welcome, truly.");

    // As copied from spreadsheet cells: tabs. Ada is invited already: her row is refused.
    let tabs = "email\tfull_name\ttitle\tcommunity_name\tcommunity_state\n\
        lee@example.org\tLee Chen, Jr.\tCity Manager\tNorthfield\tMN\n\
        ada@example.org\tAda Moreno\tCity Manager\tSpringfield\tIL\n";
    let body = post_bulk(&app, &admin, "text/csv", tabs.as_bytes().to_vec())
        .await
        .json();
    assert_eq!(
        (body["created"].as_u64(), body["refused"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
    assert_eq!(body["rows"][0]["status"], "created");
    assert_eq!(
        body["rows"][1]["errors"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["email"]
    );
    assert_eq!(
        body["refused_csv"],
        "email\tfull_name\ttitle\tcommunity_name\tcommunity_state\n\
         ada@example.org\tAda Moreno\tCity Manager\tSpringfield\tIL"
    );
    let lee = list(&app, &admin, "?q=lee%40").await;
    assert_eq!(lee["items"][0]["full_name"], "Lee Chen, Jr.");

    // All went through: nothing to send again.
    let body = post_bulk(
        &app,
        &admin,
        "text/csv",
        b"email;full_name;title;community_name;community_state\nmo@example.org;Mo Reyes;Mayor;Eastport;ME\n".to_vec(),
    )
    .await
    .json();
    assert_eq!(body["created"], 1, "{body}");
    assert!(body.get("refused_csv").is_none(), "{body}");
}

#[actix_web::test]
async fn a_bulk_body_that_cannot_be_read_is_refused_whole() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let res = post_bulk(
        &app,
        &admin,
        "text/csv",
        b"name,email\r\nAda,a@example.org\r\n".to_vec(),
    )
    .await;
    assert_eq!(res.invalid_fields(), ["header"]);
    post_bulk(&app, &admin, "text/plain", b"x".to_vec())
        .await
        .problem(415);
    post_bulk(&app, &admin, "application/json", b"{\"email\": 1}".to_vec())
        .await
        .problem(422);
    post_bulk(&app, &admin, "application/json", b"[".to_vec())
        .await
        .problem(400);
    post_bulk(&app, &admin, "application/json", b"[]".to_vec())
        .await
        .problem(422);
    let too_many: Vec<Value> = (0..5001)
        .map(|i| json!({ "email": format!("{i}@x.org") }))
        .collect();
    post_bulk(
        &app,
        &admin,
        "application/json",
        serde_json::to_vec(&too_many).unwrap(),
    )
    .await
    .problem(413);
    assert_eq!(list(&app, &admin, "").await["total"], 0);
}

#[actix_web::test]
async fn a_thousand_invitations_are_created_in_one_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let rows: Vec<Value> = (0..1000)
        .map(|i| {
            let mut row = invitation_body(&format!("exec{i}@example.org"), &format!("Exec {i}"));
            // Fifty communities, each named in many rows.
            row["community"]["name"] = json!(format!("Community {}", i % 50));
            row
        })
        .collect();
    let started = Instant::now();
    let res = post_bulk(
        &app,
        &admin,
        "application/json",
        serde_json::to_vec(&rows).unwrap(),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(res.status, 200, "{}", res.text());
    println!("1,000 invitations in one request: {elapsed:?}");
    let body = res.json();
    assert_eq!(body["created"], 1000);
    assert_eq!(body["refused"], 0);
    assert_eq!(list(&app, &admin, "?limit=1").await["total"], 1000);
    assert_eq!(
        list(&app, &admin, "?community=community%207&limit=1").await["total"],
        20
    );
}

#[actix_web::test]
async fn a_csv_row_may_set_its_own_expiry_and_a_bad_one_is_named_with_the_rest() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let expires = (chrono::Utc::now() + chrono::Duration::days(10))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let csv = format!(
        "Email,Full_Name,Title,Community_Name,Community_State,Expires_At\n\
         ada@example.org,Ada Moreno,City Manager,Springfield,IL,{expires}\n\
         eve@example.org,Eve Stone,,Springfield,IL,next week\n"
    );
    let body = post_bulk(&app, &admin, "text/csv", csv.into_bytes())
        .await
        .json();
    assert_eq!(body["rows"][0]["status"], "created", "{body}");
    let fields: Vec<&String> = body["rows"][1]["errors"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(fields, ["expires_at", "title"]);
    let ada = list(&app, &admin, "").await;
    assert_eq!(ada["items"][0]["expires_at"], expires.as_str());
}
