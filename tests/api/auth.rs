use actix_web::http::Method;
use convene::domain::organizer::Role;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, PASSWORD};

#[actix_web::test]
async fn an_organizer_signs_in_with_the_right_password_and_sees_themselves() {
    let app = spawn_app().await;
    app.create_organizer("Ada@Example.org", Role::Admin);

    let res = app.login("ada@example.org", PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let me = res.json();
    assert_eq!(me["email"], "ada@example.org");
    assert_eq!(me["role"], "admin");
    assert!(me.get("password_hash").is_none());

    let cookie = res.header("set-cookie").expect("a cookie");
    assert!(cookie.starts_with("convene_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.contains("Secure"),
        "plain http base URL: no Secure flag"
    );

    let session = crate::helpers::Session {
        cookie: cookie.split(';').next().unwrap().to_owned(),
        organizer: me,
    };
    let res = app.get_as(&session, "/api/v1/auth/me").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["email"], "ada@example.org");
}

#[actix_web::test]
async fn the_session_cookie_is_secure_when_the_service_is_served_over_https() {
    let app = spawn_app_with(&[("CONVENE_BASE_URL", "https://events.example.org")]).await;
    app.create_organizer("ada@example.org", Role::Admin);
    let res = app.login("ada@example.org", PASSWORD).await;
    assert!(res.header("set-cookie").unwrap().contains("Secure"));
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_organizer("ada@example.org", Role::Admin);

    let wrong = app
        .login("ada@example.org", "not the password at all")
        .await;
    let unknown = app
        .login("nobody@example.org", "not the password at all")
        .await;
    let (a, b) = (wrong.problem(401), unknown.problem(401));
    assert_eq!(a, b);
    assert!(wrong.header("set-cookie").is_none());
}

#[actix_web::test]
async fn a_login_without_fields_names_them() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "", "password": "" }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["email", "password"]);
}

#[actix_web::test]
async fn repeated_failed_logins_are_throttled_per_account() {
    let app = spawn_app().await;
    app.create_organizer("ada@example.org", Role::Admin);
    for _ in 0..5 {
        app.login("ada@example.org", "wrong password, again")
            .await
            .problem(401);
    }
    let res = app.login("ada@example.org", PASSWORD).await;
    res.problem(429);
    let retry: u64 = res
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry >= 1);
}

#[actix_web::test]
async fn repeated_failed_logins_are_throttled_per_address() {
    let app = spawn_app().await;
    for i in 0..20 {
        app.login(&format!("guess{i}@example.org"), "wrong password, again")
            .await
            .problem(401);
    }
    app.create_organizer("ada@example.org", Role::Admin);
    app.login("ada@example.org", PASSWORD).await.problem(429);
}

/// Two instances on one database. On PostgreSQL the login throttle counts the failures of
/// both together: one limit for all instances. On SQLite (one file, one instance in
/// production) each instance counts its own.
#[actix_web::test]
async fn two_instances_on_postgresql_share_one_login_throttle() {
    let first = spawn_app().await;
    first.create_organizer("ada@example.org", Role::Admin);
    let second = convene::startup::Application::build(crate::helpers::test_settings(
        &first.db.url,
        first.mail_dir.path(),
        &[],
    ))
    .await
    .expect("the second instance starts");
    let other = crate::helpers::Api::new(format!("http://127.0.0.1:{}", second.port()));
    let handle = second.handle();
    let running = actix_web::rt::spawn(second.run_until_stopped());

    // Five failures (the per-account limit), three on the first and two on the second.
    for i in 0..5 {
        let api: &crate::helpers::Api = if i % 2 == 0 { &first } else { &other };
        api.login("ada@example.org", "wrong password, again")
            .await
            .problem(401);
    }
    let shared = crate::helpers::backend_name() == "postgresql";
    for api in [&*first, &other] {
        let res = api.login("ada@example.org", PASSWORD).await;
        if shared {
            res.problem(429);
        } else {
            assert_eq!(res.status, 200, "{}", res.text());
        }
    }
    handle.stop(true).await;
    running.await.unwrap().unwrap();
}

/// Tries to sign in from the loopback address `from` (127.0.0.0/8 is all loopback, so a
/// test can be many clients): the status and `Retry-After`.
async fn login_from(
    app: &crate::helpers::TestApp,
    from: &str,
    email: &str,
    password: &str,
) -> (u16, Option<u64>) {
    let connector = awc::Connector::new().local_address(from.parse().expect("an address"));
    let client = awc::Client::builder().connector(connector).finish();
    let res = client
        .post(format!("{}/api/v1/auth/login", app.address))
        .send_json(&json!({ "email": email, "password": password }))
        .await
        .expect("the server answers");
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    (res.status().as_u16(), retry)
}

