//! Point reads by key, read together on PostgreSQL: the reads that arrive while the
//! previous statement is out go to the database as one `WHERE key = ANY($1)`.
//!
//! On PostgreSQL a read of one row by its index costs little to run and much to carry:
//! a blocking thread woken and a connection taken, a round trip, the backend woken and its
//! executor set up for the one row, and the answer's way back. In the benchmark's
//! invitation reads the backends took a third of the machine and the blocking threads'
//! wake-ups a fifth (`BENCHMARKS.md`, session 14). Here one thread of our own, with a
//! connection of its own, takes every read queued while its previous statement was out
//! and reads their rows with one statement: as many round trips and executor set-ups as
//! statements, however many reads, and the batch grows with the load by itself (one read
//! alone goes at once, as before).
//!
//! On SQLite a read is a function call that never waits for a writer: there it is
//! [`super::read_here`], on the calling thread.

use std::collections::HashMap;
use std::hash::Hash;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::{ConnectionFactory, DbConnection, DbPool};
use crate::error::AppError;

/// Most keys read by one statement (more gain nothing: the statement's own cost is
/// paid once by then).
const MAX_BATCH: usize = 128;

/// A kind of point read: rows found by a unique key.
pub trait ByKey: 'static {
    type Key: Clone + Eq + Hash + Send + 'static;
    /// What a read finds. Cloned when callers read the same key in one batch.
    type Found: Clone + Send + 'static;
    /// The reading thread's name (a thread per kind).
    const THREAD: &'static str;
    /// The row of one key, if there is one.
    fn read_one(conn: &mut DbConnection, key: &Self::Key) -> Result<Option<Self::Found>, AppError>;
    /// The rows of `keys` (distinct), in any order; a key without a row has none.
    fn read_all(conn: &mut DbConnection, keys: &[Self::Key]) -> Result<Vec<Self::Found>, AppError>;
    /// The key a row was found by.
    fn key_of(found: &Self::Found) -> &Self::Key;
}

type Answer<R> = oneshot::Sender<Result<Option<<R as ByKey>::Found>, AppError>>;

/// Reads of kind `R`: on the calling thread on SQLite, together on PostgreSQL.
pub struct ReadTogether<R: ByKey> {
    how: How<R>,
}

enum How<R: ByKey> {
    Here(DbPool),
    Together {
        queue: mpsc::Sender<(R::Key, Answer<R>)>,
        /// How long a caller waits for its answer (`CONVENE_DB_WAIT_MS`, as for a
        /// connection of the pool): a database that does not answer is a 503, not a
        /// request that hangs.
        wait: std::time::Duration,
    },
}

impl<R: ByKey> ReadTogether<R> {
    /// On SQLite, reads through `pool`; on PostgreSQL, starts the reading thread, which
    /// opens its connection from `factory` at the first read (and again after a failure).
    pub fn start(pool: &DbPool, factory: ConnectionFactory) -> std::io::Result<Self> {
        if pool.sqlite {
            return Ok(Self {
                how: How::Here(pool.clone()),
            });
        }
        let (queue, reads) = mpsc::channel();
        std::thread::Builder::new()
            .name(R::THREAD.into())
            .spawn(move || read_loop::<R>(&factory, &reads))?;
        Ok(Self {
            how: How::Together {
                queue,
                wait: pool.wait,
            },
        })
    }

    /// The row of `key`, if there is one, read by the next statement.
    pub async fn read(&self, key: R::Key) -> Result<Option<R::Found>, AppError> {
        match &self.how {
            How::Here(pool) => super::read_here(pool, move |conn| R::read_one(conn, &key)).await,
            How::Together { queue, wait } => {
                let (answer, answered) = oneshot::channel();
                queue.send((key, answer)).map_err(|_| {
                    AppError::Internal(anyhow::anyhow!("the thread of {} is gone", R::THREAD))
                })?;
                tokio::time::timeout(*wait, answered)
                    .await
                    .map_err(|_| {
                        AppError::Unavailable(format!(
                            "no answer from the database within {} ms",
                            wait.as_millis()
                        ))
                    })?
                    // A dropped answer means the thread gave up on the batch (a panic).
                    .map_err(|_| {
                        AppError::Internal(anyhow::anyhow!("a read of {} was abandoned", R::THREAD))
                    })?
            }
        }
    }
}

