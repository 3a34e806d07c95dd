//! The group commit (`db::group_commit`) on a real database: many writers at once, some
//! failing, one panicking; each answer must match what was committed. On PostgreSQL,
//! the tables it wrote are vacuumed once its commits pause.

use std::future::Future;
use std::time::Duration;

use convene::config::{DatabaseUrl, SqliteSync};
use convene::db::group_commit::GroupCommit;
use convene::db::models::audit::{self, Actor, Entry};
use convene::db::schema::audit_log;
use convene::db::{self, ConnectionFactory};
use convene::AppError;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::helpers::{as_one_batch, wait_until, TestDatabase};

fn factory(db: &TestDatabase) -> ConnectionFactory {
    ConnectionFactory::new(DatabaseUrl::parse(&db.url).unwrap(), SqliteSync::Full)
}

/// A fresh database for a test of PostgreSQL only (run in its pass).
fn a_postgresql_database() -> TestDatabase {
    let db = TestDatabase::create();
    assert!(
        db.url.starts_with("postgres"),
        "PostgreSQL only: {}",
        db.url
    );
    db
}

/// A fresh database with the service's tables, and a group committer on it.
fn migrated_with_a_committer() -> (TestDatabase, GroupCommit) {
    let db = TestDatabase::create();
    db::run_migrations(&mut db.connect()).unwrap();
    let commits = GroupCommit::start(factory(&db)).unwrap();
    (db, commits)
}

fn record(conn: &mut db::DbConnection, action: &str) -> Result<(), AppError> {
    audit::record(
        conn,
        &Actor::cli(),
        Entry::new(action, "test", action, None),
    )
}

fn committed_actions(db: &TestDatabase) -> Vec<String> {
    let mut actions: Vec<String> = audit_log::table
        .filter(audit_log::entity_type.eq("test"))
        .select(audit_log::action)
        .load(&mut db.connect())
        .unwrap();
    actions.sort();
    actions
}

#[actix_web::test]
async fn a_failing_write_rolls_back_alone_and_the_rest_of_its_batch_commits() {
    let (db, commits) = migrated_with_a_committer();

    let writes: Vec<_> = (0..60)
        .map(|i| {
            let commits = commits.clone();
            actix_web::rt::spawn(async move {
                commits
                    .run(move |conn| {
                        let action = format!("write-{i:02}");
                        record(conn, &action)?;
                        if i % 3 == 0 {
                            // Wrote a row, then failed: the row must go with its savepoint.
                            return Err(AppError::conflict("refused"));
                        }
                        Ok(action)
                    })
                    .await
            })
        })
        .collect();

    let mut succeeded: Vec<String> = Vec::new();
    for (i, write) in writes.into_iter().enumerate() {
        match write.await.unwrap() {
            Ok(action) => succeeded.push(action),
            Err(AppError::Conflict(_)) => assert_eq!(i % 3, 0, "write {i} failed"),
            Err(e) => panic!("write {i}: unexpected error {e:?}"),
        }
    }
    assert_eq!(succeeded.len(), 40);
    assert_eq!(
        committed_actions(&db),
        succeeded,
        "exactly the 2xx writes are stored"
    );
}

#[actix_web::test]
async fn a_panicking_write_fails_its_batch_without_committing_it_and_later_writes_go_on() {
    let (db, commits) = migrated_with_a_committer();

    // Hold the committer in a first batch so that the next three land in one batch.
    let (started, has_started) = tokio::sync::oneshot::channel::<()>();
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let held = commits.clone();
    let first = actix_web::rt::spawn(async move {
        held.run(move |conn| {
            started.send(()).unwrap();
            hold.recv().unwrap();
            record(conn, "first")
        })
        .await
    });
    has_started.await.unwrap();
    let mut batch = std::pin::pin!(futures_util::future::join3(
        commits.run(|conn| record(conn, "before-panic")),
        commits.run(|_| -> Result<(), AppError> { panic!("a bug in a write") }),
        commits.run(|conn| record(conn, "after-panic")),
    ));
    // `run` queues its write when first polled: after one poll the three are queued
    // behind the held batch, in this order.
    std::future::poll_fn(|cx| {
        assert!(
            batch.as_mut().poll(cx).is_pending(),
            "held behind the first"
        );
        std::task::Poll::Ready(())
    })
    .await;
    release.send(()).unwrap();
    let (before, panicked, after) = batch.await;

    first.await.unwrap().expect("the first write commits");
    for (name, answer) in [
        ("before", before),
        ("panicking", panicked),
        ("after", after),
    ] {
        assert!(
            matches!(answer, Err(AppError::Unavailable(_))),
            "the {name} write must fail: {answer:?}"
        );
    }
    commits.run(|conn| record(conn, "later")).await.unwrap();
    assert_eq!(committed_actions(&db), ["first", "later"]);
}

