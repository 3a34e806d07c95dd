//! On PostgreSQL the group committer does not wait for its commits to reach the disk:
//! a thread of our own makes them durable, and its callers are answered only then.
//!
//! A batch's durable commit was a third of the committer's cycle under invitations
//! through the API (about 1 ms of 2.8), and the next batch waited for it (`BENCHMARKS.md`,
//! session 26). So the committer's connection commits with `synchronous_commit = off`
//! and goes on to the next batch at once, and hands the batch's answers to this thread.
//! It makes one small durable commit of its own on another connection (a transactional
//! logical message, the smallest write whose commit waits for the flush) and then
//! answers every batch committed before it began. PostgreSQL's log is one sequence, so
//! that flush carries their commits too, and under the server's own
//! `synchronous_commit` (which may also wait for standbys), as theirs would have.
//!
//! Every caller is still answered only once its write is durable, in the order of the
//! batches. What changes is that a batch's rows are visible to other transactions for
//! the moment between its commit and the flush, as with any asynchronous commit. If the
//! database server crashes in that moment they are lost, as a write that was never
//! answered is; nothing written after them survives without them, since a later commit
//! comes later in the log. What leaves the database waits for the flush: the email
//! worker sends what it claimed only after [`Flusher::durable`], and the webhook
//! worker's claims are durable commits themselves.
//!
//! A flush vouches only for the commits made while its connection was open: a server
//! that restarted meanwhile (and lost what was not flushed) would have closed it. The
//! callers of a batch committed before the connection was opened, or whose flush
//! failed, are answered 503: their write may be there, but is not known to be durable.
//! So the thread opens a new connection as soon as it lost one, and while idle it
//! checks its connection, so that one closed by the server is replaced before the next
//! commit.
//!
//! A consumer of logical decoding sees the messages, under the prefix `convene.flush`,
//! empty. A server where they cannot be written (the function's `EXECUTE` revoked) is
//! found at the start, and the committer then waits for its own flushes as before.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use tokio::sync::oneshot;

use super::{ConnectionFactory, DbConnection};

/// A durable commit of nothing but a WAL record (no table, so no migration): the
/// message is transactional, so the statement's transaction has an id and its commit
/// waits for the log to reach the disk.
const FLUSH: &str = "SELECT pg_logical_emit_message(true, 'convene.flush', '')";

/// How often the thread tries to connect again while it has no connection.
const RECONNECT_EVERY: Duration = Duration::from_millis(200);

/// How long the thread waits idle before it checks its connection: one that the server
/// closed meanwhile (a restart, an idle timeout) is replaced before the next commit
/// needs it, rather than found at that commit's flush, which could then not vouch.
const CHECK_WHEN_IDLE: Duration = Duration::from_secs(5);

/// Why a flush does not vouch for a commit: the commit may not be durable.
pub type NotFlushed = String;

/// Called once a flush begun after the commit reached the disk (`Ok`), or did not.
type Then = Box<dyn FnOnce(Result<(), NotFlushed>) + Send>;

struct Waiter {
    /// When the commit to be made durable had returned.
    committed: Instant,
    then: Then,
}

/// The thread that makes commits durable; cloning shares it.
#[derive(Clone)]
pub struct Flusher {
    queue: mpsc::Sender<Waiter>,
}

impl Flusher {
    /// Starts the thread, with a connection through `factory` (PostgreSQL only) opened
    /// here, before any commit it will be asked to vouch for. An error if the database
    /// refuses the flush's statement (then no commit may rely on it).
    pub fn start(factory: ConnectionFactory) -> std::io::Result<Self> {
        let (queue, waiters) = mpsc::channel::<Waiter>();
        let mut open = connect(&factory);
        if let Some(Open { conn, .. }) = &mut open {
            conn.batch_execute(FLUSH).map_err(|e| {
                std::io::Error::other(format!("the database refuses `{FLUSH}`: {e}"))
            })?;
        }
        std::thread::Builder::new()
            .name("commit-flush".into())
            .spawn(move || flush_loop(&factory, open, &waiters))?;
        Ok(Self { queue })
    }

    /// Calls `then` once a flush begun after `committed` reached the disk, or with why
    /// not. Called at once with an error if the thread is gone.
    pub fn after_flush(
        &self,
        committed: Instant,
        then: impl FnOnce(Result<(), NotFlushed>) + Send + 'static,
    ) {
        if let Err(mpsc::SendError(waiter)) = self.queue.send(Waiter {
            committed,
            then: Box::new(then),
        }) {
            (waiter.then)(Err("the flushing thread is gone".into()));
        }
    }

    /// Returns once everything committed before the call is durable, or why that is
    /// not known.
    pub async fn durable(&self) -> Result<(), NotFlushed> {
        let (answer, answered) = oneshot::channel();
        self.after_flush(Instant::now(), move |flushed| {
            let _ = answer.send(flushed);
        });
        answered
            .await
            .unwrap_or_else(|_| Err("the flush was abandoned".into()))
    }
}

/// The thread's connection, and when it was opened.
struct Open {
    conn: DbConnection,
    since: Instant,
}

fn connect(factory: &ConnectionFactory) -> Option<Open> {
    match factory.connect() {
        Ok(conn) => Some(Open {
            conn,
            since: Instant::now(),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "commit flush: cannot connect to the database");
            None
        }
    }
}

fn flush_loop(
    factory: &ConnectionFactory,
    mut open: Option<Open>,
    waiters: &mpsc::Receiver<Waiter>,
) {
    loop {
        let wait = if open.is_some() {
            CHECK_WHEN_IDLE
        } else {
            RECONNECT_EVERY
        };
        let first = match waiters.recv_timeout(wait) {
            Ok(w) => w,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let alive = match &mut open {
                    // The pool's own check of a connection.
                    Some(Open { conn, .. }) => {
                        diesel::r2d2::ManageConnection::is_valid(factory, conn).is_ok()
                    }
                    None => false,
                };
                if !alive {
                    open = connect(factory);
                }
                continue;
            }
            // Every sender is gone: the application stopped.
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        // Everyone queued by now is carried by the one flush.
        let mut batch = vec![first];
        batch.extend(waiters.try_iter());
        if open.is_none() {
            open = connect(factory);
        }
        let flushed = match &mut open {
            Some(Open { conn, since }) => match conn.batch_execute(FLUSH) {
                Ok(()) => Ok(*since),
                Err(e) => Err(format!("the flush failed: {e}")),
            },
            None => Err("no database connection".to_owned()),
        };
        if flushed.is_err() {
            // It may have failed with the server; the next flush needs a connection that
            // was open at the commits it vouches for. It is opened before the waiters
            // are told, so that the flush after theirs can vouch for what they write next.
            open = connect(factory);
        }
        for Waiter { committed, then } in batch {
            then(match &flushed {
                Ok(since) if *since <= committed => Ok(()),
                Ok(_) => Err("the database connection was opened after the commit".into()),
                Err(cause) => Err(cause.clone()),
            });
        }
    }
}
