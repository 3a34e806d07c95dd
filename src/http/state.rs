//! What every request handler shares: the pool, the settings, and the process-wide
//! services (password hashing, throttles, the outbox signal, metrics, the group committer).

use std::sync::Arc;

use crate::auth::{LoginThrottle, PasswordHasher};
use crate::config::{DatabaseUrl, Settings};
use crate::db::{self, DbConnection, DbPool};
use crate::error::AppError;

/// Shared by every request handler.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub hasher: PasswordHasher,
    pub login_throttle: LoginThrottle,
    /// Our own origin, as browsers send it in `Origin`.
    pub origin: String,
    /// Wakes the email worker after a commit that queued mail.
    pub outbox: crate::email::OutboxSignal,
    /// Per-address limits on public endpoints.
    pub public_limits: crate::rate_limit::PublicLimits,
    /// This process's counters for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Registrations and the email worker's records are committed in groups (see
    /// [`db::group_commit`]).
    pub group_commit: db::group_commit::GroupCommit,
    /// The invitee's page, read together with the others asked at the same moment on
    /// PostgreSQL (see [`db::read_together`]).
    pub invitee_pages: db::read_together::ReadTogether<db::models::invitation::InviteePages>,
    /// The impact report's counts, kept between reports (see [`ImpactCounts`]).
    pub impact_counts: Arc<crate::workflows::impact::ImpactCounts>,
}

impl AppState {
    /// A short write that many callers make at the same moment (desks checking people in).
    /// On SQLite it goes through the group committer: one durable commit serves the batch,
    /// instead of each writer waiting for the one write lock. On PostgreSQL, whose writers
    /// run in parallel, it is a transaction on the pool: the committer's one connection
    /// would turn them into a queue of round trips (check-ins fell from 1,493 to about
    /// 700/s that way, `BENCHMARKS.md`).
    pub async fn concurrent_write<T, F>(&self, write: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match self.settings.database.url {
            DatabaseUrl::Sqlite(_) => self.group_commit.run(write).await,
            DatabaseUrl::Postgres(_) => {
                db::run(&self.pool, move |conn| db::write_transaction(conn, write)).await
            }
        }
    }
}
