use super::*;
use crate::domain::Transition;
use serde_json::json;

fn fields(v: Value) -> ScholarshipFields {
    serde_json::from_value(v).unwrap()
}

#[test]
fn a_request_may_not_ask_more_than_it_costs() {
    let e = ScholarshipForm::parse(&fields(json!({
        "travelers": 2, "estimated_cost_cents": 100_000,
        "requested_amount_cents": 150_000, "justification": "Our budget is frozen."
    })))
    .unwrap_err();
    assert_eq!(e.fields().collect::<Vec<_>>(), ["requested_amount_cents"]);
}

#[test]
fn every_bad_field_of_a_request_is_named() {
    let e = ScholarshipForm::parse(&fields(json!({
        "travelers": 0, "estimated_cost_cents": -1,
        "requested_amount_cents": "lots"
    })))
    .unwrap_err();
    assert_eq!(
        e.fields().collect::<Vec<_>>(),
        [
            "estimated_cost_cents",
            "justification",
            "requested_amount_cents",
            "travelers"
        ]
    );
}

#[test]
fn numbers_may_come_as_strings() {
    let ok = ScholarshipForm::parse(&fields(json!({
        "travelers": "2", "estimated_cost_cents": 180_000,
        "requested_amount_cents": "90000", "justification": "Two of us would fly."
    })))
    .unwrap();
    assert_eq!(ok.travelers, 2);
    assert_eq!(ok.requested_amount.value(), 90_000);
}

fn context() -> DecisionContext {
    let now = "2027-01-04T15:00:00Z".parse().unwrap();
    DecisionContext {
        requested: Cents::new(120_000).unwrap(),
        now,
        event_starts_at: "2027-05-10T04:00:00Z".parse().unwrap(),
        timezone: chrono_tz::America::New_York,
    }
}

fn decide(v: Value) -> Result<DecisionForm, FieldErrors> {
    DecisionForm::parse(&serde_json::from_value(v).unwrap(), &context())
}

#[test]
fn an_approval_awards_part_or_all_of_the_request() {
    let d = decide(json!({ "decision": "approved", "awarded_amount_cents": 90_000 })).unwrap();
    let Decision::Approved { amount, reply_by } = d.decision else {
        panic!("{d:?}")
    };
    assert_eq!(amount.value(), 90_000);
    // The end of the fourteenth day, in the event's time zone (EST: UTC-5).
    assert_eq!(reply_by.to_rfc3339(), "2027-01-19T04:59:00+00:00");
    for (amount, message) in [
        (json!(0), "must be more than 0"),
        (json!(120_001), "must not be more than the amount requested"),
        (json!(null), "is required"),
        (json!("lots"), "must be a whole number"),
    ] {
        let e =
            decide(json!({ "decision": "approved", "awarded_amount_cents": amount })).unwrap_err();
        assert_eq!(
            e.iter().next(),
            Some(("awarded_amount_cents", &[message.to_owned()][..]))
        );
    }
}

#[test]
fn the_reply_by_time_is_in_the_future_and_not_after_the_event_starts() {
    let approve = |at: &str| {
        decide(json!({ "decision": "approved", "awarded_amount_cents": 1, "reply_by": at }))
    };
    let given = approve("2027-02-01T17:00:00-05:00").unwrap().decision;
    assert!(
        matches!(given, Decision::Approved { reply_by, .. } if reply_by.to_rfc3339() == "2027-02-01T22:00:00+00:00")
    );
    for bad in ["2027-01-04T14:00:00Z", "2027-06-01T00:00:00Z", "next week"] {
        assert_eq!(
            approve(bad).unwrap_err().fields().collect::<Vec<_>>(),
            ["reply_by"]
        );
    }
    let mut near = context();
    near.event_starts_at = near.now + Duration::days(3);
    assert_eq!(
        near.default_reply_by(),
        near.event_starts_at - Duration::minutes(1),
        "never after the event starts"
    );
}

#[test]
fn only_an_approval_carries_an_amount_and_a_reply_by_time() {
    let e = decide(json!({
        "decision": "declined", "awarded_amount_cents": 5, "reply_by": "2027-02-01T17:00:00Z"
    }))
    .unwrap_err();
    assert_eq!(
        e.fields().collect::<Vec<_>>(),
        ["awarded_amount_cents", "reply_by"]
    );
    let d = decide(json!({ "decision": "waitlisted", "note": "  Budget is tight.  " })).unwrap();
    assert_eq!(d.decision, Decision::Waitlisted);
    assert_eq!(d.note.as_deref(), Some("Budget is tight."));
    assert_eq!(
        decide(json!({ "decision": "maybe" }))
            .unwrap_err()
            .fields()
            .collect::<Vec<_>>(),
        ["decision"]
    );
}

#[test]
fn an_award_is_answered_once_and_in_time() {
    use AwardStatus::*;
    let now = Utc::now();
    let later = Some(now + Duration::hours(1));
    let approved = ScholarshipStatus::Approved;
    assert_eq!(
        award_answer_refusal(approved, Some(Offered), later, now),
        None
    );
    assert!(award_answer_refusal(approved, Some(Offered), Some(now), now).is_some());
    for award in [Accepted, Declined, Lapsed, Released] {
        assert!(award_answer_refusal(approved, Some(award), later, now).is_some());
    }
    assert!(award_answer_refusal(ScholarshipStatus::Pending, None, None, now).is_some());
    assert!(Offered.stands() && Accepted.stands() && !Lapsed.stands());
}

#[test]
fn a_refused_transition_names_both_statuses() {
    use ScholarshipStatus::*;
    assert_eq!(
        Withdrawn.transition(Approved),
        Err(Transition {
            from: Withdrawn,
            to: Approved
        })
    );
    assert_eq!(Waitlisted.transition(Waitlisted), Ok(Waitlisted));
}

#[test]
fn a_decided_request_is_final() {
    use ScholarshipStatus::*;
    assert!(Waitlisted.can_become(Approved));
    assert!(!Approved.can_become(Declined));
    assert!(!Waitlisted.can_become(Withdrawn));
}
