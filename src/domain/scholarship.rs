//! Travel-scholarship requests: how many travel, what it costs, what is asked.
//! State machine: `pending|waitlisted -> approved | declined | waitlisted`, `pending -> withdrawn`.

use serde::Deserialize;
use serde_json::Value;

use super::invitation::required;
use super::nomination::paragraph;
use super::Cents;
use crate::error::FieldErrors;

/// Most travelers one community may ask support for.
pub const MAX_TRAVELERS: i64 = 20;

/// A request as sent (the `travel_scholarship` object). Numbers are read leniently (a form
/// may send `"2"`), so that every bad field is named together rather than the first one only.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct ScholarshipFields {
    pub travelers: Option<Value>,
    pub estimated_cost_cents: Option<Value>,
    pub requested_amount_cents: Option<Value>,
    pub justification: Option<String>,
}

impl ScholarshipFields {
    /// Nothing filled in: a form's empty section, read as no request at all.
    pub fn is_blank(&self) -> bool {
        let blank = |v: &Option<Value>| match v {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        blank(&self.travelers)
            && blank(&self.estimated_cost_cents)
            && blank(&self.requested_amount_cents)
            && self
                .justification
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
    }
}

/// A request that passed every rule: the amount asked never exceeds the estimated cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScholarshipForm {
    pub travelers: i32,
    pub estimated_cost: Cents,
    pub requested_amount: Cents,
    pub justification: String,
}

impl ScholarshipForm {
    /// Errors are keyed by the nested field name; the caller prefixes them.
    pub fn parse(f: &ScholarshipFields) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let travelers = whole(&mut errors, "travelers", f.travelers.as_ref()).and_then(|n| {
            if (1..=MAX_TRAVELERS).contains(&n) {
                Some(n as i32)
            } else {
                errors.add("travelers", format!("must be from 1 to {MAX_TRAVELERS}"));
                None
            }
        });
        let mut cents = |field: &str, raw: Option<&Value>| {
            whole(&mut errors, field, raw)
                .and_then(|n| Cents::new(n).map_err(|m| errors.add(field, m)).ok())
        };
        let estimated = cents("estimated_cost_cents", f.estimated_cost_cents.as_ref());
        let requested = cents("requested_amount_cents", f.requested_amount_cents.as_ref());
        if let (Some(e), Some(r)) = (estimated, requested) {
            if r.value() == 0 {
                errors.add("requested_amount_cents", "must be more than 0");
            } else if r > e {
                errors.add(
                    "requested_amount_cents",
                    "must not exceed estimated_cost_cents",
                );
            }
        }
        let justification = required(
            &mut errors,
            "justification",
            f.justification.as_deref(),
            paragraph,
        );
        match (travelers, estimated, requested, justification) {
            (
                Some(travelers),
                Some(estimated_cost),
                Some(requested_amount),
                Some(justification),
            ) if errors.is_empty() => Ok(Self {
                travelers,
                estimated_cost,
                requested_amount,
                justification,
            }),
            _ => Err(errors),
        }
    }
}

/// A whole number given as a JSON number or a string of digits.
fn whole(errors: &mut FieldErrors, field: &str, raw: Option<&Value>) -> Option<i64> {
    let parsed = match raw {
        None | Some(Value::Null) => {
            errors.add(field, "is required");
            return None;
        }
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    if parsed.is_none() {
        errors.add(field, "must be a whole number");
    }
    parsed
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScholarshipStatus {
    Pending,
    Approved,
    Declined,
    Waitlisted,
    Withdrawn,
}

impl ScholarshipStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Waitlisted => "waitlisted",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn can_become(self, next: Self) -> bool {
        use ScholarshipStatus::*;
        matches!(
            (self, next),
            (Pending | Waitlisted, Approved | Declined | Waitlisted) | (Pending, Withdrawn)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn a_decided_request_is_final() {
        use ScholarshipStatus::*;
        assert!(Waitlisted.can_become(Approved));
        assert!(!Approved.can_become(Declined));
        assert!(!Waitlisted.can_become(Withdrawn));
    }
}
