//! Domain types and rules: no HTTP, no SQL. Values are parsed once at the edge and
//! cannot hold invalid data afterwards.

pub mod agenda;
pub mod announcement;
pub mod api_token;
pub mod check_in;
pub mod community;
pub mod email_address;
pub mod email_wording;
pub mod event;
pub mod ids;
pub mod invitation;
pub mod invitation_request;
pub mod markdown;
pub mod money;
pub mod nomination;
pub mod organizer;
pub mod phone;
pub mod qr_code;
pub mod refusal;
pub mod registration;
pub mod reminder;
pub mod scholarship;
pub mod slug;
pub mod survey;
pub mod text;
pub mod token;
pub mod webhook;

pub use email_address::EmailAddress;
pub use ids::{
    CommunityId, EventId, InvitationId, NominationId, RegistrationId, ScholarshipRequestId,
};
pub use money::{Cents, Currency};
pub use refusal::{Record, Refusal, Transition};
pub use slug::Slug;
pub use token::SecretToken;
#[cfg(test)]
mod properties;

/// A closed set of named values (a status, a kind): every value, by name.
pub trait Choice: Copy + 'static {
    /// Every value, in the order a person would list them.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == raw)
    }

    /// "must be one of a, b, c" (or "must be a or b"), for a 422.
    fn expected() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
        match names.as_slice() {
            [a, b] => format!("must be {a} or {b}"),
            all => format!("must be one of {}", all.join(", ")),
        }
    }
}

/// `Display` as the stored and serialised name (`as_str`), for logs and messages, and
/// the [`Choice`] of every value.
macro_rules! named_values {
    ($($t:ty => [$($v:ident),* $(,)?]),* $(,)?) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Choice for $t {
            const ALL: &'static [Self] = &[$(<$t>::$v),*];

            fn as_str(self) -> &'static str {
                <$t>::as_str(self)
            }
        }
    )*};
}

named_values!(
    event::EventStatus => [Draft, Open, Closed, Archived],
    invitation::InvitationKind => [Executive, YoungLeader],
    invitation::InvitationStatus => [Pending, Sent, Accepted, Declined, Revoked, Expired],
    invitation_request::RequestStatus => [Pending, Approved, Declined],
    nomination::NominationStatus => [Pending, Approved, Declined, Withdrawn],
    organizer::Role => [Admin, Reviewer],
    registration::RegistrationStatus => [Confirmed, Waitlisted, Cancelled],
    scholarship::ScholarshipStatus => [Pending, Approved, Declined, Waitlisted, Withdrawn],
    scholarship::AwardStatus => [Offered, Accepted, Declined, Lapsed, Released],
    webhook::EventKind => [
        InvitationSent,
        InvitationDeclined,
        RegistrationCreated,
        RegistrationCancelled,
        RegistrationPromoted,
        NominationDecided,
        ScholarshipDecided,
        CheckinCreated,
    ],
);

#[cfg(test)]
mod choice_tests {
    use super::invitation::{InvitationKind, InvitationStatus};
    use super::Choice;

    #[test]
    fn every_value_parses_to_itself_and_the_message_lists_them() {
        for &s in <InvitationStatus as Choice>::ALL {
            assert_eq!(<InvitationStatus as Choice>::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            InvitationStatus::expected(),
            "must be one of pending, sent, accepted, declined, revoked, expired"
        );
        assert_eq!(
            InvitationKind::expected(),
            "must be executive or young_leader"
        );
    }
}
