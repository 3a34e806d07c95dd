//! Group commit: write transactions of many requests committed together.
//!
//! A durable commit costs a flush of the log (about 0.7 ms on the benchmark machine's
//! disk), and a transaction that holds a hot row (an event's seat counter) makes every
//! other one wait for its flush. Here one thread of our own takes the writes queued
//! while the previous commit was flushing, runs each in a savepoint of one transaction,
//! commits once, and only then answers each caller. So every caller still gets its
//! answer after its write is durable, a failing write rolls back only its savepoint,
//! writes are applied in the order they arrived, and one flush serves the whole batch.
//! On PostgreSQL the flush is made by a thread of its own while the next batch is
//! written (see `durable`).

use std::any::{Any, TypeId};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use diesel::Connection;
use tokio::sync::oneshot;

use super::checkpoint::Checkpointer;
use super::durable::Flusher;
use super::vacuum::Vacuumer;
use super::{write_transaction, ConnectionFactory, DbConnection};
use crate::error::AppError;

/// Most writes committed together (a failed commit fails them all; more gain little).
const MAX_BATCH: usize = 128;

/// Why a batch did not commit, told to each of its writers.
#[derive(Clone, Debug)]
enum Failed {
    /// The disk is full or read-only (507, as for a single write).
    StorageFull(String),
    /// Committed, but the flush that would make it durable failed.
    NotDurable(String),
    Other(String),
}

impl Failed {
    fn of(e: diesel::result::Error) -> Self {
        match AppError::from(e) {
            AppError::StorageFull(cause) => Self::StorageFull(cause),
            other => Self::Other(other.to_string()),
        }
    }

    fn to_error(&self) -> AppError {
        match self {
            Self::StorageFull(cause) => AppError::StorageFull(cause.clone()),
            Self::NotDurable(cause) => AppError::Unavailable(format!(
                "the write is not known to have reached the disk: {cause}"
            )),
            Self::Other(cause) => {
                AppError::Unavailable(format!("the write was not committed: {cause}"))
            }
        }
    }
}

/// Called after the batch's commit: `Ok` if it committed.
type Deliver = Box<dyn FnOnce(Result<(), Failed>) + Send>;

/// Writes of one kind that the committer runs together when they arrive one after
/// another (see [`GroupCommit::run_merged`]): a registration's nine statements each cost
/// a round trip to PostgreSQL, on the one connection every registration waits for, while
/// a run of them can be written in about as many statements as one.
pub trait Merge: Send + Sized + 'static {
    type Out: Send + 'static;
    /// Whether an item of this kind may be written after writes that arrived after it, in
    /// the same batch: true when it touches nothing another write reads or changes (the
    /// email worker's record that an email was sent). Such items are written together at
    /// the end of their batch, however they were interleaved with others, instead of in
    /// one run each time another kind came between.
    const COMMUTES: bool = false;
    /// Writes `items` in the batch's transaction, in order, and returns one result per
    /// item, in the same order. An `Err` must leave the transaction usable: what may fail
    /// runs in a savepoint (a nested `transaction`), so that it takes back only its own.
    fn write_all(conn: &mut DbConnection, items: Vec<Self>) -> Vec<Result<Self::Out, AppError>>;
}

/// A caller's item of a [`Merge`] kind, with where its answer goes.
type Item<M> = (M, oneshot::Sender<Result<<M as Merge>::Out, AppError>>);
/// The items of a run of one kind (each an [`Item`]), written together.
type WriteAll = fn(&mut DbConnection, Vec<Box<dyn Any + Send>>) -> Vec<Deliver>;

/// One caller's write.
enum Work {
    /// Run alone in its savepoint; returns how to answer the caller.
    One(Box<dyn FnOnce(&mut DbConnection) -> Deliver + Send>),
    /// Written with the items of the same kind queued next to it.
    Merged {
        kind: TypeId,
        item: Box<dyn Any + Send>,
        write_all: WriteAll,
        /// [`Merge::COMMUTES`] of its kind.
        commutes: bool,
    },
}

/// The queue of writes; cloning shares the one committing thread.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Work>,
    /// On PostgreSQL, what makes the commits durable.
    flusher: Option<Flusher>,
}

