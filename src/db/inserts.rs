//! Inserts into several tables, gathered and then written together: on PostgreSQL as one
//! statement, on SQLite one after another.
//!
//! Every statement the group committer sends to PostgreSQL is a round trip on its one
//! connection (diesel has no pipelining): a run of invitations was nine statements, a run
//! of registrations ten. A data-modifying `WITH` sends a run's inserts at once,
//! `WITH w0 AS (INSERT …), w1 AS (INSERT …) INSERT …`: PostgreSQL runs each sub-statement
//! exactly once, with one snapshot, and checks foreign keys at the end of the whole
//! statement, so a failure (a unique index) fails them all, as it fails the savepoint
//! they are written in. On the benchmark's two cores, shared with PostgreSQL, the
//! figures stayed within their spread (`BENCHMARKS.md`, session 13: the cores, not the
//! round trips, bound them there); with the database on another host each round trip
//! saved is a network's. On SQLite a statement is a function call: each runs on its own,
//! in the order gathered.
//!
//! Gather with `gather!`, write with [`Inserts::write`]. The rows are not read back:
//! callers build what they stored (as `RETURNING` would give it) themselves.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::{PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

use super::DbConnection;
use crate::error::AppError;

/// Inserts gathered for one connection's backend.
pub enum Inserts<'a> {
    #[doc(hidden)]
    Postgresql(Vec<Box<dyn QueryFragment<Pg> + 'a>>),
    #[doc(hidden)]
    Sqlite(Vec<SqliteInsert<'a>>),
}

#[doc(hidden)]
pub type SqliteInsert<'a> = Box<dyn FnOnce(&mut SqliteConnection) -> QueryResult<usize> + 'a>;

/// Adds the insert `$stmt` (an `insert_into(…).values(…)` that owns or borrows its rows
/// for the [`Inserts`]' lifetime) to `$inserts`. A macro because the statement is built
/// once per backend, as with [`super::on_backend`].
macro_rules! gather {
    ($inserts:expr, $stmt:expr) => {
        match $inserts {
            $crate::db::inserts::Inserts::Postgresql(gathered) => {
                gathered.push(Box::new($stmt));
            }
            $crate::db::inserts::Inserts::Sqlite(gathered) => {
                gathered.push(Box::new(move |c: &mut diesel::SqliteConnection| {
                    diesel::RunQueryDsl::execute($stmt, c)
                }));
            }
        }
    };
}
pub(crate) use gather;

impl<'a> Inserts<'a> {
    /// Nothing gathered yet, for writing on `conn`.
    pub fn on(conn: &DbConnection) -> Self {
        match conn {
            DbConnection::Postgresql(_) => Self::Postgresql(Vec::new()),
            DbConnection::Sqlite(_) => Self::Sqlite(Vec::new()),
        }
    }

    /// Writes what was gathered, in the caller's transaction.
    ///
    /// # Panics
    /// If `conn` is not of the backend `self` was made [`on`](Self::on).
    pub fn write(self, conn: &mut DbConnection) -> Result<(), AppError> {
        match (self, conn) {
            (Self::Postgresql(parts), DbConnection::Postgresql(pg)) => {
                if !parts.is_empty() {
                    With(&parts).execute(pg)?;
                }
            }
            (Self::Sqlite(parts), DbConnection::Sqlite(c)) => {
                for insert in parts {
                    insert(c)?;
                }
            }
            _ => panic!("inserts gathered for one backend written on the other"),
        }
        Ok(())
    }
}

/// The statements as one: each but the last in a `WITH`.
struct With<'p, 'a>(&'p [Box<dyn QueryFragment<Pg> + 'a>]);

impl QueryFragment<Pg> for With<'_, '_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The number of rows varies from run to run, and with it the SQL.
        out.unsafe_to_cache_prepared();
        let Some((last, first)) = self.0.split_last() else {
            return Ok(());
        };
        for (k, part) in first.iter().enumerate() {
            out.push_sql(if k == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("w{k} AS ("));
            part.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        if !first.is_empty() {
            out.push_sql(" ");
        }
        last.walk_ast(out.reborrow())
    }
}

impl QueryId for With<'_, '_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl RunQueryDsl<PgConnection> for With<'_, '_> {}
