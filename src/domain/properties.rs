//! Property tests for the parsers that take input from people and clients: whatever they
//! are given, they never panic; what they accept parses again to itself; and nothing they
//! accept for a value that ends up in an email header (addresses, names, titles, event
//! names) can carry a line break.

use proptest::prelude::*;

use super::community::CommunitySpec;
use super::phone::Phone;
use super::{text, Cents, Currency, EmailAddress, SecretToken, Slug};
use crate::domain::money::MAX_CENTS;

/// Any text, with a good share of the characters that matter here: line breaks, other
/// controls, whitespace that `trim` removes, non-ASCII letters and email punctuation.
fn nasty_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => any::<char>(),
            3 => prop::sample::select(vec![
                '\r', '\n', '\t', '\0', '\u{85}', '\u{2028}', '\u{feff}', ' ', '\u{a0}',
                '@', '.', '-', '+', '(', ')', '"', '<', '>', ',', ';', ':',
                'a', 'Z', '0', '9', 'é', 'İ', 'ß', 'Ω', '日',
            ]),
        ],
        0..80,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Addresses that look real: a local part and a domain from plausible characters.
fn plausible_email() -> impl Strategy<Value = String> {
    (
        "[A-Za-z0-9._%+-]{1,30}",
        "[A-Za-z0-9-]{1,20}(\\.[A-Za-z]{2,6}){1,2}",
        prop::option::of(prop::sample::select(vec![" ", "\t", "\n", "\r\n"])),
    )
        .prop_map(|(local, domain, pad)| {
            let pad = pad.unwrap_or("");
            format!("{pad}{local}@{domain}{pad}")
        })
}