fn read_loop<R: ByKey>(factory: &ConnectionFactory, reads: &mpsc::Receiver<(R::Key, Answer<R>)>) {
    let mut conn: Option<DbConnection> = None;
    // Ends when every sender is gone (the application stopped).
    while let Ok(first) = reads.recv() {
        // The callers of each key (two may ask for the same one at once).
        let mut asked: HashMap<R::Key, Vec<Answer<R>>> = HashMap::new();
        let mut keys = Vec::new();
        for (key, answer) in std::iter::once(first).chain(reads.try_iter().take(MAX_BATCH - 1)) {
            asked
                .entry(key)
                .or_insert_with_key(|key| {
                    keys.push(key.clone());
                    Vec::new()
                })
                .push(answer);
        }
        match read_batch::<R>(factory, &mut conn, &keys) {
            Ok(found) => {
                for row in found {
                    if let Some(mut answers) = asked.remove(R::key_of(&row)) {
                        let last = answers.pop();
                        for answer in answers {
                            let _ = answer.send(Ok(Some(row.clone())));
                        }
                        if let Some(answer) = last {
                            let _ = answer.send(Ok(Some(row)));
                        }
                    }
                }
                // The keys without a row.
                for answer in asked.into_values().flatten() {
                    let _ = answer.send(Ok(None));
                }
            }
            Err(e) => {
                if matches!(e, AppError::Unavailable(_)) {
                    tracing::warn!(error = %e, thread = R::THREAD, reads = keys.len(), "a read together failed");
                } else {
                    tracing::error!(error = %e, thread = R::THREAD, reads = keys.len(), "a read together failed");
                }
                let cause = e.to_string();
                answer_all::<R>(asked, || match &e {
                    AppError::Unavailable(why) => AppError::Unavailable(why.clone()),
                    _ => AppError::Internal(anyhow::anyhow!("a database read failed: {cause}")),
                });
            }
        }
    }
}

/// The rows of `keys`, on the thread's connection. A connection kept from before may
/// have been closed meanwhile (the database restarted): a read is safe to repeat, so it
/// is tried once more on a new one rather than failing every read of the batch.
fn read_batch<R: ByKey>(
    factory: &ConnectionFactory,
    conn: &mut Option<DbConnection>,
    keys: &[R::Key],
) -> Result<Vec<R::Found>, AppError> {
    let kept = conn.is_some();
    match read_on::<R>(factory, conn, keys) {
        Err(AppError::Unavailable(why)) if kept => {
            tracing::debug!(cause = %why, thread = R::THREAD, "reading again on a new connection");
            read_on::<R>(factory, conn, keys)
        }
        other => other,
    }
}

fn read_on<R: ByKey>(
    factory: &ConnectionFactory,
    conn: &mut Option<DbConnection>,
    keys: &[R::Key],
) -> Result<Vec<R::Found>, AppError> {
    let c = factory
        .reuse_or_connect(conn)
        .map_err(|e| AppError::Unavailable(format!("no database connection: {e}")))?;
    let outcome = catch_unwind(AssertUnwindSafe(|| R::read_all(c, keys)));
    if !matches!(outcome, Ok(Ok(_))) {
        // A connection that failed may be broken: the next read opens another.
        *conn = None;
    }
    outcome.unwrap_or_else(|_| {
        Err(AppError::Internal(anyhow::anyhow!(
            "a database read panicked"
        )))
    })
}

fn answer_all<R: ByKey>(asked: HashMap<R::Key, Vec<Answer<R>>>, error: impl Fn() -> AppError) {
    for answer in asked.into_values().flatten() {
        let _ = answer.send(Err(error()));
    }
}
