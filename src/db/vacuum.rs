//! PostgreSQL's tables vacuumed and analyzed as soon as a burst of writes ends, rather
//! than at autovacuum's next visit.
//!
//! Autovacuum looks at a database once a minute (`autovacuum_naptime`). Until it comes,
//! the planner plans with the statistics from before the burst, and none of the pages
//! written in it is marked all-visible. Measured on the benchmark (`BENCHMARKS.md`,
//! sessions 21 and 23): seconds after 10,000 registrations into one event, each page of
//! the organizers' list read and sorted the whole event (a bitmap scan, planned for the
//! few rows the event had when last analyzed), and its deep pages stayed costly until a
//! vacuum let the index answer alone. With the tables vacuumed once the burst ended, a
//! page took 1.38-1.44 ms of the machine's CPU instead of 1.69-1.97 ms, and the list's
//! p99 was 13-19 ms instead of 23-42 ms (target 20). `ANALYZE` alone did not do it: the
//! deep pages then sort the table instead.
//!
//! So a thread of our own, once the group committer has committed nothing for
//! [`QUIET`], applies autovacuum's own thresholds (the server's settings, the table's
//! size) to the tables' statistics and runs `VACUUM (ANALYZE)` on those past them:
//! what autovacuum would do at its next visit, done now. It looks again every
//! [`LOOK_EVERY`] until [`WATCH`] after the last commit, because a backend that goes
//! idle right after reporting its counts reports the rest up to 10 s later
//! (PostgreSQL's `PGSTAT_IDLE_INTERVAL`). While writes go on it waits, so that it does
//! not take a core from the writers for a vacuum the next second makes stale (our
//! reading; a vacuum after 10,000 registrations took about 300 ms). Once a table is
//! vacuumed its counts restart from zero, so several server processes do not vacuum it
//! again, and `SKIP_LOCKED` leaves a table another vacuum holds to that one.
//!
//! Left to autovacuum: the tables' TOAST parts (the emails' bodies, dropped once sent;
//! no read of ours is planned on them, and they were 41 ms of those 300), writes that
//! do not pass through the committer, and a table's own storage parameters (its
//! thresholds, `autovacuum_enabled`), which are not read: the service's tables set none.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{ConnectionFactory, DbConnection};
use crate::config::DatabaseUrl;

/// How long the committer must have committed nothing for a burst to have ended.
/// Short, so that the vacuum comes before the readers do; the email worker's records
/// keep the committer busy for as long as a burst's mail goes out.
const QUIET: Duration = Duration::from_millis(500);

/// How often the thread checks the committer.
const TICK: Duration = Duration::from_millis(250);

/// Time between looks at the statistics while watching.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// How long after the committer's last commit the statistics are watched: 10 s of late
/// counts and some to spare.
const WATCH: Duration = Duration::from_secs(15);

/// The tables of the current schema past one of autovacuum's thresholds (PostgreSQL
/// 13 or later, and the vacuum's options 14: see [`SINCE_VERSION`]), each `schema.table`, quoted. The scale
/// factors apply to the table's size as last counted (`reltuples`, -1 before its first
/// vacuum or analyze).
const PAST_THRESHOLDS: &str = "\
SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.relname) AS name \
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
WHERE s.schemaname = current_schema() AND ( \
  s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8 \
    + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0) \
  OR s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8 \
    + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0) \
  OR (current_setting('autovacuum_vacuum_insert_threshold')::float8 >= 0 \
    AND s.n_ins_since_vacuum > current_setting('autovacuum_vacuum_insert_threshold')::float8 \
    + current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * greatest(c.reltuples, 0))) \
ORDER BY 1";

/// Keeps the vacuuming thread running; dropping it stops the thread.
pub(super) struct Vacuumer {
    _running: mpsc::Sender<()>,
}

