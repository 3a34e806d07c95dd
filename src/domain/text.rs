//! Free text from people: trimmed, bounded, and free of control characters (which
//! would allow header injection in emails and break CSV exports).

/// Checks a line of text (a name, a title): no control characters at all.
pub fn single_line(raw: &str, max_chars: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters or line breaks".into());
    }
    Ok(value.to_owned())
}

/// Checks a paragraph (a reason, a note): line breaks and tabs allowed, other control characters not.
/// Its length is counted before trimming, as the API document's `maxLength` counts it (a
/// paragraph's pattern cannot count after trimming, as a line's does).
pub fn multi_line(raw: &str, max_chars: usize) -> Result<String, String> {
    let value = raw.trim();
    if raw.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_trims_and_refuses_line_breaks() {
        assert_eq!(single_line("  Ada Lovelace ", 50).unwrap(), "Ada Lovelace");
        assert!(single_line("Ada\r\nBcc: x@y", 50).is_err());
        assert!(single_line("   ", 50).is_err());
        assert!(single_line(&"x".repeat(51), 50).is_err());
        assert!(single_line("Zoë Ōtsuka", 10).is_ok());
    }

    #[test]
    fn multi_line_keeps_paragraphs() {
        assert_eq!(multi_line("a\nb", 10).unwrap(), "a\nb");
        assert!(multi_line("a\u{0}b", 10).is_err());
        assert_eq!(multi_line("", 10).unwrap(), "");
        // Counted as sent, spaces around included, as the API document's maxLength counts.
        assert!(multi_line(&format!("{} ", "x".repeat(10)), 10).is_err());
    }
}
