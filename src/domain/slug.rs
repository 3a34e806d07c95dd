use std::fmt;

/// An event's URL name: 3-64 characters of lowercase letters, digits and single hyphens,
/// starting and ending with a letter or digit (`future-city-2027`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Words that name pages beside an event's (`/admin/events/new`), never an event.
const RESERVED: &[&str] = &["new", "edit", "admin", "api", "static"];

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if !(3..=64).contains(&value.len()) {
            return Err("must be 3 to 64 characters".into());
        }
        let allowed = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !allowed || value.starts_with('-') || value.ends_with('-') || value.contains("--") {
            return Err(
                "may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit"
                    .into(),
            );
        }
        if RESERVED.contains(&value) {
            return Err(format!(
                "'{value}' is reserved for the service's own pages; choose another"
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Slug;

    #[test]
    fn slugs_are_lowercase_words_joined_by_hyphens() {
        assert!(Slug::parse("future-city-2027").is_ok());
        assert!(
            Slug::parse("new").is_err(),
            "reserved for /admin/events/new"
        );
        for bad in [
            "ab",
            "Future-City",
            "future city",
            "-x-y",
            "x-y-",
            "a--b",
            "ünï",
            &"a".repeat(65),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