#[actix_web::test]
async fn a_write_whose_statement_the_database_refused_is_taken_back_alone_in_its_batch() {
    let (db, commits) = migrated_with_a_committer();
    let one = |name: &'static str| commits.run(move |conn| record(conn, name));
    let answers = as_one_batch(&commits, async {
        tokio::join!(
            one("first"),
            // Wrote a row, then a statement the database refused: on PostgreSQL the
            // transaction is aborted until its savepoint is rolled back.
            commits.run(|conn| {
                record(conn, "refused")?;
                conn.batch_execute("SELECT * FROM no_such_table")?;
                Ok(())
            }),
            // A write's own nested transaction, failed and taken back, inside its savepoint.
            commits.run(|conn| {
                record(conn, "nested")?;
                let inner: Result<(), AppError> = conn.transaction(|c| {
                    record(c, "inner")?;
                    c.batch_execute("SELECT * FROM no_such_table")?;
                    Ok(())
                });
                assert!(inner.is_err());
                Ok(())
            }),
            one("last"),
        )
    })
    .await;
    let (first, refused, nested, last) = answers;
    assert!(
        first.is_ok() && nested.is_ok() && last.is_ok(),
        "{first:?} {nested:?} {last:?}"
    );
    assert!(refused.is_err(), "the refused write must fail: {refused:?}");
    assert_eq!(committed_actions(&db), ["first", "last", "nested"]);
    // The committer's connection is fine for the next batch.
    commits.run(|conn| record(conn, "later")).await.unwrap();
    assert_eq!(committed_actions(&db), ["first", "last", "later", "nested"]);
}

/// A kind whose items may be written after the writes that came after them: each call of
/// `write_all` records the items it was given, as one entry.
struct Noted(&'static str);

impl convene::db::group_commit::Merge for Noted {
    type Out = ();
    const COMMUTES: bool = true;

    fn write_all(conn: &mut db::DbConnection, items: Vec<Self>) -> Vec<Result<(), AppError>> {
        let names: Vec<&str> = items.iter().map(|Noted(n)| *n).collect();
        let run = format!("run {}", names.join("+"));
        let recorded = record(conn, &run).is_ok();
        items
            .iter()
            .map(|_| {
                recorded
                    .then_some(())
                    .ok_or_else(|| AppError::conflict("not recorded"))
            })
            .collect()
    }
}

#[actix_web::test]
async fn the_items_of_a_commuting_kind_are_written_together_after_the_rest_of_their_batch() {
    let (db, commits) = migrated_with_a_committer();
    let one = |name: &'static str| commits.run(move |conn| record(conn, name));
    let batch = futures_util::future::join_all(vec![
        Box::pin(commits.run_merged(Noted("a"))) as std::pin::Pin<Box<dyn Future<Output = _>>>,
        Box::pin(one("first")),
        Box::pin(commits.run_merged(Noted("b"))),
        Box::pin(one("second")),
        Box::pin(commits.run_merged(Noted("c"))),
    ]);
    let answers = as_one_batch(&commits, batch).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");

    // In the order committed: the two writes as they came, then one run of the three.
    let order: Vec<String> = audit_log::table
        .filter(audit_log::entity_type.eq("test"))
        .order(audit_log::id.asc())
        .select(audit_log::action)
        .load(&mut db.connect())
        .unwrap();
    assert_eq!(order, ["first", "second", "run a+b+c"]);
}

/// On PostgreSQL, a burst of writes through the committer is vacuumed and analyzed by
/// the service once it ends (`db::vacuum`), not at autovacuum's next visit (up to a
/// minute later). Autovacuum is off for the table, so the vacuum that comes is ours.
#[actix_web::test]
#[ignore = "needs PostgreSQL; scripts/test.sh runs it in the PostgreSQL pass"]
async fn a_burst_of_writes_through_the_committer_is_vacuumed_and_analyzed_once_it_ends() {
    let db = a_postgresql_database();
    let mut conn = db.connect();
    conn.batch_execute(
        "CREATE TABLE burst (n integer PRIMARY KEY) WITH (autovacuum_enabled = false)",
    )
    .unwrap();
    let commits = GroupCommit::start(factory(&db)).unwrap();
    // 2,000 rows in four batches: past autovacuum's insert threshold (1,000) and its
    // analyze threshold (50) for a table never counted.
    for part in 0..4 {
        commits
            .run(move |conn| {
                let from = part * 500 + 1;
                conn.batch_execute(&format!(
                    "INSERT INTO burst SELECT generate_series({from}, {})",
                    from + 499
                ))?;
                Ok(())
            })
            .await
            .unwrap();
    }

    #[derive(QueryableByName, Debug)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        vacuumed: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        analyzed: bool,
    }
    wait_until(
        "the burst's table vacuumed and analyzed",
        Duration::from_secs(30),
        async || {
            let kept: Kept = diesel::sql_query(
                "SELECT last_vacuum IS NOT NULL AS vacuumed, \
                 last_analyze IS NOT NULL AS analyzed \
                 FROM pg_stat_user_tables WHERE relname = 'burst'",
            )
            .get_result(&mut db.connect())
            .map_err(|e| e.to_string())?;
            if kept.vacuumed && kept.analyzed {
                Ok(())
            } else {
                Err(format!("{kept:?}"))
            }
        },
    )
    .await;
    let rows: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM burst")
        .get_result(&mut db.connect())
        .unwrap();
    assert_eq!(rows, 2000, "every committed row is there");
}

