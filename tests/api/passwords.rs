//! An organizer's password: changed while signed in (other sessions end), and reset by
//! an emailed link that works once, runs out, and ends every session; asking for a link
//! tells nobody whether an address has an account.

use convene::domain::organizer::Role;
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{session_from, spawn_app, token_of, PASSWORD};

const NEW_PASSWORD: &str = "a brand new passphrase";

#[actix_web::test]
async fn a_forgotten_password_is_reset_once_through_the_emailed_link() {
    let app = spawn_app().await;
    app.create_organizer("ada@example.org", Role::Admin);
    let before = app.session_for("ada@example.org").await;

    let asked = app
        .post(
            "/api/v1/auth/password-reset",
            &json!({ "email": "ADA@example.org " }),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    // An address without an account gets the very same answer, and no email.
    let unknown = app
        .post(
            "/api/v1/auth/password-reset",
            &json!({ "email": "nobody@example.org" }),
        )
        .await;
    assert_eq!(unknown.status, 202);
    assert_eq!(unknown.json(), asked.json());
    app.post("/api/v1/auth/password-reset", &json!({ "email": "" }))
        .await
        .problem(422);

    let email = app.wait_for_email("ada@example.org").await;
    assert!(email.subject.contains("new password"), "{}", email.subject);
    let token = token_of(&email.link_containing("/admin/reset-password/"));
    app.assert_no_email_to("nobody@example.org").await;
    // The link opens the page that sets the password.
    let page = app.get(&format!("/admin/reset-password/{token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("new password"), "{}", page.text());

    let path = format!("/api/v1/auth/password-reset/{token}");
    let res = app.post(&path, &json!({ "new_password": "short" })).await;
    assert_eq!(res.invalid_fields(), ["new_password"]);
    let res = app
        .post(&path, &json!({ "new_password": NEW_PASSWORD }))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());

    // Every session has ended; the old password is gone, the new one works.
    app.get_as(&before, "/api/v1/auth/me").await.problem(401);
    app.login("ada@example.org", PASSWORD).await.problem(401);
    assert_eq!(app.login("ada@example.org", NEW_PASSWORD).await.status, 200);
    // Once only.
    let again = app
        .post(&path, &json!({ "new_password": "yet another passphrase" }))
        .await;
    again.problem(410);
    app.post(
        "/api/v1/auth/password-reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &json!({ "new_password": NEW_PASSWORD }),
    )
    .await
    .problem(404);
    let admin = session_from(&app.login("ada@example.org", NEW_PASSWORD).await);
    let log = app
        .audit_log(&admin, "action=organizer.password_reset")
        .await;
    assert_eq!(log.len(), 1);
}

#[actix_web::test]
async fn a_reset_link_runs_out_after_an_hour() {
    use convene::db::schema::password_resets;
    let app = spawn_app().await;
    app.create_organizer("ada@example.org", Role::Admin);
    app.post(
        "/api/v1/auth/password-reset",
        &json!({ "email": "ada@example.org" }),
    )
    .await;
    let email = app.wait_for_email("ada@example.org").await;
    let token = token_of(&email.link_containing("/admin/reset-password/"));
    let an_hour_ago = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(61);
    diesel::update(password_resets::table)
        .set((
            password_resets::created_at.eq(an_hour_ago),
            password_resets::expires_at.eq(an_hour_ago + chrono::Duration::minutes(60)),
        ))
        .execute(&mut app.pool.get().unwrap())
        .unwrap();
    let res = app
        .post(
            &format!("/api/v1/auth/password-reset/{token}"),
            &json!({ "new_password": NEW_PASSWORD }),
        )
        .await;
    assert!(res.problem_detail(410).contains("run out"));
    assert_eq!(app.login("ada@example.org", PASSWORD).await.status, 200);
}

#[actix_web::test]
async fn a_changed_password_ends_the_other_sessions_but_not_this_one() {
    let app = spawn_app().await;
    app.create_organizer("ada@example.org", Role::Admin);
    let here = app.session_for("ada@example.org").await;
    let elsewhere = app.session_for("ada@example.org").await;

    let res = app
        .post_as(
            &here,
            "/api/v1/auth/password",
            &json!({ "current_password": "not my password", "new_password": "tiny" }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["current_password", "new_password"]);
    let res = app
        .post_as(
            &here,
            "/api/v1/auth/password",
            &json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_eq!(app.get_as(&here, "/api/v1/auth/me").await.status, 200);
    app.get_as(&elsewhere, "/api/v1/auth/me").await.problem(401);
    app.login("ada@example.org", PASSWORD).await.problem(401);
    assert_eq!(app.login("ada@example.org", NEW_PASSWORD).await.status, 200);
    app.post(
        "/api/v1/auth/password",
        &json!({ "current_password": NEW_PASSWORD, "new_password": NEW_PASSWORD }),
    )
    .await
    .problem(401);
}
