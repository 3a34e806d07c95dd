//! The queue in front of the connection pool (`db::run`, `db::DbPool`): work reaches a
//! connection in the order it came, and waits no longer than `CONVENE_DB_WAIT_MS`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use convene::config::{DatabaseSettings, DatabaseUrl, SqliteSync};
use convene::db::{self, DbPool};
use convene::AppError;

use crate::helpers::TestDatabase;

fn pool(db: &TestDatabase, size: u32, wait: Duration) -> DbPool {
    db::build_pool(&DatabaseSettings {
        url: DatabaseUrl::parse(&db.url).unwrap(),
        pool_size: size,
        sqlite_synchronous: SqliteSync::Full,
        wait,
    })
}

/// Queues `db::run` work that sleeps `hold` with its connection and then answers its number.
fn queue(
    pool: &DbPool,
    k: usize,
    hold: Duration,
    began: &Arc<Mutex<Vec<usize>>>,
) -> tokio::task::JoinHandle<Result<usize, AppError>> {
    let (pool, began) = (pool.clone(), Arc::clone(began));
    actix_web::rt::spawn(async move {
        db::run(&pool, move |_conn| {
            began.lock().unwrap().push(k);
            std::thread::sleep(hold);
            Ok(k)
        })
        .await
    })
}

#[actix_web::test]
async fn work_reaches_the_connections_in_the_order_it_came() {
    let db = TestDatabase::create();
    let pool = pool(&db, 1, Duration::from_secs(30));
    let began = Arc::new(Mutex::new(Vec::new()));
    let mut queued = Vec::new();
    for k in 0..40 {
        queued.push(queue(&pool, k, Duration::from_millis(2), &began));
        // Each is waiting for its turn before the next one comes.
        actix_web::rt::task::yield_now().await;
    }
    for (k, answer) in queued.into_iter().enumerate() {
        assert_eq!(answer.await.unwrap().unwrap(), k);
    }
    assert_eq!(*began.lock().unwrap(), (0..40).collect::<Vec<_>>());
}

#[actix_web::test]
async fn work_that_finds_every_connection_taken_for_the_whole_wait_is_told_503() {
    let db = TestDatabase::create();
    let pool = pool(&db, 1, Duration::from_millis(200));
    let began = Arc::new(Mutex::new(Vec::new()));
    let long = queue(&pool, 0, Duration::from_millis(1_500), &began);
    actix_web::rt::task::yield_now().await;
    let late = queue(&pool, 1, Duration::ZERO, &began);
    match late.await.unwrap() {
        Err(AppError::Unavailable(why)) => {
            assert!(why.contains("no database connection"), "{why}");
        }
        other => panic!("expected 503 (Unavailable), got {other:?}"),
    }
    assert_eq!(long.await.unwrap().unwrap(), 0);
    assert_eq!(*began.lock().unwrap(), vec![0], "the late work never ran");
    // Once the connection is back, work runs again.
    assert_eq!(
        queue(&pool, 2, Duration::ZERO, &began)
            .await
            .unwrap()
            .unwrap(),
        2
    );
}

#[actix_web::test]
async fn a_read_here_runs_on_the_calling_thread_only_on_sqlite_with_a_connection_free() {
    let db = TestDatabase::create();
    let pool = pool(&db, 2, Duration::from_secs(30));
    // A connection opened and back in the pool, as once the server has run a while.
    db::run(&pool, |_conn| Ok(())).await.unwrap();
    let caller = std::thread::current().id();
    let ran_on = db::read_here(&pool, |_conn| Ok(std::thread::current().id()))
        .await
        .unwrap();
    let sqlite = db.url.starts_with("sqlite");
    assert_eq!(ran_on == caller, sqlite, "sqlite: {sqlite}");
}

#[actix_web::test]
async fn a_read_here_that_finds_the_connections_taken_waits_its_turn_off_the_thread() {
    let db = TestDatabase::create();
    let pool = pool(&db, 1, Duration::from_secs(30));
    let began = Arc::new(Mutex::new(Vec::new()));
    // The one connection held for a while by work queued first.
    let first = queue(&pool, 0, Duration::from_secs(2), &began);
    actix_web::rt::task::yield_now().await;
    let caller = std::thread::current().id();
    let read = {
        let (pool, began) = (pool.clone(), Arc::clone(&began));
        actix_web::rt::spawn(async move {
            db::read_here(&pool, move |_conn| {
                began.lock().unwrap().push(1);
                Ok(std::thread::current().id())
            })
            .await
        })
    };
    actix_web::rt::task::yield_now().await;
    // Meanwhile this (single) async thread goes on: the read waits elsewhere.
    let before = std::time::Instant::now();
    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    assert!(
        before.elapsed() < Duration::from_secs(1),
        "the async thread was held up for {:?}",
        before.elapsed()
    );
    assert_ne!(
        read.await.unwrap().unwrap(),
        caller,
        "ran on a blocking thread"
    );
    assert_eq!(first.await.unwrap().unwrap(), 0);
    assert_eq!(*began.lock().unwrap(), vec![0, 1], "in the order they came");
}
