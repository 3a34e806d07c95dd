//! Travel scholarships, end to end: requested on the registration form or from the manage
//! link, decided by organizers within the budget (also under concurrent decisions),
//! answered by the registrant, reminded and lapsed by the sweeper, released on
//! cancellation. Every email is read from the test SMTP server.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};

use convene::db::models::scholarship;
use convene::domain::scholarship::{ScholarshipFields, ScholarshipForm};
use convene::domain::{Refusal, ScholarshipRequestId};
use convene::error::AppError;

use crate::helpers::{
    run_cli, spawn_app, spawn_app_with, token_of, Session, TestApp, TestResponse,
};
use crate::invitations::{invitation_token, invite, SLUG};
use crate::registration::{invite_and_register, register, registration_body};
use crate::smtp::ReceivedEmail;

/// An event with this scholarship budget (in cents), created by a new admin.
async fn event_with_budget(app: &TestApp, budget_cents: i64) -> Session {
    let admin = app.admin().await;
    app.create_event_with(
        &admin,
        SLUG,
        json!({ "scholarship_budget_cents": budget_cents }),
    )
    .await;
    admin
}

/// A request for `requested` cents out of an estimated cost of 1,800.00 (or of the
/// amount requested, if more).
fn request_body(requested: i64) -> Value {
    json!({
        "travelers": 2,
        "estimated_cost_cents": requested.max(180_000),
        "requested_amount_cents": requested,
        "justification": "Our travel budget is frozen this year.",
    })
}

/// Invites and registers `email` with no request, takes the confirmation email, and
/// returns the manage token.
async fn registrant(app: &TestApp, admin: &Session, email: &str) -> String {
    let answer = invite_and_register(app, admin, email).await;
    app.wait_for_email(email).await;
    token_of(answer["manage_url"].as_str().unwrap())
}

async fn ask(app: &TestApp, token: &str, body: &Value) -> TestResponse {
    app.post(&format!("/api/v1/manage/{token}/scholarship"), body)
        .await
}

