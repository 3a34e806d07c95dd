//! Check-in at the door: by the code on the registrant's QR code or by their registration,
//! once only (also when desks scan at the same moment), refused with reasons, undone; the
//! arrivals against the people expected; and the caterer's counts.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::token_of;
use crate::helpers::{spawn_app, Session, TestApp, TestResponse};
use crate::invitations::{event_with_capacity, invitation_body, SLUG};
use crate::registration::{register, registration_body};

/// A registrant of the event: their registration id, manage token and check-in code
/// (`None` unless confirmed).
struct Registrant {
    id: String,
    manage: String,
    code: Option<String>,
}

/// Invites `name` (as an executive or, with `kind`, a young leader) and registers them
/// with these requirements.
async fn registrant_with(
    app: &TestApp,
    admin: &Session,
    name: &str,
    kind: Option<&str>,
    dietary: Option<&str>,
    accessibility: Option<&str>,
) -> Registrant {
    let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
    let mut invitation = invitation_body(&email, name);
    if let Some(kind) = kind {
        invitation["kind"] = json!(kind);
    }
    let res = app
        .post_as(
            admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let token = crate::invitations::invitation_token(app, &email).await;
    let mut form = registration_body(&email);
    form["full_name"] = json!(name);
    form["dietary_requirements"] = json!(dietary);
    form["accessibility_needs"] = json!(accessibility);
    let res = register(app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    let manage = token_of(body["manage_url"].as_str().expect("manage_url"));
    let view = app.get(&format!("/api/v1/manage/{manage}")).await;
    assert_eq!(view.status, 200, "{}", view.text());
    let view = view.json();
    Registrant {
        id: body["registration"]["id"].as_str().expect("id").to_owned(),
        manage,
        code: view["checkin_code"].as_str().map(str::to_owned),
    }
}

async fn registrant(app: &TestApp, admin: &Session, name: &str) -> Registrant {
    registrant_with(app, admin, name, None, None, None).await
}

fn check_ins_path() -> String {
    format!("/api/v1/events/{SLUG}/check-ins")
}

async fn check_in(app: &TestApp, s: &Session, body: Value) -> TestResponse {
    app.post_as(s, &check_ins_path(), &body).await
}

async fn undo(app: &TestApp, s: &Session, registration_id: &str) -> TestResponse {
    app.request(
        Method::DELETE,
        &format!("{}/{registration_id}", check_ins_path()),
        None,
        Some(s),
    )
    .await
}

async fn arrivals(app: &TestApp, s: &Session) -> Value {
    let res = app.get_as(s, &check_ins_path()).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

fn detail(res: &TestResponse, status: u16) -> String {
    res.problem(status)["detail"]
        .as_str()
        .expect("detail")
        .to_owned()
}

#[actix_web::test]
async fn a_confirmed_registrant_is_checked_in_by_the_code_on_their_manage_page_or_by_id() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 10).await;
    let reviewer = app.reviewer().await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;
    let sam = registrant_with(&app, &admin, "Sam Ortiz", Some("young_leader"), None, None).await;
    registrant(&app, &admin, "Grace Hopper").await;
    let code = ada
        .code
        .clone()
        .expect("a confirmed registration has a code");
    assert!(code.len() >= 10, "{code}");

    // Typed from the text under the QR code: case, spaces and dashes do not matter.
    let typed = format!(
        " {}-{} ",
        code[..6].to_lowercase(),
        code[6..].to_lowercase()
    );
    let res = check_in(&app, &reviewer, json!({ "code": typed })).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    assert_eq!(body["registration"]["id"], ada.id.as_str());
    assert_eq!(body["registration"]["full_name"], "Ada Lovelace");
    assert_eq!(body["registration"]["title"], "City Manager");
    assert_eq!(body["registration"]["community"]["name"], "Springfield");
    assert_eq!(body["registration"]["kind"], "executive");
    let at = chrono::DateTime::parse_from_rfc3339(body["checked_in_at"].as_str().unwrap())
        .expect("RFC 3339");
    assert!((chrono::Utc::now() - at.to_utc()).num_seconds().abs() < 60);
    assert_eq!(body["checked_in_by"]["id"], reviewer.organizer["id"]);

    let res = check_in(&app, &admin, json!({ "registration_id": sam.id })).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["kind"], "young_leader");

    let list = arrivals(&app, &reviewer).await;
    assert_eq!(list["expected"], 3);
    assert_eq!(list["arrived"], 2);
    let names: Vec<&str> = list["check_ins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["registration"]["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Sam Ortiz", "Ada Lovelace"], "latest first");
    assert_eq!(
        list["check_ins"][1]["checked_in_by"]["name"],
        "Test Organizer"
    );

    // Audited, with the desk's organizer.
    let res = app
        .get_as(
            &admin,
            &format!(
                "/api/v1/audit-log?entity_id={}&action=registration.checked_in",
                ada.id
            ),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let log = res.json()["items"].as_array().unwrap().clone();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["actor_id"], reviewer.organizer["id"]);
    assert_eq!(log[0]["after"]["registration_id"], ada.id.as_str());
}

#[actix_web::test]
async fn a_second_scan_is_refused_naming_when_and_by_whom() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 10).await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;
    let first = check_in(&app, &admin, json!({ "code": ada.code })).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let at = chrono::DateTime::parse_from_rfc3339(first.json()["checked_in_at"].as_str().unwrap())
        .unwrap();
    // The event is in America/New_York: the desk reads the time there.
    let local = at
        .with_timezone(&chrono_tz::America::New_York)
        .format("%H:%M")
        .to_string();

    for again in [
        json!({ "code": ada.code }),
        json!({ "registration_id": ada.id }),
    ] {
        let res = check_in(&app, &admin, again).await;
        let d = detail(&res, 409);
        assert!(d.contains("Ada Lovelace was already checked in"), "{d}");
        assert!(d.contains(&format!("at {local}")), "{d}");
        assert!(d.contains("by Test Organizer"), "{d}");
    }
    assert_eq!(arrivals(&app, &admin).await["arrived"], 1);
}

