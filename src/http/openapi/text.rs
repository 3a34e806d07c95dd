//! Free text in request bodies, as the document describes it. A field read by
//! `domain::text::single_line` is marked `#[schema(format = "line", max_length = N)]`, a
//! line that may also be left blank (read as none) `format = "optional-line"`, one read by
//! `domain::text::multi_line` `format = "paragraph"`, and a paragraph that may not be
//! blank (`domain::nomination::paragraph`) `format = "required-paragraph"`. Here each
//! marker becomes the pattern of what that function accepts, written once. The pass also
//! drops the `default: null` utoipa gives fields that cannot be null.

use std::collections::BTreeMap;

use utoipa::openapi::schema::{ArrayItems, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::RefOr;

/// Whitespace around the text, which is trimmed: what `char::is_whitespace` (Unicode
/// `White_Space`) takes. Not `\s`: Python's (schemathesis generates from these patterns)
/// also matches control characters that Rust's `trim` keeps.
const AROUND: &str = r"[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*";
/// A character of a line: anything but a control character (`char::is_control`, `Cc`).
const LINE_CHAR: &str = r"[^\x00-\x1f\x7f-\x9f]";
/// A character of a paragraph: line breaks and tabs are allowed too.
const PARAGRAPH_CHAR: &str = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]";
/// The first and last character of text that is not blank.
const EDGE: &str = r"[^\s\x00-\x1f\x7f-\x9f]";

/// What `single_line(_, max)` accepts: after trimming, 1 to `max` characters and no
/// control character. The length is counted after trimming, as the function does, so it
/// is in the pattern rather than in `maxLength` (which would count the spaces around).
pub fn line_pattern(max: Option<usize>) -> String {
    let inner = match max {
        Some(max) if max < 2 => return format!("^{AROUND}{EDGE}{AROUND}$"),
        Some(max) => format!("{{0,{}}}", max - 2),
        None => "*".to_owned(),
    };
    format!("^{AROUND}{EDGE}(?:{LINE_CHAR}{inner}{EDGE})?{AROUND}$")
}

/// A line, or blank (`domain::invitation::optional` reads blank as none).
pub fn optional_line_pattern(max: Option<usize>) -> String {
    let line = line_pattern(max);
    format!("^(?:{AROUND}|{})$", &line[1..line.len() - 1])
}

/// `multi_line`: no control character but line breaks and tabs; may be empty.
pub fn paragraph_pattern() -> String {
    format!("^{AROUND}{PARAGRAPH_CHAR}*{AROUND}$")
}

/// `domain::nomination::paragraph`: a paragraph that is not blank.
pub fn required_paragraph_pattern() -> String {
    format!("^{AROUND}{PARAGRAPH_CHAR}*{EDGE}{PARAGRAPH_CHAR}*{AROUND}$")
}

/// Replaces the markers in every schema of the document's components.
pub(super) fn text_patterns(schemas: &mut BTreeMap<String, RefOr<Schema>>) {
    schemas.values_mut().for_each(visit);
}

fn visit(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(o) => {
            let format = match &o.format {
                Some(SchemaFormat::Custom(f)) => Some(f.clone()),
                _ => None,
            };
            let pattern = match format.as_deref() {
                Some("line") => Some(line_pattern(o.max_length.take())),
                Some("optional-line") => Some(optional_line_pattern(o.max_length.take())),
                Some("paragraph") => Some(paragraph_pattern()),
                Some("required-paragraph") => Some(required_paragraph_pattern()),
                _ => None,
            };
            if let Some(pattern) = pattern {
                o.format = None;
                o.pattern = Some(pattern);
            }
            // `#[serde(default)]` on a struct of `Option`s makes utoipa write `default: null`
            // even where the field's schema says it cannot be null (a required field).
            if o.default == Some(serde_json::Value::Null) && !allows_null(&o.schema_type) {
                o.default = None;
            }
            o.properties.values_mut().for_each(visit);
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                visit(items);
            }
        }
        Schema::OneOf(o) => o.items.iter_mut().for_each(visit),
        Schema::AllOf(o) => o.items.iter_mut().for_each(visit),
        Schema::AnyOf(o) => o.items.iter_mut().for_each(visit),
        _ => {}
    }
}

fn allows_null(t: &SchemaType) -> bool {
    match t {
        SchemaType::Type(t) => *t == Type::Null,
        SchemaType::Array(types) => types.contains(&Type::Null),
        SchemaType::AnyValue => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nomination::paragraph as required_paragraph;
    use crate::domain::text::{multi_line, single_line};

    fn re(pattern: &str) -> regex::Regex {
        regex::Regex::new(pattern).expect(pattern)
    }

    /// The patterns agree with the functions they describe.
    #[test]
    fn the_patterns_say_what_the_text_functions_accept() {
        let (line, optional) = (
            re(&line_pattern(Some(5))),
            re(&optional_line_pattern(Some(5))),
        );
        for s in [
            "Ada",
            " Ada ",
            "\tAda\r\n",
            "",
            " ",
            "Ada\nB",
            "Ada\u{0}",
            "\u{85}",
            "Zoë Ō",
            "a\u{a0}b",
            "\u{a0}",
            "x\ty",
            "\u{9f}x",
            "abcde",
            "abcdef",
            " abcde      ",
            "a",
            "ab",
        ] {
            assert_eq!(line.is_match(s), single_line(s, 5).is_ok(), "line {s:?}");
            let blank_or_line = s.trim().is_empty() || single_line(s, 5).is_ok();
            assert_eq!(optional.is_match(s), blank_or_line, "optional line {s:?}");
        }
        assert!(re(&line_pattern(None)).is_match(&"x".repeat(500)));
        let (paragraph, required) = (re(&paragraph_pattern()), re(&required_paragraph_pattern()));
        for s in [
            "",
            "a\nb\r\n\tc",
            "a\u{0}b",
            "a\u{7f}",
            " x ",
            "\u{1b}[0m",
            "\na\u{b}b",
        ] {
            assert_eq!(
                paragraph.is_match(s),
                multi_line(s, 100).is_ok(),
                "paragraph {s:?}"
            );
            assert_eq!(
                required.is_match(s),
                required_paragraph(s).is_ok(),
                "required paragraph {s:?}"
            );
        }
    }
}
