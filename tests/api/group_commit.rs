//! The group commit (`db::group_commit`) on a real database: many writers at once, some
//! failing, one panicking; each answer must match what was committed; on PostgreSQL the
//! next batch written while the one before commits.

use std::future::Future;

use convene::config::{DatabaseUrl, SqliteSync};
use convene::db::group_commit::GroupCommit;
use convene::db::models::audit::{self, Actor, Entry};
use convene::db::schema::audit_log;
use convene::db::{self, ConnectionFactory};
use convene::AppError;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::helpers::{as_one_batch, Backend, TestDatabase};

fn factory(db: &TestDatabase) -> ConnectionFactory {
    ConnectionFactory::new(DatabaseUrl::parse(&db.url).unwrap(), SqliteSync::Full)
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
    let db = TestDatabase::create();
    db::run_migrations(&mut db.connect()).unwrap();
    let commits = GroupCommit::start(factory(&db)).unwrap();

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
    let db = TestDatabase::create();
    db::run_migrations(&mut db.connect()).unwrap();
    let commits = GroupCommit::start(factory(&db)).unwrap();

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
    let db = TestDatabase::create();
    db::run_migrations(&mut db.connect()).unwrap();
    let commits = GroupCommit::start(factory(&db)).unwrap();
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

/// Whether the group committer's PostgreSQL connection waits in a commit held by the test.
fn a_commit_is_held(conn: &mut db::DbConnection) -> bool {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted)",
    ))
    .get_result(conn)
    .unwrap()
}

/// The first write of [`second_written_while_the_first_is_held`]: held in its commit on
/// PostgreSQL (a row of `held` waits for the test at commit), in its write on SQLite.
struct Held {
    until: Option<std::sync::mpsc::Receiver<()>>,
}

impl Held {
    fn write(self, conn: &mut db::DbConnection) -> Result<(), AppError> {
        match self.until {
            Some(until) => {
                let _ = until.recv();
            }
            None => {
                diesel::sql_query("INSERT INTO held VALUES (1)").execute(conn)?;
            }
        }
        record(conn, "first")
    }
}

/// [`Held`] as a kind whose batches the next one should not overlap.
struct HeldSerial(Held);

impl convene::db::group_commit::Merge for HeldSerial {
    type Out = ();
    const SERIAL: bool = true;

    fn write_all(conn: &mut db::DbConnection, items: Vec<Self>) -> Vec<Result<(), AppError>> {
        items
            .into_iter()
            .map(|HeldSerial(h)| h.write(conn))
            .collect()
    }
}

/// Holds a first batch (`serial` or not), then queues a second write: returns whether the
/// second was written while the first was held. Either way the second must be answered
/// only after the first, and both committed.
async fn second_written_while_the_first_is_held(serial: bool) -> bool {
    let db = TestDatabase::create();
    let mut conn = db.connect();
    db::run_migrations(&mut conn).unwrap();
    let commits = GroupCommit::start(factory(&db)).unwrap();
    let postgres = matches!(Backend::from_env(), Backend::Postgres { .. });

    let (release, until) = std::sync::mpsc::channel::<()>();
    let held = if postgres {
        conn.batch_execute(
            "CREATE TABLE held (n INTEGER); \
             CREATE FUNCTION wait_for_the_test() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$; \
             CREATE CONSTRAINT TRIGGER held_at_commit AFTER INSERT ON held \
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wait_for_the_test(); \
             SELECT pg_advisory_lock(4242);",
        )
        .unwrap();
        Held { until: None }
    } else {
        Held { until: Some(until) }
    };
    let c = commits.clone();
    let first = actix_web::rt::spawn(async move {
        if serial {
            c.run_merged(HeldSerial(held)).await
        } else {
            c.run(move |conn| held.write(conn)).await
        }
    });
    if postgres {
        let limit = std::time::Duration::from_secs(10);
        crate::helpers::wait_until("the first batch held in its commit", limit, async || {
            if a_commit_is_held(&mut conn) {
                Ok(())
            } else {
                Err("no commit waits yet".to_owned())
            }
        })
        .await;
    }

    let (written, was_written) = std::sync::mpsc::channel::<()>();
    let c = commits.clone();
    let second = actix_web::rt::spawn(async move {
        c.run(move |conn| {
            let _ = written.send(());
            record(conn, "second")
        })
        .await
    });
    // Long enough for a second thread to take it and write it, if it may.
    let wait = std::time::Duration::from_secs(if postgres && !serial { 10 } else { 1 });
    let during = tokio::task::spawn_blocking(move || was_written.recv_timeout(wait).is_ok())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!first.is_finished(), "the first batch is still held");
    assert!(
        !second.is_finished(),
        "the second batch is answered only after the first committed"
    );

    if postgres {
        conn.batch_execute("SELECT pg_advisory_unlock(4242)")
            .unwrap();
    } else {
        release.send(()).unwrap();
    }
    first.await.unwrap().expect("the first write commits");
    second.await.unwrap().expect("the second write commits");
    assert_eq!(committed_actions(&db), ["first", "second"]);
    during
}

/// On PostgreSQL two threads commit in turn: the next batch is written while the one
/// before it commits, and answered only after it. SQLite has one writer: the next batch
/// waits until the one before it is done.
#[actix_web::test]
async fn the_next_batch_is_written_while_the_one_before_commits_on_postgresql_only() {
    let postgres = matches!(Backend::from_env(), Backend::Postgres { .. });
    assert_eq!(
        second_written_while_the_first_is_held(false).await,
        postgres
    );
}

/// A batch with a serial write (a registration, which locks its event) is committed
/// before the next batch is taken: taken earlier, it would only wait for that lock.
#[actix_web::test]
async fn the_batch_after_a_serial_one_is_taken_once_it_has_committed() {
    assert!(!second_written_while_the_first_is_held(true).await);
}