#[actix_web::test]
async fn wrong_passwords_from_other_addresses_do_not_keep_the_admin_out() {
    let app = spawn_app().await;
    app.create_organizer("ada@example.org", Role::Admin);
    // Four attackers, five wrong guesses each: each is stopped, for the full window.
    for i in 2..6 {
        let attacker = format!("127.0.0.{i}");
        for _ in 0..5 {
            let (status, _) = login_from(&app, &attacker, "ada@example.org", "guess").await;
            assert_eq!(status, 401);
        }
        let (status, retry) = login_from(&app, &attacker, "ada@example.org", "guess").await;
        assert_eq!(status, 429);
        assert!(retry.expect("Retry-After") > 800, "{retry:?}");
    }
    // From now on the account is slowed down for everyone: a fifth attacker is told to
    // wait seconds, not minutes.
    let (status, retry) = login_from(&app, "127.0.0.6", "ada@example.org", "guess").await;
    if status == 429 {
        assert!(retry.expect("Retry-After") <= 2, "{retry:?}");
    } else {
        assert_eq!(status, 401);
    }
    // Ada, at her own address, is at most slowed down for a moment: the true wait is
    // in Retry-After, and after it she is in.
    let (mut status, mut retry) = login_from(&app, "127.0.0.1", "ada@example.org", PASSWORD).await;
    if status == 429 {
        let wait = retry.take().expect("Retry-After");
        assert!(wait <= 2, "Ada was asked to wait {wait} s");
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        (status, _) = login_from(&app, "127.0.0.1", "ada@example.org", PASSWORD).await;
    }
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn after_logout_the_session_no_longer_works() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    assert_eq!(app.get_as(&admin, "/api/v1/auth/me").await.status, 200);
    let res = app
        .request(Method::POST, "/api/v1/auth/logout", None, Some(&admin))
        .await;
    assert_eq!(res.status, 204);
    assert!(res.header("set-cookie").unwrap().contains("Max-Age=0"));
    app.get_as(&admin, "/api/v1/auth/me").await.problem(401);
}

#[actix_web::test]
async fn anonymous_requests_to_organizer_endpoints_are_401() {
    let app = spawn_app().await;
    app.get("/api/v1/auth/me").await.problem(401);
    app.get("/api/v1/events").await.problem(401);
    app.get("/api/v1/audit-log").await.problem(401);
    app.post("/api/v1/events", &crate::helpers::event_body("summit-2027"))
        .await
        .problem(401);
}

#[actix_web::test]
async fn a_forged_session_cookie_is_401() {
    let app = spawn_app().await;
    let forged = crate::helpers::Session {
        cookie: format!(
            "convene_session={}",
            convene::domain::SecretToken::generate().expose()
        ),
        organizer: json!(null),
    };
    app.get_as(&forged, "/api/v1/auth/me").await.problem(401);
}

#[actix_web::test]
async fn a_disabled_organizer_can_neither_sign_in_nor_use_an_open_session() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = admin.organizer["id"].as_str().unwrap().to_owned();
    {
        let mut conn = app.pool.get().unwrap();
        convene::db::models::organizer::disable(&mut conn, &id).unwrap();
    }
    app.get_as(&admin, "/api/v1/auth/me").await.problem(401);
    let email = admin.organizer["email"].as_str().unwrap();
    app.login(email, PASSWORD).await.problem(401);
}

#[actix_web::test]
async fn a_write_from_another_origin_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let req = app
        .raw(Method::POST, "/api/v1/events")
        .insert_header(("cookie", admin.cookie.clone()))
        .insert_header(("origin", "https://evil.example"));
    let body = serde_json::to_vec(&crate::helpers::event_body("evil-event")).unwrap();
    app.send(req, Some(("application/json", body)))
        .await
        .problem(403);

    let req = app
        .raw(Method::POST, "/api/v1/auth/logout")
        .insert_header(("cookie", admin.cookie.clone()))
        .insert_header(("sec-fetch-site", "cross-site"));
    app.send(req, None).await.problem(403);
    assert_eq!(
        app.get_as(&admin, "/api/v1/auth/me").await.status,
        200,
        "the session survived"
    );

    // Our own origin is fine.
    let req = app
        .raw(Method::POST, "/api/v1/events")
        .insert_header(("cookie", admin.cookie.clone()))
        .insert_header(("origin", app.address.clone()));
    let body = serde_json::to_vec(&crate::helpers::event_body("own-event")).unwrap();
    assert_eq!(
        app.send(req, Some(("application/json", body))).await.status,
        201
    );
}

#[actix_web::test]
async fn a_form_post_is_refused_because_only_json_is_accepted() {
    let app = spawn_app().await;
    let req = app.raw(Method::POST, "/api/v1/auth/login");
    let res = app
        .send(
            req,
            Some((
                "application/x-www-form-urlencoded",
                b"email=a%40b.org&password=x".to_vec(),
            )),
        )
        .await;
    res.problem(415);
}

#[actix_web::test]
async fn a_login_address_with_a_nul_byte_is_a_field_error_not_a_database_error() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "a\u{0}b@example.org", "password": "whatever it is" }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["email"]);
}