#[actix_web::test]
async fn waitlisted_and_cancelled_registrations_are_refused_naming_their_status() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    let ana = registrant(&app, &admin, "Ana Silva").await;
    let ben = registrant(&app, &admin, "Ben Okafor").await;
    let cy = registrant(&app, &admin, "Cy Tanaka").await;
    assert!(
        ben.code.is_none() && cy.code.is_none(),
        "waitlisted: no code shown"
    );
    // Ana cancels; Ben takes her seat; Cy stays on the waiting list.
    let res = app
        .post(&format!("/api/v1/manage/{}/cancel", ana.manage), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    let d = detail(
        &check_in(&app, &admin, json!({ "code": ana.code })).await,
        409,
    );
    assert!(d.contains("Ana Silva's registration is cancelled"), "{d}");
    let d = detail(
        &check_in(&app, &admin, json!({ "registration_id": cy.id })).await,
        409,
    );
    assert!(d.contains("Cy Tanaka's registration is waitlisted"), "{d}");
    let res = check_in(&app, &admin, json!({ "registration_id": ben.id })).await;
    assert_eq!(res.status, 201, "promoted, so expected: {}", res.text());

    let list = arrivals(&app, &admin).await;
    assert_eq!(list["expected"], 1);
    assert_eq!(list["arrived"], 1);
}

#[actix_web::test]
async fn an_unknown_code_is_404_and_a_body_naming_neither_or_both_fields_is_422() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 10).await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;

    for unknown in [
        json!({ "code": "ZZZZ-ZZZZ-ZZZZ" }),
        json!({ "code": "https://example.org/not-ours" }),
        json!({ "registration_id": uuid::Uuid::new_v4().to_string() }),
        // Not sent to the database: PostgreSQL would refuse the NUL with an error.
        json!({ "registration_id": "a\u{0}b" }),
        json!({ "code": "ABCD\u{0}EFGH" }),
    ] {
        check_in(&app, &admin, unknown).await.problem(404);
    }
    // A code of another event's registrant is unknown here.
    app.create_event(&admin, "other-event").await;
    let res = app
        .post_as(
            &admin,
            "/api/v1/events/other-event/check-ins",
            &json!({ "code": ada.code }),
        )
        .await;
    res.problem(404);

    for (body, field) in [
        (json!({}), "code"),
        (json!({ "code": null, "registration_id": null }), "code"),
        (
            json!({ "code": ada.code, "registration_id": ada.id }),
            "registration_id",
        ),
        (json!({ "code": "   " }), "code"),
        (json!({ "registration_id": "" }), "registration_id"),
        (json!({ "code": 42 }), "code"),
        (json!({ "code": "A".repeat(65) }), "code"),
    ] {
        let res = check_in(&app, &admin, body.clone()).await;
        assert_eq!(res.invalid_fields(), [field], "{body}");
    }
    let res = check_in(&app, &admin, json!({ "code": ada.code })).await;
    assert_eq!(
        res.status,
        201,
        "nothing above checked Ada in: {}",
        res.text()
    );
}

