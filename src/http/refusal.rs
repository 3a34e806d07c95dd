//! The status and the words clients read for each [`Refusal`] (a problem's `detail`, or
//! a bulk row's message): the only place they are written.

use actix_web::http::StatusCode;

use crate::domain::event::ClosedReason;
use crate::domain::invitation::InvitationStatus;
use crate::domain::invitation_request::RequestStatus;
use crate::domain::nomination::{NominationRefusal, NominationStatus};
use crate::domain::refusal::{Act, Ended};
use crate::domain::registration::RegistrationStatus;
use crate::domain::scholarship::{AwardRefusal, ScholarshipStatus};
use crate::domain::{Record, Refusal, Transition};
use crate::email::templates::money;

/// 410 for what has ended for good, 403 for a young leader nominating, 409 otherwise.
pub(in crate::http) fn status(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::Ended(_) => StatusCode::GONE,
        Refusal::MayNotNominate(NominationRefusal::NotAnExecutive) => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    }
}

/// What the refusal says to the client, in words a person can act on.
pub(in crate::http) fn detail(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Invitation(t) => invitation(*t),
        Refusal::InvitationRequest(t) => invitation_request(*t),
        Refusal::Nomination(t) => nomination(*t),
        Refusal::Registration(t) => registration(*t),
        Refusal::Scholarship(t) => scholarship(*t),
        Refusal::AlreadyRegistered => "You have already registered with this invitation.".into(),
        Refusal::AlreadyInvited => "This address already has a live invitation to this event \
             (open, or accepted with a registration that is not cancelled); revoke an open one \
             first to invite again."
            .into(),
        Refusal::AlreadyRequestedScholarship => {
            "This registration already has a travel scholarship request; there can be only one."
                .into()
        }
        Refusal::AddressRegistered => {
            "This address already holds a registration for this event that is not cancelled.".into()
        }
        Refusal::NomineeInvited => "The nominee already has a live invitation to this event \
             (open or accepted), so the nomination was left pending. Decline it, or revoke that \
             invitation and approve again."
            .into(),
        Refusal::DeclinedInvitation => "You declined this invitation. Please contact the \
             organizers if you would like to attend after all."
            .into(),
        Refusal::AlreadyDeclined => "You have already declined this invitation.".into(),
        Refusal::DeclineRegistered => "You have already registered with this invitation; to \
             cancel, use the private link in your confirmation email."
            .into(),
        Refusal::RegistrationClosed(reason) => closed(*reason).into(),
        Refusal::RequestsClosed => "This event no longer takes requests for an invitation.".into(),
        Refusal::NotResendable(status) => format!(
            "This invitation is {status}; only a pending or sent invitation can be sent again."
        ),
        Refusal::RegistrationCancelled(act) => cancelled(*act).into(),
        Refusal::MayNotNominate(refusal) => may_not_nominate(*refusal),
        Refusal::Award(refusal) => award(*refusal).into(),
        Refusal::TooLateToRequestScholarship => {
            "The event has started, so travel scholarships can no longer be requested.".into()
        }
        Refusal::TooLateToAward => {
            "The event has started, so an award could no longer be accepted in time.".into()
        }
        Refusal::IdempotencyKeyReused => "This Idempotency-Key was used for a different \
             announcement; use a new key for a new one."
            .into(),
        Refusal::EmailNotFailed(status) => {
            format!("only a failed email can be sent again; this one is {status}")
        }
        Refusal::EmailBodyPurged => {
            "the body of this email is no longer stored, so it cannot be sent again".into()
        }
        Refusal::OrganizerEmailTaken(email) => {
            format!("an organizer with the email {email} already exists")
        }
        Refusal::SlugTaken(slug) => format!("an event with the slug '{slug}' already exists"),
        Refusal::ImportedAlready(slug) => format!(
            "an event with the slug '{slug}' or the same id exists already in this database"
        ),
        Refusal::Ended(ended) => gone(*ended).into(),
        Refusal::OverCapacity => {
            "No seat is free: raise the capacity, or wait for someone to cancel.".into()
        }
        Refusal::OverBudget {
            left_cents,
            amount_cents,
            currency,
        } => {
            let what_next = if *left_cents == 0 {
                "Waitlist the request, or wait for an award to be declined or to lapse."
            } else {
                "Award less, or waitlist the request."
            };
            format!(
                "Only {} of the scholarship budget is left, less than the {} of this award. {what_next}",
                money(*left_cents, currency),
                money(*amount_cents, currency),
            )
        }
        Refusal::Stale(record) => stale(*record).into(),
    }
}

fn invitation(Transition { from, to }: Transition<InvitationStatus>) -> String {
    format!("This invitation is {from} and cannot be {to}.")
}

fn invitation_request(Transition { from, to }: Transition<RequestStatus>) -> String {
    format!("this request is already {from}; it cannot become {to}")
}

fn nomination(Transition { from, to }: Transition<NominationStatus>) -> String {
    if from == to {
        format!("This nomination is already {from}.")
    } else {
        format!("This nomination is {from}; only a pending nomination can be {to}.")
    }
}

fn registration(Transition { from, to }: Transition<RegistrationStatus>) -> String {
    if from == to {
        format!("This registration is already {from}.")
    } else {
        format!("This registration is {from} and cannot be {to}.")
    }
}

fn scholarship(Transition { from, to }: Transition<ScholarshipStatus>) -> String {
    match (from, to) {
        (ScholarshipStatus::Withdrawn, _) => {
            "This request was withdrawn; it can no longer be changed.".into()
        }
        (_, ScholarshipStatus::Withdrawn) => format!(
            "This request is already {from}; only a request waiting for review can be withdrawn."
        ),
        _ => format!(
            "This request is already {from}; only a pending or waitlisted request can be decided."
        ),
    }
}

