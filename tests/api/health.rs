use crate::helpers::spawn_app;

#[actix_web::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["status"], "ok");
}

#[actix_web::test]
async fn readyz_checks_the_database() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status, 200);
    let expected = if app.db.url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgresql"
    };
    assert_eq!(res.json()["database"], expected);
}

#[actix_web::test]
async fn every_answer_carries_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(
        res.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(
        res.header("referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert!(res
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(res.header("x-request-id").map(|v| v.len()), Some(36));
}

#[actix_web::test]
async fn an_unknown_address_is_a_problem_json_404() {
    let app = spawn_app().await;
    app.get("/api/v1/nothing-here").await.problem(404);
    app.get("/nothing-here").await.problem(404);
}
