//! Backups and moving an event between databases, with the real binary:
//! `convene backup` (SQLite, while serving) or `pg_dump`/`pg_restore` (PostgreSQL), and
//! `convene export` / `convene import` from one backend to the other and back.

use std::process::{Command, Output};

use diesel::prelude::*;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::faults::{
    event_with_invitees, register_all, register_all_counting, report_figures, Outcome,
};
use crate::helpers::{
    backend_name, free_port, run_cli, spawn_app, token_of, Backend, ServerProcess, TestDatabase,
};
use crate::invitations::{invitation_token, invite, SLUG};
use crate::registration::registration_body;
use crate::smtp::TestSmtp;

/// Runs `convene ARGS` on the database `db`, which must succeed.
fn convene(db: &str, args: &[&str]) -> Output {
    let out = run_cli(db, args, None, "warn");
    assert!(
        out.status.success(),
        "convene {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The PostgreSQL client tools of the server the tests use.
fn pg_tool(name: &str) -> String {
    let debian = format!("/usr/lib/postgresql/15/bin/{name}");
    if std::path::Path::new(&debian).exists() {
        debian
    } else {
        name.to_owned()
    }
}

fn count(conn: &mut convene::db::DbConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .expect("count")
        .n
}

#[actix_web::test]
async fn a_backup_taken_while_serving_restores_into_a_working_database() {
    let db = TestDatabase::create();
    let smtp = TestSmtp::start().await;
    let mut server = ServerProcess::start(&db.url, &smtp, free_port(), &[]);
    server.ready().await;
    let (admin, people) =
        event_with_invitees(&server, &smtp, "backup-test", 100, "backup", 60).await;
    let addresses = vec![server.address.clone()];
    let first = register_all(&addresses, &people[..20], 8).await;
    assert!(first
        .values()
        .all(|o| matches!(o, Outcome::Acknowledged(_))));

    // The backup runs while registrations keep arriving: once the first of the rest
    // went through.
    let (acknowledged, mut acknowledgements) = watch::channel(0);
    let load = {
        let rest = people[20..].to_vec();
        let addresses = addresses.clone();
        actix_web::rt::spawn(async move {
            register_all_counting(&addresses, &rest, 8, acknowledged, None, true).await
        })
    };
    // An error means the load ended first; the backup is taken all the same.
    let _ = acknowledgements.wait_for(|n| *n >= 1).await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    let backup_arg = backup.display().to_string();
    let mut restored_db = None;
    let restored = match Backend::from_env() {
        Backend::Sqlite => {
            let out = convene(&db.url, &["backup", &backup_arg]);
            assert!(String::from_utf8_lossy(&out.stdout).contains("backed up"));
            // Restoring is copying the file to where the service expects its database.
            let target = dir.path().join("restored.db");
            std::fs::copy(&backup, &target).unwrap();
            format!("sqlite://{}", target.display())
        }
        Backend::Postgres { .. } => {
            let refused = run_cli(&db.url, &["backup", &backup_arg], None, "warn");
            assert!(!refused.status.success());
            assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
            let out = Command::new(pg_tool("pg_dump"))
                .args([
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    &backup_arg,
                    &db.url,
                ])
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let target = TestDatabase::create();
            let out = Command::new(pg_tool("pg_restore"))
                .args([
                    "--no-owner",
                    "--exit-on-error",
                    "--dbname",
                    &target.url,
                    &backup_arg,
                ])
                .output()
                .expect("pg_restore runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let url = target.url.clone();
            restored_db = Some(target);
            url
        }
    };
    let rest = load.await.expect("the load");
    assert!(rest.values().all(|o| matches!(o, Outcome::Acknowledged(_))));

    // The copy is consistent: whatever it holds, its counters agree with its rows.
    let url = convene::config::DatabaseUrl::parse(&restored).unwrap();
    let mut conn = convene::db::ConnectionFactory::new(url, convene::config::SqliteSync::Full)
        .connect()
        .expect("the restored database opens");
    let in_backup = count(&mut conn, "SELECT COUNT(*) AS n FROM registrations");
    let confirmed = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM registrations WHERE status = 'confirmed'",
    );
    let seats = count(
        &mut conn,
        "SELECT CAST(seats_taken AS BIGINT) AS n FROM events WHERE slug = 'backup-test'",
    );
    assert!((20..=60).contains(&in_backup), "{in_backup} registrations");
    assert_eq!(seats, confirmed, "the seat counter matches the rows");
    if restored.starts_with("sqlite") {
        assert_eq!(crate::faults::integrity_check(&mut conn), "ok");
    }

    // The restored database serves: the old links work, the organizers can sign in.
    let mut copy = ServerProcess::start(&restored, &smtp, free_port(), &[]);
    copy.ready().await;
    let (_, token) = &people[0];
    let res = copy.get(&format!("/api/v1/invitations/{token}")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "accepted");
    let res = copy
        .get_as(&admin, "/api/v1/events/backup-test/registrations?limit=100")
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["total"], in_backup);
    copy.kill();
    server.kill();
    drop(restored_db);

    report_figures(
        "backup_while_serving",
        backend_name(),
        &[
            ("registrations_acknowledged", "60".into()),
            ("registrations_in_backup", in_backup.to_string()),
            ("seats_taken_matches_rows", (seats == confirmed).to_string()),
        ],
    );
}

/// The export of `slug` from `db`, parsed.
fn export(db: &str, slug: &str) -> Value {
    let out = convene(db, &["export", "--event", slug]);
    serde_json::from_slice(&out.stdout).expect("the export is JSON")
}

/// Imports `data` into `db` with `convene import FILE`.
fn import(db: &str, data: &Value) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("event.json");
    std::fs::write(&file, serde_json::to_vec_pretty(data).unwrap()).unwrap();
    run_cli(db, &["import", &file.display().to_string()], None, "warn")
}

