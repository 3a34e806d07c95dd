//! Requests for an invitation: the public form, abuse limits, and the organizers' decision.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{event_body, spawn_app, Session, TestApp};

const SLUG: &str = "future-city";

/// A valid request for an invitation from `email`.
pub fn request_body(email: &str) -> Value {
    json!({
        "full_name": "Maria Lopez",
        "email": email,
        "title": "City Manager",
        "organization": "City of Springfield",
        "community": { "name": "Springfield", "state": "IL" },
        "reason": "We are rebuilding our permitting service and want to learn from peers."
    })
}

async fn ask(app: &TestApp, body: &Value) -> crate::helpers::TestResponse {
    app.post(&format!("/api/v1/events/{SLUG}/invitation-requests"), body)
        .await
}

async fn requests(app: &TestApp, s: &Session, query: &str) -> Value {
    app.get_json_as(
        s,
        &format!("/api/v1/events/{SLUG}/invitation-requests{query}"),
    )
    .await
}

#[actix_web::test]
async fn a_request_is_acknowledged_emailed_and_listed_for_organizers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;

    let res = ask(&app, &request_body("Maria@Springfield.gov")).await;
    assert_eq!(res.status, 202, "{}", res.text());
    let answer = res.json();

    let receipt = app.wait_for_email("maria@springfield.gov").await;
    assert_eq!(
        receipt.subject,
        "We received your request to attend The Future City"
    );
    assert!(receipt.text.contains("Dear Maria Lopez"));
    assert!(receipt.html.contains("reviews every request personally"));

    let listed = requests(&app, &admin, "?status=pending").await;
    assert_eq!(listed["total"], 1);
    let item = &listed["items"][0];
    assert_eq!(item["email"], "maria@springfield.gov");
    assert_eq!(item["community"]["name"], "Springfield");
    assert_eq!(item["times_requested"], 1);

    // An address that is already invited gets the very same answer, and nothing is stored.
    app.post_as(
        &admin,
        &format!("/api/v1/events/{SLUG}/invitations"),
        &json!({ "email": "invited@springfield.gov", "full_name": "Ivy Invited", "title": "COO",
                 "community": { "name": "Springfield", "state": "IL" } }),
    )
    .await;
    let same = ask(&app, &request_body("invited@springfield.gov")).await;
    assert_eq!((same.status, same.json()), (202, answer));
    assert_eq!(requests(&app, &admin, "").await["total"], 1);
}

#[actix_web::test]
async fn a_repeated_request_is_merged_into_the_pending_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    assert_eq!(
        ask(&app, &request_body("maria@springfield.gov"))
            .await
            .status,
        202
    );
    let mut again = request_body("maria@springfield.gov");
    again["reason"] = json!("Following up: our council approved the travel.");
    assert_eq!(ask(&app, &again).await.status, 202);

    let listed = requests(&app, &admin, "").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["times_requested"], 2);
    assert_eq!(
        listed["items"][0]["reason"],
        "Following up: our council approved the travel."
    );
    app.wait_for_email("maria@springfield.gov").await;
    app.assert_no_email_to("maria@springfield.gov").await;
}

#[actix_web::test]
async fn a_bad_request_names_every_field_and_a_community_can_be_one_string() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let res = ask(
        &app,
        &json!({ "email": "nope", "community": { "state": "IL" }, "reason": "" }),
    )
    .await;
    assert_eq!(
        res.invalid_fields(),
        [
            "community.name",
            "email",
            "full_name",
            "organization",
            "reason",
            "title"
        ]
    );
    let mut body = request_body("maria@springfield.gov");
    body["community"] = json!("Springfield, IL");
    assert_eq!(ask(&app, &body).await.status, 202);
    assert_eq!(
        requests(&app, &admin, "").await["items"][0]["community"]["state"],
        "IL"
    );
}

#[actix_web::test]
async fn the_honeypot_field_silently_drops_a_bot_submission() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let mut body = request_body("bot@spam.example");
    body["website"] = json!("http://spam.example");
    assert_eq!(ask(&app, &body).await.status, 202);
    assert_eq!(requests(&app, &admin, "").await["total"], 0);
    app.assert_no_email_to("bot@spam.example").await;
}

#[actix_web::test]
async fn too_many_requests_from_one_address_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    for i in 0..10 {
        assert_eq!(
            ask(&app, &request_body(&format!("person{i}@example.org")))
                .await
                .status,
            202
        );
    }
    let res = ask(&app, &request_body("one-more@example.org")).await;
    res.problem(429);
    assert!(res.header("retry-after").is_some());
}

#[actix_web::test]
async fn requests_for_a_draft_event_are_not_found_and_for_a_closed_one_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut draft = event_body(SLUG);
    draft["status"] = json!("draft");
    app.post_as(&admin, "/api/v1/events", &draft).await;
    ask(&app, &request_body("maria@springfield.gov"))
        .await
        .problem(404);
    app.patch_as(
        &admin,
        &format!("/api/v1/events/{SLUG}"),
        &json!({ "status": "closed" }),
    )
    .await;
    ask(&app, &request_body("maria@springfield.gov"))
        .await
        .problem(409);
}

