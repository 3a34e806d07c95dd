//! Registering with an invitation: the whole story through real email, capacity under
//! concurrent requests, every refusal, declining, and the organizers' list and export.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, token_from, token_of, TestApp, TestResponse};
use crate::invitations::{
    event_with_capacity, invitation_body, invitation_token, invite, seats_taken, SLUG,
};

/// A valid registration form for `email`.
pub fn registration_body(email: &str) -> Value {
    json!({
        "full_name": "Dana Whitfield",
        "email": email,
        "title": "City Manager",
        "organization": "City of Springfield",
        "community": { "name": "Springfield", "state": "IL" },
        "phone": "+1 617 555 0100",
        "dietary_requirements": "Vegetarian",
    })
}

pub async fn register(app: &TestApp, token: &str, body: &Value) -> TestResponse {
    app.post(&format!("/api/v1/invitations/{token}/registration"), body)
        .await
}

/// Registers and returns the answer, which must be 201.
pub async fn registered(app: &TestApp, token: &str, email: &str) -> Value {
    let res = register(app, token, &registration_body(email)).await;
    assert_eq!(res.status, 201, "registration failed: {}", res.text());
    res.json()
}

/// Invites `email`, takes the token from the invitation email, and registers.
pub async fn invite_and_register(
    app: &TestApp,
    admin: &crate::helpers::Session,
    email: &str,
) -> Value {
    invite(app, admin, SLUG, email).await;
    let token = invitation_token(app, email).await;
    registered(app, &token, email).await
}

/// The calendar file attached to an email, unfolded (RFC 5545 §3.1).
pub fn calendar_of(mail: &crate::smtp::ReceivedEmail) -> String {
    let ics = mail
        .attachments
        .iter()
        .find(|a| a.filename == "event.ics")
        .unwrap_or_else(|| panic!("'{}' has no event.ics", mail.subject));
    assert!(
        ics.content_type.starts_with("text/calendar"),
        "{}",
        ics.content_type
    );
    assert!(
        ics.content
            .lines()
            .all(|l| l.trim_end_matches('\r').len() <= 75),
        "lines are folded at 75 octets"
    );
    ics.content.replace("\r\n ", "")
}

fn start_date(app_event: &Value) -> String {
    app_event["starts_on"].as_str().unwrap().replace('-', "")
}

