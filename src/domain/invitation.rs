//! Invitations: who is invited, as what, until when, and the state machine
//! `pending -> sent -> accepted | declined`, `pending|sent -> revoked | expired`.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::community::CommunitySpec;
use super::refusal::Transition;
use super::{text, EmailAddress};
use crate::error::FieldErrors;

/// Longest personal note an organizer may add to an invitation.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// Who an invitation is for.
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
pub enum InvitationKind {
    Executive,
    YoungLeader,
}

impl InvitationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Executive => "executive",
            Self::YoungLeader => "young_leader",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "executive" => Some(Self::Executive),
            "young_leader" => Some(Self::YoungLeader),
            _ => None,
        }
    }
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
pub enum InvitationStatus {
    Pending,
    Sent,
    Accepted,
    Declined,
    Revoked,
    Expired,
}

impl InvitationStatus {
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::Sent,
        Self::Accepted,
        Self::Declined,
        Self::Revoked,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Not yet answered, revoked or expired: the invitee may still act on it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Sent)
    }

    /// Whether `self -> next` is one of the transitions the product allows.
    pub fn can_become(self, next: Self) -> bool {
        use InvitationStatus::*;
        matches!(
            (self, next),
            (Pending, Sent) | (Sent, Accepted | Declined) | (Pending | Sent, Revoked | Expired)
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

    /// What an invitation in status `stored` with expiry `expires_at` is at `now`: an open
    /// invitation past its expiry counts as expired even before anyone marks it.
    pub fn effective(stored: Self, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        if stored.is_open() && expires_at <= now {
            Self::Expired
        } else {
            stored
        }
    }
}

/// A community as sent in JSON: `{name, state, country?}`.
#[derive(Deserialize, serde::Serialize, Default, Clone, Debug, utoipa::ToSchema)]
#[serde(default)]
pub struct CommunityFields {
    #[schema(example = "Springfield", format = "optional-line", max_length = 120)]
    pub name: Option<String>,
    /// State or region.
    #[schema(example = "IL", format = "optional-line", max_length = 80)]
    pub state: Option<String>,
    /// Default `US`.
    #[schema(example = "US", format = "optional-line", max_length = 60)]
    pub country: Option<String>,
}

/// [`CommunityFields`] as an invitation takes them (name and state required), for the
/// document only.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct InvitedCommunity {
    #[schema(example = "Springfield", format = "line", max_length = 120)]
    name: String,
    /// State or region.
    #[schema(example = "IL", format = "line", max_length = 80)]
    state: String,
    /// Default `US`.
    #[schema(example = "US", format = "optional-line", max_length = 60)]
    country: Option<String>,
}

/// One invitation as an organizer sends it (JSON, or a CSV row mapped onto it). Every field
/// is optional here so that each missing one is named in the same answer.
#[derive(Deserialize, serde::Serialize, Default, Clone, Debug, utoipa::ToSchema)]
#[serde(default)]
pub struct InvitationFields {
    #[schema(example = "ada@example.org", value_type = String, format = Email, max_length = 254, required = true)]
    pub email: Option<String>,
    #[schema(example = "Ada Lovelace", value_type = String, format = "line", max_length = 200, required = true)]
    pub full_name: Option<String>,
    #[schema(example = "Mayor", value_type = String, format = "line", max_length = 200, required = true)]
    pub title: Option<String>,
    /// At least its name and state.
    #[schema(value_type = InvitedCommunity, required = true)]
    pub community: Option<CommunityFields>,
    /// `executive` (default, also when blank) or `young_leader`.
    #[schema(
        example = "executive",
        pattern = r"^[\t\n\x0b\x0c\r ]*(?:executive|young_leader)?[\t\n\x0b\x0c\r ]*$"
    )]
    pub kind: Option<String>,
    /// A personal message for the email.
    #[schema(format = "paragraph", max_length = 2000)]
    pub message: Option<String>,
    #[schema(format = "optional-line", max_length = 200)]
    pub organization: Option<String>,
    /// When the link stops working; by default after the event's invitation validity.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An invitation that passed every rule.
#[derive(Clone, Debug)]
pub struct InvitationSpec {
    pub email: EmailAddress,
    pub full_name: String,
    pub title: String,
    pub community: CommunitySpec,
    pub kind: InvitationKind,
    pub message: Option<String>,
    pub organization: Option<String>,
    /// Chosen by the organizer; otherwise the event's default applies (see [`Self::expiry`]).
    pub expires_at: Option<DateTime<Utc>>,
}

