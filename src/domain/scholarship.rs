//! Travel-scholarship requests: how many travel, what it costs, what is asked; the
//! organizers' decision on one; and the award that an approval offers.
//!
//! Request: `pending|waitlisted -> approved | declined | waitlisted`, `pending -> withdrawn`.
//! Award (of an approved request): `offered -> accepted | declined` (the registrant, by
//! its reply-by time), `offered -> lapsed` (unanswered by then), `offered|accepted ->
//! released` (the registration was cancelled). Only an offered or accepted award counts
//! against the event's budget.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use super::event::start_of_day;
use super::invitation::required;
use super::nomination::{paragraph, MAX_PARAGRAPH_CHARS};
use super::refusal::Transition;
use super::{text, Cents};
use crate::error::FieldErrors;

/// Days a registrant has to answer an award, unless the organizers say otherwise.
pub const DEFAULT_REPLY_DAYS: i64 = 14;

/// A reminder goes out once this much time is left to answer an award.
pub const REMINDER_BEFORE_DAYS: i64 = 3;

/// Most travelers one community may ask support for.
pub const MAX_TRAVELERS: i64 = 20;

/// A request as sent (the `travel_scholarship` object). Numbers are read leniently (a form
/// may send `"2"`), so that every bad field is named together rather than the first one only.
#[derive(Deserialize, serde::Serialize, Default, Clone, Debug, utoipa::ToSchema)]
#[serde(default)]
pub struct ScholarshipFields {
    /// How many people travel.
    #[schema(value_type = i64, example = 2, minimum = 1, maximum = 20, required = true)]
    pub travelers: Option<Value>,
    #[schema(value_type = i64, example = 120000, minimum = 0, maximum = 1_000_000_000_000_i64, required = true)]
    pub estimated_cost_cents: Option<Value>,
    /// At most the estimated cost.
    #[schema(value_type = i64, example = 80000, minimum = 1, maximum = 1_000_000_000_000_i64, required = true)]
    pub requested_amount_cents: Option<Value>,
    #[schema(value_type = String, format = "required-paragraph", max_length = 2000, required = true)]
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
                    "must not be more than the estimated cost",
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

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
// Stored as text; its ToSql and FromSql are in `db::enums`.
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum ScholarshipStatus {
    Pending,
    Approved,
    Declined,
    Waitlisted,
    Withdrawn,
}

impl ScholarshipStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Approved,
        Self::Declined,
        Self::Waitlisted,
        Self::Withdrawn,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

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

    /// The next status, or the refused transition (a 409 for the caller).
    pub fn transition(self, next: Self) -> Result<Self, Transition<Self>> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(Transition {
                from: self,
                to: next,
            })
        }
    }
}

/// What became of the award that an approval offers.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
// Stored as text; its ToSql and FromSql are in `db::enums`.
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum AwardStatus {
    /// Waiting for the registrant's answer, until `reply_by`.
    Offered,
    Accepted,
    /// The registrant turned it down; its amount went back to the budget.
    Declined,
    /// Not answered by `reply_by`; its amount went back to the budget.
    Lapsed,
    /// The registration was cancelled; its amount went back to the budget.
    Released,
}

impl AwardStatus {
    pub const ALL: [Self; 5] = [
        Self::Offered,
        Self::Accepted,
        Self::Declined,
        Self::Lapsed,
        Self::Released,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Lapsed => "lapsed",
            Self::Released => "released",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the award counts against the budget.
    pub fn stands(self) -> bool {
        matches!(self, Self::Offered | Self::Accepted)
    }
}

/// Why the registrant cannot accept or decline an award now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwardRefusal {
    /// The request was not approved: there is no award.
    NotApproved,
    /// The reply-by time has passed.
    TooLate,
    AlreadyAccepted,
    AlreadyDeclined,
    /// The award was released, or there is none.
    NoLongerOpen,
}

/// Why the registrant cannot accept or decline an award now; `None` when they can (an
/// offered award whose reply-by time has not passed).
pub fn award_answer_refusal(
    status: ScholarshipStatus,
    award: Option<AwardStatus>,
    reply_by: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<AwardRefusal> {
    if status != ScholarshipStatus::Approved {
        return Some(AwardRefusal::NotApproved);
    }
    match award {
        Some(AwardStatus::Offered) if reply_by.is_some_and(|by| now < by) => None,
        Some(AwardStatus::Offered) | Some(AwardStatus::Lapsed) => Some(AwardRefusal::TooLate),
        Some(AwardStatus::Accepted) => Some(AwardRefusal::AlreadyAccepted),
        Some(AwardStatus::Declined) => Some(AwardRefusal::AlreadyDeclined),
        Some(AwardStatus::Released) | None => Some(AwardRefusal::NoLongerOpen),
    }
}

/// An organizer's decision as sent.
#[derive(Deserialize, serde::Serialize, Default, Clone, Debug, utoipa::ToSchema)]
#[serde(default)]
pub struct DecisionFields {
    /// `approved`, `declined` or `waitlisted`.
    #[schema(
        example = "approved",
        value_type = String,
        required = true,
        pattern = r"^[\t\n\x0b\x0c\r ]*(?:approved|declined|waitlisted)[\t\n\x0b\x0c\r ]*$"
    )]
    pub decision: Option<String>,
    /// Approvals: the amount awarded, at most the amount asked; by default all of it.
    /// Read leniently like the request's amounts.
    #[schema(value_type = Option<i64>, example = 80000, minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub awarded_amount_cents: Option<Value>,
    /// Sent to the registrant.
    #[schema(format = "paragraph", max_length = 2000)]
    pub note: Option<String>,
    /// RFC 3339; approvals only: the last moment to accept the award.
    #[schema(format = DateTime)]
    pub reply_by: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// An award of `amount`, to be answered by `reply_by`.
    Approved {
        amount: Cents,
        reply_by: DateTime<Utc>,
    },
    Declined,
    Waitlisted,
}

