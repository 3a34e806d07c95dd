//! `/metrics` in the Prometheus text format: requests by route pattern, latency, the
//! outbox and email deliveries, and the optional bearer token.

use actix_web::http::Method;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::invitations::{invitation_token, invite, SLUG};

/// The value of the series whose line starts with `series` (name and labels) exactly.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let res = app.get("/metrics").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    res.text()
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_report_the_outbox() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/api/v1/invitations/{token}"))
                .await
                .status,
            200
        );
    }
    app.get("/api/v1/invitations/not-a-token")
        .await
        .problem(404);
    app.drain_outbox().await;

    let text = scrape(&app).await;
    // The pattern, never the path: tokens stay out of the figures.
    assert!(!text.contains(&token), "no token in the metrics");
    let route = r#"route="/api/v1/invitations/{token}",method="GET""#;
    assert_eq!(
        value(
            &text,
            &format!(r#"convene_http_requests_total{{{route},status="200"}}"#)
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!(r#"convene_http_requests_total{{{route},status="404"}}"#)
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            &format!(r#"convene_http_request_duration_seconds_count{{{route}}}"#)
        ),
        Some(4.0)
    );
    assert_eq!(
        value(
            &text,
            &format!(r#"convene_http_request_duration_seconds_bucket{{{route},le="+Inf"}}"#)
        ),
        Some(4.0)
    );
    assert_eq!(
        value(
            &text,
            r#"convene_http_requests_total{route="/api/v1/events",method="POST",status="201"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"convene_email_deliveries_total{outcome="sent"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"convene_outbox_emails{status="sent"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"convene_outbox_emails{status="pending"}"#),
        Some(0.0)
    );
    let backend = app.settings.database.url.backend_name();
    assert_eq!(
        value(
            &text,
            &format!(r#"convene_database_up{{backend="{backend}"}}"#)
        ),
        Some(1.0)
    );
    assert!(value(&text, "process_resident_memory_bytes").unwrap_or(0.0) > 1e6);
}

#[actix_web::test]
async fn failed_deliveries_are_counted() {
    let app = spawn_app().await;
    app.smtp.fail_permanently_at(crate::smtp::Stage::Rcpt);
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    app.drain_outbox().await;
    let text = scrape(&app).await;
    assert_eq!(
        value(&text, r#"convene_email_deliveries_total{outcome="failed"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"convene_email_deliveries_total{outcome="sent"}"#),
        Some(0.0)
    );
    assert_eq!(
        value(&text, r#"convene_outbox_emails{status="failed"}"#),
        Some(1.0)
    );
}

#[actix_web::test]
async fn with_a_metrics_token_only_its_bearer_may_read_the_metrics() {
    let secret = "scraper-secret-0123456789";
    let app = spawn_app_with(&[("CONVENE_METRICS_TOKEN", secret)]).await;
    app.get("/metrics").await.problem(401);
    let wrong = app
        .raw(Method::GET, "/metrics")
        .insert_header(("authorization", "Bearer not-the-secret"));
    app.send(wrong, None).await.problem(401);
    let right = app
        .raw(Method::GET, "/metrics")
        .insert_header(("authorization", format!("Bearer {secret}")));
    let res = app.send(right, None).await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains("convene_http_requests_total"));
}