impl Vacuumer {
    /// Starts the thread for a PostgreSQL database, with a connection of its own from
    /// `factory` (opened at the first look, and again after a failure). `commits` is the
    /// group committer's count of batches. `None` for SQLite, whose planner does not
    /// depend on statistics kept so, and which has no visibility map.
    pub(super) fn start(factory: &ConnectionFactory, commits: Arc<AtomicU64>) -> Option<Self> {
        if !matches!(factory.url, DatabaseUrl::Postgres(_)) {
            return None;
        }
        let factory = factory.clone();
        super::spawn_stoppable("vacuum", "autovacuum still comes", move |stopped| {
            vacuum_loop(&factory, &commits, &stopped)
        })
        .map(|running| Self { _running: running })
    }
}

fn vacuum_loop(factory: &ConnectionFactory, commits: &AtomicU64, stopped: &mpsc::Receiver<()>) {
    let mut conn: Option<DbConnection> = None;
    // Whether the server was found recent enough; asked once, at the first look.
    let mut version_checked = false;
    let mut seen = commits.load(Ordering::Relaxed);
    // When the committer was last seen committing (none before its first commit, or once
    // the watch after it ended), and when the statistics may be looked at next.
    let mut last_commit: Option<Instant> = None;
    let mut next_look = Instant::now();
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
        let count = commits.load(Ordering::Relaxed);
        if count != seen {
            // Writes are under way: wait until they stop.
            seen = count;
            last_commit = Some(Instant::now());
            next_look = Instant::now() + QUIET;
            continue;
        }
        let Some(at) = last_commit else { continue };
        if at.elapsed() > WATCH {
            last_commit = None;
            continue;
        }
        if Instant::now() < next_look {
            continue;
        }
        next_look = Instant::now() + LOOK_EVERY;
        let c = match factory.reuse_or_connect(&mut conn) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "vacuum: cannot connect to the database");
                continue;
            }
        };
        let looked = if version_checked {
            vacuum_tables_past_thresholds(c)
        } else {
            match server_version(c) {
                Ok(version) if version < SINCE_VERSION => {
                    tracing::info!(
                        server_version_num = version,
                        "PostgreSQL before 14: the tables are left to autovacuum"
                    );
                    return;
                }
                Ok(_) => {
                    version_checked = true;
                    vacuum_tables_past_thresholds(c)
                }
                Err(e) => Err(e),
            }
        };
        if let Err(e) = looked {
            tracing::warn!(error = %e, "vacuum after a burst of writes failed");
            conn = None;
        }
    }
}

/// The first `server_version_num` with everything used here (the statistics
/// `PAST_THRESHOLDS` reads, the vacuum's options).
const SINCE_VERSION: i32 = 140_000;

fn server_version(conn: &mut DbConnection) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        version: i32,
    }
    diesel::sql_query("SELECT current_setting('server_version_num')::int AS version")
        .get_result::<Version>(conn)
        .map(|v| v.version)
}

fn vacuum_tables_past_thresholds(conn: &mut DbConnection) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(());
    };
    let tables: Vec<Table> = diesel::sql_query(PAST_THRESHOLDS).load(pg)?;
    if tables.is_empty() {
        return Ok(());
    }
    let names = tables
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let started = Instant::now();
    // Names from the catalog, quoted by the server: nothing of a request's reaches here.
    pg.batch_execute(&format!(
        "VACUUM (ANALYZE, SKIP_LOCKED, PROCESS_TOAST FALSE) {names}"
    ))?;
    tracing::info!(
        tables = %names,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "vacuumed and analyzed after a burst of writes"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SqliteSync;

    #[test]
    fn sqlite_has_no_thread() {
        let dir = tempfile::tempdir().unwrap();
        let factory = ConnectionFactory::new(
            DatabaseUrl::Sqlite(dir.path().join("none.db")),
            SqliteSync::Full,
        );
        assert!(Vacuumer::start(&factory, Arc::new(AtomicU64::new(0))).is_none());
    }
}