#[actix_web::test]
async fn a_person_who_cancels_after_arriving_is_listed_but_no_longer_counted_as_arrived() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 10).await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;
    let ben = registrant(&app, &admin, "Ben Okafor").await;
    for code in [&ada.code, &ben.code] {
        let res = check_in(&app, &admin, json!({ "code": code })).await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let list = arrivals(&app, &admin).await;
    assert_eq!(
        (list["expected"].clone(), list["arrived"].clone()),
        (json!(2), json!(2))
    );

    let res = app
        .post(&format!("/api/v1/manage/{}/cancel", ada.manage), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let list = arrivals(&app, &admin).await;
    assert_eq!(list["expected"], 1, "{list}");
    assert_eq!(list["arrived"], 1, "arrived never exceeds expected: {list}");
    let listed: Vec<&str> = list["check_ins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["registration"]["id"].as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&ada.id.as_str()) && listed.contains(&ben.id.as_str()),
        "Ada's arrival stays on the list: {listed:?}"
    );
    // Scanned again, she is refused for her cancellation, not counted twice.
    let d = detail(
        &check_in(&app, &admin, json!({ "code": ada.code })).await,
        409,
    );
    assert!(
        d.contains("Ada Lovelace's registration is cancelled"),
        "{d}"
    );
}

#[actix_web::test]
async fn twenty_desks_scanning_one_code_at_once_check_the_person_in_once() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 10).await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;
    let body = json!({ "code": ada.code });
    let answers =
        futures_util::future::join_all((0..20).map(|_| check_in(&app, &admin, body.clone()))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}: {}",
        answers
            .iter()
            .find(|r| !matches!(r.status, 201 | 409))
            .map(TestResponse::text)
            .unwrap_or_default()
    );
    assert_eq!(arrivals(&app, &admin).await["arrived"], 1);
}

#[actix_web::test]
async fn a_check_in_is_undone_and_can_be_made_again() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 10).await;
    let reviewer = app.reviewer().await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;
    let res = check_in(&app, &admin, json!({ "code": ada.code })).await;
    assert_eq!(res.status, 201, "{}", res.text());

    let res = undo(&app, &reviewer, &ada.id).await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(res.body.is_empty());
    assert_eq!(arrivals(&app, &admin).await["arrived"], 0);
    undo(&app, &reviewer, &ada.id).await.problem(404);
    undo(&app, &reviewer, "no-such-registration")
        .await
        .problem(404);
    undo(&app, &reviewer, "a%00b").await.problem(404);

    let res = check_in(&app, &reviewer, json!({ "code": ada.code })).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app
        .get_as(
            &admin,
            &format!(
                "/api/v1/audit-log?entity_id={}&action=registration.check_in_undone",
                ada.id
            ),
        )
        .await;
    let log = res.json()["items"].as_array().unwrap().clone();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["actor_id"], reviewer.organizer["id"]);
    assert_eq!(log[0]["before"]["registration_id"], ada.id.as_str());
}

#[actix_web::test]
async fn the_catering_counts_group_requirements_whatever_their_case_and_spacing() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 6).await;
    for (name, dietary, access) in [
        ("Ana Silva", Some("Vegetarian"), Some("Step-free access")),
        ("Ben Okafor", Some("  vegetarian "), None),
        (
            "Cy Tanaka",
            Some("Gluten  free"),
            Some("step-free   ACCESS"),
        ),
        ("Dee Marsh", Some("gluten free"), Some("")),
        ("Eve Adams", Some("Vegetarian"), Some("Hearing loop")),
        ("Fay Quinn", None, Some("none")),
        // The event is full: waitlisted, so not catered for.
        ("Gus Pike", Some("Vegan"), Some("Sign language")),
    ] {
        registrant_with(&app, &admin, name, None, dietary, access).await;
    }
    let reviewer = app.reviewer().await;
    let res = app
        .get_as(&reviewer, &format!("/api/v1/events/{SLUG}/catering"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json(),
        json!({
            "confirmed": 6,
            "dietary": [
                { "requirement": "Vegetarian", "count": 3 },
                { "requirement": "Gluten free", "count": 2 },
            ],
            "accessibility": [
                { "need": "Step-free access", "count": 2 },
                { "need": "Hearing loop", "count": 1 },
            ],
        })
    );
}

