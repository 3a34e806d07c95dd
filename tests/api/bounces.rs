//! Bounces (issue 19): a delivery status notification (RFC 3464) posted to `/bounces`
//! with the bounce token marks the email it returns `bounced`, and its invitation shows it.

use actix_web::http::Method;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, TestApp, TestResponse};
use crate::invitations::{invite, SLUG};
use crate::smtp::ReceivedEmail;

pub const BOUNCE_TOKEN: &str = "a-long-bounce-token-for-tests";
const PATH: &str = "/api/v1/bounces";

/// A report as Postfix writes it for an unknown local user, returning the whole message.
pub fn bounce_report(returned_message: &str, recipient: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r\n\
         To: no-reply@example.org\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"4F1C2A.1733335200/mail.example.org\"\r\n\
         \r\n\
         This is a MIME-encapsulated message.\r\n\
         \r\n\
         --4F1C2A.1733335200/mail.example.org\r\n\
         Content-Description: Notification\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         I'm sorry to have to inform you that your message could not\r\n\
         be delivered to one or more recipients.\r\n\
         \r\n\
         --4F1C2A.1733335200/mail.example.org\r\n\
         Content-Description: Delivery report\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mail.example.org\r\n\
         X-Postfix-Queue-ID: 4F1C2A\r\n\
         Arrival-Date: Fri,  4 Dec 2026 18:00:00 +0000 (UTC)\r\n\
         \r\n\
         Final-Recipient: rfc822; {recipient}\r\n\
         Original-Recipient: rfc822;{recipient}\r\n\
         Action: failed\r\n\
         Status: 5.1.1\r\n\
         Diagnostic-Code: X-Postfix; unknown user: \"nobody\"\r\n\
         \r\n\
         --4F1C2A.1733335200/mail.example.org\r\n\
         Content-Description: Undelivered Message\r\n\
         Content-Type: message/rfc822\r\n\
         \r\n\
         {returned_message}\r\n\
         --4F1C2A.1733335200/mail.example.org--\r\n"
    )
}

async fn post_bounce(app: &TestApp, token: Option<&str>, body: &str) -> TestResponse {
    let mut req = app.raw(Method::POST, PATH);
    if let Some(token) = token {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    app.send(req, Some(("message/rfc822", body.as_bytes().to_vec())))
        .await
}

/// An app that accepts bounces, with an event and an invitation to `to` sent; the email.
async fn invited(to: &str) -> (TestApp, crate::helpers::Session, Value, ReceivedEmail) {
    let app = spawn_app_with(&[("CONVENE_BOUNCE_TOKEN", BOUNCE_TOKEN)]).await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let invitation = invite(&app, &admin, SLUG, to).await;
    let mail = app.wait_for_email(to).await;
    app.drain_outbox().await;
    (app, admin, invitation, mail)
}

async fn invitation_of(app: &TestApp, admin: &crate::helpers::Session, id: &str) -> Value {
    app.get_json_as(admin, &format!("/api/v1/events/{SLUG}/invitations/{id}"))
        .await
}

#[actix_web::test]
async fn a_bounce_for_a_sent_invitation_marks_its_email_bounced_and_the_invitation_shows_it() {
    let (app, admin, invitation, mail) = invited("nobody@example.org").await;
    let id = invitation["id"].as_str().unwrap();
    assert_eq!(
        invitation_of(&app, &admin, id).await["email_status"],
        "sent"
    );

    let res = post_bounce(
        &app,
        Some(BOUNCE_TOKEN),
        &bounce_report(&mail.raw, "nobody@example.org"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["outcome"], "bounced");
    let email_id = res.json()["email_id"].as_str().unwrap().to_owned();

    let shown = invitation_of(&app, &admin, id).await;
    assert_eq!(shown["email_status"], "bounced");
    // The invitation itself stays sent: its link still works if the address is fixed.
    assert_eq!(shown["status"], "sent");
    let list = app
        .get_json_as(&admin, &format!("/api/v1/events/{SLUG}/invitations"))
        .await;
    assert_eq!(list["items"][0]["email_status"], "bounced");
    let emails = app
        .get_json_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/emails?status=bounced"),
        )
        .await;
    assert_eq!(emails["total"], 1, "{emails}");
    assert_eq!(emails["items"][0]["id"], email_id.as_str());
    let reason = emails["items"][0]["last_error"].as_str().unwrap();
    assert!(
        reason.contains("5.1.1") && reason.contains("unknown user"),
        "{reason}"
    );
    let stats = app
        .get_json_as(&admin, &format!("/api/v1/events/{SLUG}/stats"))
        .await;
    assert_eq!(stats["emails"]["bounced"], 1, "{stats}");
    let audit = app
        .audit_log(
            &admin,
            &format!("action=email.bounced&entity_id={email_id}"),
        )
        .await;
    assert_eq!(audit.len(), 1, "{audit:?}");

    // The same report again (a retried pipe) changes nothing.
    let again = post_bounce(
        &app,
        Some(BOUNCE_TOKEN),
        &bounce_report(&mail.raw, "nobody@example.org"),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["outcome"], "already_bounced");
    assert_eq!(
        app.audit_log(
            &admin,
            &format!("action=email.bounced&entity_id={email_id}")
        )
        .await
        .len(),
        1
    );
}

#[actix_web::test]
async fn a_bounce_that_returns_only_the_headers_is_matched_too() {
    let (app, admin, invitation, mail) = invited("nobody@example.org").await;
    let headers = mail.raw.split("\r\n\r\n").next().unwrap().to_owned() + "\r\n";
    let report = bounce_report(&headers, "nobody@example.org").replacen(
        "Content-Type: message/rfc822",
        "Content-Type: text/rfc822-headers",
        1,
    );
    let res = post_bounce(&app, Some(BOUNCE_TOKEN), &report).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["outcome"], "bounced");
    let id = invitation["id"].as_str().unwrap();
    assert_eq!(
        invitation_of(&app, &admin, id).await["email_status"],
        "bounced"
    );
}