#[actix_web::test]
async fn an_event_moved_to_the_other_backend_and_back_keeps_its_data_and_its_links() {
    // An event with a bit of everything, on this run's backend.
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    for who in ["dana", "lee", "kim"] {
        invite(&app, &admin, SLUG, &format!("{who}@example.org")).await;
    }
    let dana = invitation_token(&app, "dana@example.org").await;
    let lee = invitation_token(&app, "lee@example.org").await;
    let kim = invitation_token(&app, "kim@example.org").await;
    let mut form = registration_body("dana@example.org");
    form["travel_scholarship"] = json!({
        "travelers": 2, "estimated_cost_cents": 180_000, "requested_amount_cents": 90_000,
        "justification": "Our travel budget is frozen this year.",
    });
    form["young_leader_nomination"] = json!({
        "full_name": "Sam Ortiz", "email": "sam@example.org", "title": "Policy Analyst",
        "organization": "City of Springfield", "reason": "Leads our youth council.",
    });
    let res = app
        .post(&format!("/api/v1/invitations/{dana}/registration"), &form)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let dana_manage = token_of(res.json()["manage_url"].as_str().unwrap());
    let res = app
        .post(
            &format!("/api/v1/invitations/{lee}/registration"),
            &registration_body("lee@example.org"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (scholarship, nomination): (String, String) = {
        use convene::db::schema::{nominations, scholarship_requests};
        let mut conn = app.pool.get().unwrap();
        (
            scholarship_requests::table
                .select(scholarship_requests::id)
                .first(&mut *conn)
                .unwrap(),
            nominations::table
                .select(nominations::id)
                .first(&mut *conn)
                .unwrap(),
        )
    };
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/scholarships/{scholarship}/decision"),
            &json!({ "decision": "approved", "awarded_amount_cents": 80_000 }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/nominations/{nomination}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .post(
            &format!("/api/v1/events/{SLUG}/invitation-requests"),
            &crate::invitation_requests::request_body("maria@example.org"),
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    app.drain_outbox().await;
    let stats = app
        .get_as(&admin, &format!("/api/v1/events/{SLUG}/stats"))
        .await
        .json();

    let original = export(&app.db.url, SLUG);
    assert_eq!(original["format"], "convene-event-export");
    for (table, n) in [
        ("invitations", 4), // three, and the young leader's
        ("registrations", 2),
        ("nominations", 1),
        ("scholarship_requests", 1),
        ("invitation_requests", 1),
    ] {
        assert_eq!(original[table].as_array().unwrap().len(), n, "{table}");
    }
    let text = original.to_string();
    for secret in [&dana, &lee, &kim, &dana_manage] {
        assert!(!text.contains(secret.as_str()), "tokens stay hashes");
    }

    // To the other backend (SQLite from PostgreSQL; from SQLite, a fresh SQLite file).
    let dir = tempfile::tempdir().unwrap();
    let other = format!("sqlite://{}", dir.path().join("moved.db").display());
    let out = import(&other, &original);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported event"));
    assert_eq!(export(&other, SLUG), original, "the same data, row for row");
    let again = import(&other, &original);
    assert!(!again.status.success(), "an event is imported once");
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // The links and accounts work on the new database.
    let smtp = TestSmtp::start().await;
    let mut moved = ServerProcess::start(&other, &smtp, free_port(), &[]);
    moved.ready().await;
    let res = moved.get(&format!("/api/v1/invitations/{kim}")).await;
    assert_eq!(
        res.status,
        200,
        "an open invitation's link still works: {}",
        res.text()
    );
    let res = moved.get(&format!("/api/v1/manage/{dana_manage}")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["scholarship"]["awarded_amount_cents"], 80_000);
    // The organizer signs in on the new database.
    let session = moved
        .session_for(admin.organizer["email"].as_str().unwrap())
        .await;
    let moved_stats = moved
        .get_json_as(&session, &format!("/api/v1/events/{SLUG}/stats"))
        .await;
    assert_eq!(moved_stats, stats, "the same figures");
    moved.kill();

    // And back into a fresh database of this run's backend.
    let back = TestDatabase::create();
    convene(&back.url, &["migrate"]);
    let out = import(&back.url, &export(&other, SLUG));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        export(&back.url, SLUG),
        original,
        "unchanged by the round trip"
    );

    report_figures(
        "export_import_round_trip",
        backend_name(),
        &[
            (
                "route",
                format!("{} -> sqlite -> {}", backend_name(), backend_name()),
            ),
            (
                "rows",
                original
                    .as_object()
                    .unwrap()
                    .values()
                    .filter_map(Value::as_array)
                    .map(Vec::len)
                    .sum::<usize>()
                    .to_string(),
            ),
            ("identical_after_round_trip", "true".into()),
        ],
    );
}