#[actix_web::test]
async fn an_invitee_registers_from_the_email_and_a_cancellation_promotes_the_waiting_list() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    let event = app.get(&format!("/api/v1/events/{SLUG}")).await.json();
    invite(&app, &admin, SLUG, "dana@example.org").await;
    invite(&app, &admin, SLUG, "lee@example.org").await;

    // Dana opens the link in her invitation, as her browser would.
    let invitation = app.wait_for_email("dana@example.org").await;
    let token = token_from(&invitation);
    let opened = app.get(&format!("/api/v1/invitations/{token}")).await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    assert_eq!(opened.json()["event"]["name"], "The Future City");

    let mut form = registration_body("dana@example.org");
    form["young_leader_nomination"] = json!({
        "full_name": "Sam Ortiz", "email": "sam@example.org", "title": "Policy Analyst",
        "organization": "City of Springfield", "reason": "Leads our open-data work."
    });
    form["travel_scholarship"] = json!({
        "travelers": 2, "estimated_cost_cents": 180_000,
        "requested_amount_cents": 90_000, "justification": "Our travel budget is frozen this year."
    });
    let res = register(&app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let answer = res.json();
    assert_eq!(answer["registration"]["status"], "confirmed");
    let dana_id = answer["registration"]["id"].as_str().unwrap().to_owned();
    let manage_url = answer["manage_url"].as_str().unwrap().to_owned();
    let path = url::Url::parse(&manage_url)
        .expect("a URL")
        .path()
        .to_owned();
    assert!(path.starts_with("/manage/"), "{manage_url}");

    // One email covers the registration, the nomination and the scholarship request:
    // the confirmation, with the manage link and a calendar file.
    let confirmation = app.wait_for_email("dana@example.org").await;
    app.assert_no_email_to("dana@example.org").await;
    assert!(
        confirmation.subject.contains("registered"),
        "{}",
        confirmation.subject
    );
    assert!(
        confirmation.text.contains("$900.00"),
        "the scholarship request is mentioned"
    );
    assert!(
        confirmation
            .text
            .contains("We have your nomination of Sam Ortiz as a young leader"),
        "the nomination is mentioned: {}",
        confirmation.text
    );
    assert!(
        confirmation
            .html
            .contains("will get a personal invitation by email that names you"),
        "{}",
        confirmation.html
    );
    let manage_link = confirmation.link_containing("/manage/");
    assert_eq!(manage_link, manage_url);
    let ics = calendar_of(&confirmation);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains(&format!(
        "\r\nDTSTART;VALUE=DATE:{}\r\n",
        start_date(&event)
    )));
    assert!(ics.contains("\r\nSUMMARY:The Future City\r\n"));
    assert!(ics.contains("\r\nLOCATION:Memorial Hall\\, Riverside Campus\\, Boston\r\n"));
    assert!(ics.contains(&format!("\r\nUID:{dana_id}@convene\r\n")));
    assert!(
        !ics.contains("/manage/"),
        "no private link in a calendar file, which gets shared and synced"
    );
    assert!(ics.contains(&format!("\r\nURL:{}/events/{SLUG}\r\n", app.address)));

    // The invitation is answered; the link shows the registration.
    let reopened = app
        .get(&format!("/api/v1/invitations/{token}"))
        .await
        .json();
    assert_eq!(reopened["status"], "accepted");
    assert_eq!(reopened["registration"]["id"], dana_id.as_str());

    // Dana's private page, through the emailed link.
    let manage_token = token_of(&manage_link);
    let page = app.get(&format!("/api/v1/manage/{manage_token}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.json();
    assert_eq!(page["registration"]["status"], "confirmed");
    assert_eq!(page["registration"]["phone"], "+1 617 555 0100");
    assert_eq!(page["nomination"]["full_name"], "Sam Ortiz");
    assert_eq!(page["nomination"]["status"], "pending");
    assert_eq!(page["scholarship"]["requested_amount_cents"], 90_000);
    assert_eq!(page["scholarship"]["status"], "pending");

    // Lee comes second: the only seat is taken.
    let lee = registered(
        &app,
        &invitation_token(&app, "lee@example.org").await,
        "lee@example.org",
    )
    .await;
    assert_eq!(lee["registration"]["status"], "waitlisted");
    let waitlisted = app.wait_for_email("lee@example.org").await;
    assert!(
        waitlisted.subject.contains("waiting list"),
        "{}",
        waitlisted.subject
    );
    assert!(waitlisted.text.contains("number 1"));
    assert!(waitlisted.attachments.is_empty());
    assert_eq!(seats_taken(&app, SLUG), 1);

    // Dana cancels; Lee gets the seat and a calendar file.
    let res = app
        .post(&format!("/api/v1/manage/{manage_token}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["registration"]["status"], "cancelled");
    let cancelled = app.wait_for_email("dana@example.org").await;
    assert!(
        cancelled.subject.contains("cancelled"),
        "{}",
        cancelled.subject
    );
    let promoted = app.wait_for_email("lee@example.org").await;
    assert!(
        promoted.subject.contains("A seat opened up"),
        "{}",
        promoted.subject
    );
    let lee_id = lee["registration"]["id"].as_str().unwrap();
    assert!(calendar_of(&promoted).contains(&format!("\r\nUID:{lee_id}@convene\r\n")));
    let lee_manage = token_of(&waitlisted.link_containing("/manage/"));
    let lee_page = app
        .get(&format!("/api/v1/manage/{lee_manage}"))
        .await
        .json();
    assert_eq!(lee_page["registration"]["status"], "confirmed");
    assert_eq!(seats_taken(&app, SLUG), 1);

    let dana_page = app
        .get(&format!("/api/v1/manage/{manage_token}"))
        .await
        .json();
    assert_eq!(dana_page["nomination"]["status"], "withdrawn");
    assert_eq!(dana_page["scholarship"]["status"], "withdrawn");
    app.assert_no_email_to("sam@example.org").await;
}

#[actix_web::test]
async fn thirty_invitees_registering_at_once_fill_five_seats_and_the_rest_wait_in_order() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 5).await;
    let emails: Vec<String> = (0..30).map(|i| format!("exec{i}@example.org")).collect();
    let rows: Vec<Value> = emails
        .iter()
        .map(|e| invitation_body(e, "An Executive"))
        .collect();
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations/bulk"),
            &json!(rows),
        )
        .await;
    assert_eq!(res.json()["created"], 30, "{}", res.text());
    let mut tokens = Vec::new();
    for e in &emails {
        tokens.push(invitation_token(&app, e).await);
    }

    let forms: Vec<Value> = emails.iter().map(|e| registration_body(e)).collect();
    let started = std::time::Instant::now();
    let answers = futures_util::future::join_all(
        tokens
            .iter()
            .zip(&forms)
            .map(|(t, form)| register(&app, t, form)),
    )
    .await;
    println!("30 concurrent registrations: {:?}", started.elapsed());
    let mut confirmed = 0;
    let mut waitlisted = Vec::new();
    for a in &answers {
        assert_eq!(a.status, 201, "{}", a.text());
        let body = a.json();
        match body["registration"]["status"].as_str().unwrap() {
            "confirmed" => confirmed += 1,
            "waitlisted" => waitlisted.push(token_of(body["manage_url"].as_str().unwrap())),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((confirmed, waitlisted.len()), (5, 25));
    assert_eq!(seats_taken(&app, SLUG), 5);
    let listed = app
        .get_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/registrations?limit=1"),
        )
        .await
        .json();
    assert_eq!(
        listed["counts"],
        json!({ "confirmed": 5, "waitlisted": 25, "cancelled": 0 })
    );

    // Every place on the waiting list is given once.
    let mut positions = Vec::new();
    for t in &waitlisted {
        let page = app.get(&format!("/api/v1/manage/{t}")).await.json();
        positions.push(page["waitlist_position"].as_i64().unwrap());
    }
    positions.sort();
    assert_eq!(positions, (1..=25).collect::<Vec<i64>>());

    // Registrations that reach the committer together are written together: each still
    // gets its one email, with its own place in line, and its audit entries.
    let mut told = Vec::new();
    for e in &emails {
        let mail = app.wait_for_email(e).await;
        if mail.subject.starts_with("You're on the waiting list") {
            let number = mail
                .text
                .split("you are number ")
                .nth(1)
                .and_then(|rest| rest.split('.').next())
                .unwrap_or_else(|| panic!("a place in line: {}", mail.text));
            told.push(number.parse::<i64>().expect("a number"));
        }
    }
    told.sort();
    assert_eq!(told, (1..=25).collect::<Vec<i64>>());
    for e in &emails {
        // The invitation, and then the confirmation or the place on the waiting list.
        assert_eq!(app.emails_to(e).len(), 2, "{e}");
    }
    for action in ["invitation.accepted", "registration.created"] {
        let log = app
            .audit_log(&admin, &format!("action={action}&limit=100"))
            .await;
        assert_eq!(log.len(), 30, "{action}");
        assert!(
            log.iter().all(|entry| entry["actor"] == "invitee"),
            "{action}"
        );
    }
}

#[actix_web::test]
async fn every_bad_field_of_a_registration_is_named_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    let res = register(
        &app,
        &token,
        &json!({
            "full_name": "",
            "email": "not-an-email",
            "title": "City\u{7}Manager",
            "phone": "call me maybe",
            "dietary_requirements": "x".repeat(2001),
            "young_leader_nomination": {
                "full_name": "Sam Ortiz", "email": "nope", "title": "",
                "organization": "City of Springfield", "reason": ""
            },
            "travel_scholarship": {
                "travelers": 0, "estimated_cost_cents": 100_000,
                "requested_amount_cents": 150_000, "justification": ""
            }
        }),
    )
    .await;
    assert_eq!(
        res.invalid_fields(),
        [
            "dietary_requirements",
            "email",
            "full_name",
            "organization",
            "phone",
            "title",
            "travel_scholarship.justification",
            "travel_scholarship.requested_amount_cents",
            "travel_scholarship.travelers",
            "young_leader_nomination.email",
            "young_leader_nomination.reason",
            "young_leader_nomination.title",
        ]
    );
    let errors = &res.json()["errors"];
    assert_eq!(
        errors["travel_scholarship.requested_amount_cents"][0],
        "must not be more than the estimated cost"
    );
    assert_eq!(
        errors["travel_scholarship.travelers"][0],
        "must be from 1 to 20"
    );
    // Nothing was stored: the invitation is still open and no seat was taken.
    assert_eq!(
        app.get(&format!("/api/v1/invitations/{token}"))
            .await
            .json()["status"],
        "sent"
    );
    assert_eq!(seats_taken(&app, SLUG), 0);
    app.assert_no_email_to("dana@example.org").await;
}

