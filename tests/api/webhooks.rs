//! Webhooks: an admin adds a hook (its secret shown once); the events of the changes are
//! posted to a real HTTP receiver in the test, signed as Standard Webhooks says, each at
//! least once and in order per registration, also when the receiver is down for a
//! while; deliveries are listed; a hook failing for 3 days is disabled.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::Method;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{bind_free_port, spawn_app_with, token_of, wait_until, Session, TestApp};
use crate::invitations::{invitation_body, invitation_token, SLUG};
use crate::registration::{register, registration_body};

const ALL_EVENTS: [&str; 8] = [
    "invitation.sent",
    "invitation.declined",
    "registration.created",
    "registration.cancelled",
    "registration.promoted",
    "nomination.decided",
    "scholarship.decided",
    "checkin.created",
];

/// Quick retries, so that a receiver's outage costs the test seconds.
const FAST: &[(&str, &str)] = &[
    ("CONVENE_WEBHOOK_RETRY_BASE_MS", "100"),
    ("CONVENE_WEBHOOK_RETRY_CAP_SECS", "1"),
    ("CONVENE_WEBHOOK_POLL_MS", "100"),
];

/// One request the receiver got, with whether its signature was right.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    body: Value,
    signature_ok: bool,
}

/// An HTTP server that records what is posted to it, checking each signature with the
/// hook's secret; it can be stopped and started again on the same port.
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    secret: Arc<Mutex<Vec<u8>>>,
    /// Requests still to be refused with 503 (recorded all the same).
    refuse: Arc<Mutex<u32>>,
    handle: Option<actix_web::dev::ServerHandle>,
}

fn verify(key: &[u8], id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    // The header may list several signatures, space-separated.
    header.split(' ').any(|s| s == expected)
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    got: web::Data<Arc<Mutex<Vec<Received>>>>,
    secret: web::Data<Arc<Mutex<Vec<u8>>>>,
    refuse: web::Data<Arc<Mutex<u32>>>,
) -> HttpResponse {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = header("webhook-id");
    let timestamp = header("webhook-timestamp");
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    let key = secret.lock().expect("lock").clone();
    let signature_ok = fresh && verify(&key, &id, &timestamp, &body, &header("webhook-signature"));
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    got.lock().expect("lock").push(Received {
        id,
        body,
        signature_ok,
    });
    let mut refuse = refuse.lock().expect("lock");
    if *refuse > 0 {
        *refuse -= 1;
        return HttpResponse::ServiceUnavailable().finish();
    }
    HttpResponse::NoContent().finish()
}

impl Receiver {
    fn new() -> Self {
        let port = bind_free_port().local_addr().expect("addr").port();
        Self {
            port,
            got: Arc::default(),
            secret: Arc::default(),
            refuse: Arc::default(),
            handle: None,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn start(&mut self) {
        let (got, secret, refuse) = (self.got.clone(), self.secret.clone(), self.refuse.clone());
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port)).expect("port");
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(got.clone()))
                .app_data(web::Data::new(secret.clone()))
                .app_data(web::Data::new(refuse.clone()))
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        self.handle = Some(server.handle());
        actix_web::rt::spawn(server);
    }

    async fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.stop(false).await;
        }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// The first arrival of each distinct delivery (`webhook-id`), in arrival order.
    fn distinct(&self) -> Vec<Received> {
        let mut seen = std::collections::HashSet::new();
        self.received()
            .into_iter()
            .filter(|r| seen.insert(r.id.clone()))
            .collect()
    }
}