/// Asks for `requested` cents from the manage link, takes the receipt, returns the id.
async fn requested(app: &TestApp, token: &str, email: &str, requested: i64) -> String {
    let res = ask(app, token, &request_body(requested)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let receipt = app.wait_for_email(email).await;
    assert!(receipt.subject.contains("travel scholarship request"));
    res.json()["id"].as_str().unwrap().to_owned()
}

/// The registrant's action on their request (`withdraw`, `accept`, `decline`).
async fn act(app: &TestApp, token: &str, action: &str) -> TestResponse {
    app.post(
        &format!("/api/v1/manage/{token}/scholarship/{action}"),
        &json!({}),
    )
    .await
}

async fn decide(app: &TestApp, s: &Session, id: &str, body: &Value) -> TestResponse {
    app.post_as(
        s,
        &format!("/api/v1/events/{SLUG}/scholarships/{id}/decision"),
        body,
    )
    .await
}

async fn approve(app: &TestApp, s: &Session, id: &str, cents: i64) -> TestResponse {
    decide(
        app,
        s,
        id,
        &json!({ "decision": "approved", "awarded_amount_cents": cents }),
    )
    .await
}

async fn list(app: &TestApp, s: &Session, query: &str) -> Value {
    app.get_json_as(s, &format!("/api/v1/events/{SLUG}/scholarships{query}"))
        .await
}

/// One request as organizers see it in the list.
async fn listed(app: &TestApp, s: &Session, id: &str) -> Value {
    let all = list(app, s, "?limit=500").await;
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not listed: {all}"))
}

/// The event's running sum of awards, read from the database.
fn awarded_cents(app: &TestApp) -> i64 {
    use convene::db::schema::events;
    let mut conn = app.pool.get().expect("connection");
    events::table
        .filter(events::slug.eq(SLUG))
        .select(events::scholarship_awarded_cents)
        .first(&mut *conn)
        .expect("the event")
}

/// Moves an award's reply-by time, as time passing would.
fn set_reply_by(app: &TestApp, id: &str, at: NaiveDateTime) {
    use convene::db::schema::scholarship_requests;
    let mut conn = app.pool.get().expect("connection");
    diesel::update(scholarship_requests::table.find(id))
        .set(scholarship_requests::reply_by.eq(Some(at)))
        .execute(&mut *conn)
        .expect("reply_by set");
}

/// Takes the registrant's emails until one whose subject contains `fragment`.
async fn email_about(app: &TestApp, to: &str, fragment: &str) -> ReceivedEmail {
    loop {
        let mail = app.wait_for_email(to).await;
        if mail.subject.contains(fragment) {
            return mail;
        }
    }
}

/// 17:00 UTC `days` from today (midday in Boston), and the date as emails write it there.
fn reply_by_in(days: i64) -> (String, String) {
    let day = Utc::now().date_naive() + Duration::days(days);
    (
        format!("{day}T17:00:00Z"),
        day.format("%A %-d %B %Y").to_string(),
    )
}

#[actix_web::test]
async fn a_registrant_asks_for_a_scholarship_from_the_manage_link_and_gets_a_receipt() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 2_000_000).await;
    let token = registrant(&app, &admin, "dana@example.org").await;

    let mut over = request_body(200_000);
    over["estimated_cost_cents"] = json!(180_000);
    let over = ask(&app, &token, &over).await;
    assert_eq!(over.invalid_fields(), ["requested_amount_cents"]);
    assert_eq!(
        over.json()["errors"]["requested_amount_cents"][0],
        "must not be more than the estimated cost"
    );

    let res = ask(&app, &token, &request_body(120_000)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let created = res.json();
    assert_eq!(created["status"], "pending");
    assert_eq!(created["requested_amount_cents"], 120_000);

    let receipt = app.wait_for_email("dana@example.org").await;
    assert!(
        receipt
            .subject
            .contains("We have your travel scholarship request"),
        "{}",
        receipt.subject
    );
    for shown in ["$1,800.00", "$1,200.00", "Travelers:              2"] {
        assert!(
            receipt.text.contains(shown),
            "{shown} in:\n{}",
            receipt.text
        );
    }
    assert!(receipt.html.contains("$1,200.00"));
    assert_eq!(
        token_of(&receipt.link_containing("/manage/")),
        token,
        "the receipt links to the private page"
    );

    let again = ask(&app, &token, &request_body(50_000)).await;
    assert!(again.problem_detail(409).contains("only one"));

    let page = app.get(&format!("/api/v1/manage/{token}")).await.json();
    assert_eq!(page["scholarship"]["status"], "pending");
    let item = listed(&app, &admin, created["id"].as_str().unwrap()).await;
    assert_eq!(item["registration"]["full_name"], "Dana Whitfield");
    assert_eq!(item["community"]["name"], "Springfield");
    assert_eq!(item["award_status"], Value::Null);
    let log = app.audit_log(&admin, "action=scholarship.requested").await;
    assert_eq!(log[0]["actor"], "registrant");
}

#[actix_web::test]
async fn a_request_on_the_registration_form_is_acknowledged_in_the_confirmation() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 2_000_000).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    let mut form = registration_body("dana@example.org");
    form["travel_scholarship"] = request_body(90_000);
    let res = register(&app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let manage_url = res.json()["manage_url"].as_str().unwrap().to_owned();

    // One email, not a confirmation and a receipt.
    let confirmation = app.wait_for_email("dana@example.org").await;
    app.assert_no_email_to("dana@example.org").await;
    assert!(
        confirmation.subject.starts_with("You're registered"),
        "{}",
        confirmation.subject
    );
    assert!(
        confirmation
            .text
            .contains("We have your request for a travel scholarship of $900.00"),
        "{}",
        confirmation.text
    );
    assert_eq!(confirmation.link_containing("/manage/"), manage_url);
    let all = list(&app, &admin, "?status=pending").await;
    assert_eq!(all["total"], 1);
    assert_eq!(all["items"][0]["requested_amount_cents"], 90_000);
}

