//! The counted attempts of the shared rate limits (`rate_limit::Windows` on PostgreSQL):
//! one row per attempt, by scope and hashed key, pruned by the sweeper once older than any
//! window.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;

use crate::db::schema::rate_hits;
use crate::db::{now, DbConnection};
use crate::error::AppError;

/// The longest window of any limit; rows older than this count for nothing.
pub const LONGEST_WINDOW: Duration = Duration::from_secs(3600);

/// A key's attempts in its window.
#[derive(Debug, Default)]
pub struct Recent {
    pub count: u32,
    pub since_oldest: Option<Duration>,
    pub since_latest: Option<Duration>,
}

fn ago(now: NaiveDateTime, at: Option<NaiveDateTime>) -> Option<Duration> {
    at.map(|at| (now - at).to_std().unwrap_or_default())
}

pub fn recent(
    conn: &mut DbConnection,
    scope: &str,
    key_hash: &str,
    window: Duration,
) -> Result<Recent, AppError> {
    let now = now();
    let since = now - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    let (count, oldest, latest): (i64, Option<NaiveDateTime>, Option<NaiveDateTime>) =
        rate_hits::table
            .filter(rate_hits::scope.eq(scope))
            .filter(rate_hits::key_hash.eq(key_hash))
            .filter(rate_hits::at.gt(since))
            .select((count_star(), min(rate_hits::at), max(rate_hits::at)))
            .first(conn)?;
    Ok(Recent {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        since_oldest: ago(now, oldest),
        since_latest: ago(now, latest),
    })
}

pub fn record(conn: &mut DbConnection, scope: &str, key_hash: &str) -> Result<(), AppError> {
    diesel::insert_into(rate_hits::table)
        .values((
            rate_hits::scope.eq(scope),
            rate_hits::key_hash.eq(key_hash),
            rate_hits::at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn clear(conn: &mut DbConnection, scope: &str, key_hash: &str) -> Result<(), AppError> {
    diesel::delete(
        rate_hits::table
            .filter(rate_hits::scope.eq(scope))
            .filter(rate_hits::key_hash.eq(key_hash)),
    )
    .execute(conn)?;
    Ok(())
}

/// Holds the key until the transaction ends (PostgreSQL's advisory lock); SQLite's write
/// transaction already holds the whole database.
pub fn lock_key(conn: &mut DbConnection, scope: &str, key_hash: &str) -> Result<(), AppError> {
    if let DbConnection::Postgresql(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(format!("{scope}:{key_hash}"))
            .execute(c)?;
    }
    Ok(())
}

/// Deletes the attempts older than any window; how many.
pub fn prune(conn: &mut DbConnection, as_of: NaiveDateTime) -> Result<usize, AppError> {
    let before = as_of - chrono::Duration::from_std(LONGEST_WINDOW).unwrap_or_default();
    Ok(diesel::delete(rate_hits::table.filter(rate_hits::at.lt(before))).execute(conn)?)
}
