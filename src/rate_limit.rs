//! Sliding-window counters per key (an account, a client address).
//!
//! [`Windows`] counts in memory with SQLite (one database, one instance) and in the
//! database with PostgreSQL, where several instances share it: then a limit holds for
//! all of them together, not once per process (`rate_hits`, see `db::models::rate_hit`).

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::db::models::rate_hit;
use crate::db::{write_transaction, DbConnection, DbPool};
use crate::error::AppError;

/// Keys kept before stale ones are swept, so a flood of distinct keys cannot grow memory.
const SWEEP_ABOVE: usize = 50_000;

/// How long a "not limited" answer of the database is believed without asking again,
/// unless this process counts a hit for the key meanwhile. A client opening its own
/// links (no misses) then costs one round trip a second, not one a request. What it
/// gives up: hits counted by *other* instances reach this one up to this much later.
const CLEAR_FOR: Duration = Duration::from_secs(1);

pub struct SlidingWindows<K> {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<K, Vec<Instant>>>,
}

impl<K: Hash + Eq> SlidingWindows<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            hits: Mutex::default(),
        }
    }

    fn with_map<T>(&self, f: impl FnOnce(&mut HashMap<K, Vec<Instant>>, Instant) -> T) -> T {
        let now = Instant::now();
        let mut map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_ABOVE {
            let window = self.window;
            map.retain(|_, hits| hits.iter().any(|t| now.duration_since(*t) < window));
        }
        f(&mut map, now)
    }

    fn wait(&self, hits: &mut Vec<Instant>, now: Instant) -> Option<Duration> {
        hits.retain(|t| now.duration_since(*t) < self.window);
        if (hits.len() as u32) < self.limit {
            return None;
        }
        let oldest = hits.iter().min()?;
        Some(
            self.window
                .saturating_sub(now.duration_since(*oldest))
                .max(Duration::from_secs(1)),
        )
    }

    /// How long `key` must wait, if it has used up its hits in the window.
    pub fn retry_after(&self, key: &K) -> Option<Duration> {
        self.with_map(|map, now| map.get_mut(key).and_then(|hits| self.wait(hits, now)))
    }

    /// Counts one hit for `key`.
    pub fn record(&self, key: K) {
        self.with_map(|map, now| map.entry(key).or_default().push(now));
    }

    /// Counts one hit unless the limit is reached; `Err(wait)` when it is.
    pub fn acquire(&self, key: K) -> Result<(), Duration> {
        self.with_map(|map, now| {
            let hits = map.entry(key).or_default();
            match self.wait(hits, now) {
                Some(wait) => Err(wait),
                None => {
                    hits.push(now);
                    Ok(())
                }
            }
        })
    }

    /// The hits of `key` in the window, and how long ago the latest was.
    pub fn recent(&self, key: &K) -> (u32, Option<Duration>) {
        self.with_map(|map, now| match map.get_mut(key) {
            Some(hits) => {
                hits.retain(|t| now.duration_since(*t) < self.window);
                let latest = hits.iter().max().map(|t| now.duration_since(*t));
                (hits.len() as u32, latest)
            }
            None => (0, None),
        })
    }

    pub fn clear(&self, key: &K) {
        self.with_map(|map, _| map.remove(key));
    }
}

/// Where the counts of [`Windows`] live.
#[derive(Clone)]
pub enum Store {
    /// In this process (SQLite, or a unit test).
    Memory,
    /// In the database, shared by every instance (PostgreSQL).
    Database(DbPool),
}

impl Store {
    /// The database with PostgreSQL, memory with SQLite.
    pub fn for_backend(url: &crate::config::DatabaseUrl, pool: &DbPool) -> Self {
        match url {
            crate::config::DatabaseUrl::Postgres(_) => Self::Database(pool.clone()),
            crate::config::DatabaseUrl::Sqlite(_) => Self::Memory,
        }
    }
}

