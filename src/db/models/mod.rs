//! Read models (`X`), insert forms (`NewX`) and the queries on them. Each function takes
//! a connection; the caller owns the transaction.

pub mod audit;
pub mod event;
pub mod organizer;
pub mod session;

use diesel::result::{DatabaseErrorKind, Error};

/// True when `e` is a unique-constraint violation (a duplicate slug or email), on either backend.
pub fn is_unique_violation(e: &Error) -> bool {
    matches!(
        e,
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A fresh random id for a new row.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
