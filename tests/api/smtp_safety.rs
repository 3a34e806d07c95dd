//! SMTP safety (PRODUCT.md E): credentials never cross a connection without TLS unless
//! the URL says `tls=opportunistic`, a misspelt setting stops the service at start
//! naming its variable, and every email is marked automatic with a Message-ID in the
//! sender's domain.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{spawn_app_with, TestDatabase};
use crate::outbox::{queue, test_email, wait_until_email};
use crate::smtp::{sent_message_id, TestSmtp, WAIT};

const PASSWORD: &str = "hunter2-smtp-secret";

/// `smtp://dana:PASSWORD@127.0.0.1:PORT` plus `query`, for the server `smtp`.
fn url_with_credentials(smtp: &TestSmtp, query: &str) -> String {
    let url = smtp
        .url()
        .replacen("smtp://", &format!("smtp://dana:{PASSWORD}@"), 1);
    format!("{url}{query}")
}

#[actix_web::test]
async fn smtp_credentials_are_not_sent_to_a_server_that_offers_no_starttls() {
    let server = TestSmtp::start().await;
    server.offer_auth();
    let url = url_with_credentials(&server, "");
    let app = spawn_app_with(&[("CONVENE_SMTP_URL", &url)]).await;
    let id = queue(&app, vec![test_email("dana@example.org", "Dana Whitfield")])
        .await
        .remove(0);

    let row = wait_until_email(&app, &id, "refused", |e| e.last_error.is_some()).await;
    assert_eq!(
        row.status, "pending",
        "retried, in case the server is fixed"
    );
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("does not offer STARTTLS"), "{error}");
    assert!(!error.contains(PASSWORD), "{error}");

    let commands = server.commands();
    assert!(
        commands.iter().any(|c| c.starts_with("EHLO")),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .all(|c| !c.to_ascii_uppercase().starts_with("AUTH") && !c.contains(PASSWORD)),
        "{commands:?}"
    );
    assert!(server.received().is_empty());
}

#[actix_web::test]
async fn smtp_credentials_go_in_the_clear_only_when_the_url_says_tls_opportunistic() {
    let server = TestSmtp::start().await;
    server.offer_auth();
    let url = url_with_credentials(&server, "?tls=opportunistic");
    let app = spawn_app_with(&[("CONVENE_SMTP_URL", &url)]).await;
    queue(&app, vec![test_email("dana@example.org", "Dana Whitfield")]).await;

    server
        .wait_for_emails_within("dana@example.org", 1, WAIT)
        .await;
    let auth: Vec<String> = server
        .commands()
        .into_iter()
        .filter(|c| c.to_ascii_uppercase().starts_with("AUTH"))
        .collect();
    assert_eq!(auth.len(), 1, "logged in once: {auth:?}");
}

#[actix_web::test]
async fn smtp_every_email_is_auto_submitted_with_a_message_id_in_the_senders_domain() {
    let app = spawn_app_with(&[("CONVENE_MAIL_FROM", "Events <events@mail.example.org>")]).await;
    let id = queue(&app, vec![test_email("dana@example.org", "Dana Whitfield")])
        .await
        .remove(0);

    let received = app.wait_for_email("dana@example.org").await;
    assert!(
        received
            .raw
            .contains("\r\nAuto-Submitted: auto-generated\r\n"),
        "{}",
        received.raw
    );
    assert!(received.message_id.ends_with("@mail.example.org>"));
    let row = wait_until_email(&app, &id, "sent", |e| e.status == "sent").await;
    assert_eq!(
        received.message_id,
        sent_message_id(&row.message_id, "mail.example.org")
    );
}

/// Runs `convene serve` with `vars` until it exits or `done` holds for what it wrote;
/// returns its exit code (None if it was still running and was stopped) and its output.
fn serve(vars: &[(&str, &str)], done: impl Fn(&str) -> bool) -> (Option<i32>, String) {
    let db = TestDatabase::create();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("log");
    let file = std::fs::File::create(&log).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_convene"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("CONVENE_BIND", "127.0.0.1:0")
        .env("CONVENE_MAIL_DIR", dir.path().join("mail"))
        .env("CONVENE_WORKERS", "1")
        .env("RUST_LOG", "info")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log file"))
        .stderr(file)
        .spawn()
        .expect("the binary runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return (status.code(), read());
        }
        if done(&read()) || std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (None, read());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn smtp_a_misspelt_tls_value_stops_the_service_with_exit_code_2_naming_the_variable() {
    let url = format!("smtp://dana:{PASSWORD}@127.0.0.1:2525?tls=require");
    let (code, output) = serve(&[("CONVENE_SMTP_URL", &url)], |_| false);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("invalid CONVENE_SMTP_URL"), "{output}");
    assert!(
        output.contains("tls=required"),
        "says what is accepted: {output}"
    );
    assert!(!output.contains(PASSWORD), "{output}");
}

#[test]
fn smtp_a_ca_file_that_is_missing_or_not_a_certificate_stops_the_service_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let not_a_certificate = dir.path().join("ca.pem");
    std::fs::write(&not_a_certificate, "not a certificate\n").expect("file");
    for path in [dir.path().join("missing.pem"), not_a_certificate] {
        let (code, output) = serve(
            &[
                ("CONVENE_SMTP_URL", "smtp://127.0.0.1:2525"),
                ("CONVENE_SMTP_CA_FILE", path.to_str().expect("path")),
            ],
            |_| false,
        );
        assert_eq!(code, Some(2), "{}: {output}", path.display());
        assert!(output.contains("invalid CONVENE_SMTP_CA_FILE"), "{output}");
    }
}

#[test]
fn smtp_the_start_up_log_names_the_tls_mode_and_never_the_password() {
    // Nothing is sent, so no server needs to listen there.
    let url = format!("smtp://dana:{PASSWORD}@127.0.0.1:2525");
    let ca = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/smtp-test-ca.pem"
    );
    let (code, output) = serve(
        &[
            ("CONVENE_SMTP_URL", &url),
            ("CONVENE_SMTP_CA_FILE", ca),
            ("CONVENE_SMTP_HELO", "mail.example.org"),
        ],
        |log| log.contains("email delivery"),
    );
    assert_eq!(code, None, "it started: {output}");
    let line = output
        .lines()
        .find(|l| l.contains("email delivery"))
        .unwrap_or_else(|| panic!("no start-up line about email: {output}"));
    assert!(line.contains("starttls-required"), "{line}");
    assert!(line.contains("smtp://127.0.0.1:2525"), "{line}");
    assert!(!output.contains(PASSWORD), "{output}");
}