/// Sliding windows kept where the [`Store`] says, under a `scope` name of their own.
/// Each answer of the database takes one round trip, on a blocking thread.
pub struct Windows<K> {
    scope: &'static str,
    limit: u32,
    window: Duration,
    memory: SlidingWindows<K>,
    database: Option<DbPool>,
    /// With the database: keys it said were not limited, and when ([`CLEAR_FOR`]).
    clear: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + fmt::Debug + Send + 'static> Windows<K> {
    pub fn new(store: &Store, scope: &'static str, limit: u32, window: Duration) -> Self {
        Self {
            scope,
            limit,
            window,
            memory: SlidingWindows::new(limit, window),
            database: match store {
                Store::Memory => None,
                Store::Database(pool) => Some(pool.clone()),
            },
            clear: Mutex::default(),
        }
    }

    fn clear_cache(&self) -> std::sync::MutexGuard<'_, HashMap<K, Instant>> {
        // A panic elsewhere while holding it leaves only a cache behind.
        self.clear.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the database said `key` was not limited less than [`CLEAR_FOR`] ago.
    fn known_clear(&self, key: &K) -> bool {
        self.database.is_some()
            && self
                .clear_cache()
                .get(key)
                .is_some_and(|at| at.elapsed() < CLEAR_FOR)
    }

    fn remember_clear(&self, key: K) {
        let mut cache = self.clear_cache();
        if cache.len() >= SWEEP_ABOVE {
            cache.retain(|_, at| at.elapsed() < CLEAR_FOR);
        }
        cache.insert(key, Instant::now());
    }

    fn forget_clear(&self, key: &K) {
        if self.database.is_some() {
            self.clear_cache().remove(key);
        }
    }

    /// The stored form of a key: its SHA-256 with the scope, so that the table holds no
    /// address or account.
    fn key_hash(&self, key: &K) -> String {
        let digest = Sha256::digest(format!("{}\n{key:?}", self.scope).as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `key`'s window in the database, with the pool to reach it; none in memory. Several
    /// windows' answers can then be had in one round trip (the login throttle's three).
    pub(crate) fn shared_window(&self, key: &K) -> Option<(DbPool, Shared)> {
        let pool = self.database.as_ref()?;
        let shared = Shared {
            scope: self.scope,
            key_hash: self.key_hash(key),
            limit: self.limit,
            window: self.window,
        };
        Some((pool.clone(), shared))
    }

    async fn shared<T: Send + 'static>(
        &self,
        key: &K,
        f: impl FnOnce(&mut DbConnection, Shared) -> Result<T, AppError> + Send + 'static,
    ) -> Option<Result<T, AppError>> {
        let (pool, shared) = self.shared_window(key)?;
        Some(crate::db::run(&pool, move |conn| f(conn, shared)).await)
    }

    /// How long `key` must wait, if it has used up its hits in the window. With the
    /// database, a "no" is believed for [`CLEAR_FOR`] unless this process counts a hit
    /// for `key` meanwhile ([`Self::record`] forgets it).
    pub async fn retry_after(&self, key: &K) -> Result<Option<Duration>, AppError>
    where
        K: Clone,
    {
        if self.known_clear(key) {
            return Ok(None);
        }
        match self.shared(key, |c, s| s.retry_after(c)).await {
            Some(Ok(None)) => {
                self.remember_clear(key.clone());
                Ok(None)
            }
            Some(r) => r,
            None => Ok(self.memory.retry_after(key)),
        }
    }

    /// Counts one hit for `key`.
    pub async fn record(&self, key: K) -> Result<(), AppError> {
        self.forget_clear(&key);
        match self.shared(&key, |c, s| s.record(c)).await {
            Some(r) => r,
            None => {
                self.memory.record(key);
                Ok(())
            }
        }
    }

    /// Counts one hit unless the limit is reached; `Ok(Err(wait))` when it is.
    pub async fn acquire(&self, key: K) -> Result<Result<(), Duration>, AppError> {
        self.forget_clear(&key);
        match self.shared(&key, |c, s| s.acquire(c)).await {
            Some(r) => r,
            None => Ok(self.memory.acquire(key)),
        }
    }

    /// The hits of `key` in the window, and how long ago the latest was.
    pub async fn recent(&self, key: &K) -> Result<(u32, Option<Duration>), AppError> {
        match self
            .shared(key, |c, s| s.recent(c).map(|r| (r.count, r.since_latest)))
            .await
        {
            Some(r) => r,
            None => Ok(self.memory.recent(key)),
        }
    }

    pub async fn clear(&self, key: &K) -> Result<(), AppError> {
        match self.shared(key, |c, s| s.clear(c)).await {
            Some(r) => r,
            None => {
                self.memory.clear(key);
                Ok(())
            }
        }
    }
}

/// One key's window in the database.
pub(crate) struct Shared {
    scope: &'static str,
    key_hash: String,
    limit: u32,
    window: Duration,
}

impl Shared {
    pub(crate) fn recent(&self, conn: &mut DbConnection) -> Result<rate_hit::Recent, AppError> {
        rate_hit::recent(conn, self.scope, &self.key_hash, self.window)
    }

