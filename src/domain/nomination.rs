//! Young-leader nominations: an executive names a young leader of their community.
//! State machine: `pending -> approved | declined | withdrawn`.

use serde::Deserialize;

use super::invitation::{required, InvitationKind};
use super::refusal::Transition;
use super::registration::RegistrationStatus;
use super::{text, EmailAddress};
use crate::error::FieldErrors;

/// Longest free text (a reason, a justification, a need) a person may write.
pub const MAX_PARAGRAPH_CHARS: usize = 2_000;

/// A nomination as sent (the `young_leader_nomination` object).
#[derive(Deserialize, serde::Serialize, Default, Clone, Debug, utoipa::ToSchema)]
#[serde(default)]
pub struct NominationFields {
    #[schema(example = "Grace Hopper", value_type = String, format = "line", max_length = 200, required = true)]
    pub full_name: Option<String>,
    #[schema(example = "grace@example.org", value_type = String, format = Email, max_length = 254, required = true)]
    pub email: Option<String>,
    #[schema(example = "Youth Council Chair", value_type = String, format = "line", max_length = 200, required = true)]
    pub title: Option<String>,
    #[schema(example = "Springfield Youth Council", value_type = String, format = "line", max_length = 200, required = true)]
    pub organization: Option<String>,
    /// Why this young leader should come.
    #[schema(value_type = String, format = "required-paragraph", max_length = 2000, required = true)]
    pub reason: Option<String>,
}

impl NominationFields {
    /// Nothing filled in: a form's empty section, read as no nomination at all.
    pub fn is_blank(&self) -> bool {
        [
            &self.full_name,
            &self.email,
            &self.title,
            &self.organization,
            &self.reason,
        ]
        .iter()
        .all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()))
    }
}

/// A nomination that passed every rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NominationForm {
    pub full_name: String,
    pub email: EmailAddress,
    pub title: String,
    pub organization: String,
    pub reason: String,
}

impl NominationForm {
    /// Errors are keyed by the nested field name (`email`); the caller prefixes them.
    pub fn parse(f: &NominationFields) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let line = |s: &str| text::single_line(s, 200);
        let full_name = required(&mut errors, "full_name", f.full_name.as_deref(), line);
        let email = required(
            &mut errors,
            "email",
            f.email.as_deref(),
            EmailAddress::parse,
        );
        let title = required(&mut errors, "title", f.title.as_deref(), line);
        let organization = required(&mut errors, "organization", f.organization.as_deref(), line);
        let reason = required(&mut errors, "reason", f.reason.as_deref(), paragraph);
        match (full_name, email, title, organization, reason) {
            (Some(full_name), Some(email), Some(title), Some(organization), Some(reason))
                if errors.is_empty() =>
            {
                Ok(Self {
                    full_name,
                    email,
                    title,
                    organization,
                    reason,
                })
            }
            _ => Err(errors),
        }
    }

    /// Like [`Self::parse`], for a nomination sent by the executive whose address is
    /// `nominator`: a young leader must be nominated at their own address.
    pub fn parse_by(f: &NominationFields, nominator: &str) -> Result<Self, FieldErrors> {
        let form = Self::parse(f)?;
        if form.email.as_str() == nominator {
            return Err(FieldErrors::single(
                "email",
                "must be the young leader's own address, not yours",
            ));
        }
        Ok(form)
    }
}

/// An organizer's optional note on a decision, sent to the nominator: `None` when
/// absent or blank, the message for the `note` field when too long or malformed.
pub fn decision_note(raw: Option<&str>) -> Result<Option<String>, String> {
    match raw {
        None => Ok(None),
        Some(raw) => {
            Ok(Some(text::multi_line(raw, MAX_PARAGRAPH_CHARS)?).filter(|n| !n.is_empty()))
        }
    }
}

/// Why a registrant may not nominate a young leader now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NominationRefusal {
    /// Only executives nominate: the registrant came as a young leader.
    NotAnExecutive,
    /// The registration is cancelled.
    Cancelled,
    /// The executive already has this many nominations pending or approved.
    LimitReached(i32),
}

