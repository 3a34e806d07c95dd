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