    fn wait(&self, r: &rate_hit::Recent) -> Option<Duration> {
        (r.count >= self.limit).then(|| {
            self.window
                .saturating_sub(r.since_oldest.unwrap_or_default())
                .max(Duration::from_secs(1))
        })
    }

    pub(crate) fn retry_after(
        &self,
        conn: &mut DbConnection,
    ) -> Result<Option<Duration>, AppError> {
        let r = self.recent(conn)?;
        Ok(self.wait(&r))
    }

    pub(crate) fn record(&self, conn: &mut DbConnection) -> Result<(), AppError> {
        rate_hit::record(conn, self.scope, &self.key_hash)
    }

    /// Counted and checked under a lock of this key, so that instances asking at the same
    /// moment cannot all take the last hit.
    fn acquire(&self, conn: &mut DbConnection) -> Result<Result<(), Duration>, AppError> {
        write_transaction(conn, |conn| {
            rate_hit::lock_key(conn, self.scope, &self.key_hash)?;
            let r = self.recent(conn)?;
            match self.wait(&r) {
                Some(wait) => Ok(Err(wait)),
                None => self.record(conn).map(Ok),
            }
        })
    }

    pub(crate) fn clear(&self, conn: &mut DbConnection) -> Result<(), AppError> {
        rate_hit::clear(conn, self.scope, &self.key_hash)
    }
}

/// Per-address limits on the endpoints anyone can call.
pub struct PublicLimits {
    /// Requests for an invitation: a person needs one or two, a spammer thousands.
    pub invitation_requests: Windows<std::net::IpAddr>,
    /// Unknown invitation or manage tokens: only guessing produces many.
    pub token_misses: Windows<std::net::IpAddr>,
    /// Requests for a password-reset link: nobody forgets ten passwords an hour, and
    /// each sends an email.
    pub password_resets: Windows<std::net::IpAddr>,
}

impl PublicLimits {
    /// `CONVENE_INVITATION_REQUEST_LIMIT` per hour, `CONVENE_TOKEN_MISS_LIMIT` per 10 minutes.
    pub fn new(limits: &crate::config::LimitSettings, store: &Store) -> Self {
        Self {
            invitation_requests: Windows::new(
                store,
                "invitation_requests",
                limits.invitation_requests,
                Duration::from_secs(3600),
            ),
            token_misses: Windows::new(
                store,
                "token_misses",
                limits.token_misses,
                Duration::from_secs(600),
            ),
            password_resets: Windows::new(store, "password_resets", 10, Duration::from_secs(3600)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_its_limit_until_the_window_passes() {
        let w = SlidingWindows::new(2, Duration::from_millis(200));
        assert!(w.acquire("a").is_ok());
        assert!(w.acquire("a").is_ok());
        let wait = w.acquire("a").unwrap_err();
        assert!(
            wait >= Duration::from_secs(1),
            "Retry-After is at least a second"
        );
        assert!(w.acquire("b").is_ok(), "other keys are unaffected");
        std::thread::sleep(Duration::from_millis(250));
        assert!(w.acquire("a").is_ok());
    }

    #[test]
    fn clearing_a_key_forgives_it() {
        let w = SlidingWindows::new(1, Duration::from_secs(60));
        w.record("a");
        assert!(w.retry_after(&"a").is_some());
        w.clear(&"a");
        assert!(w.retry_after(&"a").is_none());
    }
}