/// A committer on a fresh PostgreSQL database with the service's tables.
fn on_postgres() -> (TestDatabase, GroupCommit) {
    let db = a_postgresql_database();
    db::run_migrations(&mut db.connect()).unwrap();
    let commits = GroupCommit::start(factory(&db)).unwrap();
    (db, commits)
}

/// Whether PostgreSQL's log is on disk up to `lsn` (as `pg_current_wal_insert_lsn()`
/// gave it).
fn flushed_past(conn: &mut db::DbConnection, lsn: &str) -> bool {
    diesel::dsl::sql::<diesel::sql_types::Bool>("SELECT pg_current_wal_flush_lsn() >= ")
        .bind::<diesel::sql_types::Text, _>(lsn)
        .sql("::pg_lsn")
        .get_result(conn)
        .unwrap()
}

/// Where PostgreSQL's log ends now, as text.
fn log_end(conn: &mut db::DbConnection) -> Result<String, diesel::result::Error> {
    diesel::dsl::sql::<diesel::sql_types::Text>("SELECT pg_current_wal_insert_lsn()::text")
        .get_result(conn)
}

/// Writes the audit entry `action` through `commits`, and asserts that when its answer
/// comes the log is on disk past the write's own records.
async fn assert_answered_on_disk(
    commits: &GroupCommit,
    conn: &mut db::DbConnection,
    action: String,
) {
    let entry = action.clone();
    let written = commits
        .run(move |conn| {
            record(conn, &entry)?;
            Ok(log_end(conn)?)
        })
        .await
        .unwrap();
    assert!(
        flushed_past(conn, &written),
        "{action} answered before the log reached {written} on disk"
    );
}

/// On PostgreSQL the committer's commits do not wait for the disk; a thread of its own
/// flushes them while the next batch is written (`db::durable`). A write is still
/// answered only once it is on disk: when the answer comes, the log is flushed past the
/// write's own records. (Answered at its commit, a write finds the log unflushed:
/// PostgreSQL's log writer flushes what was committed so a moment later.)
#[actix_web::test]
#[ignore = "needs PostgreSQL; scripts/test.sh runs it in the PostgreSQL pass"]
async fn on_postgresql_a_write_is_answered_once_it_is_on_disk() {
    let (db, commits) = on_postgres();
    let mut conn = db.connect();
    for i in 0..30 {
        assert_answered_on_disk(&commits, &mut conn, format!("durable-{i:02}")).await;
    }
    assert_eq!(committed_actions(&db).len(), 30);
}