impl GroupCommit {
    /// Starts the committing thread, with a connection of its own from `factory` (opened
    /// when the first write arrives, and again after a failure), and on PostgreSQL the
    /// thread that makes its commits durable, whose connection is opened here: this
    /// blocks, so an async caller runs it on a blocking thread.
    pub fn start(factory: ConnectionFactory) -> std::io::Result<Self> {
        let flusher = if factory.is_postgres() {
            Flusher::start(factory.clone())
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "commits wait for their own flush (slower)");
                })
                .ok()
        } else {
            None
        };
        let (queue, writes) = mpsc::channel::<Work>();
        let flushes = flusher.clone();
        std::thread::Builder::new()
            .name("group-commit".into())
            .spawn(move || commit_loop(&factory, flushes, &writes))?;
        Ok(Self { queue, flusher })
    }

    /// Returns once everything committed before the call (by anyone) is durable: at once
    /// on SQLite, whose commits are; after the next flush on PostgreSQL (see `durable`).
    /// For what leaves the database on the strength of rows it read (an email sent).
    pub async fn durable(&self) -> Result<(), AppError> {
        match &self.flusher {
            Some(flusher) => flusher
                .durable()
                .await
                .map_err(|cause| Failed::NotDurable(cause).to_error()),
            None => Ok(()),
        }
    }

    /// Runs `write` in the next batch, in a savepoint of its transaction, and answers
    /// once that transaction committed: `Ok` means durable. An `Err` from `write` rolls
    /// back its savepoint only and is returned as it is.
    pub async fn run<T, F>(&self, write: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let work = Work::One(Box::new(move |conn| {
            // Nested in the batch's transaction, diesel makes this a savepoint.
            deliver(answer, conn.transaction(write))
        }));
        self.send(work, answered).await
    }

    /// Like [`Self::run`] for an item of a [`Merge`] kind: written with the items of its
    /// kind that are next to it in the queue, by one call of [`Merge::write_all`].
    pub async fn run_merged<M: Merge>(&self, item: M) -> Result<M::Out, AppError> {
        let (answer, answered) = oneshot::channel();
        let item: Box<dyn Any + Send> = Box::new((item, answer));
        let work = Work::Merged {
            kind: TypeId::of::<M>(),
            item,
            write_all: write_merged::<M>,
            commutes: M::COMMUTES,
        };
        self.send(work, answered).await
    }

    async fn send<T>(
        &self,
        work: Work,
        answered: oneshot::Receiver<Result<T, AppError>>,
    ) -> Result<T, AppError> {
        self.queue
            .send(work)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the group-commit thread is gone")))?;
        // A dropped answer means the batch was abandoned (a panic, no connection): nothing
        // of it was committed.
        answered.await.map_err(|_| {
            AppError::Unavailable("the write was abandoned before its commit".into())
        })?
    }
}

/// How to answer a caller whose write gave `result`, once the batch is committed or not.
fn deliver<T: Send + 'static>(
    answer: oneshot::Sender<Result<T, AppError>>,
    result: Result<T, AppError>,
) -> Deliver {
    Box::new(move |committed| {
        let _ = answer.send(match (result, committed) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(failed)) => Err(failed.to_error()),
            // A query that failed because the database went away mid-batch is
            // told as the batch's failure (503), not as a bug of its own.
            (Err(AppError::Internal(_)), Err(failed)) => Err(failed.to_error()),
            (Err(e), _) => Err(e),
        });
    })
}

/// [`Merge::write_all`] of `M`, over items queued as `Box<dyn Any>` ([`Item<M>`]: the
/// committer groups them by `TypeId`, so each downcast holds).
fn write_merged<M: Merge>(
    conn: &mut DbConnection,
    items: Vec<Box<dyn Any + Send>>,
) -> Vec<Deliver> {
    let (items, answers): (Vec<M>, Vec<_>) = items
        .into_iter()
        .map(|item| *item.downcast::<Item<M>>().expect("a run holds one kind"))
        .unzip();
    let results = M::write_all(conn, items);
    assert_eq!(results.len(), answers.len(), "one result per item");
    answers
        .into_iter()
        .zip(results)
        .map(|(a, r)| deliver(a, r))
        .collect()
}

