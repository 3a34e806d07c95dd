//! Announcements: what organizers write to a chosen group of an event's people (those
//! registered in some statuses, those invited who have not registered, of some kinds).

use serde::{Deserialize, Serialize};

use super::invitation::{InvitationKind, InvitationStatus};
use super::registration::RegistrationStatus;
use super::text::{multi_line, single_line};
use crate::error::FieldErrors;

/// Longest subject line, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest body (Markdown), in characters: as the event's own Markdown fields.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Longest `Idempotency-Key`, in characters.
pub const MAX_KEY_CHARS: usize = 200;

/// The statuses of an invitation an announcement can go to: an invitation still waiting
/// for its answer, declined, or expired (an accepted one is a registration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitedStatus {
    Sent,
    Declined,
    Expired,
}

impl InvitedStatus {
    fn is(self, status: InvitationStatus) -> bool {
        matches!(
            (self, status),
            (Self::Sent, InvitationStatus::Sent)
                | (Self::Declined, InvitationStatus::Declined)
                | (Self::Expired, InvitationStatus::Expired)
        )
    }
}

/// Who an announcement goes to: the union of the registrations in
/// `registration_statuses` and the invitations in `invitation_statuses`, either kept to
/// the `kinds` when given. With `kinds` alone, the confirmed and waitlisted registrants of
/// those kinds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_statuses: Option<Vec<RegistrationStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_statuses: Option<Vec<InvitedStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<InvitationKind>>,
}

impl Audience {
    /// No list at all: the request did not say whom it is for.
    pub fn is_unspecified(&self) -> bool {
        self.registration_statuses.is_none()
            && self.invitation_statuses.is_none()
            && self.kinds.is_none()
    }

    fn of_kind(&self, kind: InvitationKind) -> bool {
        self.kinds.as_ref().is_none_or(|k| k.contains(&kind))
    }

    /// Whether a registration in this status, of this kind, is in the audience.
    pub fn takes_registration(&self, status: RegistrationStatus, kind: InvitationKind) -> bool {
        let by_status = match &self.registration_statuses {
            Some(statuses) => statuses.contains(&status),
            None => {
                self.invitation_statuses.is_none()
                    && matches!(
                        status,
                        RegistrationStatus::Confirmed | RegistrationStatus::Waitlisted
                    )
            }
        };
        by_status && self.of_kind(kind)
    }

    /// Whether an invitation in this status (as of now: an open one past its expiry is
    /// expired), of this kind, is in the audience.
    pub fn takes_invitation(&self, status: InvitationStatus, kind: InvitationKind) -> bool {
        self.invitation_statuses
            .as_ref()
            .is_some_and(|s| s.iter().any(|w| w.is(status)))
            && self.of_kind(kind)
    }
}

/// An announcement as written, checked: a subject line and a Markdown body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnouncementSpec {
    pub subject: String,
    pub body: String,
    pub audience: Audience,
}

impl AnnouncementSpec {
    /// Checks every field at once; each error is named by its field.
    pub fn parse(subject: &str, body: &str, audience: Audience) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let subject = single_line(subject, MAX_SUBJECT_CHARS)
            .map_err(|m| errors.add("subject", m))
            .unwrap_or_default();
        let body = match multi_line(body, MAX_BODY_CHARS) {
            Ok(b) if b.is_empty() => {
                errors.add("body", "must not be empty");
                b
            }
            Ok(b) => b,
            Err(m) => {
                errors.add("body", m);
                String::new()
            }
        };
        if audience.is_unspecified() {
            errors.add(
                "audience",
                "must give at least one of registration_statuses, invitation_statuses and kinds",
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            subject,
            body,
            audience,
        })
    }
}

/// An `Idempotency-Key` header's value: 1 to 200 visible ASCII characters.
pub fn parse_idempotency_key(raw: &str) -> Result<String, FieldErrors> {
    if raw.is_empty()
        || raw.chars().count() > MAX_KEY_CHARS
        || !raw.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(FieldErrors::single(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY_CHARS} visible ASCII characters"),
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvitationKind::*;
    use RegistrationStatus::*;

    #[test]
    fn kinds_alone_mean_the_registrants_still_coming() {
        let a = Audience {
            kinds: Some(vec![YoungLeader]),
            ..Default::default()
        };
        assert!(a.takes_registration(Confirmed, YoungLeader));
        assert!(a.takes_registration(Waitlisted, YoungLeader));
        assert!(!a.takes_registration(Cancelled, YoungLeader));
        assert!(!a.takes_registration(Confirmed, Executive));
        assert!(!a.takes_invitation(InvitationStatus::Sent, YoungLeader));
    }

    #[test]
    fn statuses_are_each_their_own_list() {
        let a = Audience {
            invitation_statuses: Some(vec![InvitedStatus::Sent, InvitedStatus::Expired]),
            ..Default::default()
        };
        assert!(!a.takes_registration(Confirmed, Executive));
        assert!(a.takes_invitation(InvitationStatus::Sent, Executive));
        assert!(a.takes_invitation(InvitationStatus::Expired, YoungLeader));
        assert!(!a.takes_invitation(InvitationStatus::Declined, Executive));
        assert!(!a.takes_invitation(InvitationStatus::Pending, Executive));
        let none = Audience {
            registration_statuses: Some(vec![]),
            ..Default::default()
        };
        assert!(!none.takes_registration(Confirmed, Executive));
    }

    #[test]
    fn every_bad_field_is_named() {
        let e = AnnouncementSpec::parse(" ", "", Audience::default()).unwrap_err();
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            ["audience", "body", "subject"]
        );
        let e = AnnouncementSpec::parse(
            "Line\r\nBcc: x@example.org",
            &"x".repeat(20_001),
            Audience::default(),
        )
        .unwrap_err();
        assert!(e.contains("subject") && e.contains("body"));
        assert!(parse_idempotency_key("a b").is_err());
        assert_eq!(parse_idempotency_key("k-1").unwrap(), "k-1");
    }
}