#[actix_web::test]
async fn a_second_registration_with_the_same_invitation_is_a_conflict() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    registered(&app, &token, "dana@example.org").await;
    let again = register(&app, &token, &registration_body("dana@example.org")).await;
    assert!(again.problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("already registered"));
    assert_eq!(seats_taken(&app, SLUG), 1);
}

#[actix_web::test]
async fn the_same_invitation_sent_twice_at_once_makes_one_registration() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    let form = registration_body("dana@example.org");
    let answers =
        futures_util::future::join_all((0..4).map(|_| register(&app, &token, &form))).await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409]);
    assert_eq!(seats_taken(&app, SLUG), 1);
}

#[actix_web::test]
async fn registration_is_refused_while_the_event_is_closed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    app.patch_as(
        &admin,
        &format!("/api/v1/events/{SLUG}"),
        &json!({ "status": "closed" }),
    )
    .await;
    let res = register(&app, &token, &registration_body("dana@example.org")).await;
    assert!(res.problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("closed"));
    app.patch_as(
        &admin,
        &format!("/api/v1/events/{SLUG}"),
        &json!({ "status": "open" }),
    )
    .await;
    registered(&app, &token, "dana@example.org").await;
}

#[actix_web::test]
async fn a_revoked_invitation_cannot_be_used_to_register() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let inv = invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    app.post_as(
        &admin,
        &format!(
            "/api/v1/events/{SLUG}/invitations/{}/revoke",
            inv["id"].as_str().unwrap()
        ),
        &json!({}),
    )
    .await;
    register(&app, &token, &registration_body("dana@example.org"))
        .await
        .problem(410);
    app.post(&format!("/api/v1/invitations/{token}/decline"), &json!({}))
        .await
        .problem(410);
}

