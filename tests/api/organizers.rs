use serde_json::json;

use crate::helpers::{spawn_app, PASSWORD};

#[actix_web::test]
async fn an_admin_adds_a_reviewer_who_can_then_sign_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({ "email": "Rita@Example.org", "name": "Rita Reviewer", "role": "reviewer", "password": PASSWORD });
    let res = app.post_as(&admin, "/api/v1/organizers", &body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["email"], "rita@example.org");
    assert_eq!(res.json()["role"], "reviewer");
    assert_eq!(
        app.login("rita@example.org", PASSWORD).await.json()["role"],
        "reviewer"
    );

    app.post_as(&admin, "/api/v1/organizers", &body)
        .await
        .problem(409);
    let list = app.get_as(&admin, "/api/v1/organizers").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_new_organizer_needs_a_valid_email_name_and_long_password() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({ "email": "nope", "name": " ", "role": "reviewer", "password": "short" });
    let res = app.post_as(&admin, "/api/v1/organizers", &body).await;
    assert_eq!(res.invalid_fields(), ["email", "name", "password"]);
    let res = app
        .post_as(
            &admin,
            "/api/v1/organizers",
            &json!({ "email": "a@b.org", "name": "A", "role": "owner", "password": PASSWORD }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["role"]);
}

#[actix_web::test]
async fn an_admin_changes_a_role_and_disables_an_account() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let reviewer = app.reviewer().await;
    let id = reviewer.organizer["id"].as_str().unwrap();

    let res = app
        .patch_as(
            &admin,
            &format!("/api/v1/organizers/{id}"),
            &json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(res.json()["role"], "admin");
    let res = app
        .patch_as(
            &admin,
            &format!("/api/v1/organizers/{id}"),
            &json!({ "disabled": true }),
        )
        .await;
    assert_eq!(res.json()["disabled"], true);
    app.login(reviewer.organizer["email"].as_str().unwrap(), PASSWORD)
        .await
        .problem(401);

    let log = app
        .get_as(&admin, &format!("/api/v1/audit-log?entity_id={id}"))
        .await
        .json();
    assert_eq!(
        log["items"].as_array().unwrap().len(),
        3,
        "created, role changed, disabled"
    );
}

#[actix_web::test]
async fn an_admin_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = admin.organizer["id"].as_str().unwrap();
    app.patch_as(
        &admin,
        &format!("/api/v1/organizers/{id}"),
        &json!({ "disabled": true }),
    )
    .await
    .problem(409);
    app.patch_as(
        &admin,
        &format!("/api/v1/organizers/{id}"),
        &json!({ "role": "reviewer" }),
    )
    .await
    .problem(409);
}

#[actix_web::test]
async fn a_reviewer_cannot_manage_organizers() {
    let app = spawn_app().await;
    let reviewer = app.reviewer().await;
    app.get_as(&reviewer, "/api/v1/organizers")
        .await
        .problem(403);
    let body =
        json!({ "email": "x@example.org", "name": "X", "role": "admin", "password": PASSWORD });
    app.post_as(&reviewer, "/api/v1/organizers", &body)
        .await
        .problem(403);
}