#[actix_web::test]
async fn a_registrant_withdraws_a_pending_request_but_not_a_decided_one() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 2_000_000).await;
    let dana = registrant(&app, &admin, "dana@example.org").await;
    act(&app, &dana, "withdraw").await.problem(404);
    let id = requested(&app, &dana, "dana@example.org", 120_000).await;

    let res = act(&app, &dana, "withdraw").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "withdrawn");
    assert!(act(&app, &dana, "withdraw")
        .await
        .problem_detail(409)
        .contains("withdrawn"));
    assert!(
        ask(&app, &dana, &request_body(1_000))
            .await
            .problem_detail(409)
            .contains("only one"),
        "one request per registration, withdrawn or not"
    );
    // Stored past that check (as a race would), a second one is refused by the unique
    // constraint, recognised as that one on both databases (by its name on PostgreSQL, by
    // its columns on SQLite), not taken for a failure.
    let mut conn = app.db.connect();
    let stored = scholarship::find(&mut conn, &ScholarshipRequestId::from(id)).unwrap();
    let fields: ScholarshipFields = serde_json::from_value(request_body(1_000)).unwrap();
    let form = ScholarshipForm::parse(&fields).unwrap();
    let (event, reg, at) = (
        &stored.event_id,
        &stored.registration_id,
        convene::db::now(),
    );
    match scholarship::create(&mut conn, event, reg, &form, at) {
        Err(AppError::Refused(Refusal::AlreadyRequestedScholarship)) => {}
        Err(other) => panic!("not the refusal: {other:?}"),
        Ok(_) => panic!("a second request was stored"),
    }

    let lee = registrant(&app, &admin, "lee@example.org").await;
    let id = requested(&app, &lee, "lee@example.org", 120_000).await;
    assert_eq!(
        decide(&app, &admin, &id, &json!({ "decision": "waitlisted" }))
            .await
            .status,
        200
    );
    assert!(act(&app, &lee, "withdraw")
        .await
        .problem_detail(409)
        .contains("already waitlisted"));

    // A cancelled registration asks for nothing more.
    let sam = registrant(&app, &admin, "sam@example.org").await;
    let res = app
        .post(&format!("/api/v1/manage/{sam}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(ask(&app, &sam, &request_body(1_000))
        .await
        .problem_detail(409)
        .contains("cancelled"));
}

#[actix_web::test]
async fn an_organizer_approves_part_of_a_request_and_the_registrant_accepts_it() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 2_000_000).await;
    let reviewer = app.reviewer().await;
    let token = registrant(&app, &admin, "dana@example.org").await;
    let id = requested(&app, &token, "dana@example.org", 120_000).await;

    let too_much = approve(&app, &reviewer, &id, 120_001).await;
    assert_eq!(too_much.invalid_fields(), ["awarded_amount_cents"]);
    let nothing = decide(&app, &reviewer, &id, &json!({ "decision": "approved" })).await;
    assert_eq!(nothing.invalid_fields(), ["awarded_amount_cents"]);
    let after_start = decide(
        &app,
        &reviewer,
        &id,
        &json!({ "decision": "approved", "awarded_amount_cents": 90_000,
                 "reply_by": (Utc::now() + Duration::days(400)).to_rfc3339() }),
    )
    .await;
    assert_eq!(after_start.invalid_fields(), ["reply_by"]);

    let (reply_by, reply_by_date) = reply_by_in(10);
    let res = decide(
        &app,
        &reviewer,
        &id,
        &json!({
            "decision": "approved", "awarded_amount_cents": 90_000,
            "reply_by": reply_by, "note": "We could fund three quarters of it."
        }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let decided = res.json();
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["awarded_amount_cents"], 90_000);
    assert_eq!(decided["award_status"], "offered");
    assert_eq!(decided["reply_by"], reply_by);
    assert_eq!(decided["decided_by"], reviewer.organizer["id"]);
    assert_eq!(decided["budget"]["awarded_cents"], 90_000);
    assert_eq!(decided["budget"]["left_cents"], 1_910_000);
    assert_eq!(awarded_cents(&app), 90_000);

    let mail = app.wait_for_email("dana@example.org").await;
    assert!(mail.subject.contains("$900.00"), "{}", mail.subject);
    for shown in [
        "$900.00",
        "part of the $1,200.00 you asked for",
        reply_by_date.as_str(),
        "We could fund three quarters of it.",
        "Accept the award",
    ] {
        assert!(mail.text.contains(shown), "{shown} in:\n{}", mail.text);
    }
    assert!(mail.html.contains(&reply_by_date) && mail.html.contains("$900.00"));

    // Decided once: deciding again is a conflict, whatever the decision.
    for again in [
        json!({ "decision": "approved", "awarded_amount_cents": 1_000 }),
        json!({ "decision": "declined" }),
    ] {
        assert!(decide(&app, &admin, &id, &again)
            .await
            .problem_detail(409)
            .contains("already approved"));
    }
    assert_eq!(
        awarded_cents(&app),
        90_000,
        "a refused decision claims nothing"
    );

    let res = act(&app, &token, "accept").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["award_status"], "accepted");
    assert!(act(&app, &token, "accept")
        .await
        .problem_detail(409)
        .contains("already accepted"));
    assert!(act(&app, &token, "decline")
        .await
        .problem_detail(409)
        .contains("already accepted"));
    assert_eq!(awarded_cents(&app), 90_000, "an accepted award stands");
    let page = app.get(&format!("/api/v1/manage/{token}")).await.json();
    assert_eq!(page["scholarship"]["award_status"], "accepted");
    assert_eq!(page["scholarship"]["awarded_amount_cents"], 90_000);

    let log = app.audit_log(&admin, &format!("entity_id={id}")).await;
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("scholarship.award_accepted", "registrant"),
            ("scholarship.approved", "organizer"),
            ("scholarship.requested", "registrant"),
        ]
    );
    assert_eq!(log[1]["before"]["status"], "pending");
    assert_eq!(log[1]["after"]["awarded_amount_cents"], 90_000);
}

