//! Persistence: one connection type over SQLite and PostgreSQL, picked at run time
//! from `DATABASE_URL`, a pool, the embedded migrations, and plain query functions
//! per model (in [`models`]).

mod checkpoint;
mod durable;
pub mod enums;
pub mod group_commit;
pub mod ids;
pub mod inserts;
pub mod models;
pub mod read_together;
pub mod schema;
pub mod transfer;
mod vacuum;

use std::sync::{mpsc, Arc};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{DatabaseSettings, DatabaseUrl, SqliteSync};
use crate::error::AppError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgresql");

/// A connection to either backend. Queries written against it run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs `$body` with the backend's own connection bound to `$c`, for the busiest reads.
///
/// Through [`DbConnection`] itself, diesel's multi-connection layer writes each query's
/// SQL again at every run (it renders the SQL while collecting the binds, even for a
/// statement it has cached): 17 % of the server's CPU under invitation reads. On the
/// backend's connection a cached statement is found by its type and only bound. The body
/// is written out once per backend, so the query must be built inside it.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgresql($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Opens connections for the pool. Unlike the derived `establish`, which tries each
/// backend in turn and drops the real error, it picks the backend from the URL scheme.
#[derive(Clone, Debug)]
pub struct ConnectionFactory {
    url: DatabaseUrl,
    sqlite_sync: SqliteSync,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("cannot create the database folder: {0}")]
    Folder(#[from] std::io::Error),
}

/// Turns on SQLite's query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`)
/// on every connection this process opens, through an auto-extension run at each open.
///
/// Without it, SQLite (3.53) marks a statement with `LIMIT ?` as depending on its bound
/// value, and binding that parameter again expires the statement: diesel binds every
/// parameter at every run (`.first()` is `LIMIT ?`), so each cached statement was parsed
/// and planned again each time it ran, 38 % of the server's CPU under invitation reads.
/// The guarantee also keeps other bound values (`LIKE` patterns, partial-index
/// conditions) from choosing plans, which our queries do not rely on.
fn sqlite_stable_plans() {
    unsafe extern "C" fn enable_qpsg(
        db: *mut libsqlite3_sys::sqlite3,
        _err: *mut *mut std::ffi::c_char,
        _api: *const libsqlite3_sys::sqlite3_api_routines,
    ) -> std::ffi::c_int {
        // SAFETY: SQLite calls this with the connection it is opening; the option takes
        // an int (on) and a nullable pointer for the previous setting.
        unsafe {
            libsqlite3_sys::sqlite3_db_config(
                db,
                libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as std::ffi::c_int,
                std::ptr::null_mut::<std::ffi::c_int>(),
            );
        }
        libsqlite3_sys::SQLITE_OK
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a function with the signature SQLite expects; it stays valid
        // for the life of the process.
        unsafe {
            libsqlite3_sys::sqlite3_auto_extension(Some(enable_qpsg));
        }
    });
}

impl ConnectionFactory {
    pub fn new(url: DatabaseUrl, sqlite_sync: SqliteSync) -> Self {
        Self { url, sqlite_sync }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.url, DatabaseUrl::Postgres(_))
    }

    pub fn connect(&self) -> Result<DbConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)?;
                }
                sqlite_stable_plans();
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the writer; busy_timeout makes writers queue
                // instead of failing with "database is locked".
                let sync = match self.sqlite_sync {
                    SqliteSync::Full => "FULL",
                    SqliteSync::Normal => "NORMAL",
                };
                // The log is checkpointed by a thread of its own (`checkpoint`).
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = {sync}; \
                     PRAGMA wal_autocheckpoint = {};",
                    checkpoint::AUTOCHECKPOINT_PAGES
                ))?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => Ok(DbConnection::Postgresql(
                diesel::PgConnection::establish(url)?,
            )),
        }
    }

    /// The connection a thread keeps for itself (`None` before the first use and after
    /// a failure), opened if there is none.
    pub(crate) fn reuse_or_connect<'c>(
        &self,
        conn: &'c mut Option<DbConnection>,
    ) -> Result<&'c mut DbConnection, ConnectError> {
        match conn {
            Some(c) => Ok(c),
            None => Ok(conn.insert(self.connect()?)),
        }
    }
}

impl ManageConnection for ConnectionFactory {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        ConnectionFactory::connect(self)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type PooledConn = PooledConnection<ConnectionFactory>;

/// The pool of connections, and a queue in front of it for the work of [`run`].
///
/// r2d2 hands a returned connection to whichever thread asks next, not to the one that
/// waited longest: a blocking thread that just gave its connection back takes the next
/// task and asks again before the waiter it woke has run. With 64 reads in flight and 16
/// connections some reads waited over a second (PostgreSQL, `BENCHMARKS.md` session 12).
/// [`run`] first takes one of `pool_size` permits of a fair (first come, first served)
/// semaphore, so the work that reaches the pool finds a connection free, and the rest
/// waits in order without a thread each.
#[derive(Clone)]
pub struct DbPool {
    connections: Pool<ConnectionFactory>,
    permits: Arc<tokio::sync::Semaphore>,
    /// How long [`run`] waits for a permit and a connection together (`CONVENE_DB_WAIT_MS`).
    wait: std::time::Duration,
    /// Whether the connections are SQLite's (see [`read_here`]).
    sqlite: bool,
}

impl DbPool {
    /// A connection now, outside the queue of [`run`] (startup, tools, tests); waits up to
    /// `CONVENE_DB_WAIT_MS` for one.
    pub fn get(&self) -> Result<PooledConn, diesel::r2d2::PoolError> {
        self.connections.get()
    }
}

/// Builds the pool without opening a connection first, so that a server can start
/// (and answer `/readyz` with "not ready") while the database is down.
pub fn build_pool(settings: &DatabaseSettings) -> DbPool {
    let factory = ConnectionFactory::new(settings.url.clone(), settings.sqlite_synchronous);
    let connections = Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(1))
        .connection_timeout(settings.wait)
        .test_on_check_out(false)
        .build_unchecked(factory);
    DbPool {
        connections,
        permits: Arc::new(tokio::sync::Semaphore::new(settings.pool_size as usize)),
        wait: settings.wait,
        sqlite: matches!(settings.url, DatabaseUrl::Sqlite(_)),
    }
}