#[actix_web::test]
async fn a_young_leader_registers_but_may_not_nominate() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let mut body = invitation_body("sam@example.org", "Sam Ortiz");
    body["kind"] = json!("young_leader");
    app.post_as(&admin, &format!("/api/v1/events/{SLUG}/invitations"), &body)
        .await;
    let token = invitation_token(&app, "sam@example.org").await;
    assert_eq!(
        app.get(&format!("/api/v1/invitations/{token}"))
            .await
            .json()["kind"],
        "young_leader"
    );
    let mut form = registration_body("sam@example.org");
    form["young_leader_nomination"] = json!({
        "full_name": "Kim Park", "email": "kim@example.org", "title": "Intern",
        "organization": "City of Springfield", "reason": "Promising."
    });
    assert_eq!(
        register(&app, &token, &form).await.invalid_fields(),
        ["young_leader_nomination"]
    );
    let ok = registered(&app, &token, "sam@example.org").await;
    assert_eq!(ok["registration"]["status"], "confirmed");
}

#[actix_web::test]
async fn the_invitee_may_correct_their_address_and_name_their_community_by_name() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "d.whitfield@old.example").await;
    let token = invitation_token(&app, "d.whitfield@old.example").await;
    let mut form = registration_body("dana@springfield.example");
    form["community"] = json!("Springfield Township");
    let res = register(&app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let confirmation = app.wait_for_email("dana@springfield.example").await;
    let page = app
        .get(&format!(
            "/api/v1/manage/{}",
            token_of(&confirmation.link_containing("/manage/"))
        ))
        .await
        .json();
    assert_eq!(page["registration"]["email"], "dana@springfield.example");
    assert_eq!(
        page["registration"]["community"]["name"],
        "Springfield Township"
    );
    assert_eq!(
        page["registration"]["community"]["state"], "IL",
        "the invitation's state"
    );
    app.assert_no_email_to("d.whitfield@old.example").await;
}