#[actix_web::test]
async fn an_organizer_declines_with_a_note_and_approves_a_waitlisted_request_later() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 2_000_000).await;
    let dana = registrant(&app, &admin, "dana@example.org").await;
    let lee = registrant(&app, &admin, "lee@example.org").await;
    let dana_id = requested(&app, &dana, "dana@example.org", 120_000).await;
    let lee_id = requested(&app, &lee, "lee@example.org", 60_000).await;

    let res = decide(
        &app,
        &admin,
        &dana_id,
        &json!({ "decision": "declined", "note": "Priority went to communities further away." }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["awarded_amount_cents"], Value::Null);
    let declined = app.wait_for_email("dana@example.org").await;
    assert!(declined.text.contains("we are sorry"), "{}", declined.text);
    assert!(declined
        .text
        .contains("Priority went to communities further away."));
    assert!(declined.text.contains("Your registration is not affected"));

    let res = decide(&app, &admin, &lee_id, &json!({ "decision": "waitlisted" })).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let waitlisted = app.wait_for_email("lee@example.org").await;
    assert!(
        waitlisted.subject.contains("waiting list"),
        "{}",
        waitlisted.subject
    );
    assert!(
        !waitlisted.text.contains("A note from"),
        "no note, no heading"
    );
    assert_eq!(list(&app, &admin, "?status=waitlisted").await["total"], 1);

    let res = approve(&app, &admin, &lee_id, 60_000).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let approved = app.wait_for_email("lee@example.org").await;
    assert!(approved.text.contains("$600.00"));
    assert!(!approved.text.contains("part of the"), "the whole amount");
    assert!(approve(&app, &admin, &dana_id, 1_000)
        .await
        .problem_detail(409)
        .contains("already declined"));
    assert_eq!(
        list(&app, &admin, "").await["budget"]["awarded_cents"],
        60_000
    );
}

#[actix_web::test]
async fn a_declined_award_gives_its_amount_back_to_the_budget() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 100_000).await;
    let token = registrant(&app, &admin, "dana@example.org").await;
    let id = requested(&app, &token, "dana@example.org", 100_000).await;
    assert_eq!(approve(&app, &admin, &id, 100_000).await.status, 200);
    assert_eq!(list(&app, &admin, "").await["budget"]["left_cents"], 0);

    let res = act(&app, &token, "decline").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["award_status"], "declined");
    assert_eq!(awarded_cents(&app), 0);
    let budget = &list(&app, &admin, "").await["budget"];
    assert_eq!(budget["left_cents"], 100_000);
    assert_eq!(budget["currency"], "USD");
    assert!(act(&app, &token, "accept")
        .await
        .problem_detail(409)
        .contains("already declined"));
    let log = app
        .audit_log(&admin, "action=scholarship.award_declined")
        .await;
    assert_eq!(log.len(), 1);
}

