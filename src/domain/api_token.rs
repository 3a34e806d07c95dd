//! API tokens: an organizer's credential for integrations (`Authorization: Bearer`).

use chrono::{DateTime, NaiveDateTime, Timelike};

use super::organizer::Role;
use super::text;
use super::SecretToken;
use crate::error::FieldErrors;

/// What every API token starts with, so that a leaked one is recognised (by people and by
/// secret scanners) for what it is.
pub const PREFIX: &str = "cvt_";

/// The secret of an API token: [`PREFIX`] and a [`SecretToken`]. Only its hash is stored.
pub struct ApiTokenSecret(SecretToken);

impl ApiTokenSecret {
    pub fn generate() -> Self {
        Self(SecretToken::generate())
    }

    /// What a client presents; anything not shaped like a token is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        raw.strip_prefix(PREFIX)
            .and_then(SecretToken::parse)
            .map(Self)
    }

    /// Shown once, to the admin who made it; never logged or stored.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", self.0.expose())
    }

    pub fn hash(&self) -> String {
        self.0.hash()
    }
}

impl std::fmt::Debug for ApiTokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiTokenSecret(..)")
    }
}

/// A new token as asked for: a name, a role, and an optional expiry in the future.
#[derive(Debug)]
pub struct ApiTokenForm {
    pub name: String,
    pub role: Role,
    pub expires_at: Option<NaiveDateTime>,
}

impl ApiTokenForm {
    /// Checks every field, naming each one at fault (`role` is `None` when the one asked
    /// for is no role).
    pub fn parse(
        name: &str,
        role: Option<Role>,
        expires_at: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = text::single_line(name, 100)
            .map_err(|m| errors.add("name", m))
            .ok();
        if role.is_none() {
            errors.add("role", "must be admin or reviewer");
        }
        let expires_at = match expires_at {
            None => None,
            Some(raw) => match DateTime::parse_from_rfc3339(raw.trim()) {
                Err(_) => {
                    errors.add(
                        "expires_at",
                        "must be a time in RFC 3339 (2027-01-31T12:00:00Z)",
                    );
                    None
                }
                Ok(t) => {
                    // Microseconds, as both databases keep them.
                    let t = t.naive_utc();
                    let t = t
                        .with_nanosecond(t.nanosecond() / 1_000 * 1_000)
                        .unwrap_or(t);
                    if t <= now {
                        errors.add("expires_at", "must be in the future");
                    }
                    Some(t)
                }
            },
        };
        match (name, role, errors.is_empty()) {
            (Some(name), Some(role), true) => Ok(Self {
                name,
                role,
                expires_at,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_hides_in_debug() {
        let s = ApiTokenSecret::generate();
        let shown = s.expose();
        assert!(shown.starts_with(PREFIX));
        let parsed = ApiTokenSecret::parse(&shown).expect("parses");
        assert_eq!(parsed.hash(), s.hash());
        assert!(!format!("{s:?}").contains(&shown[4..]));
        assert!(ApiTokenSecret::parse(&shown[4..]).is_none());
    }

    #[test]
    fn bad_fields_are_named_together() {
        let now = chrono::Utc::now().naive_utc();
        let e = ApiTokenForm::parse(" ", None, Some("tomorrow"), now).unwrap_err();
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            ["expires_at", "name", "role"]
        );
        let e = ApiTokenForm::parse("ci", Some(Role::Admin), Some("2001-01-01T00:00:00Z"), now)
            .unwrap_err();
        assert!(e.contains("expires_at"));
        assert!(ApiTokenForm::parse("ci", Some(Role::Reviewer), None, now).is_ok());
    }
}
