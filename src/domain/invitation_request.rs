//! Requests for an invitation from executives who were not invited: the form they fill
//! in, and the decision organizers take on it.

use super::community::CommunitySpec;
use super::invitation::required;
use super::refusal::Transition;
use super::{text, EmailAddress};
use crate::error::FieldErrors;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
// Stored as text; its ToSql and FromSql are in `db::enums`.
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Pending,
    Approved,
    Declined,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Declined => "declined",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "declined" => Some(Self::Declined),
            _ => None,
        }
    }

    /// `pending -> approved | declined`; a request is decided once.
    pub fn decide(self, to: RequestStatus) -> Result<RequestStatus, Transition<Self>> {
        match (self, to) {
            (Self::Pending, Self::Approved | Self::Declined) => Ok(to),
            (from, to) => Err(Transition { from, to }),
        }
    }
}

/// The request form as sent; a missing field is `None` and named with the others.
pub struct RequestFields<'a> {
    pub full_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub title: Option<&'a str>,
    pub organization: Option<&'a str>,
    pub community: (Option<&'a str>, Option<&'a str>, Option<&'a str>),
    pub reason: Option<&'a str>,
}

/// A request that passed every rule.
#[derive(Clone, Debug)]
pub struct InvitationRequestForm {
    pub full_name: String,
    pub email: EmailAddress,
    pub title: String,
    pub organization: String,
    pub community: CommunitySpec,
    pub reason: String,
}

impl InvitationRequestForm {
    pub fn parse(f: RequestFields<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let line = |raw: &str| text::single_line(raw, 200);
        let full_name = required(&mut errors, "full_name", f.full_name, line);
        let title = required(&mut errors, "title", f.title, line);
        let organization = required(&mut errors, "organization", f.organization, line);
        let email = required(&mut errors, "email", f.email, EmailAddress::parse);
        let reason = match text::multi_line(f.reason.unwrap_or_default(), 2000) {
            Ok(r) if r.is_empty() => {
                errors.add("reason", "tell us briefly why you would like to attend");
                None
            }
            Ok(r) => Some(r),
            Err(m) => {
                errors.add("reason", m);
                None
            }
        };
        let (name, state, country) = f.community;
        let community = CommunitySpec::parse(name, state, country)
            .map_err(|e| errors.merge_prefixed("community", e))
            .ok();
        match (full_name, email, title, organization, community, reason) {
            (
                Some(full_name),
                Some(email),
                Some(title),
                Some(organization),
                Some(community),
                Some(reason),
            ) if errors.is_empty() => Ok(Self {
                full_name,
                email,
                title,
                organization,
                community,
                reason,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>() -> RequestFields<'a> {
        RequestFields {
            full_name: Some("Maria Lopez"),
            email: Some("maria@springfield.gov"),
            title: Some("City Manager"),
            organization: Some("City of Springfield"),
            community: (Some("Springfield"), Some("IL"), None),
            reason: Some("We are rebuilding our permitting service."),
        }
    }

    #[test]
    fn a_complete_request_parses() {
        let form = InvitationRequestForm::parse(fields()).unwrap();
        assert_eq!(form.community.country, "US");
        assert_eq!(form.email.as_str(), "maria@springfield.gov");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut f = fields();
        f.email = Some("maria");
        f.reason = Some(" ");
        f.community = (None, Some("IL"), None);
        f.full_name = Some("Maria\nBcc: x@y.z");
        f.title = None;
        let errors = InvitationRequestForm::parse(f).unwrap_err();
        assert_eq!(
            errors.fields().collect::<Vec<_>>(),
            ["community.name", "email", "full_name", "reason", "title"]
        );
    }

    #[test]
    fn a_request_is_decided_once() {
        assert!(RequestStatus::Pending
            .decide(RequestStatus::Approved)
            .is_ok());
        assert!(RequestStatus::Approved
            .decide(RequestStatus::Declined)
            .is_err());
        assert!(RequestStatus::Declined
            .decide(RequestStatus::Declined)
            .is_err());
        assert!(RequestStatus::Pending
            .decide(RequestStatus::Pending)
            .is_err());
    }
}
