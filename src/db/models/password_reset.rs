//! Password-reset links: the hash of each token, whose organizer it is, when it runs out
//! and when it was used (once).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::password_resets;
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub token_hash: String,
    pub organizer_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// Stores a new link; links of this organizer that ran out are swept on the way.
pub fn create(conn: &mut DbConnection, reset: &PasswordReset) -> Result<(), AppError> {
    diesel::delete(
        password_resets::table
            .filter(password_resets::organizer_id.eq(&reset.organizer_id))
            .filter(password_resets::expires_at.le(reset.created_at)),
    )
    .execute(conn)?;
    diesel::insert_into(password_resets::table)
        .values(reset)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, token_hash: &str) -> Result<Option<PasswordReset>, AppError> {
    Ok(password_resets::table
        .find(token_hash)
        .select(PasswordReset::as_select())
        .first(conn)
        .optional()?)
}

/// Marks the link used if it is still unused and live at `at`; false if another request
/// used it first, or it ran out.
pub fn claim(
    conn: &mut DbConnection,
    token_hash: &str,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        password_resets::table
            .find(token_hash)
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(at)),
    )
    .set(password_resets::used_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends every other unused link of the organizer (after a reset or a change).
pub fn retire_for(
    conn: &mut DbConnection,
    organizer_id: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        password_resets::table
            .filter(password_resets::organizer_id.eq(organizer_id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(at))
    .execute(conn)?;
    Ok(())
}