/// Eight requests of 2,000.00 approved at once against a budget of 10,000.00.
#[actix_web::test]
async fn concurrent_approvals_never_award_more_than_the_budget() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 1_000_000).await;
    let reviewer = app.reviewer().await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let email = format!("exec{i}@example.org");
        let token = registrant(&app, &admin, &email).await;
        ids.push(requested(&app, &token, &email, 200_000).await);
    }

    let started = std::time::Instant::now();
    let answers = futures_util::future::join_all(ids.iter().enumerate().map(|(i, id)| {
        // Two organizers deciding side by side.
        let who = if i % 2 == 0 { &admin } else { &reviewer };
        approve(&app, who, id, 200_000)
    }))
    .await;
    println!("8 concurrent approvals: {:?}", started.elapsed());
    let approved = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(approved, 5, "exactly the budget is awarded");
    for refused in answers.iter().filter(|a| a.status != 200) {
        let detail = refused.problem_detail(409);
        assert!(
            detail.contains("Only $0.00 of the scholarship budget is left"),
            "{detail}"
        );
    }
    assert_eq!(awarded_cents(&app), 1_000_000);
    let all = list(&app, &admin, "?limit=500").await;
    assert_eq!(all["budget"]["awarded_cents"], 1_000_000);
    assert_eq!(all["budget"]["left_cents"], 0);
    let sum: i64 = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["awarded_amount_cents"].as_i64())
        .sum();
    assert_eq!(sum, 1_000_000, "the running sum matches the awards");
    assert_eq!(list(&app, &admin, "?status=pending").await["total"], 3);

    // The budget cannot drop below what stands awarded; raised, it admits another award.
    let lower = app
        .patch_as(
            &admin,
            &format!("/api/v1/events/{SLUG}"),
            &json!({ "scholarship_budget_cents": 900_000 }),
        )
        .await;
    assert!(lower
        .problem_detail(409)
        .contains("$10,000.00 already awarded"));
    let raise = app
        .patch_as(
            &admin,
            &format!("/api/v1/events/{SLUG}"),
            &json!({ "scholarship_budget_cents": 1_150_000 }),
        )
        .await;
    assert_eq!(raise.status, 200, "{}", raise.text());
    let pending = list(&app, &admin, "?status=pending").await;
    let next = pending["items"][0]["id"].as_str().unwrap().to_owned();
    let over = approve(&app, &admin, &next, 200_000)
        .await
        .problem_detail(409);
    assert!(over.contains("Only $1,500.00"), "{over}");
    assert_eq!(approve(&app, &admin, &next, 150_000).await.status, 200);
    assert_eq!(awarded_cents(&app), 1_150_000);
}

#[actix_web::test]
async fn an_unanswered_award_lapses_after_its_reply_by_time_and_frees_the_budget() {
    let app = spawn_app_with(&[("CONVENE_SWEEP_INTERVAL_MS", "100")]).await;
    let admin = event_with_budget(&app, 100_000).await;
    let dana = registrant(&app, &admin, "dana@example.org").await;
    let lee = registrant(&app, &admin, "lee@example.org").await;
    let dana_id = requested(&app, &dana, "dana@example.org", 100_000).await;
    let lee_id = requested(&app, &lee, "lee@example.org", 100_000).await;
    assert_eq!(approve(&app, &admin, &dana_id, 100_000).await.status, 200);
    app.wait_for_email("dana@example.org").await;
    assert!(approve(&app, &admin, &lee_id, 100_000)
        .await
        .problem_detail(409)
        .contains("$0.00"));
    assert_eq!(
        decide(&app, &admin, &lee_id, &json!({ "decision": "waitlisted" }))
            .await
            .status,
        200
    );

    set_reply_by(
        &app,
        &dana_id,
        Utc::now().naive_utc() - Duration::minutes(1),
    );
    let lapsed = email_about(&app, "dana@example.org", "has lapsed").await;
    assert!(lapsed.text.contains("$1,000.00"), "{}", lapsed.text);

    let item = listed(&app, &admin, &dana_id).await;
    assert_eq!(item["status"], "approved");
    assert_eq!(item["award_status"], "lapsed");
    assert_eq!(awarded_cents(&app), 0);
    assert!(act(&app, &dana, "accept")
        .await
        .problem_detail(409)
        .contains("time to answer"));
    let log = app.audit_log(&admin, "action=scholarship.lapsed").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["actor"], "system");
    assert_eq!(log[0]["before"]["award_status"], "offered");

    // The freed budget goes to the waiting list.
    assert_eq!(approve(&app, &admin, &lee_id, 100_000).await.status, 200);
    assert_eq!(awarded_cents(&app), 100_000);
}

