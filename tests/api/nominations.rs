//! Young-leader nominations, end to end: an executive nominates on the registration form
//! or from their private link, organizers approve (which invites the young leader, who
//! registers through the emailed link) or decline, and every step is emailed and audited.

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, token_from, token_of, Session, TestApp, TestResponse};
use crate::invitations::{invitation_body, invitation_token, invite, SLUG};
use crate::registration::{invite_and_register, register, registration_body};
use crate::smtp::ReceivedEmail;

const DANA: &str = "dana@example.org";
const SAM: &str = "sam@example.org";
const REASON: &str = "Sam built our open-data portal and runs the resident budgeting workshops.";

/// Dana's nomination of Sam, as the form and the manage link send it.
fn sam() -> Value {
    json!({
        "full_name": "Sam Ortiz",
        "email": SAM,
        "title": "Policy Analyst",
        "organization": "City of Springfield",
        "reason": REASON,
    })
}

/// An event, and Dana registered on its form with Sam's nomination. Returns the admin,
/// Dana's manage token and her one email: the confirmation, which acknowledges the
/// nomination too.
async fn dana_nominates_sam_on_the_form(app: &TestApp) -> (Session, String, ReceivedEmail) {
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(app, &admin, SLUG, DANA).await;
    let token = invitation_token(app, DANA).await;
    let mut form = registration_body(DANA);
    form["young_leader_nomination"] = sam();
    let res = register(app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let manage = token_of(res.json()["manage_url"].as_str().unwrap());
    let confirmation = app.wait_for_email(DANA).await;
    (admin, manage, confirmation)
}

/// Dana registered without nominating; returns the admin and her manage token.
async fn dana_registers(app: &TestApp) -> (Session, String) {
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let answer = invite_and_register(app, &admin, DANA).await;
    app.wait_for_email(DANA).await; // the confirmation
    (admin, token_of(answer["manage_url"].as_str().unwrap()))
}

async fn nominate(app: &TestApp, manage: &str, body: &Value) -> TestResponse {
    app.post(&format!("/api/v1/manage/{manage}/nomination"), body)
        .await
}

/// What the manage page is told: whether it may offer to nominate now.
async fn may_nominate(app: &TestApp, manage: &str) -> bool {
    let page = app.get(&format!("/api/v1/manage/{manage}")).await.json();
    page["may_nominate"].as_bool().expect("may_nominate")
}

async fn withdraw(app: &TestApp, manage: &str, id: &str) -> TestResponse {
    app.post(
        &format!("/api/v1/manage/{manage}/nominations/{id}/withdraw"),
        &json!({}),
    )
    .await
}

async fn decide(
    app: &TestApp,
    s: &Session,
    id: &str,
    decision: &str,
    body: &Value,
) -> TestResponse {
    app.post_as(
        s,
        &format!("/api/v1/events/{SLUG}/nominations/{id}/{decision}"),
        body,
    )
    .await
}

async fn list(app: &TestApp, s: &Session, query: &str) -> Value {
    app.get_json_as(s, &format!("/api/v1/events/{SLUG}/nominations{query}"))
        .await
}

/// The id of the only nomination of the event.
async fn only_nomination(app: &TestApp, s: &Session) -> String {
    let all = list(app, s, "").await;
    assert_eq!(all["total"], 1, "{all}");
    all["items"][0]["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_nomination_on_the_registration_form_is_acknowledged_and_waits_for_review() {
    let app = spawn_app().await;
    let (admin, manage, confirmation) = dana_nominates_sam_on_the_form(&app).await;

    // One email, not a confirmation and a receipt: the confirmation names the nomination.
    assert!(
        confirmation
            .subject
            .starts_with("You're registered: The Future City"),
        "{}",
        confirmation.subject
    );
    assert!(confirmation.text.contains("Dear Dana Whitfield"));
    assert!(confirmation
        .text
        .contains("We have your nomination of Sam Ortiz as a young leader"));
    assert!(confirmation
        .text
        .contains("Sam Ortiz will get a personal invitation by email that names you"));
    assert_eq!(token_of(&confirmation.link_containing("/manage/")), manage);
    app.assert_no_email_to(DANA).await;
    app.assert_no_email_to(SAM).await;

    let page = app.get(&format!("/api/v1/manage/{manage}")).await.json();
    assert_eq!(page["nomination"]["full_name"], "Sam Ortiz");
    assert_eq!(page["nomination"]["status"], "pending");

    let reviewer = app.reviewer().await;
    let pending = list(&app, &reviewer, "?status=pending").await;
    assert_eq!(pending["total"], 1);
    let item = &pending["items"][0];
    assert_eq!(item["status"], "pending");
    assert_eq!(item["full_name"], "Sam Ortiz");
    assert_eq!(item["email"], SAM);
    assert_eq!(item["title"], "Policy Analyst");
    assert_eq!(item["organization"], "City of Springfield");
    assert_eq!(item["reason"], REASON);
    assert!(item["created_at"].is_string());
    assert_eq!(item["decided_at"], Value::Null);
    assert_eq!(item["decision_note"], Value::Null);
    assert_eq!(item["invitation_id"], Value::Null);
    assert_eq!(item["nominator"]["full_name"], "Dana Whitfield");
    assert_eq!(item["nominator"]["title"], "City Manager");
    assert_eq!(item["nominator"]["organization"], "City of Springfield");
    assert_eq!(item["nominator"]["email"], DANA);
    assert_eq!(
        item["nominator"]["registration_id"],
        page["registration"]["id"]
    );
    assert_eq!(item["community"]["name"], "Springfield");
    assert_eq!(item["community"]["state"], "IL");
    assert_eq!(item["community"]["country"], "US");

    assert_eq!(list(&app, &admin, "?status=approved").await["total"], 0);
    let bad = app
        .get_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/nominations?status=maybe&limit=0"),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["limit", "status"]);
}

#[actix_web::test]
async fn an_executive_nominates_from_the_manage_link_within_the_limit_and_may_withdraw_while_pending(
) {
    let app = spawn_app().await;
    let (admin, manage) = dana_registers(&app).await;
    assert!(may_nominate(&app, &manage).await);

    let res = nominate(&app, &manage, &sam()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    // The manage page offers no second nomination while the first counts.
    assert!(!may_nominate(&app, &manage).await);
    let first = res.json();
    assert_eq!(first["status"], "pending");
    assert_eq!(first["full_name"], "Sam Ortiz");
    assert_eq!(first["reason"], REASON);
    let first_id = first["id"].as_str().unwrap().to_owned();

    let receipt = app.wait_for_email(DANA).await;
    assert_eq!(
        receipt.subject,
        "We have your nomination of Sam Ortiz for The Future City"
    );
    assert!(receipt.text.contains("Dear Dana Whitfield"));
    assert!(receipt.text.contains("Policy Analyst, City of Springfield"));
    assert_eq!(token_of(&receipt.link_containing("/manage/")), manage);

    // One nomination per executive by default.
    let mut kim = sam();
    kim["full_name"] = json!("Kim Park");
    kim["email"] = json!("kim@example.org");
    let over = nominate(&app, &manage, &kim).await;
    assert!(
        over.problem_detail(409)
            .contains("may nominate one young leader"),
        "{}",
        over.text()
    );

    // Withdrawn, it leaves room for another; it cannot be withdrawn twice.
    let res = withdraw(&app, &manage, &first_id).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "withdrawn");
    assert!(may_nominate(&app, &manage).await);
    assert!(withdraw(&app, &manage, &first_id)
        .await
        .problem_detail(409)
        .contains("already withdrawn"));
    let res = nominate(&app, &manage, &kim).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert!(app.wait_for_email(DANA).await.subject.contains("Kim Park"));

    let page = app.get(&format!("/api/v1/manage/{manage}")).await.json();
    let statuses: Vec<&Value> = page["nominations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["status"])
        .collect();
    assert_eq!(statuses, ["withdrawn", "pending"]);
    assert_eq!(page["nomination"]["full_name"], "Kim Park");

    // Only the registrant's own nominations, and only through a real link.
    let unknown = "B".repeat(43);
    nominate(&app, &unknown, &sam()).await.problem(404);
    withdraw(&app, &unknown, &first_id).await.problem(404);

    let log = app.audit_log(&admin, "entity_type=nomination").await;
    let actions: Vec<&Value> = log.iter().map(|e| &e["action"]).collect();
    assert_eq!(
        actions,
        [
            "nomination.created",
            "nomination.withdrawn",
            "nomination.created"
        ]
    );
    assert_eq!(log[1]["actor"], "registrant");
    assert_eq!(log[1]["before"]["status"], "pending");
    assert_eq!(log[1]["after"]["status"], "withdrawn");
}

#[actix_web::test]
async fn two_nominations_sent_at_once_by_one_executive_do_not_exceed_the_limit() {
    let app = spawn_app().await;
    let (admin, manage) = dana_registers(&app).await;
    let mut kim = sam();
    kim["email"] = json!("kim@example.org");
    let (a, b) = futures_util::future::join(
        nominate(&app, &manage, &sam()),
        nominate(&app, &manage, &kim),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", a.text(), b.text());
    assert_eq!(list(&app, &admin, "").await["total"], 1);
    app.wait_for_email(DANA).await;
    app.assert_no_email_to(DANA).await;
}

#[actix_web::test]
async fn a_nomination_from_the_manage_link_is_checked_like_the_forms() {
    let app = spawn_app().await;
    let (admin, manage) = dana_registers(&app).await;

    let res = nominate(
        &app,
        &manage,
        &json!({ "full_name": " ", "email": "not-an-address", "organization": "City of Springfield", "reason": "" }),
    )
    .await;
    assert_eq!(
        res.invalid_fields(),
        ["email", "full_name", "reason", "title"]
    );
    let mut own = sam();
    own["email"] = json!("Dana@Example.org");
    let res = nominate(&app, &manage, &own).await;
    assert_eq!(res.invalid_fields(), ["email"]);
    assert!(res.text().contains("young leader's own address"));
    let res = nominate(&app, &manage, &json!({ "full_name": 7 })).await;
    assert_eq!(res.invalid_fields(), ["full_name"]);

    assert_eq!(list(&app, &admin, "").await["total"], 0);
    app.assert_no_email_to(DANA).await;
}

#[actix_web::test]
async fn the_events_limit_decides_how_many_young_leaders_an_executive_may_nominate() {
    let app = spawn_app().await;
    let (_, manage) = dana_registers(&app).await;
    {
        use convene::db::schema::events;
        let mut conn = app.pool.get().expect("connection");
        diesel::update(events::table.filter(events::slug.eq(SLUG)))
            .set(events::nominations_per_executive.eq(2))
            .execute(&mut *conn)
            .expect("the limit is set");
    }
    for who in ["sam", "kim"] {
        let mut body = sam();
        body["email"] = json!(format!("{who}@example.org"));
        let res = nominate(&app, &manage, &body).await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let mut third = sam();
    third["email"] = json!("lee@example.org");
    let over = nominate(&app, &manage, &third).await;
    assert!(over.problem_detail(409).contains("at most 2 young leaders"));
}

#[actix_web::test]
async fn a_young_leader_or_a_cancelled_registration_may_not_nominate() {
    let app = spawn_app().await;
    let (admin, dana) = dana_registers(&app).await;

    let mut body = invitation_body("lee@example.org", "Lee Chen");
    body["kind"] = json!("young_leader");
    let res = app
        .post_as(&admin, &format!("/api/v1/events/{SLUG}/invitations"), &body)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let token = invitation_token(&app, "lee@example.org").await;
    let registered = register(&app, &token, &registration_body("lee@example.org")).await;
    assert_eq!(registered.status, 201, "{}", registered.text());
    let lee = token_of(registered.json()["manage_url"].as_str().unwrap());
    assert!(!may_nominate(&app, &lee).await);
    let refused = nominate(&app, &lee, &sam()).await;
    assert!(refused
        .problem_detail(403)
        .contains("young leader cannot nominate"));

    let cancelled = app
        .post(&format!("/api/v1/manage/{dana}/cancel"), &json!({}))
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    assert!(!may_nominate(&app, &dana).await);
    let refused = nominate(&app, &dana, &sam()).await;
    assert!(refused.problem_detail(409).contains("cancelled"));
    assert_eq!(list(&app, &admin, "").await["total"], 0);
}

#[actix_web::test]
async fn approving_invites_the_young_leader_who_registers_through_the_emailed_link() {
    let app = spawn_app().await;
    let (admin, manage, _) = dana_nominates_sam_on_the_form(&app).await;
    let reviewer = app.reviewer().await;
    let reviewer_id = reviewer.organizer["id"].clone();
    let id = only_nomination(&app, &reviewer).await;
    let dana_id =
        app.get(&format!("/api/v1/manage/{manage}")).await.json()["registration"]["id"].clone();

    let res = decide(
        &app,
        &reviewer,
        &id,
        "approve",
        &json!({ "note": "Sam's open-data work is just what the workshop needs." }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let approved = res.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by"], reviewer_id);
    assert!(approved["decided_at"].is_string());
    assert_eq!(
        approved["decision_note"],
        "Sam's open-data work is just what the workshop needs."
    );
    let invitation_id = approved["invitation_id"].as_str().unwrap().to_owned();

    // Sam's invitation names Dana and her reason, and explains the event.
    let invitation = app.wait_for_email(SAM).await;
    assert_eq!(
        invitation.subject,
        "Dana Whitfield has nominated you: your invitation to The Future City"
    );
    assert!(invitation.text.contains("Dear Sam Ortiz"));
    assert!(invitation.text.contains(
        "Dana Whitfield (City Manager, City of Springfield) has nominated you as a young leader from Springfield"
    ));
    assert!(invitation.text.contains(REASON));
    assert!(
        !invitation.text.contains("waiting list"),
        "a seat is free: {}",
        invitation.text
    );
    assert!(invitation
        .text
        .contains("Memorial Hall, Riverside Campus, Boston"));
    assert!(!invitation.text.contains("Meals are covered"));
    assert!(invitation.html.contains("Answer your invitation"));
    assert!(invitation.html.contains("Why you were nominated"));
    assert!(
        !invitation.text.contains("open-data work is just what"),
        "the organizers' note is for the nominator"
    );
    let token = token_from(&invitation);
    assert!(!res.text().contains(&token), "the token is only emailed");

    // Dana hears the decision, with the note.
    let decision = app.wait_for_email(DANA).await;
    assert_eq!(decision.subject, "Sam Ortiz is invited to The Future City");
    assert!(decision.text.contains("Dear Dana Whitfield"));
    assert!(decision
        .text
        .contains("approved your nomination of Sam Ortiz (Policy Analyst, City of Springfield)"));
    assert!(decision
        .text
        .contains("Sam's open-data work is just what the workshop needs."));
    assert!(decision.html.contains("A note from the organizing team"));
    // What meals and travel cost is the organizers' to say, in the event's practical
    // information, not ours.
    assert!(
        !decision.text.to_lowercase().contains("meals"),
        "{}",
        decision.text
    );

    // Sam follows the link: a young leader's invitation, from Dana's community.
    let opened = app.get(&format!("/api/v1/invitations/{token}")).await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    let opened = opened.json();
    assert_eq!(opened["kind"], "young_leader");
    assert_eq!(opened["status"], "sent");
    assert_eq!(opened["may_nominate"], false);
    assert_eq!(opened["invitee"]["full_name"], "Sam Ortiz");
    assert_eq!(opened["invitee"]["title"], "Policy Analyst");
    assert_eq!(opened["invitee"]["organization"], "City of Springfield");
    assert_eq!(opened["invitee"]["community"]["name"], "Springfield");
    assert_eq!(opened["invitee"]["community"]["state"], "IL");

    let shown = app
        .get_as(
            &reviewer,
            &format!("/api/v1/events/{SLUG}/invitations/{invitation_id}"),
        )
        .await
        .json();
    assert_eq!(shown["kind"], "young_leader");
    assert_eq!(shown["nominated_by"], dana_id);
    assert_eq!(shown["invited_by"], reviewer_id);
    assert_eq!(shown["email"], SAM);

    // Sam registers, as a young leader of Springfield.
    let res = register(
        &app,
        &token,
        &json!({
            "full_name": "Sam Ortiz",
            "email": SAM,
            "title": "Policy Analyst",
            "organization": "City of Springfield",
        }),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["status"], "confirmed");
    assert!(app.wait_for_email(SAM).await.subject.contains("registered"));
    let young = app
        .get_as(
            &reviewer,
            &format!("/api/v1/events/{SLUG}/registrations?kind=young_leader"),
        )
        .await
        .json();
    assert_eq!(young["total"], 1);
    assert_eq!(young["items"][0]["email"], SAM);
    assert_eq!(young["items"][0]["community"]["name"], "Springfield");

    // Decided once and for all.
    let again = decide(&app, &reviewer, &id, "approve", &json!({})).await;
    assert!(again.problem_detail(409).contains("already approved"));
    let late = decide(&app, &admin, &id, "decline", &json!({})).await;
    assert!(late.problem_detail(409).contains("approved"));
    let late = withdraw(&app, &manage, &id).await;
    assert!(late
        .problem_detail(409)
        .contains("only a pending nomination can be withdrawn"));
    let listed = list(&app, &reviewer, "?status=approved").await;
    assert_eq!(listed["items"][0]["invitation_id"], invitation_id.as_str());
    app.assert_no_email_to(DANA).await;

    // Who decided, with the nomination before and after; the invitation records Dana.
    let log = app.audit_log(&admin, "entity_type=nomination").await;
    let actions: Vec<&Value> = log.iter().map(|e| &e["action"]).collect();
    assert_eq!(actions, ["nomination.approved", "nomination.created"]);
    assert_eq!(log[0]["actor"], "organizer");
    assert_eq!(log[0]["actor_id"], reviewer_id);
    assert_eq!(log[0]["entity_id"], id.as_str());
    assert_eq!(log[0]["before"]["status"], "pending");
    assert_eq!(log[0]["before"]["invitation_id"], Value::Null);
    assert_eq!(log[0]["after"]["status"], "approved");
    assert_eq!(log[0]["after"]["decided_by"], reviewer_id);
    assert_eq!(log[0]["after"]["invitation_id"], invitation_id.as_str());
    assert_eq!(log[1]["actor"], "invitee");
    let created = app
        .audit_log(
            &admin,
            &format!("entity_id={invitation_id}&action=invitation.created"),
        )
        .await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["actor_id"], reviewer_id);
    assert_eq!(created[0]["after"]["kind"], "young_leader");
    assert_eq!(created[0]["after"]["nominated_by"], dana_id);
}

#[actix_web::test]
async fn declining_tells_the_nominator_with_the_note_and_invites_nobody() {
    let app = spawn_app().await;
    let (admin, _, _) = dana_nominates_sam_on_the_form(&app).await;
    let reviewer = app.reviewer().await;
    let id = only_nomination(&app, &reviewer).await;

    let long = decide(
        &app,
        &reviewer,
        &id,
        "decline",
        &json!({ "note": "x".repeat(2001) }),
    )
    .await;
    assert_eq!(long.invalid_fields(), ["note"]);

    let note = "This year's young-leader places went to communities attending for the first time.";
    let res = decide(&app, &reviewer, &id, "decline", &json!({ "note": note })).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let declined = res.json();
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["decision_note"], note);
    assert_eq!(declined["invitation_id"], Value::Null);
    assert_eq!(declined["nominator"]["email"], DANA);

    let mail = app.wait_for_email(DANA).await;
    assert_eq!(
        mail.subject,
        "Your nomination of Sam Ortiz for The Future City"
    );
    assert!(mail.text.contains("Dear Dana Whitfield"));
    assert!(mail
        .text
        .contains("we are not able to invite Sam Ortiz this time"));
    assert!(mail.text.contains(note));
    assert!(mail.text.contains("Your own registration is not affected"));
    assert!(mail
        .html
        .contains("places went to communities attending for the first time"));
    app.assert_no_email_to(SAM).await;

    let twice = decide(&app, &admin, &id, "decline", &json!({})).await;
    assert!(twice.problem_detail(409).contains("already declined"));
    let late = decide(&app, &admin, &id, "approve", &json!({})).await;
    assert!(late.problem_detail(409).contains("declined"));
    app.assert_no_email_to(SAM).await;

    let log = app
        .audit_log(&admin, "entity_type=nomination&action=nomination.declined")
        .await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["actor_id"], reviewer.organizer["id"]);
    assert_eq!(log[0]["before"]["status"], "pending");
    assert_eq!(log[0]["after"]["status"], "declined");
    assert_eq!(log[0]["after"]["decision_note"], note);
}

#[actix_web::test]
async fn a_decision_without_a_body_or_a_note_is_accepted_and_the_email_has_no_note() {
    let app = spawn_app().await;
    let (admin, _, _) = dana_nominates_sam_on_the_form(&app).await;
    let id = only_nomination(&app, &admin).await;
    let req = app
        .raw(
            actix_web::http::Method::POST,
            &format!("/api/v1/events/{SLUG}/nominations/{id}/approve"),
        )
        .insert_header(("cookie", admin.cookie.clone()));
    let res = app.send(req, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["decision_note"], Value::Null);
    let mail = app.wait_for_email(DANA).await;
    assert!(!mail.text.contains("A note from the organizing team"));
    app.wait_for_email(SAM).await;
}

#[actix_web::test]
async fn a_nominee_who_already_has_a_live_invitation_is_not_invited_again() {
    let app = spawn_app().await;
    let (admin, _, _) = dana_nominates_sam_on_the_form(&app).await;
    let direct = invite(&app, &admin, SLUG, SAM).await;
    app.wait_for_email(SAM).await;
    let id = only_nomination(&app, &admin).await;

    let res = decide(&app, &admin, &id, "approve", &json!({})).await;
    assert!(
        res.problem_detail(409)
            .contains("already has a live invitation to this event"),
        "{}",
        res.text()
    );
    let pending = list(&app, &admin, "?status=pending").await;
    assert_eq!(pending["total"], 1, "nothing changed");
    let sams = app
        .get_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations?q=sam%40example.org"),
        )
        .await
        .json();
    assert_eq!(sams["total"], 1);
    app.assert_no_email_to(SAM).await;
    app.assert_no_email_to(DANA).await;
    assert!(app
        .audit_log(&admin, "action=nomination.approved")
        .await
        .is_empty());

    // As the answer says: once that invitation is revoked, approval goes through.
    let revoked = app
        .post_as(
            &admin,
            &format!(
                "/api/v1/events/{SLUG}/invitations/{}/revoke",
                direct["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    let res = decide(&app, &admin, &id, "approve", &json!({})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(app
        .wait_for_email(SAM)
        .await
        .subject
        .contains("nominated you"));
}

#[actix_web::test]
async fn two_organizers_approving_at_once_invite_the_young_leader_once() {
    let app = spawn_app().await;
    let (admin, _, _) = dana_nominates_sam_on_the_form(&app).await;
    let reviewer = app.reviewer().await;
    let id = only_nomination(&app, &admin).await;

    let (a, b) = futures_util::future::join(
        decide(&app, &admin, &id, "approve", &json!({})),
        decide(&app, &reviewer, &id, "approve", &json!({})),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text(), b.text());

    app.wait_for_email(SAM).await;
    app.wait_for_email(DANA).await;
    app.assert_no_email_to(SAM).await;
    app.assert_no_email_to(DANA).await;
    assert_eq!(
        app.audit_log(&admin, "action=nomination.approved")
            .await
            .len(),
        1
    );
}

#[actix_web::test]
async fn only_signed_in_organizers_see_and_decide_nominations() {
    let app = spawn_app().await;
    let (admin, _, _) = dana_nominates_sam_on_the_form(&app).await;
    let id = only_nomination(&app, &admin).await;

    app.get(&format!("/api/v1/events/{SLUG}/nominations"))
        .await
        .problem(401);
    for decision in ["approve", "decline"] {
        app.post(
            &format!("/api/v1/events/{SLUG}/nominations/{id}/{decision}"),
            &json!({}),
        )
        .await
        .problem(401);
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    decide(&app, &admin, &unknown, "approve", &json!({}))
        .await
        .problem(404);
    app.get_as(&admin, "/api/v1/events/no-such-event/nominations")
        .await
        .problem(404);
    assert_eq!(list(&app, &admin, "?status=pending").await["total"], 1);
    app.assert_no_email_to(SAM).await;
}

/// Approved while every seat is taken: the young leader is told, before registering, that
/// they would join the waiting list; registering puts them there.
#[actix_web::test]
async fn a_young_leader_approved_when_the_event_is_full_is_told_they_would_wait() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(&admin, SLUG, json!({ "capacity": 1 }))
        .await;
    invite(&app, &admin, SLUG, DANA).await;
    let token = invitation_token(&app, DANA).await;
    let mut form = registration_body(DANA);
    form["young_leader_nomination"] = sam();
    let res = register(&app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["status"], "confirmed");
    app.wait_for_email(DANA).await;

    let id = only_nomination(&app, &admin).await;
    let res = decide(&app, &admin, &id, "approve", &json!({})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let invitation = app.wait_for_email(SAM).await;
    assert!(
        invitation.text.contains(
            "Every seat is taken at the moment: if you register, you join the waiting list"
        ),
        "{}",
        invitation.text
    );
    assert!(invitation
        .html
        .contains("Every seat is taken at the moment"));
    let res = register(
        &app,
        &token_of(&invitation.link_containing("/invite/")),
        &json!({
            "full_name": "Sam Ortiz",
            "email": SAM,
            "title": "Policy Analyst",
            "organization": "City of Springfield",
        }),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["status"], "waitlisted");
}