fn has_line_break(s: &str) -> bool {
    s.contains(['\r', '\n', '\u{85}'])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn an_email_address_is_trimmed_lowercase_one_line_and_parses_to_itself(
        raw in prop_oneof![nasty_text(), plausible_email()]
    ) {
        if let Ok(email) = EmailAddress::parse(&raw) {
            let s = email.as_str();
            prop_assert!(!has_line_break(s) && !s.chars().any(char::is_control), "{s:?}");
            prop_assert!(!s.chars().any(char::is_whitespace), "{s:?}");
            prop_assert!(s.len() <= 254);
            prop_assert_eq!(s.to_lowercase(), s);
            prop_assert_eq!(EmailAddress::parse(s), Ok(email.clone()));
        }
    }

    #[test]
    fn an_email_address_with_a_line_break_inside_is_refused(
        local in "[a-z]{1,10}", domain in "[a-z]{1,10}\\.org",
        br in prop::sample::select(vec!["\r", "\n", "\r\n", "\r\nBcc: eve@example.org\r\n"]),
        at in 0usize..3,
    ) {
        let raw = match at {
            0 => format!("{local}{br}@{domain}"),
            1 => format!("{local}@{br}{domain}"),
            _ => format!("{local}@{domain}{br}x"),
        };
        prop_assert!(EmailAddress::parse(&raw).is_err(), "{raw:?}");
    }

    #[test]
    fn a_single_line_of_text_keeps_no_line_break_and_parses_to_itself(
        raw in nasty_text(), max in 1usize..100
    ) {
        if let Ok(v) = text::single_line(&raw, max) {
            prop_assert!(!v.is_empty());
            prop_assert!(!has_line_break(&v) && !v.chars().any(char::is_control), "{v:?}");
            prop_assert!(v.chars().count() <= max);
            prop_assert_eq!(v.trim(), v.as_str());
            prop_assert_eq!(text::single_line(&v, max), Ok(v.clone()));
        }
    }

    #[test]
    fn a_line_break_inside_a_single_line_is_refused(
        a in "[A-Za-z]{1,20}", b in "[A-Za-z]{1,20}",
        br in prop::sample::select(vec!["\r", "\n", "\r\n", "\u{85}"]),
    ) {
        let raw = format!("{a}{br}{b}");
        prop_assert!(text::single_line(&raw, 200).is_err(), "{raw:?}");
    }

    #[test]
    fn a_paragraph_keeps_only_line_breaks_and_tabs_and_parses_to_itself(
        raw in nasty_text(), max in 0usize..100
    ) {
        if let Ok(v) = text::multi_line(&raw, max) {
            prop_assert!(
                !v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
                "{v:?}"
            );
            prop_assert!(v.chars().count() <= max);
            prop_assert_eq!(text::multi_line(&v, max), Ok(v.clone()));
        }
    }

    #[test]
    fn a_community_is_one_line_in_each_part(
        name in nasty_text(), state in nasty_text(),
        country in prop::option::of(nasty_text()),
    ) {
        if let Ok(c) = CommunitySpec::parse(Some(&name), Some(&state), country.as_deref()) {
            for part in [&c.name, &c.state, &c.country] {
                prop_assert!(!has_line_break(part) && !part.is_empty(), "{part:?}");
            }
        }
    }

    #[test]
    fn money_is_accepted_exactly_from_zero_to_the_maximum(v in any::<i64>()) {
        match Cents::new(v) {
            Ok(c) => {
                prop_assert!((0..=MAX_CENTS).contains(&v));
                prop_assert_eq!(c.value(), v);
                prop_assert_eq!(Cents::new(c.value()), Ok(c));
            }
            Err(_) => prop_assert!(!(0..=MAX_CENTS).contains(&v)),
        }
    }

    #[test]
    fn a_currency_is_three_letters_uppercased(raw in nasty_text()) {
        if let Ok(c) = Currency::parse(&raw) {
            let s = c.as_str();
            prop_assert!(s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()), "{s:?}");
            prop_assert_eq!(s, raw.trim().to_ascii_uppercase());
            prop_assert_eq!(Currency::parse(s), Ok(c.clone()));
        }
    }

    #[test]
    fn any_currency_code_of_three_letters_is_accepted(code in "[A-Za-z]{3}") {
        prop_assert_eq!(Currency::parse(&code).map(|c| c.as_str().to_owned()), Ok(code.to_ascii_uppercase()));
    }

    #[test]
    fn a_slug_is_lowercase_words_and_parses_to_itself(
        raw in prop_oneof![nasty_text(), "[a-z0-9-]{0,70}", "[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,5}"]
    ) {
        if let Ok(slug) = Slug::parse(&raw) {
            let s = slug.as_str();
            prop_assert!((3..=64).contains(&s.len()));
            prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{s:?}");
            prop_assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"), "{s:?}");
            prop_assert_eq!(Slug::parse(s), Ok(slug.clone()));
        }
    }

    #[test]
    fn every_well_formed_slug_is_accepted(raw in "[a-z0-9]{3,10}(-[a-z0-9]{1,10}){0,4}") {
        prop_assume!(!["new", "edit", "admin", "api", "static"].contains(&raw.as_str()));
        prop_assert!(Slug::parse(&raw).is_ok(), "{raw:?}");
    }

    #[test]
    fn a_token_is_accepted_only_in_its_own_shape(raw in prop_oneof![nasty_text(), "[A-Za-z0-9_-]{40,46}"]) {
        let shaped = raw.len() == 43
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        match SecretToken::parse(&raw) {
            Some(t) => {
                prop_assert!(shaped, "{raw:?}");
                prop_assert_eq!(t.expose(), raw.as_str());
                let hash = t.hash();
                prop_assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
            }
            None => prop_assert!(!shaped, "{raw:?}"),
        }
    }

    #[test]
    fn a_phone_number_is_one_line_of_digits_and_parses_to_itself(
        raw in prop_oneof![nasty_text(), "\\+?[0-9 ().\\-\\n]{0,25}"]
    ) {
        if let Ok(p) = Phone::parse(&raw) {
            let s = p.as_str();
            prop_assert!(!has_line_break(s), "{s:?}");
            let digits = s.chars().filter(char::is_ascii_digit).count();
            prop_assert!((7..=15).contains(&digits), "{s:?}");
            prop_assert_eq!(Phone::parse(s), Ok(p.clone()));
        }
    }
}

#[test]
fn generated_tokens_always_parse() {
    for _ in 0..256 {
        let t = SecretToken::generate();
        let parsed = SecretToken::parse(t.expose()).expect("a generated token parses");
        assert_eq!(parsed.hash(), t.hash());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Non-ASCII addresses near the length limit: lowercasing may lengthen them.
    #[test]
    fn a_long_international_address_still_parses_to_itself(
        local in "[a-zA-ZİßΩéÅ]{1,64}", pad in 0usize..200,
    ) {
        let domain = format!("{}.example.org", "d".repeat(pad.min(60)));
        let raw = format!("{local}@{domain}");
        if let Ok(email) = EmailAddress::parse(&raw) {
            prop_assert!(email.as_str().len() <= 254, "{:?}", email.as_str());
            prop_assert_eq!(EmailAddress::parse(email.as_str()), Ok(email.clone()));
        }
    }
}