#[actix_web::test]
async fn an_invitee_declines_with_a_reason_and_cannot_register_afterwards() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let inv = invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    let res = app
        .post(
            &format!("/api/v1/invitations/{token}/decline"),
            &json!({ "reason": "Our council meets that week." }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "declined");
    assert_eq!(
        app.get(&format!("/api/v1/invitations/{token}"))
            .await
            .json()["status"],
        "declined"
    );
    app.post(&format!("/api/v1/invitations/{token}/decline"), &json!({}))
        .await
        .problem(409);
    register(&app, &token, &registration_body("dana@example.org"))
        .await
        .problem(409);
    let id = inv["id"].as_str().unwrap();
    let shown = app
        .get_as(&admin, &format!("/api/v1/events/{SLUG}/invitations/{id}"))
        .await
        .json();
    assert_eq!(shown["status"], "declined");
    assert_eq!(shown["decline_reason"], "Our council meets that week.");
    app.post_as(
        &admin,
        &format!("/api/v1/events/{SLUG}/invitations/{id}/revoke"),
        &json!({}),
    )
    .await
    .problem(409);

    // A decline needs no body at all.
    invite(&app, &admin, SLUG, "lee@example.org").await;
    let lee = invitation_token(&app, "lee@example.org").await;
    let req = app.raw(
        actix_web::http::Method::POST,
        &format!("/api/v1/invitations/{lee}/decline"),
    );
    assert_eq!(app.send(req, None).await.status, 200);
}

#[actix_web::test]
async fn organizers_list_registrations_and_export_them_as_csv_safe_for_spreadsheets() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    invite(&app, &admin, SLUG, "mallory@example.org").await;
    let dana = invitation_token(&app, "dana@example.org").await;
    let mallory = invitation_token(&app, "mallory@example.org").await;
    let mut form = registration_body("dana@example.org");
    form["travel_scholarship"] = json!({
        "travelers": 1, "estimated_cost_cents": 50_000,
        "requested_amount_cents": 25_000, "justification": "Small town, small budget."
    });
    assert_eq!(register(&app, &dana, &form).await.status, 201);
    let mut evil = registration_body("mallory@example.org");
    evil["full_name"] = json!("Mallory Doe");
    evil["organization"] = json!("=HYPERLINK(\"http://evil.example\",\"x\")");
    evil["dietary_requirements"] = json!("@SUM(1+1)");
    assert_eq!(register(&app, &mallory, &evil).await.status, 201);

    let listed = app
        .get_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/registrations?status=waitlisted"),
        )
        .await
        .json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["full_name"], "Mallory Doe");
    let found = app
        .get_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/registrations?q=whitfield&community=spring"),
        )
        .await
        .json();
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["email"], "dana@example.org");

    app.get(&format!("/api/v1/events/{SLUG}/registrations.csv"))
        .await
        .problem(401);
    let rows = crate::exports::export(&app, &admin, "registrations.csv").await;
    assert_eq!(
        rows[0]
            .iter()
            .take(5)
            .map(|(h, _)| h.as_str())
            .collect::<Vec<_>>(),
        ["id", "status", "kind", "full_name", "email"]
    );
    assert_eq!(rows.len(), 2);
    let cell = crate::exports::cell;
    let (first, second) = (&rows[0], &rows[1]);
    assert_eq!(cell(first, "full_name"), "Dana Whitfield");
    assert_eq!(cell(first, "status"), "confirmed");
    assert_eq!(cell(first, "community"), "Springfield");
    assert_eq!(cell(first, "phone"), "'+1 617 555 0100");
    assert_eq!(cell(first, "scholarship_requested_amount"), "250.00");
    assert_eq!(cell(second, "status"), "waitlisted");
    assert_eq!(
        cell(second, "organization"),
        "'=HYPERLINK(\"http://evil.example\",\"x\")"
    );
    assert_eq!(cell(second, "dietary_requirements"), "'@SUM(1+1)");
}