fn closed(reason: ClosedReason) -> &'static str {
    match reason {
        ClosedReason::NotOpenYet => "Registration for this event has not opened yet.",
        ClosedReason::EventClosed => "Registration for this event is closed.",
        ClosedReason::Over => "Registration for this event has closed.",
    }
}

fn cancelled(act: Act) -> &'static str {
    match act {
        Act::ChangeDetails => "This registration is cancelled; it can no longer be changed.",
        Act::RequestScholarship => {
            "This registration is cancelled, so a travel scholarship can no longer be requested."
        }
        Act::DecideScholarship => {
            "The registrant has cancelled their registration, so this request can no longer be \
             decided."
        }
    }
}

fn may_not_nominate(refusal: NominationRefusal) -> String {
    match refusal {
        NominationRefusal::NotAnExecutive => {
            "Only executives may nominate a young leader; a young leader cannot nominate another."
                .into()
        }
        NominationRefusal::Cancelled => {
            "This registration is cancelled; it can no longer nominate a young leader.".into()
        }
        NominationRefusal::LimitReached(limit) if limit <= 0 => {
            "This event is not taking young-leader nominations.".into()
        }
        NominationRefusal::LimitReached(1) => "Each executive may nominate one young leader, \
             and you already have. To nominate someone else, withdraw your nomination while it \
             is pending."
            .into(),
        NominationRefusal::LimitReached(limit) => format!(
            "Each executive may nominate at most {limit} young leaders, and you already have. \
             To nominate someone else, withdraw a nomination while it is pending."
        ),
    }
}

fn award(refusal: AwardRefusal) -> &'static str {
    match refusal {
        AwardRefusal::NotApproved => {
            "This request has not been approved, so there is no award to answer."
        }
        AwardRefusal::TooLate => {
            "The time to answer this award has passed. Please contact the organizing team."
        }
        AwardRefusal::AlreadyAccepted => "You have already accepted this award.",
        AwardRefusal::AlreadyDeclined => "You have already declined this award.",
        AwardRefusal::NoLongerOpen => {
            "This award is no longer open. Please contact the organizing team."
        }
    }
}

fn gone(ended: Ended) -> &'static str {
    match ended {
        Ended::InvitationRevoked => "This invitation has been withdrawn by the organizers.",
        Ended::InvitationExpired => {
            "This invitation has expired. Please contact the organizers \
             if you would still like to attend."
        }
        Ended::SurveyClosed => "This survey is closed: answers can no longer be given or changed.",
        Ended::ResetLinkUsed => "this link was already used; ask for a new one if you need to",
        Ended::ResetLinkRunOut => "this link has run out; ask for a new one",
        Ended::AccountDisabled => "this account is disabled",
    }
}

fn stale(record: Record) -> &'static str {
    match record {
        Record::Invitation => {
            "This invitation was changed by another request; reload and try again."
        }
        Record::InvitationRequest => "this request was decided by someone else a moment ago",
        Record::Nomination => {
            "This nomination was changed by another request; reload to see its status."
        }
        Record::Registration => {
            "This registration was changed by another request; reload and try again."
        }
        Record::ScholarshipRequest => {
            "This request was changed by another request; reload and try again."
        }
        Record::Award => "This award was answered by another request; reload the page.",
        Record::CheckIn => "This person was checked in and undone meanwhile; try again.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(r: impl Into<Refusal>) -> String {
        detail(&r.into())
    }

    fn t<S>(from: S, to: S) -> Transition<S> {
        Transition { from, to }
    }

    #[test]
    fn a_refused_transition_says_why_in_its_machine_s_words() {
        use ScholarshipStatus::*;
        assert_eq!(
            words(t(NominationStatus::Approved, NominationStatus::Approved)),
            "This nomination is already approved."
        );
        assert_eq!(
            words(t(NominationStatus::Declined, NominationStatus::Withdrawn)),
            "This nomination is declined; only a pending nomination can be withdrawn."
        );
        assert_eq!(
            words(t(InvitationStatus::Accepted, InvitationStatus::Revoked)),
            "This invitation is accepted and cannot be revoked."
        );
        assert_eq!(
            words(t(
                RegistrationStatus::Cancelled,
                RegistrationStatus::Cancelled
            )),
            "This registration is already cancelled."
        );
        assert_eq!(
            words(t(RequestStatus::Approved, RequestStatus::Declined)),
            "this request is already approved; it cannot become declined"
        );
        assert!(words(t(Approved, Approved)).contains("already approved"));
        assert!(words(t(Withdrawn, Approved)).contains("withdrawn"));
        assert!(words(t(Approved, Withdrawn)).contains("waiting for review"));
    }

    #[test]
    fn an_award_over_budget_names_what_is_left_and_what_to_do() {
        let over = |left_cents| Refusal::OverBudget {
            left_cents,
            amount_cents: 50_000,
            currency: "USD".into(),
        };
        assert_eq!(
            detail(&over(0)),
            "Only $0.00 of the scholarship budget is left, less than the $500.00 of this award. \
             Waitlist the request, or wait for an award to be declined or to lapse."
        );
        assert!(detail(&over(100)).ends_with("Award less, or waitlist the request."));
    }

    #[test]
    fn a_nomination_quota_is_worded_by_its_size() {
        let limit = |n| Refusal::MayNotNominate(NominationRefusal::LimitReached(n));
        assert!(detail(&limit(2)).contains("at most 2"));
        assert!(detail(&limit(0)).contains("not taking"));
        assert_eq!(
            status(&Refusal::MayNotNominate(NominationRefusal::NotAnExecutive)),
            StatusCode::FORBIDDEN
        );
    }
}
