//! Email templates: one folder per email under `emails/` with `subject.txt`, `body.txt`
//! and `body.html`, over the shared layouts `emails/layout.txt` and `emails/layout.html`.
//! They are compiled into the binary; a missing variable is an error, and everything in
//! the HTML part is escaped unless a template says otherwise.

use std::sync::LazyLock;

use minijinja::{Environment, UndefinedBehavior};

use crate::error::AppError;

macro_rules! email_templates {
    ($($name:literal),* $(,)?) => {
        /// Every email the service can send (folder names under `emails/`).
        pub const TEMPLATES: &[&str] = &[$($name),*];

        fn sources() -> Vec<(String, &'static str)> {
            let mut out = vec![
                ("layout.txt".to_owned(), include_str!("../../emails/layout.txt")),
                ("layout.html".to_owned(), include_str!("../../emails/layout.html")),
            ];
            $(
                out.push((format!("{}/subject.txt", $name), include_str!(concat!("../../emails/", $name, "/subject.txt"))));
                out.push((format!("{}/body.txt", $name), include_str!(concat!("../../emails/", $name, "/body.txt"))));
                out.push((format!("{}/body.html", $name), include_str!(concat!("../../emails/", $name, "/body.html"))));
            )*
            out
        }

        /// Example variables for each template (`emails/NAME/example.json`), used by the
        /// render tests and previews.
        pub fn example(name: &str) -> Option<serde_json::Value> {
            match name {
                $($name => serde_json::from_str(include_str!(concat!("../../emails/", $name, "/example.json"))).ok(),)*
                _ => None,
            }
        }
    };
}

// Add a template here when adding its folder under `emails/`.
email_templates![
    "_test",
    "invitation",
    "invitation_reminder",
    "registration_confirmed",
    "registration_waitlisted",
    "registration_promoted",
    "registration_cancelled",
    "registration_manage_link",
    "nomination_received",
    "nomination_approved",
    "nomination_declined",
    "young_leader_invitation",
    "invitation_request_received",
    "invitation_request_declined",
    "review_notice",
    "organizer_update",
    "scholarship_request_received",
    "scholarship_approved",
    "scholarship_declined",
    "scholarship_waitlisted",
    "scholarship_reminder",
    "scholarship_lapsed",
    "survey_invitation",
    "survey_reminder",
    "password_reset",
    "announcement",
    "registration_reminder",
    "event_changed",
    "custom",
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Subjects and text parts are not HTML: no escaping there; `.html` is escaped.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.add_filter("money", money);
    // The organizers' Markdown (an announcement's body) as cleaned HTML: safe as it is.
    env.add_filter("markdown", |s: &str| {
        minijinja::Value::from_safe_string(crate::domain::markdown::to_safe_html(s))
    });
    for (name, source) in sources() {
        env.add_template_owned(name, source)
            .expect("email templates compile");
    }
    env
});

/// Formats integer cents in a currency: `money(125050, "USD")` is `$1,250.50`.
pub fn money(cents: i64, currency: &str) -> String {
    let symbol = match currency {
        "USD" | "CAD" | "AUD" | "NZD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        _ => "",
    };
    let negative = cents < 0;
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    let amount = format!("{sign}{symbol}{grouped}.{:02}", cents % 100);
    // Name the currency when the symbol alone is ambiguous or missing.
    if symbol.is_empty() || matches!(currency, "CAD" | "AUD" | "NZD") {
        format!("{amount} {currency}")
    } else {
        amount
    }
}

/// A rendered email: the subject line and both parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders one template with its variables. An unknown template or a missing variable
/// is an error (a bug: the caller did not supply what the template needs).
pub fn render(name: &str, context: &serde_json::Value) -> Result<Rendered, AppError> {
    let part = |part: &str| -> Result<String, AppError> {
        ENV.get_template(&format!("{name}/{part}"))
            .and_then(|t| t.render(minijinja::value::Serde(context)))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("email template {name}/{part}: {e:#}")))
    };
    let subject = part("subject.txt")?.trim().to_owned();
    // A subject is one header line: never let a value break it.
    let subject = subject.replace(['\r', '\n'], " ");
    Ok(Rendered {
        subject,
        text: part("body.txt")?,
        html: part("body.html")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replaces every string in `v` with one that carries markup.
    fn poison(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::String(s) => {
                serde_json::Value::String(format!("{s}<script>alert(1)</script>"))
            }
            serde_json::Value::Array(a) => a.iter().map(poison).collect(),
            serde_json::Value::Object(o) => o.iter().map(|(k, v)| (k.clone(), poison(v))).collect(),
            other => other.clone(),
        }
    }

    #[test]
    fn every_template_renders_its_example() {
        for name in TEMPLATES {
            let example =
                example(name).unwrap_or_else(|| panic!("{name}/example.json is valid JSON"));
            let r = render(name, &example).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(!r.subject.is_empty(), "{name} has a subject");
            assert!(
                r.text.len() > 20 && r.html.contains("</html>"),
                "{name} has both parts"
            );
        }
    }

    #[test]
    fn markup_in_values_is_escaped_in_every_html_part() {
        for name in TEMPLATES {
            let r = render(name, &poison(&example(name).unwrap())).unwrap();
            assert!(
                !r.html.contains("<script>"),
                "{name}: HTML part not escaped"
            );
            assert!(
                r.html.contains("&lt;script&gt;"),
                "{name}: the value is shown, escaped"
            );
            assert!(!r.subject.contains('\n'));
        }
    }

    #[test]
    fn a_missing_variable_is_an_error() {
        assert!(render("_test", &serde_json::json!({})).is_err());
        assert!(render("no-such-template", &serde_json::json!({})).is_err());
    }

    #[test]
    fn money_is_formatted_in_its_currency() {
        assert_eq!(money(125_050, "USD"), "$1,250.50");
        assert_eq!(money(99, "EUR"), "€0.99");
        assert_eq!(money(100_000_000, "GBP"), "£1,000,000.00");
        assert_eq!(money(500, "CHF"), "5.00 CHF");
        assert_eq!(money(500, "CAD"), "$5.00 CAD");
    }
}
