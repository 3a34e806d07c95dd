//! Webhooks: the events an integrator may subscribe to, and a hook as asked for.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::Choice;
use crate::error::FieldErrors;

/// What happened, as a webhook names it (`type` in the payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    InvitationSent,
    InvitationDeclined,
    RegistrationCreated,
    RegistrationCancelled,
    RegistrationPromoted,
    NominationDecided,
    ScholarshipDecided,
    CheckinCreated,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvitationSent => "invitation.sent",
            Self::InvitationDeclined => "invitation.declined",
            Self::RegistrationCreated => "registration.created",
            Self::RegistrationCancelled => "registration.cancelled",
            Self::RegistrationPromoted => "registration.promoted",
            Self::NominationDecided => "nomination.decided",
            Self::ScholarshipDecided => "scholarship.decided",
            Self::CheckinCreated => "checkin.created",
        }
    }
}

/// The prefix of a signing secret, as the Standard Webhooks libraries expect it.
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing secret: `whsec_` and the base64 of 24 to 64 random bytes. The key that signs
/// is the decoded bytes.
#[derive(Clone)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// 32 bytes from the OS random generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let message = "must be whsec_ followed by the base64 of 24 to 64 bytes";
        let key = raw
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .ok_or_else(|| message.to_owned())?;
        if !(24..=64).contains(&key.len()) {
            return Err(message.into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The stored and shown form (`whsec_…`).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the bytes after the prefix.
    pub fn key(&self) -> Vec<u8> {
        self.0
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// A hook as asked for: where to, which events (at least one, each once), and its secret.
#[derive(Debug)]
pub struct WebhookForm {
    pub url: String,
    pub events: Vec<EventKind>,
    pub secret: WebhookSecret,
}

impl WebhookForm {
    /// Checks every field, naming each one at fault (`events.2` for the third event).
    pub fn parse(url: &str, events: &[String], secret: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let url = match url::Url::parse(url.trim()) {
            Ok(u) if !matches!(u.scheme(), "http" | "https") => {
                errors.add("url", "must be an http or https URL");
                None
            }
            Ok(u) if u.host_str().is_none_or(str::is_empty) => {
                errors.add("url", "must name a host");
                None
            }
            Ok(_) if url.len() > 2000 => {
                errors.add("url", "must be at most 2000 characters");
                None
            }
            Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                errors.add("url", "must not hold a user name or password");
                None
            }
            Ok(u) => Some(u.to_string()),
            Err(_) => {
                errors.add("url", "must be an http or https URL");
                None
            }
        };
        let mut kinds = Vec::new();
        if events.is_empty() {
            errors.add("events", "must name at least one event");
        }
        for (i, raw) in events.iter().enumerate() {
            match <EventKind as Choice>::parse(raw) {
                Some(k) if kinds.contains(&k) => {
                    errors.add(format!("events.{i}"), "is named twice")
                }
                Some(k) => kinds.push(k),
                None => errors.add(format!("events.{i}"), EventKind::expected()),
            }
        }
        let secret = match secret {
            None => Some(WebhookSecret::generate()),
            Some(raw) => WebhookSecret::parse(raw.trim())
                .map_err(|m| errors.add("secret", m))
                .ok(),
        };
        match (url, secret, errors.is_empty()) {
            (Some(url), Some(secret), true) => Ok(Self {
                url,
                events: kinds,
                secret,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_parses_and_its_key_is_32_bytes() {
        let s = WebhookSecret::generate();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(
            WebhookSecret::parse(s.expose())
                .expect("parses")
                .key()
                .len(),
            32
        );
        assert!(WebhookSecret::parse("whsec_c2hvcnQ=").is_err());
        assert!(WebhookSecret::parse("nope").is_err());
    }

    #[test]
    fn bad_fields_are_named_with_their_index() {
        let events = ["registration.created".to_owned(), "party".to_owned()];
        let e = WebhookForm::parse("ftp://x", &events, Some("x")).unwrap_err();
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            ["events.1", "secret", "url"]
        );
        let e = WebhookForm::parse("https://example.org/hook", &[], None).unwrap_err();
        assert!(e.contains("events"));
        let ok = WebhookForm::parse("https://example.org/hook", &events[..1], None).expect("ok");
        assert_eq!(ok.events, [EventKind::RegistrationCreated]);
    }
}