/// What leaves the database on the strength of rows it read (the email worker's sends)
/// first asks the committer for everything committed so far to be on disk.
#[actix_web::test]
#[ignore = "needs PostgreSQL; scripts/test.sh runs it in the PostgreSQL pass"]
async fn on_postgresql_durable_returns_once_earlier_commits_are_on_disk() {
    let (db, commits) = on_postgres();
    let mut other = db.connect();
    other.batch_execute("SET synchronous_commit = off").unwrap();
    for i in 0..30 {
        // Committed without waiting for the disk, by another connection.
        record(&mut other, &format!("other-{i:02}")).unwrap();
        let written = log_end(&mut other).unwrap();
        commits.durable().await.unwrap();
        assert!(
            flushed_past(&mut db.connect(), &written),
            "durable() returned before the log reached {written} on disk"
        );
    }
}

/// A committer on PostgreSQL that wrote "before", then had its flushing thread's
/// backend ended (found by its last statement, that write's flush).
async fn on_postgres_with_the_flushing_connection_ended() -> (TestDatabase, GroupCommit) {
    let (db, commits) = on_postgres();
    commits.run(|conn| record(conn, "before")).await.unwrap();
    let ended: Vec<bool> = diesel::dsl::sql::<diesel::sql_types::Bool>(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE '%convene.flush%' \
         AND pid <> pg_backend_pid()",
    )
    .load(&mut db.connect())
    .unwrap();
    assert_eq!(
        ended,
        vec![true],
        "the flushing thread's one connection ended"
    );
    (db, commits)
}

/// A flush that fails is not taken for one that succeeded: if the flushing thread's
/// connection is lost (here its backend is ended), the writes it was to vouch for are
/// answered 503, and the next writes go on with a new connection.
#[actix_web::test]
#[ignore = "needs PostgreSQL; scripts/test.sh runs it in the PostgreSQL pass"]
async fn on_postgresql_a_lost_flush_answers_503_and_the_next_writes_go_on() {
    let (db, commits) = on_postgres_with_the_flushing_connection_ended().await;

    match commits.run(|conn| record(conn, "unvouched")).await {
        Err(AppError::Unavailable(cause)) => assert!(
            cause.contains("not known to have reached the disk"),
            "{cause}"
        ),
        other => panic!("a write whose flush failed was answered {other:?}"),
    }
    commits.run(|conn| record(conn, "after")).await.unwrap();
    commits.durable().await.unwrap();
    // The write told 503 was committed all the same (the flush, not the commit, failed):
    // 503 says only that it is not known to be durable.
    assert_eq!(committed_actions(&db), ["after", "before", "unvouched"]);
}

/// A flushing connection that the server closes while nothing is written (a restart, an
/// idle timeout) is replaced before the next write needs it: that write is answered.
#[actix_web::test]
#[ignore = "needs PostgreSQL; scripts/test.sh runs it in the PostgreSQL pass"]
async fn on_postgresql_a_flushing_connection_lost_while_idle_is_replaced_before_the_next_write() {
    let (db, commits) = on_postgres_with_the_flushing_connection_ended().await;
    // Idle for longer than the thread waits before checking its connection (5 s).
    tokio::time::sleep(Duration::from_secs(7)).await;
    commits.run(|conn| record(conn, "after")).await.unwrap();
    assert_eq!(committed_actions(&db), ["after", "before"]);
}

/// Where the flush's statement is refused (its `EXECUTE` revoked from the service's
/// role), the committer finds it at the start and waits for its own flushes as it did
/// before `db::durable`: writes are answered, and on disk when they are.
#[actix_web::test]
#[ignore = "needs PostgreSQL; scripts/test.sh runs it in the PostgreSQL pass"]
async fn on_postgresql_without_the_flush_statement_commits_wait_for_their_own_flush() {
    let db = a_postgresql_database();
    let mut admin = db.connect();
    db::run_migrations(&mut admin).unwrap();
    // Roles belong to the server, the function's grant to this database alone.
    let role = format!("convene_noflush_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; \
             GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}; \
             GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}; \
             REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC"
        ))
        .unwrap();
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_username(&role).unwrap();
    let commits = GroupCommit::start(ConnectionFactory::new(
        DatabaseUrl::parse(url.as_str()).unwrap(),
        SqliteSync::Full,
    ))
    .unwrap();

    for i in 0..10 {
        assert_answered_on_disk(&commits, &mut admin, format!("own-flush-{i:02}")).await;
    }
    commits.durable().await.unwrap();
    assert_eq!(committed_actions(&db).len(), 10);
    drop(commits);
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}
