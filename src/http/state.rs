//! What every request handler shares: the pool, the settings, and the process-wide
//! services (password hashing, throttles, the outbox signal, metrics, the group committer).

use std::sync::Arc;

use crate::auth::{LoginThrottle, PasswordHasher};
use crate::config::Settings;
use crate::db::{self, DbPool};

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
}
