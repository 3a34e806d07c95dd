//! Point reads read together (`db::read_together`) on a real database: the reads asked
//! while a statement is out go as one statement on PostgreSQL, each answered with its own
//! row; on SQLite each is read alone on the calling thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use convene::config::{DatabaseSettings, DatabaseUrl, SqliteSync};
use convene::db::models::community::{self, Community};
use convene::db::read_together::{ByKey, ReadTogether};
use convene::db::{self, ConnectionFactory, DbConnection};
use convene::domain::community::CommunitySpec;
use convene::domain::CommunityId;
use convene::AppError;

use crate::helpers::TestDatabase;

/// The keys of each statement of [`Communities::read_all`].
static STATEMENTS: Mutex<Vec<Vec<String>>> = Mutex::new(Vec::new());
/// Released by the test: the statement with the key `hold` waits for it.
static RELEASE: Mutex<Option<mpsc::Receiver<()>>> = Mutex::new(None);
static HOLDING: AtomicBool = AtomicBool::new(false);
/// The tests here share the statics above: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Communities by id; the keys `hold`, `fail` and `panic` make the statement that reads
/// them wait for the test, fail or panic.
struct Communities;

impl ByKey for Communities {
    type Key = CommunityId;
    type Found = Community;
    const THREAD: &'static str = "test-communities";

    fn read_one(conn: &mut DbConnection, id: &CommunityId) -> Result<Option<Community>, AppError> {
        Ok(community::find_many(conn, &[id])?.pop())
    }

    fn read_all(conn: &mut DbConnection, ids: &[CommunityId]) -> Result<Vec<Community>, AppError> {
        let keys: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
        STATEMENTS.lock().unwrap().push(keys.clone());
        if keys.iter().any(|k| k == "hold") {
            let release = RELEASE.lock().unwrap().take().expect("a hold set up");
            HOLDING.store(true, Ordering::SeqCst);
            release.recv().unwrap();
        }
        if keys.iter().any(|k| k == "fail") {
            return Err(AppError::Unavailable("told to fail".into()));
        }
        if keys.iter().any(|k| k == "panic") {
            panic!("told to panic");
        }
        community::find_many(conn, &ids.iter().collect::<Vec<_>>())
    }

    fn key_of(found: &Community) -> &CommunityId {
        &found.id
    }
}

fn id(key: &str) -> CommunityId {
    CommunityId::from(key.to_owned())
}

/// Reads `keys` while a statement is out (held until every one of them is asked), as
/// under load: on PostgreSQL they are the next statement, all of them.
async fn while_one_is_out(
    reads: &ReadTogether<Communities>,
    keys: &[CommunityId],
) -> Vec<Result<Option<Community>, AppError>> {
    let (release, wait) = mpsc::channel();
    *RELEASE.lock().unwrap() = Some(wait);
    HOLDING.store(false, Ordering::SeqCst);
    let (held, answers) = tokio::join!(reads.read(id("hold")), async {
        while !HOLDING.load(Ordering::SeqCst) {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        // Polled first, so that every read is asked before the hold is released.
        let (answers, ()) = tokio::join!(
            futures_util::future::join_all(keys.iter().cloned().map(|k| reads.read(k))),
            async { release.send(()).unwrap() }
        );
        answers
    });
    assert!(held.unwrap().is_none(), "`hold` has no row");
    answers
}

/// A migrated database with `n` communities, and reads of them.
async fn communities(n: usize) -> (TestDatabase, ReadTogether<Communities>, Vec<Community>) {
    communities_waiting(n, Duration::from_secs(30)).await
}

/// [`communities`], whose reads wait at most `wait` for their answer.
async fn communities_waiting(
    n: usize,
    wait: Duration,
) -> (TestDatabase, ReadTogether<Communities>, Vec<Community>) {
    let db = TestDatabase::create();
    let mut conn = db.connect();
    db::run_migrations(&mut conn).unwrap();
    let made = (0..n)
        .map(|i| {
            let spec = CommunitySpec {
                name: format!("Town {i}"),
                state: "Ohio".into(),
                country: "US".into(),
            };
            community::find_or_create(&mut conn, &spec).unwrap()
        })
        .collect();
    let url = DatabaseUrl::parse(&db.url).unwrap();
    let pool = db::build_pool(&DatabaseSettings {
        url: url.clone(),
        pool_size: 4,
        sqlite_synchronous: SqliteSync::Full,
        wait,
    });
    let reads = ReadTogether::start(&pool, ConnectionFactory::new(url, SqliteSync::Full)).unwrap();
    (db, reads, made)
}

fn on_postgres(db: &TestDatabase) -> bool {
    db.url.starts_with("postgres")
}

#[actix_web::test]
async fn reads_asked_at_once_are_one_statement_on_postgresql_and_each_gets_its_own_row() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (db, reads, made) = communities(30).await;
    STATEMENTS.lock().unwrap().clear();
    // Every community, five of them twice, and three ids that have no row.
    let mut keys: Vec<CommunityId> = made.iter().map(|c| c.id.clone()).collect();
    keys.extend(made[..5].iter().map(|c| c.id.clone()));
    keys.extend(["nobody-1", "nobody-2", "nobody-3"].map(id));

    let answers = if on_postgres(&db) {
        while_one_is_out(&reads, &keys).await
    } else {
        futures_util::future::join_all(keys.iter().cloned().map(|k| reads.read(k))).await
    };

    for (key, answer) in keys.iter().zip(answers) {
        let answer = answer.unwrap();
        match made.iter().find(|c| &c.id == key) {
            Some(stored) => assert_eq!(answer.as_ref(), Some(stored), "{key:?}"),
            None => assert_eq!(answer, None, "{key:?}"),
        }
    }
    let statements = STATEMENTS.lock().unwrap().clone();
    if on_postgres(&db) {
        assert_eq!(statements.len(), 2, "{statements:?}");
        assert_eq!(statements[0], vec!["hold".to_owned()]);
        // The 38 reads in one statement, each key once.
        let mut second = statements[1].clone();
        second.sort();
        let mut distinct: Vec<String> = keys.iter().map(|k| k.as_str().to_owned()).collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(second, distinct);
    } else {
        assert!(statements.is_empty(), "SQLite reads alone: {statements:?}");
    }
}