#[actix_web::test]
async fn check_ins_and_catering_are_for_organizers_only() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 5).await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;
    app.post(&check_ins_path(), &json!({ "code": ada.code }))
        .await
        .problem(401);
    app.get(&check_ins_path()).await.problem(401);
    app.request(
        Method::DELETE,
        &format!("{}/{}", check_ins_path(), ada.id),
        None,
        None,
    )
    .await
    .problem(401);
    app.get(&format!("/api/v1/events/{SLUG}/catering"))
        .await
        .problem(401);
    check_in(&app, &admin, json!({ "code": "A" }))
        .await
        .problem(404);
    app.get_as(&admin, "/api/v1/events/no-such-event/check-ins")
        .await
        .problem(404);
}

#[actix_web::test]
async fn the_qr_code_of_the_manage_page_reads_back_as_the_code_that_checks_the_person_in() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;
    let ben = registrant(&app, &admin, "Ben Okafor").await;

    let res = app
        .get(&format!("/api/v1/manage/{}/checkin.png", ada.manage))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("content-type").as_deref(), Some("image/png"));
    assert!(res
        .header("cache-control")
        .is_some_and(|c| c.contains("no-store")));
    let image = image::load_from_memory_with_format(&res.body, image::ImageFormat::Png)
        .expect("a PNG")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (_, decoded) = grids[0].decode().expect("the QR code decodes");
    assert_eq!(Some(&decoded), ada.code.as_ref());

    let res = check_in(&app, &admin, json!({ "code": decoded })).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["id"], ada.id.as_str());

    // Waitlisted: no seat, so no code to show at the door.
    app.get(&format!("/api/v1/manage/{}/checkin.png", ben.manage))
        .await
        .problem(404);
    let random = convene::domain::SecretToken::generate();
    app.get(&format!("/api/v1/manage/{}/checkin.png", random.expose()))
        .await
        .problem(404);
}

/// The code in the QR code that `mail`'s HTML shows by `cid:`, read back from the image
/// as a phone at the door would.
fn qr_code_in(mail: &crate::smtp::ReceivedEmail) -> String {
    let image = mail
        .attachments
        .iter()
        .find(|a| a.content_type.starts_with("image/png"))
        .unwrap_or_else(|| panic!("'{}' has no PNG", mail.subject));
    let cid = image.content_id.as_deref().expect("an inline image");
    assert!(
        mail.html.contains(&format!("src=\"cid:{cid}\"")),
        "the HTML shows the image: {}",
        mail.html
    );
    assert!(
        mail.raw.contains("multipart/related"),
        "the image is related to the HTML, not a file to open"
    );
    let image = image::load_from_memory_with_format(&image.bytes, image::ImageFormat::Png)
        .expect("a PNG")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("the QR code decodes").1
}

#[actix_web::test]
async fn the_qr_code_in_the_confirmation_and_promotion_emails_checks_the_person_in() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 1).await;
    let ada = registrant(&app, &admin, "Ada Lovelace").await;
    let ben = registrant(&app, &admin, "Ben Okafor").await;

    let mail = app.wait_for_email("ada.lovelace@example.org").await;
    let code = qr_code_in(&mail);
    assert_eq!(
        Some(&code),
        ada.code.as_ref(),
        "the code stored, not another"
    );
    // Also in text, in groups of four, for a desk that types it.
    let grouped = format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]);
    assert!(mail.text.contains(&grouped), "{}", mail.text);
    assert!(mail.html.contains(&grouped), "{}", mail.html);
    assert!(
        mail.attachments.iter().any(|a| a.filename == "event.ics"),
        "the calendar file is still attached"
    );
    let res = check_in(&app, &admin, json!({ "code": code })).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["id"], ada.id.as_str());

    // Waitlisted: no code yet. When a seat opens up, the promotion email brings it.
    let waitlisted = app.wait_for_email("ben.okafor@example.org").await;
    assert!(waitlisted.attachments.is_empty());
    assert!(!waitlisted.raw.contains("multipart/related"));
    let res = app
        .post(&format!("/api/v1/manage/{}/cancel", ada.manage), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let promoted = app.wait_for_email("ben.okafor@example.org").await;
    assert!(
        promoted.subject.contains("A seat opened up"),
        "{}",
        promoted.subject
    );
    let code = qr_code_in(&promoted);
    let res = check_in(&app, &admin, json!({ "code": code })).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["registration"]["id"], ben.id.as_str());
}
