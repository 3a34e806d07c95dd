//! Communities: a city, town or county, kept across events and matched however it is typed.

use super::text;
use crate::error::FieldErrors;

/// The country assumed when none is given.
pub const DEFAULT_COUNTRY: &str = "US";

/// A community as someone typed it, checked: name, state or region, and country.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommunitySpec {
    pub name: String,
    pub state: String,
    pub country: String,
}

impl CommunitySpec {
    /// Checks the parts; errors are keyed `name`, `state`, `country` (the caller prefixes them).
    pub fn parse(
        name: Option<&str>,
        state: Option<&str>,
        country: Option<&str>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut check = |field: &str, raw: Option<&str>, max: usize| match raw {
            None => {
                errors.add(field, "is required");
                None
            }
            Some(raw) => text::single_line(raw, max)
                .map_err(|m| errors.add(field, m))
                .ok(),
        };
        let name = check("name", name, 120);
        let state = check("state", state, 80);
        let country = match country.map(str::trim).filter(|c| !c.is_empty()) {
            None => Some(DEFAULT_COUNTRY.to_owned()),
            Some(raw) => check("country", Some(raw), 60).map(|c| {
                // ISO 3166 codes are written in capitals; full names are kept as typed.
                if c.len() <= 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            }),
        };
        match (name, state, country) {
            (Some(name), Some(state), Some(country)) if errors.is_empty() => Ok(Self {
                name: collapse_spaces(&name),
                state: collapse_spaces(&state),
                country,
            }),
            _ => Err(errors),
        }
    }

    /// The key two spellings of one community share: lowercased, whitespace folded.
    pub fn match_key(&self) -> String {
        match_key(&self.name, &self.state, &self.country)
    }
}

/// `"  Springfield ", "il", "us"` and `"springfield", "IL", "US"` give the same key.
pub fn match_key(name: &str, state: &str, country: &str) -> String {
    [name, state, country]
        .iter()
        .map(|part| collapse_spaces(part).to_lowercase())
        .collect::<Vec<_>>()
        .join("|")
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_community_typed_differently_has_one_key() {
        let a = CommunitySpec::parse(Some(" Springfield  Township"), Some("il"), None).unwrap();
        let b = CommunitySpec::parse(Some("springfield township"), Some("IL"), Some("us")).unwrap();
        assert_eq!(a.match_key(), b.match_key());
        assert_eq!(a.country, "US");
        assert_eq!(a.name, "Springfield Township");
    }

    #[test]
    fn every_missing_part_is_named() {
        let e = CommunitySpec::parse(None, Some(" "), Some("x\u{7}")).unwrap_err();
        assert_eq!(e.fields().collect::<Vec<_>>(), ["country", "name", "state"]);
    }
}
