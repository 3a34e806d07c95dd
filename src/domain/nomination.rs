//! Young-leader nominations: an executive names a young leader of their community.
//! State machine: `pending -> approved | declined | withdrawn`.

use serde::Deserialize;

use super::invitation::required;
use super::{text, EmailAddress};
use crate::error::FieldErrors;

/// Longest free text (a reason, a justification, a need) a person may write.
pub const MAX_PARAGRAPH_CHARS: usize = 2_000;

/// A nomination as sent (the `young_leader_nomination` object).
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct NominationFields {
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub organization: Option<String>,
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
}

/// A required paragraph of at most [`MAX_PARAGRAPH_CHARS`].
pub(crate) fn paragraph(raw: &str) -> Result<String, String> {
    let value = text::multi_line(raw, MAX_PARAGRAPH_CHARS)?;
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(value)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NominationStatus {
    Pending,
    Approved,
    Declined,
    Withdrawn,
}

impl NominationStatus {
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
        assert!(Pending.can_become(Approved) && Pending.can_become(Withdrawn));
        assert!(!Approved.can_become(Declined) && !Withdrawn.can_become(Pending));
    }
}
