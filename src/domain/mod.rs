//! Domain types and rules: no HTTP, no SQL. Values are parsed once at the edge and
//! cannot hold invalid data afterwards.

pub mod check_in;
pub mod community;
pub mod email_address;
pub mod event;
pub mod invitation;
pub mod invitation_request;
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

/// `Display` as the stored and serialised name (`as_str`), for logs and messages.
macro_rules! display_as_str {
    ($($t:ty),* $(,)?) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_str!(
    event::EventStatus,
    invitation::InvitationKind,
    invitation::InvitationStatus,
    invitation_request::RequestStatus,
    nomination::NominationStatus,
    organizer::Role,
    registration::RegistrationStatus,
    scholarship::ScholarshipStatus,
    scholarship::AwardStatus,
);
