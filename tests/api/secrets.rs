//! Secrets stay out of logs and Referer headers. The real binary runs a whole story with
//! its logs at DEBUG, and every secret and personal detail of the story is looked for in
//! what it wrote: tokens, the session cookie, passwords, the registrant's email and phone.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{
    free_port, run_cli, session_from, token_from, token_of, ServerProcess, TestDatabase,
    TestResponse,
};
use crate::smtp::{TestSmtp, WAIT};

const PASSWORD: &str = "violet-kumquat-tessellation-8841";
const WRONG_PASSWORD: &str = "marigold-quince-isthmus-2207";
const INVITEE: &str = "dana.whitfield.private@example.org";
const PHONE: &str = "+1 617 555 0142";
const NEW_PHONE: &str = "+1 617 555 0199";
const NOMINEE: &str = "sam.ortiz.private@example.org";
const SLUG: &str = "logs-summit";

/// Runs the binary's command line with its logs at DEBUG; returns all it wrote.
fn cli(db_url: &str, args: &[&str], stdin: &str) -> String {
    let out = run_cli(db_url, args, Some(stdin), "debug");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The log as text: terminal colour codes could split a value in two.
fn without_colours(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // ESC [ ... m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn assert_no_referrer(res: &TestResponse, what: &str) {
    assert_eq!(
        res.header("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what} must not leak its address (which carries the token) in a Referer"
    );
}

#[actix_web::test]
async fn a_whole_story_logged_at_debug_leaves_no_secret_in_the_log() {
    let db = TestDatabase::create();
    let smtp = TestSmtp::start().await;
    let cli_log = cli(
        &db.url,
        &[
            "organizer",
            "create",
            "--email",
            "chief@example.org",
            "--name",
            "Chief Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let mut server = ServerProcess::start(&db.url, &smtp, free_port(), &[("RUST_LOG", "debug")]);
    server.ready().await;

    // A failed and a successful login.
    let res = server.login("chief@example.org", WRONG_PASSWORD).await;
    assert_eq!(res.status, 401, "{}", res.text());
    let session = session_from(&server.login("chief@example.org", PASSWORD).await);
    let session_value = session.cookie.split_once('=').unwrap().1.to_owned();
    let admin = Some(&session);

    server.create_event(&session, SLUG).await;
    let invitation = json!({
        "email": INVITEE, "full_name": "Dana Whitfield", "title": "City Manager",
        "community": { "name": "Springfield", "state": "IL" },
    });
    let path = format!("/api/v1/events/{SLUG}/invitations");
    let res = server
        .request(Method::POST, &path, Some(&invitation), admin)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());

    // The invitee follows the link in the email.
    let mail = smtp
        .wait_for_emails_within(INVITEE, 1, WAIT)
        .await
        .remove(0);
    let invitation_token = token_from(&mail);
    let page = server
        .request(
            Method::GET,
            &format!("/invite/{invitation_token}"),
            None,
            None,
        )
        .await;
    assert_eq!(page.status, 200);
    assert_no_referrer(&page, "the invitation page");
    let res = server
        .request(
            Method::GET,
            &format!("/api/v1/invitations/{invitation_token}"),
            None,
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_no_referrer(&res, "the invitation API answer");

    // A form with a mistake naming personal details, then the right one.
    let mut form = json!({
        "full_name": "Dana Whitfield", "email": INVITEE, "title": "City Manager",
        "organization": "City of Springfield",
        "community": { "name": "Springfield", "state": "IL" },
        "phone": [PHONE],
    });
    let register = format!("/api/v1/invitations/{invitation_token}/registration");
    let res = server
        .request(Method::POST, &register, Some(&form), None)
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    form["phone"] = json!(PHONE);
    let res = server
        .request(Method::POST, &register, Some(&form), None)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let manage_token = token_of(res.json()["manage_url"].as_str().unwrap());

    let page = server
        .request(Method::GET, &format!("/manage/{manage_token}"), None, None)
        .await;
    assert_eq!(page.status, 200);
    assert_no_referrer(&page, "the manage page");
    let manage = format!("/api/v1/manage/{manage_token}");
    let res = server.request(Method::GET, &manage, None, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_no_referrer(&res, "the manage API answer");
    let res = server
        .request(
            Method::PATCH,
            &manage,
            Some(&json!({ "phone": NEW_PHONE })),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let nomination = json!({
        "full_name": "Sam Ortiz", "email": NOMINEE, "title": "Policy Analyst",
        "organization": "City of Springfield", "reason": "A rising leader in our city.",
    });
    let res = server
        .request(
            Method::POST,
            &format!("{manage}/nomination"),
            Some(&nomination),
            None,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    // Wrong tokens of both kinds, as a guesser would send.
    for path in [
        format!("/api/v1/invitations/{manage_token}"),
        format!("/api/v1/manage/{invitation_token}"),
    ] {
        assert_eq!(
            server.request(Method::GET, &path, None, None).await.status,
            404
        );
    }
    // The organizers approve the nomination: the young leader is invited by email.
    let list = server
        .request(
            Method::GET,
            &format!("/api/v1/events/{SLUG}/nominations"),
            None,
            admin,
        )
        .await
        .json();
    let id = list["items"][0]["id"]
        .as_str()
        .expect("a nomination")
        .to_owned();
    let approve = format!("/api/v1/events/{SLUG}/nominations/{id}/approve");
    let res = server
        .request(Method::POST, &approve, Some(&json!({})), admin)
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    // Every email has gone out (the worker logs its sends too).
    smtp.wait_for_emails_within(INVITEE, 3, WAIT).await;
    let nominee_token = token_from(&smtp.wait_for_emails_within(NOMINEE, 1, WAIT).await[0]);
    let res = server
        .request(Method::POST, "/api/v1/auth/logout", None, admin)
        .await;
    assert!(res.status < 300, "{}", res.text());

    server.stop().await;
    let log = without_colours(&server.log_text());
    assert!(
        log.contains("DEBUG") && log.contains("request finished"),
        "the log is at DEBUG and covers the requests: {log}"
    );
    let secrets = [
        ("the invitation token", invitation_token.as_str()),
        ("the manage token", manage_token.as_str()),
        (
            "the young leader's invitation token",
            nominee_token.as_str(),
        ),
        ("the session cookie", session_value.as_str()),
        ("the password", PASSWORD),
        ("the mistyped password", WRONG_PASSWORD),
        ("the registrant's email", INVITEE),
        ("the registrant's phone", PHONE),
        ("the registrant's new phone", NEW_PHONE),
        ("the nominee's email", NOMINEE),
    ];
    for (what, secret) in secrets {
        assert!(
            !log.contains(secret),
            "{what} ({secret}) appears in the server's log:\n{log}"
        );
    }
    assert!(
        !cli_log.contains(PASSWORD),
        "the CLI logged the password: {cli_log}"
    );
}
