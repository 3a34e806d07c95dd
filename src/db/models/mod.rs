//! Read models (`X`), insert forms (`NewX`) and the queries on them. Each function takes
//! a connection; the caller owns the transaction.

pub mod agenda;
pub mod announcement;
pub mod api_token;
pub mod audit;
pub mod audit_people;
pub mod check_in;
pub mod community;
pub mod email_wording;
pub mod event;
pub mod impact;
pub mod invitation;
pub mod invitation_request;
pub mod manage_token;
pub mod nomination;
pub mod organizer;
pub mod password_reset;
pub mod privacy;
pub mod rate_hit;
pub mod registration;
pub mod reminder;
pub mod scholarship;
pub mod session;
pub mod stats;
pub mod survey;
pub mod webhook;

use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::Text;

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends (for case-insensitive search).
    fn lower(x: Text) -> Text;
}

/// A `LIKE` pattern matching `needle` anywhere, lowercased, with `%`, `_` and `\` taken
/// literally (use with `.escape('\\')`).
pub fn contains_pattern(needle: &str) -> String {
    let mut p = String::from("%");
    for c in needle.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// True when `e` is a unique-constraint violation (a duplicate slug or email), on either backend.
pub fn is_unique_violation(e: &Error) -> bool {
    matches!(
        e,
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// True when `e` violates the unique constraint `constraint`, whose columns are `columns`
/// (`"registrations.invitation_id"`, as SQLite lists them): another constraint of the
/// same table (a colliding random code) is not mistaken for it. PostgreSQL names the
/// constraint; SQLite does not (diesel gives only its message, "UNIQUE constraint failed:
/// registrations.invitation_id"), so there the columns in the message are the only way.
pub fn violates_unique(e: &Error, constraint: &str, columns: &str) -> bool {
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            match info.constraint_name() {
                Some(name) => name == constraint,
                None => info.message().strip_prefix("UNIQUE constraint failed: ") == Some(columns),
            }
        }
        _ => false,
    }
}

/// A fresh id for a new row (see [`crate::domain::ids::fresh`]).
pub fn new_id() -> String {
    crate::domain::ids::fresh()
}
