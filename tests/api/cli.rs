//! The command line, run as the real binary.

use crate::helpers::{run_cli, spawn_app, TestDatabase, PASSWORD};

fn convene(db: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    run_cli(db, args, stdin, "warn")
}

#[actix_web::test]
async fn an_admin_made_with_the_cli_can_sign_in() {
    let app = spawn_app().await;
    let out = convene(
        &app.db.url,
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
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("chief@example.org"));

    let res = app.login("chief@example.org", PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["role"], "admin");

    let out = convene(&app.db.url, &["organizer", "list"], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("chief@example.org\tadmin\tactive"));

    let new_password = "a brand new passphrase";
    let out = convene(
        &app.db.url,
        &[
            "organizer",
            "set-password",
            "--email",
            "chief@example.org",
            "--password-stdin",
        ],
        Some(new_password),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.login("chief@example.org", PASSWORD).await.problem(401);
    assert_eq!(
        app.login("chief@example.org", new_password).await.status,
        200
    );

    let out = convene(
        &app.db.url,
        &["organizer", "disable", "--email", "chief@example.org"],
        None,
    );
    assert!(out.status.success());
    app.login("chief@example.org", new_password)
        .await
        .problem(401);
}

#[test]
fn a_short_password_or_a_taken_email_is_refused_by_the_cli() {
    let db = TestDatabase::create();
    let create = [
        "organizer",
        "create",
        "--email",
        "a@example.org",
        "--name",
        "A",
        "--role",
        "reviewer",
        "--password-stdin",
    ];
    let out = convene(&db.url, &create, Some("short"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12"));
    assert!(convene(&db.url, &create, Some(PASSWORD)).status.success());
    let out = convene(&db.url, &create, Some(PASSWORD));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[test]
fn a_bad_database_url_is_a_clear_error_and_a_nonzero_exit() {
    let out = convene("mysql://localhost/x", &["migrate"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid DATABASE_URL"));
}

#[test]
fn migrate_applies_the_migrations_once() {
    let db = TestDatabase::create();
    let first = convene(&db.url, &["migrate"], None);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(!String::from_utf8_lossy(&first.stdout).starts_with("applied 0"));
    let second = convene(&db.url, &["migrate"], None);
    assert!(String::from_utf8_lossy(&second.stdout).starts_with("applied 0 migration(s)"));
}
