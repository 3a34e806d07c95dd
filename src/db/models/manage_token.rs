//! The manage links of a registration made after its first one. The first link's hash is
//! `registrations.manage_token_hash`; every later one (an email that carries a fresh link)
//! adds a row here, so that no link a registrant was sent stops working.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::registration::Registration;
use crate::db::schema::{registration_manage_tokens, registrations};
use crate::db::DbConnection;
use crate::domain::RegistrationId;
use crate::error::AppError;

#[derive(Insertable)]
#[diesel(table_name = registration_manage_tokens)]
struct NewManageToken<'a> {
    token_hash: &'a str,
    registration_id: &'a RegistrationId,
    created_at: NaiveDateTime,
}

/// Stores one more token hash for the registration.
pub fn add(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
    token_hash: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(registration_manage_tokens::table)
        .values(NewManageToken {
            token_hash,
            registration_id,
            created_at: at,
        })
        .execute(conn)?;
    Ok(())
}

/// The registration one of whose later links has this hash.
pub fn find_registration(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<Registration>, AppError> {
    Ok(registration_manage_tokens::table
        .inner_join(registrations::table)
        .filter(registration_manage_tokens::token_hash.eq(token_hash))
        .select(Registration::as_select())
        .first(conn)
        .optional()?)
}
