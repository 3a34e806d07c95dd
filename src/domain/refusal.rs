//! Why a rule or the database refused a change, as data: callers tell the cases apart by
//! variant (not by reading a sentence), and only `http` words them for clients and
//! chooses their status (409 mostly, 410 for what has [`Ended`]).

use super::event::ClosedReason;
use super::invitation::InvitationStatus;
use super::invitation_request::RequestStatus;
use super::nomination::{NominationRefusal, NominationStatus};
use super::registration::RegistrationStatus;
use super::scholarship::{AwardRefusal, ScholarshipStatus};

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
    /// An offered award, answered by another request.
    Award,
    /// A check-in, made and undone while this one waited for it.
    CheckIn,
}

/// What a cancelled registration no longer allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    ChangeDetails,
    RequestScholarship,
    DecideScholarship,
}

/// A link or a thing that is over for good: nothing done with it will work again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    InvitationRevoked,
    InvitationExpired,
    SurveyClosed,
    ResetLinkUsed,
    ResetLinkRunOut,
    AccountDisabled,
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
    /// The registration has its travel-scholarship request already (one, whatever its status).
    #[error("scholarship already requested")]
    AlreadyRequestedScholarship,
    /// The address holds a registration for the event that is not cancelled.
    #[error("the address is registered already")]
    AddressRegistered,
    /// The nominee has a live invitation to the event already.
    #[error("the nominee is invited already")]
    NomineeInvited,
    /// Registering with an invitation its invitee declined.
    #[error("the invitation was declined")]
    DeclinedInvitation,
    /// Declining an invitation declined before.
    #[error("already declined")]
    AlreadyDeclined,
    /// Declining an invitation that has its registration (which is cancelled instead).
    #[error("declining a used invitation")]
    DeclineRegistered,
    /// Registration is not possible now.
    #[error("registration closed: {0:?}")]
    RegistrationClosed(ClosedReason),
    /// The event is closed or archived, so it takes no requests for an invitation.
    #[error("the event takes no requests")]
    RequestsClosed,
    /// Only an open (pending or sent) invitation is sent again.
    #[error("a {0} invitation cannot be sent again")]
    NotResendable(InvitationStatus),
    #[error("registration cancelled: {0:?} refused")]
    RegistrationCancelled(Act),
    #[error("nomination refused: {0:?}")]
    MayNotNominate(NominationRefusal),
    #[error("award answer refused: {0:?}")]
    Award(AwardRefusal),
    /// The event has started, so a travel scholarship can no longer be requested.
    #[error("event started: too late to request a scholarship")]
    TooLateToRequestScholarship,
    /// The event has started, so an award could not be accepted before it.
    #[error("event started: too late to award a scholarship")]
    TooLateToAward,
    /// An announcement's idempotency key sent again with another announcement.
    #[error("idempotency key reused for another announcement")]
    IdempotencyKeyReused,
    /// Only a failed email is queued again; this one has the status it carries.
    #[error("only a failed email is sent again; this one is {0}")]
    EmailNotFailed(String),
    /// The email's body was purged after sending, so it cannot be sent again.
    #[error("the email's body is no longer stored")]
    EmailBodyPurged,
    // The next three are also printed by the command line, through their `Display`.
    #[error("an organizer with the email {0} already exists")]
    OrganizerEmailTaken(String),
    #[error("an event with the slug '{0}' already exists")]
    SlugTaken(String),
    /// An imported event whose slug or id this database has already.
    #[error("an event with the slug '{0}' or the same id exists already in this database")]
    ImportedAlready(String),
    #[error("ended: {0:?}")]
    Ended(Ended),
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
