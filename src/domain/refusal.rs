//! Why a rule or the database refused a change, as data: callers tell the cases apart by
//! variant (not by reading a sentence), and only `http` words them for clients (409).

use super::invitation::InvitationStatus;
use super::invitation_request::RequestStatus;
use super::nomination::NominationStatus;
use super::registration::RegistrationStatus;
use super::scholarship::ScholarshipStatus;

/// A status change that a state machine does not allow: `from` may not become `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition<S> {
    pub from: S,
    pub to: S,
}

/// A row that was changed by another request between reading it and changing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    Invitation,
    InvitationRequest,
    Nomination,
    Registration,
    ScholarshipRequest,
}

/// A change refused because of the state of what it would change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("invitation transition: {} -> {}", .0.from, .0.to)]
    Invitation(Transition<InvitationStatus>),
    #[error("invitation request transition: {} -> {}", .0.from, .0.to)]
    InvitationRequest(Transition<RequestStatus>),
    #[error("nomination transition: {} -> {}", .0.from, .0.to)]
    Nomination(Transition<NominationStatus>),
    #[error("registration transition: {} -> {}", .0.from, .0.to)]
    Registration(Transition<RegistrationStatus>),
    #[error("scholarship request transition: {} -> {}", .0.from, .0.to)]
    Scholarship(Transition<ScholarshipStatus>),
    /// The invitation has its registration already.
    #[error("already registered")]
    AlreadyRegistered,
    /// The address has a live invitation to the event already.
    #[error("already invited")]
    AlreadyInvited,
    /// The registration has its travel-scholarship request already.
    #[error("scholarship already requested")]
    AlreadyRequestedScholarship,
    /// No seat is free.
    #[error("over capacity")]
    OverCapacity,
    /// An award larger than what is left of the scholarship budget.
    #[error("over budget: {amount_cents} asked, {left_cents} left")]
    OverBudget {
        left_cents: i64,
        amount_cents: i64,
        currency: String,
    },
    #[error("stale: {0:?} changed meanwhile")]
    Stale(Record),
}

macro_rules! transitions {
    ($($status:ty => $variant:ident),* $(,)?) => {$(
        impl From<Transition<$status>> for Refusal {
            fn from(t: Transition<$status>) -> Self {
                Self::$variant(t)
            }
        }
    )*};
}

transitions!(
    InvitationStatus => Invitation,
    RequestStatus => InvitationRequest,
    NominationStatus => Nomination,
    RegistrationStatus => Registration,
    ScholarshipStatus => Scholarship,
);