#[actix_web::test]
async fn convene_sweep_as_of_a_later_time_lapses_an_award_once() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 100_000).await;
    let dana = registrant(&app, &admin, "dana@example.org").await;
    let dana_id = requested(&app, &dana, "dana@example.org", 100_000).await;
    let (reply_by, _) = reply_by_in(10);
    let res = decide(
        &app,
        &admin,
        &dana_id,
        &json!({ "decision": "approved", "awarded_amount_cents": 100_000, "reply_by": reply_by }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.wait_for_email("dana@example.org").await; // approved

    let bad = run_cli(
        &app.db.url,
        &["sweep", "--as-of", "next tuesday"],
        None,
        "warn",
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));

    // Now, nothing is due; eleven days on, the award has lapsed, and once only.
    let now = run_cli(&app.db.url, &["sweep"], None, "warn");
    assert!(
        now.status.success(),
        "{}",
        String::from_utf8_lossy(&now.stderr)
    );
    assert!(String::from_utf8_lossy(&now.stdout).contains("scholarship awards lapsed: 0"));
    let later = (Utc::now() + Duration::days(11)).to_rfc3339();
    for expected in [
        "scholarship awards lapsed: 1",
        "scholarship awards lapsed: 0",
    ] {
        let out = run_cli(&app.db.url, &["sweep", "--as-of", &later], None, "warn");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(expected), "{stdout}");
    }
    // The running service sends what the command queued.
    let lapsed = email_about(&app, "dana@example.org", "has lapsed").await;
    assert!(lapsed.text.contains("$1,000.00"), "{}", lapsed.text);
    assert_eq!(
        listed(&app, &admin, &dana_id).await["award_status"],
        "lapsed"
    );
    assert_eq!(awarded_cents(&app), 0);
}

#[actix_web::test]
async fn a_reminder_is_sent_once_even_when_several_processes_sweep() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 2_000_000).await;
    let dana = registrant(&app, &admin, "dana@example.org").await;
    let lee = registrant(&app, &admin, "lee@example.org").await;
    let dana_id = requested(&app, &dana, "dana@example.org", 100_000).await;
    let lee_id = requested(&app, &lee, "lee@example.org", 50_000).await;
    // Less than three days to answer: the reminder is due at once.
    let (reply_by, reply_by_date) = reply_by_in(2);
    let res = decide(
        &app,
        &admin,
        &dana_id,
        &json!({ "decision": "approved", "awarded_amount_cents": 80_000, "reply_by": reply_by }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(approve(&app, &admin, &lee_id, 50_000).await.status, 200);
    assert_eq!(act(&app, &lee, "accept").await.status, 200);
    app.wait_for_email("dana@example.org").await; // approved
    app.wait_for_email("lee@example.org").await; // approved

    // Four sweeps at once, as four server processes would run them, then one more.
    let sweep = |pool: convene::db::DbPool| {
        let base = app.settings.server.base_url.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            convene::workflows::award_deadlines::sweep_scholarships(&mut conn, &base, Utc::now())
                .expect("sweep")
        })
    };
    let reports = futures_util::future::join_all((0..4).map(|_| sweep(app.pool.clone()))).await;
    let reminded: usize = reports
        .into_iter()
        .map(|r| r.expect("sweep").reminded)
        .sum();
    assert!(reminded <= 1, "reminded {reminded} times");
    let reminder = email_about(&app, "dana@example.org", "Reminder").await;
    assert!(
        reminder.subject.contains(&reply_by_date),
        "{}",
        reminder.subject
    );
    assert!(reminder.text.contains("$800.00"), "{}", reminder.text);
    // Its link opens the registration, where the award is answered.
    let link = token_of(&reminder.link_containing("/manage/"));
    let shown = app.get(&format!("/api/v1/manage/{link}")).await.json();
    assert_eq!(shown["scholarship"]["id"], dana_id.as_str());
    assert_eq!(sweep(app.pool.clone()).await.expect("sweep").reminded, 0);
    app.assert_no_email_to("dana@example.org").await;
    app.assert_no_email_to("lee@example.org").await;
    assert_eq!(
        app.audit_log(&admin, "action=scholarship.reminded")
            .await
            .len(),
        1
    );

    // Past its time, the award lapses once however many sweep: only Dana's amount
    // goes back, Lee's accepted award stands.
    set_reply_by(
        &app,
        &dana_id,
        Utc::now().naive_utc() - Duration::seconds(1),
    );
    let reports = futures_util::future::join_all((0..4).map(|_| sweep(app.pool.clone()))).await;
    let lapsed: usize = reports.into_iter().map(|r| r.expect("sweep").lapsed).sum();
    assert!(lapsed <= 1, "lapsed {lapsed} times");
    let lapsed = email_about(&app, "dana@example.org", "has lapsed").await;
    let link = token_of(&lapsed.link_containing("/manage/"));
    assert_eq!(app.get(&format!("/api/v1/manage/{link}")).await.status, 200);
    app.assert_no_email_to("dana@example.org").await;
    assert_eq!(awarded_cents(&app), 50_000);
}