#[actix_web::test]
async fn the_list_pages_through_registrations_in_arrival_order_with_the_total_of_each_filter() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 4).await;
    let emails: Vec<String> = (0..11).map(|i| format!("exec{i}@example.org")).collect();
    let rows: Vec<Value> = emails
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut row = invitation_body(e, "An Executive");
            if i % 3 == 0 {
                row["community"] = json!({ "name": "Shelbyville", "state": "IL" });
            }
            row
        })
        .collect();
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations/bulk"),
            &json!(rows),
        )
        .await;
    assert_eq!(res.json()["created"], 11, "{}", res.text());
    for (i, e) in emails.iter().enumerate() {
        let token = invitation_token(&app, e).await;
        let mut form = registration_body(e);
        form["full_name"] = json!(format!("Registrant {i:02}"));
        form["community"] = rows[i]["community"].clone();
        assert_eq!(register(&app, &token, &form).await.status, 201);
    }
    let list = |query: String| {
        let app = &app;
        let admin = &admin;
        async move {
            let res = app
                .get_as(
                    admin,
                    &format!("/api/v1/events/{SLUG}/registrations?{query}"),
                )
                .await;
            assert_eq!(res.status, 200, "{query}: {}", res.text());
            res.json()
        }
    };
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["full_name"].as_str().unwrap().to_owned())
            .collect()
    };

    // Page by page, in the order they registered, every one once.
    let mut seen = Vec::new();
    for offset in (0..12).step_by(4) {
        let page = list(format!("limit=4&offset={offset}")).await;
        assert_eq!(page["total"], 11);
        assert_eq!(
            page["counts"],
            json!({ "confirmed": 4, "waitlisted": 7, "cancelled": 0 })
        );
        seen.extend(names(&page));
    }
    let expected: Vec<String> = (0..11).map(|i| format!("Registrant {i:02}")).collect();
    assert_eq!(seen, expected);
    let past_the_end = list("limit=4&offset=20".into()).await;
    assert_eq!(past_the_end["total"], 11);
    assert_eq!(past_the_end["items"], json!([]));

    // Each filter's total is of what it matches, and its pages keep the order.
    let waitlisted = list("status=waitlisted&limit=3&offset=2".into()).await;
    assert_eq!(waitlisted["total"], 7);
    assert_eq!(
        names(&waitlisted),
        ["Registrant 06", "Registrant 07", "Registrant 08"]
    );
    let cancelled = list("status=cancelled".into()).await;
    assert_eq!(
        (cancelled["total"].clone(), cancelled["items"].clone()),
        (json!(0), json!([]))
    );
    let shelbyville = list("community=shelby&limit=2&offset=1".into()).await;
    assert_eq!(shelbyville["total"], 4);
    assert_eq!(names(&shelbyville), ["Registrant 03", "Registrant 06"]);
    let community_id = shelbyville["items"][0]["community"]["id"].as_str().unwrap();
    let by_id = list(format!("community={community_id}&status=confirmed")).await;
    assert_eq!(by_id["total"], 2);
    assert_eq!(names(&by_id), ["Registrant 00", "Registrant 03"]);
    let searched = list("q=registrant%2010&kind=executive".into()).await;
    assert_eq!(searched["total"], 1);
    assert_eq!(names(&searched), ["Registrant 10"]);
    let nobody = list("kind=young_leader".into()).await;
    assert_eq!(
        (nobody["total"].clone(), nobody["items"].clone()),
        (json!(0), json!([]))
    );
}

#[actix_web::test]
async fn a_registration_made_while_the_mail_server_is_down_is_confirmed_by_email_once_it_is_back() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 5).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    // The invitation reached the SMTP server; wait until the worker has also recorded it
    // as sent, so that only the confirmation is left pending below.
    app.drain_outbox().await;

    app.smtp.stop().await;
    let res = register(&app, &token, &registration_body("dana@example.org")).await;
    assert_eq!(
        res.status,
        201,
        "the registration does not wait for email: {}",
        res.text()
    );

    // The confirmation waits in the outbox, retried, while the server is away.
    let emails = app
        .get_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/emails?status=pending"),
        )
        .await
        .json();
    assert_eq!(emails["total"], 1, "{emails}");
    assert_eq!(emails["items"][0]["template"], "registration_confirmed");

    app.smtp.restart().await;
    let confirmation = app.wait_for_email("dana@example.org").await;
    assert!(
        confirmation.subject.contains("registered"),
        "{}",
        confirmation.subject
    );
    assert!(calendar_of(&confirmation).contains("BEGIN:VEVENT"));
    app.assert_no_email_to("dana@example.org").await;
}