impl InvitationSpec {
    pub fn parse(f: InvitationFields, now: DateTime<Utc>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = required(
            &mut errors,
            "email",
            f.email.as_deref(),
            EmailAddress::parse,
        );
        let full_name = required(&mut errors, "full_name", f.full_name.as_deref(), |s| {
            text::single_line(s, 200)
        });
        let title = required(&mut errors, "title", f.title.as_deref(), |s| {
            text::single_line(s, 200)
        });
        let community = match f.community {
            None => {
                errors.add("community", "is required");
                None
            }
            Some(c) => {
                CommunitySpec::parse(c.name.as_deref(), c.state.as_deref(), c.country.as_deref())
                    .map_err(|e| errors.merge_prefixed("community", e))
                    .ok()
            }
        };
        let kind = match f.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => Some(InvitationKind::Executive),
            Some(raw) => {
                let kind = InvitationKind::parse(raw);
                if kind.is_none() {
                    errors.add("kind", "must be executive or young_leader");
                }
                kind
            }
        };
        let message = optional(&mut errors, "message", f.message.as_deref(), |s| {
            text::multi_line(s, MAX_MESSAGE_CHARS)
        });
        let organization = optional(
            &mut errors,
            "organization",
            f.organization.as_deref(),
            |s| text::single_line(s, 200),
        );
        if let Some(at) = f.expires_at {
            if at <= now {
                errors.add("expires_at", "must be in the future");
            } else if at > now + Duration::days(366) {
                errors.add("expires_at", "must be within a year");
            }
        }
        match (email, full_name, title, community, kind) {
            (Some(email), Some(full_name), Some(title), Some(community), Some(kind))
                if errors.is_empty() =>
            {
                Ok(Self {
                    email,
                    full_name,
                    title,
                    community,
                    kind,
                    message: message.flatten(),
                    organization: organization.flatten(),
                    expires_at: f.expires_at,
                })
            }
            _ => Err(errors),
        }
    }

    /// When the invitation stops working: the organizer's choice, else `ttl_days` from now.
    pub fn expiry(&self, now: DateTime<Utc>, ttl_days: i32) -> DateTime<Utc> {
        self.expires_at
            .unwrap_or_else(|| now + Duration::days(i64::from(ttl_days.max(1))))
    }
}

/// Parses a required field, recording "is required" or the parser's message under `field`.
pub(crate) fn required<T>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    match raw {
        None => {
            errors.add(field, "is required");
            None
        }
        Some(raw) => parse(raw).map_err(|m| errors.add(field, m)).ok(),
    }
}

/// Parses an optional field: absent or blank is `Some(None)`; a bad value is recorded and `None`.
pub(crate) fn optional<T>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    match raw.filter(|s| !s.trim().is_empty()) {
        None => Some(None),
        Some(raw) => parse(raw).map(Some).map_err(|m| errors.add(field, m)).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvitationStatus::*;

    #[test]
    fn only_the_listed_transitions_are_allowed() {
        let allowed = [
            (Pending, Sent),
            (Sent, Accepted),
            (Sent, Declined),
            (Pending, Revoked),
            (Sent, Revoked),
            (Pending, Expired),
            (Sent, Expired),
        ];
        for from in InvitationStatus::ALL {
            for to in InvitationStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert_eq!(
            Accepted.transition(Revoked),
            Err(Transition {
                from: Accepted,
                to: Revoked
            })
        );
    }

    #[test]
    fn an_open_invitation_past_its_expiry_is_expired() {
        let now = Utc::now();
        let past = now - Duration::seconds(1);
        assert_eq!(InvitationStatus::effective(Sent, past, now), Expired);
        assert_eq!(InvitationStatus::effective(Accepted, past, now), Accepted);
        assert_eq!(
            InvitationStatus::effective(Sent, now + Duration::days(1), now),
            Sent
        );
    }

    #[test]
    fn every_bad_field_of_an_invitation_is_named() {
        let now = Utc::now();
        let f = InvitationFields {
            email: Some("not-an-email".into()),
            full_name: None,
            title: Some("City\nManager".into()),
            community: Some(CommunityFields {
                name: Some("Springfield".into()),
                state: None,
                country: None,
            }),
            kind: Some("mayor".into()),
            message: None,
            organization: None,
            expires_at: Some(now - Duration::days(1)),
        };
        let e = InvitationSpec::parse(f, now).unwrap_err();
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            [
                "community.state",
                "email",
                "expires_at",
                "full_name",
                "kind",
                "title"
            ]
        );
    }

    #[test]
    fn the_kind_defaults_to_executive_and_expiry_to_the_event_ttl() {
        let now = Utc::now();
        let spec = InvitationSpec::parse(
            InvitationFields {
                email: Some("Dana@Example.org".into()),
                full_name: Some("Dana Whitfield".into()),
                title: Some("City Manager".into()),
                community: Some(CommunityFields {
                    name: Some("Springfield".into()),
                    state: Some("IL".into()),
                    country: None,
                }),
                message: Some("  ".into()),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        assert_eq!(spec.kind, InvitationKind::Executive);
        assert_eq!(spec.email.as_str(), "dana@example.org");
        assert_eq!(spec.message, None);
        assert_eq!(spec.expiry(now, 30), now + Duration::days(30));
        assert_eq!(
            InvitationKind::parse("Young Leader"),
            Some(InvitationKind::YoungLeader)
        );
    }
}