#[actix_web::test]
async fn approving_a_request_invites_the_requester_who_can_then_register() {
    let app = spawn_app().await;
    let reviewer = {
        let admin = app.admin().await;
        app.create_event(&admin, SLUG).await;
        app.reviewer().await
    };
    ask(&app, &request_body("maria@springfield.gov")).await;
    app.wait_for_email("maria@springfield.gov").await;
    let id = requests(&app, &reviewer, "").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let path = format!("/api/v1/events/{SLUG}/invitation-requests/{id}/approve");
    let res = app
        .post_as(&reviewer, &path, &json!({ "note": "Glad you asked!" }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let decided = res.json();
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decided_by"], reviewer.organizer["id"]);
    assert!(decided["invitation_id"].is_string());

    let invitation = app.wait_for_email("maria@springfield.gov").await;
    assert!(
        invitation.text.contains("Glad you asked!"),
        "the note is the personal message"
    );
    let link = invitation.link_containing("/invite/");
    let token = link.rsplit('/').next().unwrap();
    let opened = app
        .get(&format!("/api/v1/invitations/{token}"))
        .await
        .json();
    assert_eq!(opened["invitee"]["full_name"], "Maria Lopez");
    assert_eq!(opened["invitee"]["community"]["name"], "Springfield");

    // Deciding again, either way, is a conflict.
    app.post_as(&reviewer, &path, &json!({})).await.problem(409);
    let decline = format!("/api/v1/events/{SLUG}/invitation-requests/{id}/decline");
    app.post_as(&reviewer, &decline, &json!({}))
        .await
        .problem(409);
}

#[actix_web::test]
async fn declining_a_request_sends_a_polite_email_with_the_note_and_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    ask(&app, &request_body("maria@springfield.gov")).await;
    app.wait_for_email("maria@springfield.gov").await;
    let id = requests(&app, &admin, "").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let path = format!("/api/v1/events/{SLUG}/invitation-requests/{id}/decline");
    let note = "Seats this year are reserved for cities in our current cohort.";
    let res = app.post_as(&admin, &path, &json!({ "note": note })).await;
    assert_eq!(res.json()["status"], "declined");

    let email = app.wait_for_email("maria@springfield.gov").await;
    assert_eq!(email.subject, "Your request to attend The Future City");
    assert!(email.text.contains("not able to offer you an invitation"));
    assert!(email.text.contains(note) && email.html.contains(note));

    let log = app
        .get_as(&admin, &format!("/api/v1/audit-log?entity_id={id}"))
        .await
        .json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["invitation_request.declined", "invitation_request.received"]
    );
    assert_eq!(log["items"][0]["before"]["status"], "pending");
    assert_eq!(log["items"][0]["after"]["status"], "declined");
    assert_eq!(log["items"][0]["actor_id"], admin.organizer["id"]);
}

#[actix_web::test]
async fn organizers_who_asked_are_emailed_about_each_new_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let reviewer = app.reviewer().await;
    let res = app
        .request(
            Method::PATCH,
            "/api/v1/auth/me",
            Some(&json!({ "review_notices": "each" })),
            Some(&reviewer),
        )
        .await;
    assert_eq!(res.json()["review_notices"], "each");

    ask(&app, &request_body("maria@springfield.gov")).await;
    let reviewer_email = reviewer.organizer["email"].as_str().unwrap();
    let notice = app.wait_for_email(reviewer_email).await;
    assert_eq!(
        notice.subject,
        "New request for an invitation to review for The Future City"
    );
    assert!(notice.text.contains("Maria Lopez"));
    assert!(notice
        .link_containing("/admin/events/future-city")
        .starts_with(&app.address));
    app.assert_no_email_to(admin.organizer["email"].as_str().unwrap())
        .await;
}

#[actix_web::test]
async fn the_public_may_not_list_or_decide_requests() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    app.get(&format!("/api/v1/events/{SLUG}/invitation-requests"))
        .await
        .problem(401);
    app.post(
        &format!("/api/v1/events/{SLUG}/invitation-requests/x/approve"),
        &json!({}),
    )
    .await
    .problem(401);
}

#[actix_web::test]
async fn the_public_event_page_shows_the_event_and_the_request_form() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let res = app.get(&format!("/events/{SLUG}")).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let page = res.text();
    assert!(page.contains("<h1 id=\"event-title\">The Future City</h1>"));
    assert!(page.contains("Memorial Hall, Riverside Campus"));
    // No wording of ours where the organizers have written none.
    assert!(!page.contains("Meals are covered"));
    for field in [
        "full_name",
        "email",
        "title",
        "organization",
        "community.name",
        "community.state",
        "reason",
    ] {
        assert!(
            page.contains(&format!("name=\"{field}\"")),
            "the form asks for {field}"
        );
    }
    assert!(page.contains("/static/event.js?v="));

    app.patch_as(
        &admin,
        &format!("/api/v1/events/{SLUG}"),
        &json!({ "status": "closed" }),
    )
    .await;
    let closed = app.get(&format!("/events/{SLUG}")).await.text();
    assert!(closed.contains("no longer takes requests") && !closed.contains("request-form"));

    assert_eq!(app.get("/events/no-such-event").await.status, 404);
}
