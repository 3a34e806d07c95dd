//! Check-in at the door: the code on a registrant's QR code, what a desk sends to check
//! someone in, and the caterer's grouping of free-text requirements.

use crate::error::{AppError, FieldErrors};

/// Crockford's base32: digits and capitals without I, L, O and U, so that a code read
/// aloud or typed from paper is not mistaken.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a new code: 60 random bits. A desk needs an organizer's session to use
/// one, so this only has to defeat guessing someone else's code at the door.
pub const CODE_LEN: usize = 12;
/// Longest input taken as a code; anything longer is not one of ours (422).
const MAX_INPUT: usize = 64;

/// A registration's check-in code, as stored and as put in its QR code: upper-case
/// Crockford base32. Codes given to rows that existed before check-in are 12 hex digits,
/// which are in the same alphabet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckInCode(String);

impl CheckInCode {
    /// A fresh random code from the OS generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 8];
        rand::fill(&mut bytes);
        let mut bits = u64::from_le_bytes(bytes);
        let code = (0..CODE_LEN)
            .map(|_| {
                let c = ALPHABET[(bits & 31) as usize] as char;
                bits >>= 5;
                c
            })
            .collect();
        Self(code)
    }

    /// What a desk typed or scanned, read the forgiving way: case, spaces and dashes do
    /// not matter, and O, I and L stand for 0, 1 and 1. `None` when nothing is left or a
    /// character is not in the alphabet (no stored code can match it).
    pub fn parse(raw: &str) -> Option<Self> {
        let mut code = String::with_capacity(CODE_LEN);
        for c in raw.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '\t' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return None,
            };
            code.push(c);
        }
        (!code.is_empty()).then_some(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The check-in code as a QR code (PNG), black on white with its quiet zone: for the
/// manage page and the confirmation email.
pub fn qr_png(code: &str) -> Result<Vec<u8>, AppError> {
    super::qr_code::png(code)
}

/// Whom a desk checks in: by the code on the QR code (or typed from it), or by the
/// registration's id (found by name on the dashboard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckInTarget {
    Code(CheckInCode),
    /// A code that cannot be any registration's: 404 without a lookup.
    UnknownCode,
    RegistrationId(String),
    /// Not the shape of a registration id: 404 without a lookup.
    UnknownRegistration,
}

/// Whether `raw` has the shape of a row id (a UUID): anything else names no row and is
/// not sent to the database (PostgreSQL refuses a NUL in text with an error, not a miss).
pub fn looks_like_id(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_INPUT
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl CheckInTarget {
    /// Exactly one of the two fields; both, neither or an empty one is a 422 naming it.
    pub fn parse(code: Option<&str>, registration_id: Option<&str>) -> Result<Self, AppError> {
        let mut errors = FieldErrors::new();
        let target = match (code, registration_id) {
            (Some(_), Some(_)) => {
                errors.add(
                    "registration_id",
                    "send either code or registration_id, not both",
                );
                None
            }
            (None, None) => {
                errors.add("code", "send code (from the QR code) or registration_id");
                None
            }
            (Some(raw), None) => {
                if raw.trim().is_empty() {
                    errors.add("code", "must not be empty");
                    None
                } else if raw.len() > MAX_INPUT {
                    errors.add("code", format!("must be at most {MAX_INPUT} characters"));
                    None
                } else {
                    Some(
                        CheckInCode::parse(raw)
                            .map(Self::Code)
                            .unwrap_or(Self::UnknownCode),
                    )
                }
            }
            (None, Some(id)) => {
                let id = id.trim();
                if id.is_empty() {
                    errors.add("registration_id", "must not be empty");
                    None
                } else if id.len() > MAX_INPUT {
                    errors.add(
                        "registration_id",
                        format!("must be at most {MAX_INPUT} characters"),
                    );
                    None
                } else if looks_like_id(id) {
                    Some(Self::RegistrationId(id.to_owned()))
                } else {
                    Some(Self::UnknownRegistration)
                }
            }
        };
        errors.into_result()?;
        target.ok_or_else(|| AppError::invalid("code", "is required"))
    }
}

/// The key under which the caterer's counts group a requirement: trimmed, inner
/// whitespace collapsed to one space, lower case. `None` for a blank one.
pub fn requirement_key(raw: &str) -> Option<String> {
    let key = readable(raw).to_lowercase();
    (!key.is_empty()).then_some(key)
}

/// A requirement as a person wrote it, with its spacing tidied (for display).
pub fn readable(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_twelve_characters_of_the_alphabet_and_differ() {
        let a = CheckInCode::generate();
        let b = CheckInCode::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), CODE_LEN);
        assert!(a.as_str().bytes().all(|c| ALPHABET.contains(&c)));
        assert_eq!(CheckInCode::parse(a.as_str()), Some(a));
    }

    #[test]
    fn codes_are_read_forgivingly() {
        let parsed = CheckInCode::parse(" k7qm-4xrd 9tzo ").expect("a code");
        assert_eq!(parsed.as_str(), "K7QM4XRD9TZ0");
        assert_eq!(CheckInCode::parse("il").expect("a code").as_str(), "11");
        assert_eq!(CheckInCode::parse("https://x.org"), None);
        assert_eq!(CheckInCode::parse(" - "), None);
    }

    #[test]
    fn exactly_one_field_names_whom_to_check_in() {
        let field = |e: AppError| match e {
            AppError::Validation(f) => f.fields().map(str::to_owned).collect::<Vec<_>>(),
            other => panic!("not a validation error: {other}"),
        };
        assert_eq!(
            field(CheckInTarget::parse(None, None).unwrap_err()),
            ["code"]
        );
        assert_eq!(
            field(CheckInTarget::parse(Some("A"), Some("b")).unwrap_err()),
            ["registration_id"]
        );
        assert_eq!(
            field(CheckInTarget::parse(Some("  "), None).unwrap_err()),
            ["code"]
        );
        assert_eq!(
            CheckInTarget::parse(Some("ü?"), None).unwrap(),
            CheckInTarget::UnknownCode
        );
        assert_eq!(
            CheckInTarget::parse(None, Some(" x ")).unwrap(),
            CheckInTarget::RegistrationId("x".into())
        );
        assert_eq!(
            CheckInTarget::parse(None, Some("a\u{0}b")).unwrap(),
            CheckInTarget::UnknownRegistration
        );
    }

    #[test]
    fn requirements_group_without_case_or_spacing() {
        assert_eq!(
            requirement_key("  Gluten   free\t"),
            Some("gluten free".into())
        );
        assert_eq!(requirement_key("GLUTEN FREE"), Some("gluten free".into()));
        assert_eq!(requirement_key(" \n "), None);
        assert_eq!(readable("  Gluten   free "), "Gluten free");
    }
}
