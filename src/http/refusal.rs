//! The words clients read for each [`Refusal`] (a 409's `detail`, or a bulk row's
//! message): the only place they are written.

use crate::domain::invitation::InvitationStatus;
use crate::domain::invitation_request::RequestStatus;
use crate::domain::nomination::NominationStatus;
use crate::domain::registration::RegistrationStatus;
use crate::domain::scholarship::ScholarshipStatus;
use crate::domain::{Record, Refusal, Transition};
use crate::email::templates::money;

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
            "This registration already has a travel scholarship request.".into()
        }
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
}
