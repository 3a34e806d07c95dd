//! SQLite's write-ahead log copied back into the database file by a thread of its own.
//!
//! By default SQLite checkpoints on the connection whose commit took the log past 1,000
//! pages, before that commit returns: on the group-commit thread, every writer in the
//! next batch waited while pages were copied and the database file flushed. Measured on
//! the benchmark machine with no checkpoints at all: invitations through the API
//! 1,149-1,503 -> 1,900/s, registrations during a login flood 1,210-1,285 -> 1,908/s,
//! a bulk invite of 5,000 1.3-1.6 s -> 0.9 s. Here a passive checkpoint (it copies what
//! no reader still needs, and never blocks a writer or a reader) runs every [`INTERVAL`]
//! beside the writers, so the log stays short and no commit waits for one. Every
//! connection still checkpoints by itself past [`AUTOCHECKPOINT_PAGES`], should this
//! thread fall behind or not run (command-line tools).

use std::sync::mpsc;
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::{ConnectionFactory, DbConnection};
use crate::config::DatabaseUrl;

/// Pages in the log past which a connection checkpoints at its own commit (SQLite's
/// default is 1,000; this thread keeps the log below it).
pub(super) const AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// Time between checkpoints: each flushes the database file once, so a few commits'
/// pages are copied together (100 ms gave less than 500 ms: each checkpoint copies the
/// hot pages, the seat counter's and the indexes', again). With nothing new in the log
/// a checkpoint does nothing.
const INTERVAL: Duration = Duration::from_millis(500);

/// Keeps the checkpointing thread running; dropping it stops the thread.
pub(super) struct Checkpointer {
    _running: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the thread for a SQLite database, with a connection of its own from
    /// `factory` (opened at the first checkpoint, and again after a failure); `None` for
    /// PostgreSQL, which checkpoints in its own processes.
    pub(super) fn start(factory: &ConnectionFactory) -> Option<Self> {
        if !matches!(factory.url, DatabaseUrl::Sqlite(_)) {
            return None;
        }
        let factory = factory.clone();
        super::spawn_stoppable(
            "wal-checkpoint",
            "the connections still checkpoint by themselves",
            move |stopped| checkpoint_loop(&factory, &stopped),
        )
        .map(|running| Self { _running: running })
    }
}

fn checkpoint_loop(factory: &ConnectionFactory, stopped: &mpsc::Receiver<()>) {
    let mut conn: Option<DbConnection> = None;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        let c = match factory.reuse_or_connect(&mut conn) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "checkpoint: cannot connect to the database");
                continue;
            }
        };
        if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!(error = %e, "checkpoint failed");
            conn = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SqliteSync;

    fn file_len(path: &std::path::Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    /// Commits below the connections' own threshold reach the database file only by a
    /// checkpoint: the file grows while nobody but the thread checkpoints.
    #[test]
    fn the_thread_copies_committed_pages_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpointed.db");
        let factory = ConnectionFactory::new(DatabaseUrl::Sqlite(path.clone()), SqliteSync::Full);
        let mut conn = factory.connect().unwrap();
        conn.batch_execute("CREATE TABLE filler (body TEXT NOT NULL)")
            .unwrap();
        let before = file_len(&path);
        // About 500 pages, well below AUTOCHECKPOINT_PAGES: all of it stays in the log.
        for _ in 0..50 {
            conn.batch_execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) \
                 INSERT INTO filler (body) SELECT hex(randomblob(2000)) FROM n",
            )
            .unwrap();
        }
        assert_eq!(file_len(&path), before, "nothing was checkpointed yet");

        let checkpointer = Checkpointer::start(&factory).expect("SQLite is checkpointed");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while file_len(&path) < before + 500 * 4096 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            file_len(&path) >= before + 500 * 4096,
            "the database file grew from {before} to {} bytes only",
            file_len(&path)
        );
        drop(checkpointer);
    }

    #[test]
    fn postgresql_has_no_thread() {
        let factory = ConnectionFactory::new(
            DatabaseUrl::Postgres("postgres://nowhere.invalid/convene".into()),
            SqliteSync::Full,
        );
        assert!(Checkpointer::start(&factory).is_none());
    }
}
