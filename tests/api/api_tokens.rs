//! API tokens: made by admins, shown once, sent as `Authorization: Bearer` wherever a
//! session is accepted (no `Origin` needed), scoped by role, never above their creator,
//! refused once revoked or expired or when their creator is disabled.

use std::time::Duration;

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{event_body, json_body, spawn_app, Session, TestApp, TestResponse};

/// A request sent with the token as its only credential, and no `Origin`.
async fn with_token(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> TestResponse {
    let req = app
        .raw(method, path)
        .insert_header(("authorization", format!("Bearer {token}")));
    app.send(req, body.map(json_body)).await
}

/// Makes a token as `admin` and returns its answer (the secret in `token`).
async fn make_token(app: &TestApp, admin: &Session, body: Value) -> Value {
    let res = app.post_as(admin, "/api/v1/auth/tokens", &body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

#[actix_web::test]
async fn an_admin_token_is_shown_once_and_works_for_a_post_without_a_session_or_origin() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let made = make_token(&app, &admin, json!({ "name": "CRM sync", "role": "admin" })).await;
    let secret = made["token"].as_str().expect("the secret").to_owned();
    assert!(secret.starts_with("cvt_"), "{secret}");
    assert_eq!(made["name"], "CRM sync");
    assert_eq!(made["role"], "admin");
    assert_eq!(made["status"], "active");
    assert!(made["expires_at"].is_null() && made["created_at"].is_string());
    let id = made["id"].as_str().expect("id");

    // Listed and shown, never with the secret.
    let list = app.get_as(&admin, "/api/v1/auth/tokens").await;
    assert_eq!(list.status, 200);
    assert!(!list.text().contains(&secret[4..]));
    assert_eq!(list.json()["items"][0]["id"], id);
    let one = app
        .get_as(&admin, &format!("/api/v1/auth/tokens/{id}"))
        .await;
    assert_eq!(one.status, 200);
    assert!(one.json().get("token").is_none());

    // A write with the token alone: no cookie, no Origin; even a foreign Origin does
    // not matter, since no browser sends this header for another site.
    let res = with_token(
        &app,
        &secret,
        Method::POST,
        "/api/v1/events",
        Some(&event_body("by-token")),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let req = app
        .raw(Method::POST, "/api/v1/events")
        .insert_header(("authorization", format!("Bearer {secret}")))
        .insert_header(("origin", "https://elsewhere.example"));
    let res = app
        .send(req, Some(json_body(&event_body("by-token-2"))))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let me = with_token(&app, &secret, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(me.json()["id"], admin.organizer["id"]);

    let made_log = app
        .audit_log(&admin, &format!("action=api_token.created&entity_id={id}"))
        .await;
    assert_eq!(made_log.len(), 1);
    assert!(!serde_json::to_string(&made_log)
        .expect("json")
        .contains(&secret[4..]));
}

#[actix_web::test]
async fn a_reviewer_token_cannot_do_what_only_admins_may() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, "scoped").await;
    let made = make_token(
        &app,
        &admin,
        json!({ "name": "reviews", "role": "reviewer" }),
    )
    .await;
    let secret = made["token"].as_str().expect("secret");
    let res = with_token(
        &app,
        secret,
        Method::GET,
        "/api/v1/events/scoped/invitations",
        None,
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    for (method, path, body) in [
        (Method::GET, "/api/v1/organizers", None),
        (Method::POST, "/api/v1/events", Some(event_body("not-mine"))),
        (Method::GET, "/api/v1/auth/tokens", None),
        (
            Method::POST,
            "/api/v1/auth/tokens",
            Some(json!({ "name": "escalate", "role": "admin" })),
        ),
    ] {
        let res = with_token(&app, secret, method.clone(), path, body.as_ref()).await;
        res.problem(403);
    }
}

#[actix_web::test]
async fn revoked_and_expired_tokens_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let made = make_token(&app, &admin, json!({ "name": "short", "role": "reviewer" })).await;
    let (secret, id) = (
        made["token"].as_str().expect("s"),
        made["id"].as_str().expect("id"),
    );
    assert_eq!(
        with_token(&app, secret, Method::GET, "/api/v1/auth/me", None)
            .await
            .status,
        200
    );
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{id}"),
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    with_token(&app, secret, Method::GET, "/api/v1/auth/me", None)
        .await
        .problem(401);
    let shown = app
        .get_json_as(&admin, &format!("/api/v1/auth/tokens/{id}"))
        .await;
    assert_eq!(shown["status"], "revoked");
    assert_eq!(
        app.audit_log(&admin, &format!("action=api_token.revoked&entity_id={id}"))
            .await
            .len(),
        1
    );
    // Revoking again is harmless; an unknown id is 404.
    let again = app
        .request(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{id}"),
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(again.status, 204);
    app.request(
        Method::DELETE,
        "/api/v1/auth/tokens/nope",
        None,
        Some(&admin),
    )
    .await
    .problem(404);

    let soon = chrono::Utc::now() + chrono::Duration::seconds(2);
    let made = make_token(
        &app,
        &admin,
        json!({ "name": "brief", "role": "admin", "expires_at": soon.to_rfc3339() }),
    )
    .await;
    let secret = made["token"].as_str().expect("s");
    assert_eq!(
        with_token(&app, secret, Method::GET, "/api/v1/auth/me", None)
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    with_token(&app, secret, Method::GET, "/api/v1/auth/me", None)
        .await
        .problem(401);
    // Malformed or unknown tokens are 401 too, before the body is judged.
    for bad in [
        "nonsense",
        "cvt_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE",
    ] {
        with_token(&app, bad, Method::POST, "/api/v1/events", Some(&json!({})))
            .await
            .problem(401);
    }
}

#[actix_web::test]
async fn a_token_never_outranks_its_creator() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let other_admin = app.admin().await;
    // Only admins make tokens: a reviewer asking for an admin token (or any) is 403.
    let reviewer = app.reviewer().await;
    app.post_as(
        &reviewer,
        "/api/v1/auth/tokens",
        &json!({ "name": "x", "role": "admin" }),
    )
    .await
    .problem(403);

    let made = make_token(&app, &admin, json!({ "name": "mine", "role": "admin" })).await;
    let secret = made["token"].as_str().expect("s");
    assert_eq!(
        with_token(&app, secret, Method::GET, "/api/v1/organizers", None)
            .await
            .status,
        200
    );
    // Its creator loses the admin role: so does the token, at once.
    let id = admin.organizer["id"].as_str().expect("id");
    let res = app
        .patch_as(
            &other_admin,
            &format!("/api/v1/organizers/{id}"),
            &json!({ "role": "reviewer" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    with_token(&app, secret, Method::GET, "/api/v1/organizers", None)
        .await
        .problem(403);
    let me = with_token(&app, secret, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(me.json()["role"], "reviewer");
    // Its creator is disabled: the token stops working.
    let res = app
        .patch_as(
            &other_admin,
            &format!("/api/v1/organizers/{id}"),
            &json!({ "disabled": true }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    with_token(&app, secret, Method::GET, "/api/v1/auth/me", None)
        .await
        .problem(401);
}

#[actix_web::test]
async fn bad_token_input_is_422_naming_each_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        (
            json!({ "name": " ", "role": "boss", "expires_at": "tomorrow" }),
            vec!["expires_at", "name", "role"],
        ),
        (
            json!({ "name": "x", "role": "admin", "expires_at": "2001-01-01T00:00:00Z" }),
            vec!["expires_at"],
        ),
        (json!({ "name": "x", "role": "boss" }), vec!["role"]),
        (json!({ "name": "x", "role": null }), vec!["role"]),
        (json!({ "role": "admin" }), vec!["name"]),
        (
            json!({ "name": "x".repeat(101), "role": "admin" }),
            vec!["name"],
        ),
    ];
    for (body, fields) in cases {
        let res = app.post_as(&admin, "/api/v1/auth/tokens", &body).await;
        assert_eq!(res.invalid_fields(), fields, "{body}");
    }
}

/// Found by schemathesis (`ignored_auth`): beside a good token it sent a made-up session
/// cookie, and the token was served because the cookie did not have the shape of one.
#[actix_web::test]
async fn a_bad_session_cookie_beside_a_good_token_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let made = make_token(&app, &admin, json!({ "name": "CRM sync", "role": "admin" })).await;
    let secret = made["token"].as_str().expect("secret");
    for cookie in [
        "not a session",
        "",
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE",
    ] {
        for (method, body) in [
            (Method::GET, None),
            (Method::POST, Some(event_body("forged"))),
        ] {
            let req = app
                .raw(method, "/api/v1/events")
                .insert_header(("authorization", format!("Bearer {secret}")))
                .insert_header((
                    "cookie",
                    format!("{}={cookie}", convene::auth::SESSION_COOKIE),
                ));
            let res = app.send(req, body.as_ref().map(json_body)).await;
            res.problem(401);
        }
    }
    // The token alone still works.
    let res = with_token(&app, secret, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(res.status, 200, "{}", res.text());
}