/// Adds a hook for every event as `admin`; returns its id and secret.
async fn add_hook(app: &TestApp, admin: &Session, url: &str) -> (String, String) {
    let res = app
        .post_as(
            admin,
            "/api/v1/webhooks",
            &json!({ "url": url, "events": ALL_EVENTS }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let hook = res.json();
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(STANDARD.decode(&secret[6..]).expect("base64").len(), 32);
    (hook["id"].as_str().expect("id").to_owned(), secret)
}

/// Invites `email` and registers them; returns the registration id and manage token.
async fn invite_and_register(app: &TestApp, admin: &Session, email: &str) -> (String, String) {
    let res = app
        .post_as(
            admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body(email, "Guest"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let token = invitation_token(app, email).await;
    let res = register(app, &token, &registration_body(email)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    let manage = token_of(body["manage_url"].as_str().expect("manage_url"));
    (
        body["registration"]["id"].as_str().expect("id").to_owned(),
        manage,
    )
}

/// The position of the first `type` event about `key` (`registration_id` or `invitation_id`).
fn position(got: &[Received], kind: &str, field: &str, id: &str) -> Option<usize> {
    got.iter()
        .position(|r| r.body["type"] == kind && r.body["data"][field] == id)
}

#[actix_web::test]
async fn every_event_arrives_signed_in_order_and_survives_the_receiver_being_down() {
    let app = spawn_app_with(FAST).await;
    let admin = app.admin().await;
    app.create_event_with(&admin, SLUG, json!({ "capacity": 1 }))
        .await;
    let mut receiver = Receiver::new();
    receiver.start();
    let (hook_id, secret) = add_hook(&app, &admin, &receiver.url()).await;
    *receiver.secret.lock().expect("lock") = STANDARD.decode(&secret[6..]).expect("key");

    // Ada takes the one seat; Ben is waitlisted.
    let (ada, ada_manage) = invite_and_register(&app, &admin, "ada@example.org").await;
    let (ben, _) = invite_and_register(&app, &admin, "ben@example.org").await;
    wait_until(
        "4 deliveries",
        Duration::from_secs(20),
        async || match receiver.distinct().len() {
            n if n >= 4 => Ok(()),
            n => Err(format!("{n} so far: {:?}", receiver.distinct())),
        },
    )
    .await;

    // The receiver goes down; meanwhile Ada cancels (Ben is promoted), Ben is checked in,
    // and Cy declines an invitation.
    receiver.stop().await;
    let res = app
        .post(&format!("/api/v1/manage/{ada_manage}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/check-ins"),
            &json!({ "registration_id": ben }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body("cy@example.org", "Cy"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let cy = res.json()["id"].as_str().expect("id").to_owned();
    let cy_token = invitation_token(&app, "cy@example.org").await;
    let res = app
        .post(
            &format!("/api/v1/invitations/{cy_token}/decline"),
            &json!({}),
        )
        .await;
    assert!(res.status < 300, "{}", res.text());
    // Attempts fail while it is down, and are listed as such.
    let path = format!("/api/v1/webhooks/{hook_id}/deliveries");
    wait_until("failed attempts", Duration::from_secs(20), async || {
        let list = app.get_json_as(&admin, &path).await;
        let retrying = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|d| d["status"] == "retrying" && d["attempts"].as_i64() >= Some(2))
            .count();
        if retrying > 0 {
            Ok(())
        } else {
            Err(list.to_string())
        }
    })
    .await;
    let hook = app
        .get_json_as(&admin, &format!("/api/v1/webhooks/{hook_id}"))
        .await;
    assert!(hook["failing_since"].is_string(), "{hook}");
    tokio::time::sleep(Duration::from_secs(1)).await;

    receiver.start();
    let expected = [
        ("invitation.sent", "invitation_id", cy.as_str()),
        ("invitation.declined", "invitation_id", cy.as_str()),
        ("registration.created", "registration_id", ada.as_str()),
        ("registration.cancelled", "registration_id", ada.as_str()),
        ("registration.created", "registration_id", ben.as_str()),
        ("registration.promoted", "registration_id", ben.as_str()),
        ("checkin.created", "registration_id", ben.as_str()),
    ];
    wait_until("every event", Duration::from_secs(30), async || {
        let got = receiver.distinct();
        let missing: Vec<_> = expected
            .iter()
            .filter(|(k, f, id)| position(&got, k, f, id).is_none())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing {missing:?}"))
        }
    })
    .await;

    let all = receiver.received();
    assert!(
        all.iter().all(|r| r.signature_ok),
        "a bad signature: {all:?}"
    );
    let got = receiver.distinct();
    // In order per registration (and per invitation before there is one).
    for pair in expected
        .chunks(2)
        .take(2)
        .chain([&expected[4..6], &expected[5..7]])
    {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            position(&got, a.0, a.1, a.2) < position(&got, b.0, b.1, b.2),
            "{} came after {}: {got:?}",
            a.0,
            b.0
        );
    }
    let promoted =
        &got[position(&got, "registration.promoted", "registration_id", &ben).expect("promoted")];
    assert_eq!(promoted.body["data"]["status"], "confirmed");
    assert!(promoted.body["timestamp"].is_string());

    // Every delivery is listed as delivered with the receiver's answer; the hook is healthy.
    wait_until("all delivered", Duration::from_secs(20), async || {
        let list = app.get_json_as(&admin, &path).await;
        let items = list["items"].as_array().expect("items").clone();
        let done = items
            .iter()
            .all(|d| d["status"] == "delivered" && d["last_response_code"] == 204);
        if done && list["total"].as_i64() >= Some(7) {
            Ok(())
        } else {
            Err(list.to_string())
        }
    })
    .await;
    let hook = app
        .get_json_as(&admin, &format!("/api/v1/webhooks/{hook_id}"))
        .await;
    assert!(hook["failing_since"].is_null(), "{hook}");
    receiver.stop().await;
}

#[actix_web::test]
async fn hooks_are_for_admins_their_secret_is_shown_once_and_bad_input_is_named() {
    let app = spawn_app_with(FAST).await;
    let admin = app.admin().await;
    let reviewer = app.reviewer().await;
    let body = json!({ "url": "https://crm.example.org/hook", "events": ["registration.created"] });
    app.post_as(&reviewer, "/api/v1/webhooks", &body)
        .await
        .problem(403);
    app.get_as(&reviewer, "/api/v1/webhooks").await.problem(403);

    let given = format!("whsec_{}", STANDARD.encode([7u8; 24]));
    let mut with_secret = body.clone();
    with_secret["secret"] = json!(given);
    let res = app.post_as(&admin, "/api/v1/webhooks", &with_secret).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["secret"], given);
    let id = res.json()["id"].as_str().expect("id").to_owned();
    let list = app.get_as(&admin, "/api/v1/webhooks").await;
    assert!(!list.text().contains(&given[6..]), "{}", list.text());
    let shown = app
        .get_json_as(&admin, &format!("/api/v1/webhooks/{id}"))
        .await;
    assert!(shown.get("secret").is_none());
    assert_eq!(shown["events"], json!(["registration.created"]));
    assert_eq!(
        app.audit_log(&admin, &format!("action=webhook.created&entity_id={id}"))
            .await
            .len(),
        1
    );

    for (bad, fields) in [
        (
            json!({ "url": "ftp://x.org", "events": ["party"] }),
            vec!["events.0", "url"],
        ),
        (
            json!({ "url": "https://x.org", "events": [] }),
            vec!["events"],
        ),
        (
            json!({ "url": "https://x.org", "events": ["checkin.created", "checkin.created"] }),
            vec!["events.1"],
        ),
        (
            json!({ "url": "https://x.org", "events": ["checkin.created"], "secret": "short" }),
            vec!["secret"],
        ),
        (
            json!({ "url": null, "events": ["checkin.created"] }),
            vec!["url"],
        ),
        (json!({ "url": "https://x.org" }), vec!["events"]),
    ] {
        let res = app.post_as(&admin, "/api/v1/webhooks", &bad).await;
        assert_eq!(res.invalid_fields(), fields, "{bad}");
    }

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    app.get_as(&admin, &format!("/api/v1/webhooks/{id}"))
        .await
        .problem(404);
    app.get_as(&admin, &format!("/api/v1/webhooks/{id}/deliveries"))
        .await
        .problem(404);
}

#[actix_web::test]
async fn a_hook_failing_for_three_days_is_disabled() {
    use convene::db::schema::webhooks;
    use diesel::prelude::*;

    let app = spawn_app_with(FAST).await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    // Nothing listens there.
    let receiver = Receiver::new();
    let (hook_id, _) = add_hook(&app, &admin, &receiver.url()).await;
    let long_ago = convene::db::now() - chrono::Duration::hours(73);
    diesel::update(webhooks::table.find(&hook_id))
        .set(webhooks::failing_since.eq(Some(long_ago)))
        .execute(&mut app.pool.get().expect("connection"))
        .expect("update");
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body("dee@example.org", "Dee"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    wait_until(
        "the hook to be disabled",
        Duration::from_secs(20),
        async || {
            let hook = app
                .get_json_as(&admin, &format!("/api/v1/webhooks/{hook_id}"))
                .await;
            if hook["status"] == "disabled" {
                Ok(hook)
            } else {
                Err(hook.to_string())
            }
        },
    )
    .await;
    let list = app
        .get_json_as(&admin, &format!("/api/v1/webhooks/{hook_id}/deliveries"))
        .await;
    assert_eq!(list["items"][0]["status"], "failed", "{list}");
    assert!(list["items"][0]["last_response_code"].is_null());
}

#[actix_web::test]
async fn decisions_are_sent_only_to_the_hooks_that_want_them() {
    let app = spawn_app_with(FAST).await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let mut receiver = Receiver::new();
    receiver.start();
    let res = app
        .post_as(
            &admin,
            "/api/v1/webhooks",
            &json!({
                "url": receiver.url(),
                "events": ["nomination.decided", "scholarship.decided"],
            }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let secret = res.json()["secret"].as_str().expect("secret").to_owned();
    *receiver.secret.lock().expect("lock") = STANDARD.decode(&secret[6..]).expect("key");

    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body("dana@example.org", "Dana"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let token = invitation_token(&app, "dana@example.org").await;
    let mut form = registration_body("dana@example.org");
    form["young_leader_nomination"] = json!({
        "full_name": "Sam Ortiz", "email": "sam@example.org", "title": "Policy Analyst",
        "organization": "City of Springfield", "reason": "Leads our open data work.",
    });
    form["travel_scholarship"] = json!({
        "travelers": 2, "estimated_cost_cents": 180_000, "requested_amount_cents": 90_000,
        "justification": "Our travel budget is frozen this year.",
    });
    let res = register(&app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let registration = res.json()["registration"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let nominations = app
        .get_json_as(&admin, &format!("/api/v1/events/{SLUG}/nominations"))
        .await;
    let nomination = nominations["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/nominations/{nomination}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let scholarships = app
        .get_json_as(&admin, &format!("/api/v1/events/{SLUG}/scholarships"))
        .await;
    let scholarship = scholarships["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/scholarships/{scholarship}/decision"),
            &json!({ "decision": "approved", "awarded_amount_cents": 50_000 }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    let got = wait_until("both decisions", Duration::from_secs(20), async || {
        let got = receiver.distinct();
        if got.len() >= 2 {
            Ok(got)
        } else {
            Err(format!("{got:?}"))
        }
    })
    .await;
    // Nothing else (the invitations sent, the registration) went to this hook.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_all = receiver.distinct();
    assert_eq!(got_all.len(), 2, "{got_all:?}");
    assert!(receiver.received().iter().all(|r| r.signature_ok));
    let n = &got[position(&got, "nomination.decided", "registration_id", &registration)
        .expect("nomination")];
    assert_eq!(n.body["data"]["nomination_id"], nomination.as_str());
    assert_eq!(n.body["data"]["status"], "approved");
    let s = &got[position(
        &got,
        "scholarship.decided",
        "registration_id",
        &registration,
    )
    .expect("scholarship")];
    assert_eq!(s.body["data"]["scholarship_id"], scholarship.as_str());
    assert_eq!(s.body["data"]["awarded_amount_cents"], 50_000);
    // Thin payloads: no names or addresses leave in a webhook.
    for r in &got_all {
        let text = r.body.to_string();
        assert!(
            !text.contains("example.org") && !text.contains("Dana"),
            "{text}"
        );
    }
    receiver.stop().await;
}

#[actix_web::test]
async fn a_receiver_answering_errors_gets_the_delivery_again_until_it_accepts_it() {
    let app = spawn_app_with(FAST).await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let mut receiver = Receiver::new();
    *receiver.refuse.lock().expect("lock") = 3;
    receiver.start();
    let (hook_id, secret) = add_hook(&app, &admin, &receiver.url()).await;
    *receiver.secret.lock().expect("lock") = STANDARD.decode(&secret[6..]).expect("key");
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation_body("eve@example.org", "Eve"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let path = format!("/api/v1/webhooks/{hook_id}/deliveries");
    let delivered = wait_until(
        "the delivery to be accepted",
        Duration::from_secs(20),
        async || {
            let list = app.get_json_as(&admin, &path).await;
            let d = list["items"][0].clone();
            if d["status"] == "delivered" {
                Ok(d)
            } else {
                Err(list.to_string())
            }
        },
    )
    .await;
    assert_eq!(delivered["attempts"], 4, "{delivered}");
    assert_eq!(delivered["last_response_code"], 204);
    assert_eq!(delivered["event_type"], "invitation.sent");
    // Four attempts of one delivery: the same webhook-id and body, each signed anew.
    let got = receiver.received();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got
        .iter()
        .all(|r| r.id == got[0].id && r.body == got[0].body && r.signature_ok));
    assert_eq!(delivered["id"], got[0].id.as_str());
    receiver.stop().await;
}