/// Runs the batch's writes in order: each [`Work::One`] alone, each run of adjacent
/// [`Work::Merged`] items of one kind together, and last, the items of each kind that
/// [commutes](Merge::COMMUTES), all together.
fn write_batch(conn: &mut DbConnection, batch: Vec<Work>, delivers: &mut Vec<Deliver>) {
    let (mut last, batch): (Vec<Work>, Vec<Work>) = batch
        .into_iter()
        .partition(|w| matches!(w, Work::Merged { commutes: true, .. }));
    write_in_order(conn, batch, delivers);
    // A stable sort: each commuting kind's items become one run, in the order they came.
    last.sort_by_key(kind_of);
    write_in_order(conn, last, delivers);
}

fn kind_of(work: &Work) -> Option<TypeId> {
    match work {
        Work::One(_) => None,
        Work::Merged { kind, .. } => Some(*kind),
    }
}

fn write_in_order(conn: &mut DbConnection, batch: Vec<Work>, delivers: &mut Vec<Deliver>) {
    let mut batch = batch.into_iter().peekable();
    while let Some(work) = batch.next() {
        match work {
            Work::One(write) => delivers.push(write(conn)),
            Work::Merged {
                kind,
                item,
                write_all,
                ..
            } => {
                let mut run = vec![item];
                while let Some(Work::Merged { kind: next, .. }) = batch.peek() {
                    if *next != kind {
                        break;
                    }
                    if let Some(Work::Merged { item, .. }) = batch.next() {
                        run.push(item);
                    }
                }
                delivers.extend(write_all(conn, run));
            }
        }
    }
}

fn commit_loop(
    factory: &ConnectionFactory,
    flusher: Option<Flusher>,
    writes: &mpsc::Receiver<Work>,
) {
    let mut conn: Option<DbConnection> = None;
    // SQLite's log is checkpointed beside the commits, not in them; the thread stops
    // with this one.
    let _checkpointer = Checkpointer::start(factory);
    // PostgreSQL's tables are vacuumed when the commits pause (see `vacuum`).
    let batches = Arc::new(AtomicU64::new(0));
    let _vacuumer = Vacuumer::start(factory, Arc::clone(&batches));
    // Ends when every sender is gone (the application stopped).
    while let Ok(first) = writes.recv() {
        let mut batch = vec![first];
        batch.extend(writes.try_iter().take(MAX_BATCH - 1));
        let fresh = conn.is_none();
        let c = match factory.reuse_or_connect(&mut conn) {
            Ok(c) => c,
            Err(e) => {
                // Dropping the batch answers every caller with an error.
                tracing::error!(error = %e, "group commit: cannot connect to the database");
                continue;
            }
        };
        if fresh && flusher.is_some() {
            // The flusher makes the commits durable; the next batch need not wait.
            use diesel::connection::SimpleConnection;
            if let Err(e) = c.batch_execute("SET synchronous_commit = off") {
                tracing::error!(error = %e, "group commit: cannot set up the connection");
                conn = None;
                continue;
            }
        }
        let mut delivers = Vec::with_capacity(batch.len());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            write_transaction(c, |c| {
                write_batch(c, batch, &mut delivers);
                Ok::<(), diesel::result::Error>(())
            })
        }));
        let committed = match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::error!(error = %e, writes = delivers.len(), "group commit failed");
                conn = None;
                Err(Failed::of(e))
            }
            Err(_) => {
                // The connection's transaction state is unknown: close it (rolling back).
                tracing::error!(
                    writes = delivers.len(),
                    "a write panicked; its batch was rolled back"
                );
                conn = None;
                Err(Failed::Other("a write in the same batch failed".to_owned()))
            }
        };
        batches.fetch_add(1, Ordering::Relaxed);
        match (&flusher, committed) {
            (Some(flusher), Ok(())) => flusher.after_flush(Instant::now(), move |flushed| {
                let flushed = flushed.map_err(Failed::NotDurable);
                for deliver in delivers {
                    deliver(flushed.clone());
                }
            }),
            (_, committed) => {
                for deliver in delivers {
                    deliver(committed.clone());
                }
            }
        }
    }
}
