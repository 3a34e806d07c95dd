//! The secret links: the record behind an emailed token. Anything that is not shaped
//! like a token, or matches nothing, is the same `UnknownToken` (404, counted against
//! the client's address, since only guessing produces many).

use crate::db::models::invitation::{self, Invitation};
use crate::db::models::registration::{self, Registration};
use crate::db::DbConnection;
use crate::domain::SecretToken;
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

/// The registration whose manage link carries this token.
pub fn registration_by_manage_token(
    conn: &mut DbConnection,
    raw: &str,
) -> Result<Registration, AppError> {
    let hash = SecretToken::parse(raw)
        .map(|t| t.hash())
        .ok_or(AppError::UnknownToken("registration"))?;
    registration::find_by_manage_hash(conn, &hash)?.ok_or(AppError::UnknownToken("registration"))
}
