//! The email worker's claims of due mail on PostgreSQL, made on a connection of its own.
//!
//! A claim on the pool was a transaction of five round trips (`BEGIN`, the settings, the
//! `SELECT ... FOR UPDATE SKIP LOCKED`, the `UPDATE` of the leases, `COMMIT`), and while
//! mail is queued about as fast as it is sent (invitations made one a request through
//! the API) the worker claims every two or three emails: 2,023 claims for 4,951 emails in
//! the benchmark's scenario 10, about half of PostgreSQL's statement time in it
//! (`BENCHMARKS.md`, session 16). Here the connection's session holds the settings once,
//! and each claim is the one statement of [`outbox::claim_due_pg`], committed by itself.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::outbox::{self, StoredEmail};
use crate::db::{self, ConnectionFactory, DbConnection};
use crate::error::AppError;

/// The connection claims are made on (`None` before the first claim and after a
/// failure: the next claim opens another).
#[derive(Clone)]
pub struct Claims {
    factory: ConnectionFactory,
    conn: Arc<Mutex<Option<DbConnection>>>,
}

impl Claims {
    /// Claims on a PostgreSQL database of `factory`; `None` for SQLite, whose claims go
    /// through the group committer (one writer).
    pub fn for_postgres(factory: ConnectionFactory) -> Option<Self> {
        factory.is_postgres().then(|| Self {
            factory,
            conn: Arc::default(),
        })
    }

    /// [`outbox::claim_due`], as one statement.
    pub async fn claim(&self, limit: i64, lease: Duration) -> Result<Vec<StoredEmail>, AppError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.claim_here(limit, lease))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
    }

    fn claim_here(&self, limit: i64, lease: Duration) -> Result<Vec<StoredEmail>, AppError> {
        // One claim at a time: the worker waits for each before the next.
        let mut held = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let claimed = (|| {
            let fresh = held.is_none();
            let conn = self
                .factory
                .reuse_or_connect(&mut held)
                .map_err(|e| AppError::Unavailable(format!("no database connection: {e}")))?;
            let DbConnection::Postgresql(pg) = conn else {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "claims of their own are made on PostgreSQL only"
                )));
            };
            if fresh {
                pg.batch_execute(&outbox::pg_claim_settings("SESSION"))?;
            }
            let at = db::now();
            let until = outbox::lease_until(at, lease)?;
            Ok(outbox::claim_due_pg(pg, limit, until, at)?)
        })();
        if claimed.is_err() {
            // Closed by the database, or in an unknown state: the next claim opens another.
            *held = None;
        }
        claimed
    }
}
