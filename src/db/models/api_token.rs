//! API tokens, stored by the hash of their secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::organizer::Organizer;
use crate::db::schema::{api_tokens, organizers};
use crate::db::{now, DbConnection};
use crate::domain::organizer::Role;
use crate::error::AppError;

/// A token as stored, without its hash.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub organizer_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = api_tokens, treat_none_as_default_value = false)]
pub struct NewApiToken<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub organizer_id: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn create(conn: &mut DbConnection, row: &NewApiToken<'_>) -> Result<ApiToken, AppError> {
    diesel::insert_into(api_tokens::table)
        .values(row)
        .execute(conn)?;
    find(conn, row.id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<ApiToken, AppError> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("API token"))
}

/// Every token with the email of the organizer who made it, newest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<(ApiToken, String)>, AppError> {
    Ok(api_tokens::table
        .inner_join(organizers::table)
        .order((api_tokens::created_at.desc(), api_tokens::id.asc()))
        .select((ApiToken::as_select(), organizers::email))
        .load(conn)?)
}

/// The email of the organizer who made a token.
pub fn creator_email(conn: &mut DbConnection, token: &ApiToken) -> Result<String, AppError> {
    Ok(organizers::table
        .find(&token.organizer_id)
        .select(organizers::email)
        .first(conn)?)
}

/// Marks a token revoked now; revoking it again changes nothing.
pub fn revoke(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?;
    Ok(())
}

/// The organizer a live token acts for, with the token's role when it is the lower one:
/// not revoked, not expired, and its organizer not disabled.
pub fn find_organizer(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<Organizer>, AppError> {
    let at = now();
    let found: Option<(Organizer, Role)> = api_tokens::table
        .inner_join(organizers::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(at)),
        )
        .filter(organizers::disabled_at.is_null())
        .select((Organizer::as_select(), api_tokens::role))
        .first(conn)
        .optional()?;
    Ok(found.map(|(mut organizer, role)| {
        organizer.role = organizer.role.at_most(role);
        organizer
    }))
}