#[actix_web::test]
async fn a_bounce_for_a_message_we_never_sent_is_accepted_and_changes_nothing() {
    let (app, admin, invitation, mail) = invited("dana@example.org").await;
    let stranger = mail
        .raw
        .replace(&mail.message_id, "<not-ours-1234@elsewhere.example>");
    let res = post_bounce(
        &app,
        Some(BOUNCE_TOKEN),
        &bounce_report(&stranger, "dana@example.org"),
    )
    .await;
    // 200, not 4xx: a mail server's pipe would retry a refused report, or bounce it back.
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["outcome"], "unknown_message");
    assert!(res.json()["email_id"].is_null());
    let id = invitation["id"].as_str().unwrap();
    assert_eq!(
        invitation_of(&app, &admin, id).await["email_status"],
        "sent"
    );

    // A delay notice about our email is no bounce either.
    let delayed = bounce_report(&mail.raw, "dana@example.org")
        .replace("Action: failed", "Action: delayed")
        .replace("Status: 5.1.1", "Status: 4.4.1");
    let res = post_bounce(&app, Some(BOUNCE_TOKEN), &delayed).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["outcome"], "not_a_failure");
    assert_eq!(
        invitation_of(&app, &admin, id).await["email_status"],
        "sent"
    );
}

#[actix_web::test]
async fn a_body_that_is_no_delivery_report_is_a_clear_400_or_422() {
    let (app, _admin, _invitation, mail) = invited("dana@example.org").await;
    for not_mail in ["", "\u{1}\u{2}"] {
        let res = post_bounce(&app, Some(BOUNCE_TOKEN), not_mail).await;
        res.problem(400);
    }
    // An email, but not a report: the invitation itself, posted by mistake.
    let res = post_bounce(&app, Some(BOUNCE_TOKEN), &mail.raw).await;
    res.problem(422);
    assert_eq!(res.invalid_fields(), ["body"]);
    // A report whose delivery status names no recipient.
    let report = bounce_report(&mail.raw, "dana@example.org")
        .replace("Final-Recipient: rfc822; dana@example.org\r\n", "");
    let res = post_bounce(&app, Some(BOUNCE_TOKEN), &report).await;
    res.problem(422);
    assert_eq!(res.invalid_fields(), ["body"]);
}

#[actix_web::test]
async fn bounces_need_the_bounce_token_and_are_not_accepted_without_the_setting() {
    let (app, admin, invitation, mail) = invited("nobody@example.org").await;
    let report = bounce_report(&mail.raw, "nobody@example.org");
    for token in [None, Some("a-long-but-wrong-bounce-token"), Some("")] {
        let res = post_bounce(&app, token, &report).await;
        res.problem(401);
    }
    // An organizer's session is not the bounce token.
    let req = app
        .raw_as(Method::POST, PATH, Some(&admin))
        .insert_header(("origin", app.address.clone()));
    app.send(req, Some(("message/rfc822", report.clone().into_bytes())))
        .await
        .problem(401);
    let id = invitation["id"].as_str().unwrap();
    assert_eq!(
        invitation_of(&app, &admin, id).await["email_status"],
        "sent"
    );

    let off = spawn_app().await;
    let res = post_bounce(&off, Some(BOUNCE_TOKEN), &report).await;
    let detail = res.problem_detail(404);
    assert!(detail.contains("CONVENE_BOUNCE_TOKEN"), "{detail}");
}