impl Decision {
    pub fn status(self) -> ScholarshipStatus {
        match self {
            Self::Approved { .. } => ScholarshipStatus::Approved,
            Self::Declined => ScholarshipStatus::Declined,
            Self::Waitlisted => ScholarshipStatus::Waitlisted,
        }
    }
}

/// A decision that passed every rule for the request it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionForm {
    pub decision: Decision,
    pub note: Option<String>,
}

/// What a decision is checked against: the request's amount, the moment, and when (and
/// in which time zone) the event starts.
#[derive(Clone, Copy, Debug)]
pub struct DecisionContext {
    pub requested: Cents,
    pub now: DateTime<Utc>,
    pub event_starts_at: DateTime<Utc>,
    pub timezone: Tz,
}

impl DecisionContext {
    /// The last moment to answer an award: the given time, else the end of the day
    /// [`DEFAULT_REPLY_DAYS`] from now in the event's time zone; never after the event
    /// starts (then a minute before it).
    pub fn default_reply_by(&self) -> DateTime<Utc> {
        let day = (self.now + Duration::days(DEFAULT_REPLY_DAYS))
            .with_timezone(&self.timezone)
            .date_naive();
        let end_of_day = day
            .succ_opt()
            .and_then(|next| start_of_day(self.timezone, next))
            .map(|midnight| midnight - Duration::minutes(1))
            .unwrap_or(self.now + Duration::days(DEFAULT_REPLY_DAYS));
        end_of_day.min(self.event_starts_at - Duration::minutes(1))
    }
}

impl DecisionForm {
    /// Checks a decision on a request; every bad field is named at once.
    pub fn parse(f: &DecisionFields, cx: &DecisionContext) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = required(
            &mut errors,
            "decision",
            f.decision.as_deref(),
            |raw| match raw.trim() {
                d @ ("approved" | "declined" | "waitlisted") => Ok(d.to_owned()),
                _ => Err("must be approved, declined or waitlisted".to_owned()),
            },
        );
        let note = match f.note.as_deref() {
            None => Some(None),
            Some(raw) => text::multi_line(raw, MAX_PARAGRAPH_CHARS)
                .map(|n| Some(n).filter(|n| !n.is_empty()))
                .map_err(|m| errors.add("note", m))
                .ok(),
        };
        let amount_given = !matches!(f.awarded_amount_cents, None | Some(Value::Null));
        let reply_by_given = f.reply_by.as_deref().is_some_and(|r| !r.trim().is_empty());
        let decision = match kind.as_deref() {
            Some("approved") => {
                let amount = whole(
                    &mut errors,
                    "awarded_amount_cents",
                    f.awarded_amount_cents.as_ref(),
                )
                .and_then(|n| {
                    let message = if n < 1 {
                        "must be more than 0"
                    } else if n > cx.requested.value() {
                        "must not be more than the amount requested"
                    } else {
                        return Cents::new(n).ok();
                    };
                    errors.add("awarded_amount_cents", message);
                    None
                });
                let reply_by = if reply_by_given {
                    parse_reply_by(&mut errors, f.reply_by.as_deref().unwrap_or_default(), cx)
                } else {
                    Some(cx.default_reply_by())
                };
                amount
                    .zip(reply_by)
                    .map(|(amount, reply_by)| Decision::Approved { amount, reply_by })
            }
            other => {
                if amount_given {
                    errors.add("awarded_amount_cents", "is only for an approval");
                }
                if reply_by_given {
                    errors.add("reply_by", "is only for an approval");
                }
                match other {
                    Some("declined") => Some(Decision::Declined),
                    Some(_) => Some(Decision::Waitlisted),
                    None => None,
                }
            }
        };
        match (decision, note) {
            (Some(decision), Some(note)) if errors.is_empty() => Ok(Self { decision, note }),
            _ => Err(errors),
        }
    }
}

fn parse_reply_by(
    errors: &mut FieldErrors,
    raw: &str,
    cx: &DecisionContext,
) -> Option<DateTime<Utc>> {
    let Ok(at) = DateTime::parse_from_rfc3339(raw.trim()) else {
        errors.add(
            "reply_by",
            "must be a date and time such as 2027-04-30T17:00:00-04:00",
        );
        return None;
    };
    let at = at.with_timezone(&Utc);
    if at <= cx.now {
        errors.add("reply_by", "must be in the future");
        None
    } else if at > cx.event_starts_at {
        errors.add("reply_by", "must not be after the event starts");
        None
    } else {
        Some(at)
    }
}

#[cfg(test)]
mod tests;
