//! The secret links: the record behind an emailed token. Anything that is not shaped
//! like a token, or matches nothing, is the same `UnknownToken` (404, counted against
//! the client's address, since only guessing produces many).

use url::Url;

use crate::db::models::invitation::{self, Invitation};
use crate::db::models::manage_token;
use crate::db::models::registration::{self, Registration};
use crate::db::{self, DbConnection};
use crate::domain::SecretToken;
use crate::email::messages;
use crate::error::AppError;

/// The stored hash of an invitation link's token.
pub fn invitation_token_hash(raw: &str) -> Result<String, AppError> {
    SecretToken::parse(raw)
        .map(|t| t.hash())
        .ok_or(AppError::UnknownToken("invitation"))
}

/// The invitation whose token has this hash.
pub fn invitation_by_hash(conn: &mut DbConnection, hash: &str) -> Result<Invitation, AppError> {
    invitation::find_by_token_hash(conn, hash)?.ok_or(AppError::UnknownToken("invitation"))
}

/// The registration whose manage link carries this token: its first link, or any made
/// since ([`new_manage_link`]).
pub fn registration_by_manage_token(
    conn: &mut DbConnection,
    raw: &str,
) -> Result<Registration, AppError> {
    let hash = SecretToken::parse(raw)
        .map(|t| t.hash())
        .ok_or(AppError::UnknownToken("registration"))?;
    match registration::find_by_manage_hash(conn, &hash)? {
        Some(reg) => Ok(reg),
        None => manage_token::find_registration(conn, &hash)?
            .ok_or(AppError::UnknownToken("registration")),
    }
}

/// A new manage link for `reg`, for an email that should carry one: only hashes are
/// stored, so an earlier link cannot be repeated; this one is added beside the others,
/// which keep working.
pub fn new_manage_link(
    conn: &mut DbConnection,
    base_url: &Url,
    reg: &Registration,
) -> Result<String, AppError> {
    let token = SecretToken::generate();
    manage_token::add(conn, &reg.id, &token.hash(), db::now())?;
    Ok(messages::manage_link(base_url, token.expose()))
}