/// Whether a registration of `kind` in `status` may add a nomination when it already
/// has `counted` nominations that are pending or approved and the event allows `limit`.
pub fn may_nominate(
    kind: InvitationKind,
    status: RegistrationStatus,
    counted: i64,
    limit: i32,
) -> Result<(), NominationRefusal> {
    if kind != InvitationKind::Executive {
        return Err(NominationRefusal::NotAnExecutive);
    }
    if status == RegistrationStatus::Cancelled {
        return Err(NominationRefusal::Cancelled);
    }
    if counted >= i64::from(limit) {
        return Err(NominationRefusal::LimitReached(limit));
    }
    Ok(())
}

/// A required paragraph of at most [`MAX_PARAGRAPH_CHARS`].
pub(crate) fn paragraph(raw: &str) -> Result<String, String> {
    let value = text::multi_line(raw, MAX_PARAGRAPH_CHARS)?;
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(value)
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
pub enum NominationStatus {
    Pending,
    Approved,
    Declined,
    Withdrawn,
}

impl NominationStatus {
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Approved,
        Self::Declined,
        Self::Withdrawn,
    ];

    /// The statuses that count toward an executive's limit: a withdrawn or declined
    /// nomination leaves room for another.
    pub const COUNTED: [Self; 2] = [Self::Pending, Self::Approved];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn can_become(self, next: Self) -> bool {
        self == Self::Pending && next != Self::Pending
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_of_a_nomination_is_named() {
        let e = NominationForm::parse(&NominationFields {
            full_name: Some("".into()),
            email: Some("nope".into()),
            title: None,
            organization: Some("Office of the City Manager".into()),
            reason: Some(" ".into()),
        })
        .unwrap_err();
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            ["email", "full_name", "reason", "title"]
        );
    }

    #[test]
    fn only_a_pending_nomination_may_be_decided_or_withdrawn() {
        use NominationStatus::*;
        let allowed = [
            (Pending, Approved),
            (Pending, Declined),
            (Pending, Withdrawn),
        ];
        for from in NominationStatus::ALL {
            for to in NominationStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert_eq!(
            Declined.transition(Withdrawn),
            Err(Transition {
                from: Declined,
                to: Withdrawn
            })
        );
    }

    #[test]
    fn an_executive_may_not_nominate_themself() {
        let f = NominationFields {
            full_name: Some("Dana Whitfield".into()),
            email: Some("Dana@Example.org".into()),
            title: Some("City Manager".into()),
            organization: Some("City of Springfield".into()),
            reason: Some("Me.".into()),
        };
        let e = NominationForm::parse_by(&f, "dana@example.org").unwrap_err();
        assert_eq!(e.fields().collect::<Vec<_>>(), ["email"]);
        assert!(NominationForm::parse_by(&f, "lee@example.org").is_ok());
    }

    #[test]
    fn young_leaders_cancelled_registrations_and_full_quotas_may_not_nominate() {
        use InvitationKind::*;
        use RegistrationStatus::*;
        assert_eq!(may_nominate(Executive, Waitlisted, 0, 1), Ok(()));
        assert_eq!(may_nominate(Executive, Confirmed, 1, 2), Ok(()));
        assert_eq!(
            may_nominate(YoungLeader, Confirmed, 0, 1),
            Err(NominationRefusal::NotAnExecutive)
        );
        assert_eq!(
            may_nominate(Executive, Cancelled, 0, 1),
            Err(NominationRefusal::Cancelled)
        );
        assert_eq!(
            may_nominate(Executive, Confirmed, 1, 1),
            Err(NominationRefusal::LimitReached(1))
        );
    }

    #[test]
    fn a_blank_decision_note_is_no_note() {
        assert_eq!(decision_note(None), Ok(None));
        assert_eq!(decision_note(Some("  ")), Ok(None));
        assert_eq!(
            decision_note(Some(" Welcome! ")),
            Ok(Some("Welcome!".into()))
        );
        assert!(decision_note(Some(&"x".repeat(MAX_PARAGRAPH_CHARS + 1))).is_err());
    }
}
