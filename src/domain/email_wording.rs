//! An event's own wording of its emails: for each kind of email, a subject and a Markdown
//! body with `{{ placeholder }}`s from that kind's list. Checked when saved: an unknown
//! placeholder is refused, naming it, and a kind whose link is its purpose must keep it.
//! Filled in when sent: values are escaped for the Markdown (so for the HTML made from
//! it) and kept free of line breaks, whatever they hold.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{multi_line, single_line};
use crate::error::FieldErrors;

/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;

/// Every placeholder, with where its value is in an email's variables (a JSON pointer).
const SOURCES: &[(&str, &str)] = &[
    ("recipient_name", "/recipient/full_name"),
    ("event_name", "/event/name"),
    ("event_dates", "/event/dates"),
    ("event_venue", "/event/venue"),
    ("event_city", "/event/city"),
    ("invitation_link", "/link"),
    ("expires_on", "/expires_on"),
    ("manage_link", "/manage_link"),
    ("waitlist_position", "/position"),
    ("event_link", "/event_link"),
];

const COMMON: [&str; 5] = [
    "recipient_name",
    "event_name",
    "event_dates",
    "event_venue",
    "event_city",
];

/// A kind of email whose wording an event can replace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// The template's name under `emails/`, and the kind's name in the API.
    pub name: &'static str,
    /// Placeholders beside the common ones (recipient and event).
    extra: &'static [&'static str],
    /// The placeholder the email exists for, which the wording must keep.
    pub required: Option<&'static str>,
}

/// The kinds, in the order organizers meet them.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "invitation",
        extra: &["invitation_link", "expires_on"],
        required: Some("invitation_link"),
    },
    Kind {
        name: "invitation_reminder",
        extra: &["invitation_link", "expires_on"],
        required: Some("invitation_link"),
    },
    Kind {
        name: "young_leader_invitation",
        extra: &["invitation_link", "expires_on"],
        required: Some("invitation_link"),
    },
    Kind {
        name: "registration_confirmed",
        extra: &["manage_link"],
        required: Some("manage_link"),
    },
    Kind {
        name: "registration_waitlisted",
        extra: &["manage_link", "waitlist_position"],
        required: Some("manage_link"),
    },
    Kind {
        name: "registration_promoted",
        extra: &["manage_link"],
        required: Some("manage_link"),
    },
    Kind {
        name: "registration_manage_link",
        extra: &["manage_link"],
        required: Some("manage_link"),
    },
    Kind {
        name: "registration_reminder",
        extra: &["manage_link"],
        required: Some("manage_link"),
    },
    Kind {
        name: "registration_cancelled",
        extra: &["event_link"],
        required: None,
    },
];

impl Kind {
    pub fn find(name: &str) -> Option<Self> {
        KINDS.iter().copied().find(|k| k.name == name)
    }

    /// Every placeholder this kind's wording may use.
    pub fn placeholders(self) -> Vec<&'static str> {
        COMMON.iter().chain(self.extra).copied().collect()
    }
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{\s*([^{}]*?)\s*\}\}").expect("a valid pattern"));

/// The placeholders used in `text`, in order, repeats included.
fn used(text: &str) -> Vec<String> {
    PLACEHOLDER
        .captures_iter(text)
        .map(|c| c[1].to_owned())
        .collect()
}

/// A wording as written, checked for its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wording {
    pub subject: String,
    pub body: String,
}

