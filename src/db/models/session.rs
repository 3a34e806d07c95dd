use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::organizer::Organizer;
use crate::db::schema::{organizer_sessions, organizers};
use crate::db::{now, DbConnection};
use crate::error::AppError;

#[derive(Insertable)]
#[diesel(table_name = organizer_sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub organizer_id: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Stores a session by the hash of its token; also sweeps sessions that have expired.
pub fn create(
    conn: &mut DbConnection,
    token_hash: &str,
    organizer_id: &str,
    ttl: std::time::Duration,
) -> Result<NaiveDateTime, AppError> {
    let at = now();
    let expires_at = at + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12));
    diesel::delete(organizer_sessions::table.filter(organizer_sessions::expires_at.le(at)))
        .execute(conn)?;
    let id = super::new_id();
    diesel::insert_into(organizer_sessions::table)
        .values(NewSession {
            id: &id,
            token_hash,
            organizer_id,
            created_at: at,
            expires_at,
        })
        .execute(conn)?;
    Ok(expires_at)
}

/// The organizer of a live session on an enabled account, if any.
pub fn find_organizer(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<Organizer>, AppError> {
    let at = now();
    // Every signed-in request asks: on the backend's own connection (see `on_backend`).
    Ok(crate::db::on_backend!(conn, |c| organizer_sessions::table
        .inner_join(organizers::table)
        .filter(organizer_sessions::token_hash.eq(token_hash))
        .filter(organizer_sessions::expires_at.gt(at))
        .filter(organizers::disabled_at.is_null())
        .select(Organizer::as_select())
        .first(c)
        .optional())?)
}

pub fn delete(conn: &mut DbConnection, token_hash: &str) -> Result<(), AppError> {
    diesel::delete(organizer_sessions::table.filter(organizer_sessions::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(())
}

pub fn delete_for_organizer(conn: &mut DbConnection, organizer_id: &str) -> Result<(), AppError> {
    diesel::delete(
        organizer_sessions::table.filter(organizer_sessions::organizer_id.eq(organizer_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Ends every session of the organizer but the one whose token hashes to `keep`.
pub fn delete_for_organizer_except(
    conn: &mut DbConnection,
    organizer_id: &str,
    keep: &str,
) -> Result<(), AppError> {
    diesel::delete(
        organizer_sessions::table
            .filter(organizer_sessions::organizer_id.eq(organizer_id))
            .filter(organizer_sessions::token_hash.ne(keep)),
    )
    .execute(conn)?;
    Ok(())
}