#[actix_web::test]
async fn a_statement_that_fails_or_panics_answers_its_reads_with_the_error_and_the_next_reads_go_on(
) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (db, reads, made) = communities(3).await;
    if !on_postgres(&db) {
        // On SQLite the kind's read_one, not read_all, serves each read.
        let found = reads.read(made[0].id.clone()).await.unwrap();
        assert_eq!(found.as_ref(), Some(&made[0]));
        return;
    }
    // Each read of a failing statement gets the failure: a 503 told as such, a panic as
    // an internal error.
    for answer in while_one_is_out(&reads, &[id("fail"), made[0].id.clone()]).await {
        match answer {
            Err(AppError::Unavailable(why)) => assert_eq!(why, "told to fail"),
            other => panic!("expected the failure, got {other:?}"),
        }
    }
    for answer in while_one_is_out(&reads, &[id("panic"), made[1].id.clone()]).await {
        match answer {
            Err(AppError::Internal(why)) => assert!(why.to_string().contains("panicked"), "{why}"),
            other => panic!("expected the panic as an internal error, got {other:?}"),
        }
    }
    // The thread goes on, with a new connection.
    let keys: Vec<CommunityId> = made.iter().map(|c| c.id.clone()).collect();
    let after = while_one_is_out(&reads, &keys).await;
    for (stored, answer) in made.iter().zip(after) {
        assert_eq!(answer.unwrap().as_ref(), Some(stored));
    }
}

#[actix_web::test]
async fn a_read_whose_statement_does_not_come_back_within_the_wait_is_told_503() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (db, reads, made) = communities_waiting(2, Duration::from_millis(300)).await;
    if !on_postgres(&db) {
        // No thread on SQLite: the pool's wait applies (tests/api/pool.rs).
        return;
    }
    let (release, wait) = mpsc::channel();
    *RELEASE.lock().unwrap() = Some(wait);
    HOLDING.store(false, Ordering::SeqCst);
    // The statement hangs (held by the test) past the wait.
    let started = std::time::Instant::now();
    let answer = actix_web::rt::time::timeout(Duration::from_secs(10), reads.read(id("hold")))
        .await
        .expect("an answer, not a read left hanging");
    match answer {
        Err(AppError::Unavailable(why)) => assert!(why.contains("300 ms"), "{why}"),
        other => panic!("expected 503 (Unavailable), got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(HOLDING.load(Ordering::SeqCst));
    // Once the database answers again, so do the reads.
    release.send(()).unwrap();
    let found = reads.read(made[0].id.clone()).await.unwrap();
    assert_eq!(found.as_ref(), Some(&made[0]));
}