impl Wording {
    /// Checks every field at once; an unknown placeholder is named in its field's error.
    pub fn parse(kind: Kind, subject: &str, body: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let known = kind.placeholders();
        let subject = match single_line(subject, MAX_SUBJECT_CHARS) {
            Ok(s) => s,
            Err(m) => {
                errors.add("subject", m);
                String::new()
            }
        };
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
        for (field, text) in [("subject", &subject), ("body", &body)] {
            for name in used(text) {
                if !known.contains(&name.as_str()) {
                    errors.add(
                        field,
                        format!(
                            "has an unknown placeholder {{{{ {name} }}}}; this email knows {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(link) = kind.required {
            if !body.is_empty() && !used(&body).iter().any(|n| n == link) {
                errors.add(
                    "body",
                    format!("must keep {{{{ {link} }}}}: this email exists to give that link"),
                );
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self { subject, body })
    }
}

/// The value of each placeholder in an email's variables, as one line of text.
fn values(context: &serde_json::Value) -> Vec<(&'static str, String)> {
    SOURCES
        .iter()
        .map(|(name, pointer)| {
            let v = match context.pointer(pointer) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            // No line break or other control character survives: not in a header, and
            // not to end a Markdown line early.
            let v: String = v
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            (*name, v)
        })
        .collect()
}

/// Backslash-escapes what Markdown (and the HTML inside it) would read as markup.
fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_{}[]()#+-.!<>&|~\"'".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn fill(text: &str, values: &[(&'static str, String)], escape: bool) -> String {
    PLACEHOLDER
        .replace_all(text, |c: &regex::Captures<'_>| {
            let name = c[1].trim();
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| {
                    if escape {
                        escape_markdown(v)
                    } else {
                        v.clone()
                    }
                })
                .unwrap_or_default()
        })
        .into_owned()
}

/// A wording filled in for one email: the subject (one line), the body as Markdown with
/// its values escaped (for the HTML part) and as plain text (the text part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filled {
    pub subject: String,
    pub markdown: String,
    pub text: String,
}

/// Fills `w` with the values in an email's variables.
pub fn fill_in(w: &Wording, context: &serde_json::Value) -> Filled {
    let values = values(context);
    Filled {
        subject: fill(&w.subject, &values, false).replace(['\r', '\n'], " "),
        markdown: fill(&w.body, &values, true),
        text: fill(&w.body, &values, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn confirmed() -> Kind {
        Kind::find("registration_confirmed").unwrap()
    }

    #[test]
    fn unknown_and_misspelt_placeholders_are_named() {
        let e = Wording::parse(
            confirmed(),
            "Hello {{ recipent_name }}",
            "See {{manage_link}} and {{ invitation_link }}",
        )
        .unwrap_err();
        let all: Vec<String> = e
            .iter()
            .flat_map(|(f, m)| m.iter().map(move |m| format!("{f}: {m}")))
            .collect();
        assert!(
            all.iter()
                .any(|m| m.starts_with("subject:") && m.contains("{{ recipent_name }}")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.starts_with("body:") && m.contains("{{ invitation_link }}")),
            "{all:?}"
        );
    }

    #[test]
    fn a_kind_keeps_its_link() {
        let e = Wording::parse(confirmed(), "Hi", "No link here").unwrap_err();
        assert!(e.contains("body"));
        assert!(Wording::parse(
            confirmed(),
            "Hi {{ event_name }}",
            "[Yours]({{ manage_link }})"
        )
        .is_ok());
        let cancelled = Kind::find("registration_cancelled").unwrap();
        assert!(Wording::parse(cancelled, "Hi", "Sorry to see you go.").is_ok());
    }

    #[test]
    fn values_are_escaped_for_markdown_and_kept_on_one_line() {
        let w = Wording {
            subject: "For {{ recipient_name }}".into(),
            body: "Dear {{ recipient_name }}, [here]({{ manage_link }})".into(),
        };
        let f = fill_in(
            &w,
            &json!({ "recipient": { "full_name": "Eve\r\nBcc: x@example.org <script>*" },
                     "manage_link": "https://example.org/manage/a-b_c" }),
        );
        assert!(
            !f.subject.contains('\n') && !f.subject.contains('\r'),
            "{}",
            f.subject
        );
        assert!(f.markdown.contains("\\<script\\>\\*"), "{}", f.markdown);
        let html = crate::domain::markdown::to_safe_html(&f.markdown);
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains(r#"href="https://example.org/manage/a-b_c""#),
            "{html}"
        );
        assert!(
            f.text.contains("Eve  Bcc: x@example.org <script>*"),
            "{}",
            f.text
        );
    }
}
