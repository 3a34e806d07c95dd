use std::fmt;

/// A telephone number in a form people write: digits, spaces, dashes, dots and
/// parentheses, an optional leading `+`, and 7 to 15 digits (E.164 allows at most 15).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let body = value.strip_prefix('+').unwrap_or(&value);
        let allowed = body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(7..=15).contains(&digits) {
            return Err("must be a phone number of 7 to 15 digits, such as +1 617 555 0100".into());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Phone;

    #[test]
    fn written_phone_numbers_are_accepted() {
        for ok in [
            "+1 617 555 0100",
            "(617) 555-0100",
            "+44 20 7946 0958",
            "617.555.0100",
        ] {
            assert!(Phone::parse(ok).is_ok(), "{ok:?} should be accepted");
        }
        assert_eq!(
            Phone::parse("  +1  617 555 0100 ").unwrap().as_str(),
            "+1 617 555 0100"
        );
    }

    #[test]
    fn other_text_is_refused() {
        for bad in [
            "",
            "555",
            "call me",
            "+1 617 555 0100 ext 3",
            "++1 617 555 0100",
            "1234567890123456",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
