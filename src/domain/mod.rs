//! Domain types and rules: no HTTP, no SQL. Values are parsed once at the edge and
//! cannot hold invalid data afterwards.

pub mod agenda;
pub mod check_in;
pub mod community;
pub mod email_address;
pub mod event;
pub mod invitation;
pub mod invitation_request;
pub mod markdown;
pub mod money;
pub mod nomination;
pub mod organizer;
pub mod phone;
pub mod registration;
pub mod scholarship;
pub mod slug;
pub mod text;
pub mod token;

pub use email_address::EmailAddress;
pub use money::{Cents, Currency};
pub use slug::Slug;
pub use token::SecretToken;
#[cfg(test)]
mod properties;