/// Applies every pending migration of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Copies a SQLite database to `target` while it is in use, as one consistent snapshot
/// (`VACUUM INTO`: a read transaction, so writers go on meanwhile). `target` must not
/// exist. PostgreSQL has its own tools for this: `pg_dump` and `pg_restore`.
pub fn backup_sqlite(conn: &mut DbConnection, target: &std::path::Path) -> anyhow::Result<()> {
    let DbConnection::Sqlite(sqlite) = conn else {
        anyhow::bail!(
            "`convene backup` is for SQLite; back up PostgreSQL with pg_dump \
             (e.g. pg_dump --format=custom --file convene.dump \"$DATABASE_URL\") and \
             restore with pg_restore"
        );
    };
    if target.exists() {
        anyhow::bail!("{} exists already; choose a new file", target.display());
    }
    let path = target
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup path must be UTF-8"))?;
    // A string literal in SQL: single quotes doubled.
    sqlite.batch_execute(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))?;
    Ok(())
}

/// Reverts every migration (used by the migration round-trip test and by operators).
pub fn revert_all_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("reverting migrations failed: {e}"))?;
    Ok(reverted.into_iter().map(|v| v.to_string()).collect())
}

/// Starts `body` on a thread named `name` beside the group committer (the log
/// checkpointer, the vacuum), given a receiver that disconnects when the returned sender
/// is dropped: the thread's cue to stop. `None`, with a warning that says what still does
/// the thread's work (`fallback`), when the thread cannot be started.
fn spawn_stoppable(
    name: &str,
    fallback: &str,
    body: impl FnOnce(mpsc::Receiver<()>) + Send + 'static,
) -> Option<mpsc::Sender<()>> {
    let (running, stopped) = mpsc::channel();
    match std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || body(stopped))
    {
        Ok(_) => Some(running),
        Err(e) => {
            tracing::warn!(error = %e, thread = name, "cannot start the thread; {fallback}");
            None
        }
    }
}

/// Runs `f` in a transaction that may read and then write. On SQLite it begins
/// `IMMEDIATE`: a deferred transaction that reads first fails at the lock upgrade
/// when another writer got there first, whatever the busy timeout. Inside a transaction
/// already open (a batch of [`group_commit`]) it is a savepoint of that one.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    let open = AnsiTransactionManager::transaction_manager_status_mut(sqlite)
        .transaction_depth()?
        .is_some();
    if open {
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let result = f(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        unreachable!("the backend of a connection does not change");
    };
    match result {
        Ok(value) => {
            if let Err(e) = AnsiTransactionManager::commit_transaction(sqlite) {
                let _ = AnsiTransactionManager::rollback_transaction(sqlite);
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(sqlite)?;
            Err(e)
        }
    }
}

/// Runs blocking database work off the async threads with a pooled connection, in the
/// order the callers came (see [`DbPool`]).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let asked = std::time::Instant::now();
    let permit = tokio::time::timeout(pool.wait, Arc::clone(&pool.permits).acquire_owned())
        .await
        .map_err(|_| {
            AppError::Unavailable(format!(
                "no database connection: none free within {} ms",
                pool.wait.as_millis()
            ))
        })?
        .map_err(|e| AppError::Internal(e.into()))?;
    let connections = pool.connections.clone();
    // The whole wait, the queue's and the pool's, stays within CONVENE_DB_WAIT_MS (with
    // the database down, the pool waits for a connection that cannot be made).
    let left = pool.wait.saturating_sub(asked.elapsed());
    actix_web::web::block(move || {
        // Dropped after the connection (declared before it): the next caller in the
        // queue finds it back in the pool.
        let _permit = permit;
        let mut conn = connections
            .get_timeout(left)
            .map_err(|e| AppError::Unavailable(format!("no database connection: {e}")))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// [`run`] for a read of a few rows by an index (a token, a slug): on SQLite, when a
/// connection is free at once and no one waits for one, it runs on the calling thread.
///
/// On SQLite a read is a function call of some microseconds that never waits for a writer
/// (the log is write-ahead), and the hop to a blocking thread and back cost more than
/// the read: in the benchmark's invitation reads the blocking threads' wake-ups and the
/// context switches were a sixth of the machine's time (`BENCHMARKS.md`, session 10).
/// On PostgreSQL a read waits for a round trip, which would hold up every other request
/// of the async thread: there, and whenever the pool is busy, this is [`run`].
pub async fn read_here<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    if pool.sqlite {
        // The permit first, as in `run`: a connection free in the pool may be promised
        // to a caller that holds a permit and is on its way to take it.
        if let Ok(_permit) = pool.permits.try_acquire() {
            if let Some(mut conn) = pool.connections.try_get() {
                return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut conn)))
                    .unwrap_or_else(|_| {
                        Err(AppError::Internal(anyhow::anyhow!(
                            "a database read panicked"
                        )))
                    });
            }
        }
    }
    run(pool, f).await
}

/// The current time as the database stores it: UTC, truncated to microseconds
/// (SQLite would keep nanoseconds, PostgreSQL keeps microseconds).
pub fn now() -> chrono::NaiveDateTime {
    truncate_micros(chrono::Utc::now().naive_utc())
}

pub fn truncate_micros(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(nanos).unwrap_or(t)
}