#[actix_web::test]
async fn cancelling_a_registration_releases_its_award() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 2_000_000).await;
    let token = registrant(&app, &admin, "dana@example.org").await;
    let id = requested(&app, &token, "dana@example.org", 120_000).await;
    assert_eq!(approve(&app, &admin, &id, 100_000).await.status, 200);
    assert_eq!(act(&app, &token, "accept").await.status, 200);
    assert_eq!(awarded_cents(&app), 100_000);

    let res = app
        .post(&format!("/api/v1/manage/{token}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(awarded_cents(&app), 0);
    let item = listed(&app, &admin, &id).await;
    assert_eq!(item["award_status"], "released");
    assert_eq!(item["registration"]["status"], "cancelled");
    let log = app
        .audit_log(&admin, "action=scholarship.award_released")
        .await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["actor"], "registrant");
    assert_eq!(log[0]["entity_id"], id.as_str());
    assert_eq!(log[0]["before"]["award_status"], "accepted");
    assert_eq!(log[0]["after"]["award_status"], "released");
    assert!(approve(&app, &admin, &id, 1_000)
        .await
        .problem_detail(409)
        .contains("already approved"));
}

#[actix_web::test]
async fn reviewers_see_and_export_requests_and_anonymous_callers_are_refused() {
    let app = spawn_app().await;
    let admin = event_with_budget(&app, 2_000_000).await;
    let reviewer = app.reviewer().await;
    let token = registrant(&app, &admin, "dana@example.org").await;
    let mut body = request_body(120_000);
    body["justification"] = json!("=HYPERLINK(\"http://evil.example\",\"click\")");
    assert_eq!(ask(&app, &token, &body).await.status, 201);
    let id = list(&app, &reviewer, "").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let path = format!("/api/v1/events/{SLUG}/scholarships");
    app.get(&path).await.problem(401);
    app.get(&format!("{path}.csv")).await.problem(401);
    app.post(
        &format!("{path}/{id}/decision"),
        &json!({ "decision": "declined" }),
    )
    .await
    .problem(401);
    let bad = app.get_as(&reviewer, &format!("{path}?status=maybe")).await;
    assert_eq!(bad.invalid_fields(), ["status"]);

    let csv = app.get_as(&reviewer, &format!("{path}.csv")).await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("id,status,travelers,"));
    let row = lines.next().unwrap();
    assert!(row.contains(&id) && row.contains(",1200.00,"), "{row}");
    assert!(
        row.contains("\"'=HYPERLINK("),
        "a formula is neutralised: {row}"
    );

    let res = approve(&app, &reviewer, &id, 120_000).await;
    assert_eq!(res.status, 200, "a reviewer decides: {}", res.text());
}

#[actix_web::test]
async fn the_manage_page_offers_what_the_scholarship_emails_describe() {
    let app = spawn_app().await;
    let token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";
    let html = app.get(&format!("/manage/{token}")).await.text();
    for shown in [
        "Accept the award",
        "Decline the award",
        "Withdraw my request",
        "Ask for a travel scholarship",
        r#"name="requested_amount_cents""#,
        r#"name="justification""#,
    ] {
        assert!(html.contains(shown), "{shown}");
    }
    // The approval email points to these buttons by name.
    let example = convene::email::templates::example("scholarship_approved").unwrap();
    let mail = convene::email::templates::render("scholarship_approved", &example).unwrap();
    assert!(mail
        .text
        .contains("\"Accept the award\" or \"Decline the award\""));
}