/// The registration's batch uses the invitation as read before the batch only if its row
/// is unchanged, and records the rows it built itself: they must be the rows stored.
#[actix_web::test]
async fn the_audit_states_are_the_stored_rows_and_a_stale_invitation_is_not_accepted() {
    use convene::db::models::{invitation, registration};
    use convene::db::schema::audit_log;
    use diesel::prelude::*;

    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 5).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    let hash = convene::domain::SecretToken::parse(&token).unwrap().hash();
    let mut conn = app.db.connect();
    let before = invitation::find_by_token_hash(&mut conn, &hash)
        .unwrap()
        .unwrap();

    let reg = registered(&app, &token, "dana@example.org").await;
    let id = reg["registration"]["id"].as_str().unwrap().to_owned();

    let state = |action: &str| -> serde_json::Value {
        let text: Option<String> = audit_log::table
            .filter(audit_log::action.eq(action))
            .select(audit_log::after_state)
            .first(&mut app.db.connect())
            .unwrap();
        serde_json::from_str(&text.unwrap()).unwrap()
    };
    let stored_inv = invitation::find(&mut conn, &before.id).unwrap();
    assert_eq!(
        state("invitation.accepted"),
        serde_json::to_value(&stored_inv).unwrap()
    );
    let stored_reg = registration::find(&mut conn, &id.clone().into()).unwrap();
    assert_eq!(
        state("registration.created"),
        serde_json::to_value(&stored_reg).unwrap()
    );

    // The copy read before the registration is stale now: accepting from it changes nothing.
    let at = convene::db::now();
    assert!(registration::accept_invitation(&mut conn, &before, at)
        .unwrap()
        .is_none());
    assert_eq!(
        invitation::find(&mut conn, &before.id).unwrap().updated_at,
        stored_inv.updated_at
    );
}

/// The list's counts as the database keeps them, and as the rows say when counted.
async fn counts_listed_and_counted(
    app: &TestApp,
    admin: &crate::helpers::Session,
) -> (Value, Value) {
    use convene::db::schema::{events, registrations};
    use diesel::prelude::*;
    let listed = app
        .get_as(
            admin,
            &format!("/api/v1/events/{SLUG}/registrations?limit=1"),
        )
        .await
        .json();
    let mut conn = app.pool.get().expect("a connection");
    let rows: Vec<(String, i64)> = registrations::table
        .inner_join(events::table)
        .filter(events::slug.eq(SLUG))
        .group_by(registrations::status)
        .select((registrations::status, diesel::dsl::count_star()))
        .load(&mut conn)
        .unwrap();
    let mut counted = json!({ "confirmed": 0, "waitlisted": 0, "cancelled": 0 });
    for (status, n) in rows {
        counted[status] = json!(n);
    }
    (listed["counts"].clone(), counted)
}

#[actix_web::test]
async fn the_counts_by_status_follow_each_registration_cancellation_and_promotion() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 2).await;
    let mut manage = Vec::new();
    for i in 0..4 {
        let answer = invite_and_register(&app, &admin, &format!("exec{i}@example.org")).await;
        manage.push(token_of(answer["manage_url"].as_str().unwrap()));
    }
    let (listed, counted) = counts_listed_and_counted(&app, &admin).await;
    assert_eq!(
        listed,
        json!({ "confirmed": 2, "waitlisted": 2, "cancelled": 0 })
    );
    assert_eq!(listed, counted);

    // A confirmed registrant cancels: the first on the waiting list takes the seat. Then
    // one still waiting cancels too.
    let steps = [
        (
            0,
            json!({ "confirmed": 2, "waitlisted": 1, "cancelled": 1 }),
        ),
        (
            3,
            json!({ "confirmed": 2, "waitlisted": 0, "cancelled": 2 }),
        ),
    ];
    for (who, expected) in steps {
        let res = app
            .post(
                &format!("/api/v1/manage/{}/cancel", manage[who]),
                &json!({}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let (listed, counted) = counts_listed_and_counted(&app, &admin).await;
        assert_eq!(listed, expected);
        assert_eq!(listed, counted);
    }
}
