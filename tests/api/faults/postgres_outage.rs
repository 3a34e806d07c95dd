//! PostgreSQL stopped under load and started again: clean 503s while it is down, the
//! pool recovers by itself, nothing acknowledged is lost. The test runs its own
//! throwaway PostgreSQL server (scripts/pg-test-server.sh), whichever backend the run
//! uses, so scripts/test.sh runs it once, in the PostgreSQL pass; `cargo test` leaves
//! it out.

use std::process::Command;
use std::time::{Duration, Instant};

use super::*;

/// A PostgreSQL cluster of this test's own, removed on drop.
struct OwnPostgres {
    dir: String,
    port: String,
    url: String,
}

fn script() -> String {
    format!("{}/scripts/pg-test-server.sh", env!("CARGO_MANIFEST_DIR"))
}

impl OwnPostgres {
    fn start() -> Self {
        let out = Command::new("bash")
            .args([&script(), "start"])
            .output()
            .expect("bash runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "cannot start PostgreSQL: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let var = |name: &str| {
            text.split(';')
                .find_map(|part| part.trim().strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} in {text}"))
                .to_owned()
        };
        Self {
            dir: var("PG_TEST_DIR"),
            port: var("PG_TEST_PORT"),
            url: var("CONVENE_TEST_DATABASE_URL"),
        }
    }

    /// Runs pg_ctl as the cluster's owner with these arguments.
    fn pg_ctl(&self, args: &str) {
        let status = Command::new("bash")
            .args([
                "-c",
                &format!(
                    r#"source "$1" && PG_TEST_DIR="$2" _pg_test_as_owner "$(pg_test_bindir)/pg_ctl" -D "$2/data" {args}"#
                ),
                "pg_ctl",
                &script(),
                &self.dir,
                &self.port,
            ])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("bash runs");
        assert!(status.success(), "pg_ctl {args} failed");
    }

    /// Stops the server at once, as a crash or a failover would: open connections break.
    fn stop(&self) {
        self.pg_ctl("-m immediate -w stop");
    }

    fn restart(&self) {
        self.pg_ctl(
            r#"-l "$2/postgres.log" -w -t 60 -o "-p $3 -k $2 -c listen_addresses=127.0.0.1" start"#,
        );
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .args([&script(), "stop", &self.dir])
            .status();
    }
}

/// Asserts a clean 503: problem+json with `Retry-After`.
fn assert_unavailable(res: &TestResponse, what: &str) {
    assert_eq!(res.status, 503, "{what}: {}", res.text());
    res.problem(503);
    assert!(res.header("retry-after").is_some(), "{what}: Retry-After");
}

#[actix_web::test]
#[ignore = "needs PostgreSQL's server programs; scripts/test.sh runs it in the PostgreSQL pass"]
async fn requests_fail_cleanly_while_postgresql_is_down_and_the_pool_recovers_by_itself() {
    let pg = OwnPostgres::start();
    let smtp = TestSmtp::start().await;
    let mut server = ServerProcess::start(
        &pg.url,
        &smtp,
        free_port(),
        &[
            ("CONVENE_DB_WAIT_MS", "1000"),
            ("CONVENE_DB_POOL_SIZE", "6"),
            SHORT_CLAIMS,
        ],
    );
    server.ready().await;
    let (_, people) = event_with_invitees(&server, &smtp, "outage-test", 200, "outage", 60).await;
    let tokens: Vec<String> = people.iter().map(|(_, t)| t.clone()).collect();
    let addresses = vec![server.address.clone()];

    // The invitee's page, read before, while and after the database is down (on
    // PostgreSQL by a thread with a connection of its own, `db::read_together`).
    let page = format!("/api/v1/invitations/{}", people[45].1);
    assert_eq!(server.get(&page).await.status, 200);
    // Load before the outage.
    let before = register_all(&addresses, &people[..20], 8).await;
    assert!(before
        .values()
        .all(|o| matches!(o, Outcome::Acknowledged(_))));

    // The outage starts under load: once the first of these registrations went through.
    let during_people = people[20..40].to_vec();
    let (acknowledged, mut acknowledgements) = watch::channel(0);
    let load = {
        let addresses = addresses.clone();
        // No retries here: the 503s are what this part of the test looks at.
        actix_web::rt::spawn(async move {
            register_all_counting(&addresses, &during_people, 8, acknowledged, None, false).await
        })
    };
    // An error means the load ended first; the database goes away all the same.
    let _ = acknowledgements.wait_for(|n| *n >= 1).await;
    pg.stop();
    let down_at = Instant::now();
    let during = load.await.expect("the load");
    for (email, outcome) in &during {
        match outcome {
            Outcome::Acknowledged(_) => {}
            Outcome::Refused(503, _) => {}
            other => panic!("{email}: {other:?} while the database went away"),
        }
    }

    // While it is down: every answer a clean 503, quickly.
    let readyz = server.get("/readyz").await;
    assert_unavailable(&readyz, "/readyz");
    // The scraper still gets its figures, and sees the database down.
    let metrics = server.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .text()
        .contains("convene_database_up{backend=\"postgresql\"} 0\n"));
    let mut slowest = Duration::ZERO;
    let mut refused_while_down = 0;
    for (email, token) in &people[40..50] {
        let started = Instant::now();
        let res = server
            .post(
                &format!("/api/v1/invitations/{token}/registration"),
                &registration_form(email),
            )
            .await;
        slowest = slowest.max(started.elapsed());
        assert_unavailable(&res, "a registration");
        refused_while_down += 1;
    }
    let started = Instant::now();
    assert_unavailable(&server.get(&page).await, "an invitation page");
    slowest = slowest.max(started.elapsed());
    let health = server.get("/healthz").await;
    assert_eq!(health.status, 200, "the process itself stays alive");
    let down_for = down_at.elapsed();

    // Back: the pool reconnects by itself, with no restart of the service.
    pg.restart();
    let back_at = Instant::now();
    wait_until(
        "the service to be ready after the database came back",
        Duration::from_secs(30),
        async || {
            let res = server.get("/readyz").await;
            match res.status {
                200 => Ok(()),
                _ => Err(res.text()),
            }
        },
    )
    .await;
    let recovered_in = back_at.elapsed();
    // The page's reading thread kept its connection from before the outage: the first
    // read after it finds that connection closed and reads again on a new one.
    let again = server.get(&page).await;
    assert_eq!(again.status, 200, "{}", again.text());

    // Everyone not acknowledged tries again; nothing acknowledged was lost.
    let acknowledged: Vec<String> = people[..40]
        .iter()
        .filter(|(e, _)| {
            matches!(
                before.get(e).or(during.get(e)),
                Some(Outcome::Acknowledged(_))
            )
        })
        .map(|(_, t)| t.clone())
        .collect();
    let mut conn = server.connect();
    let after = stored(&mut conn, "outage-test", &tokens);
    let lost = acknowledged
        .iter()
        .filter(|t| !after.registered_tokens.contains(*t))
        .count();
    assert_eq!(lost, 0, "acknowledged registrations lost");
    let retry: Vec<(String, String)> = people
        .iter()
        .filter(|(e, _)| {
            !matches!(
                before.get(e).or(during.get(e)),
                Some(Outcome::Acknowledged(_))
            )
        })
        .cloned()
        .collect();
    let again = register_all(&addresses, &retry, 8).await;
    for (email, outcome) in &again {
        match outcome {
            Outcome::Acknowledged(_) => {}
            Outcome::Refused(409, body) if body.contains("already registered") => {}
            other => panic!("{email}: {other:?} after the database came back"),
        }
    }
    outbox_drained(&mut conn, Duration::from_secs(60)).await;
    // A copy sent twice would have been in flight with the first one: a graceful stop
    // waits for every send in flight.
    server.stop().await;
    let end = stored(&mut conn, "outage-test", &tokens);
    assert_eq!(end.registered_tokens.len(), people.len());
    assert_eq!(end.invitations_registered_twice, 0);
    assert!(unsent_emails(&mut conn).is_empty());
    let mail = one_confirmation_each(&smtp, &people);

    let during_503 = during
        .values()
        .filter(|o| matches!(o, Outcome::Refused(503, _)))
        .count();
    report_figures(
        "postgres_outage",
        "postgresql",
        &[
            ("requests_acknowledged", acknowledged.len().to_string()),
            ("refused_503_while_going_down", during_503.to_string()),
            ("refused_503_while_down", refused_while_down.to_string()),
            ("slowest_503_ms", slowest.as_millis().to_string()),
            ("down_ms", down_for.as_millis().to_string()),
            ("ready_again_after_ms", recovered_in.as_millis().to_string()),
            (
                "registered_in_the_end",
                end.registered_tokens.len().to_string(),
            ),
            ("emails_delivered", mail.delivered.to_string()),
            ("duplicates", mail.duplicated.len().to_string()),
            ("redelivered_same_message_id", mail.redelivered.to_string()),
            ("lost", lost.to_string()),
        ],
    );
}
