//! An event's own wording of an email, in place of the default template: the organizer's
//! subject and Markdown body, filled in with the email's values (see
//! `domain::email_wording`) and put in the shared layout (`emails/custom/`), followed by
//! what is particular to the person (the organizers' note on an invitation, why a young
//! leader was nominated, the requests on a registration, the check-in code). The default
//! wording each kind starts from is `emails/<kind>/wording.md` (its first line the
//! subject).

use serde_json::{json, Value};

use super::templates::{self, Rendered};
use super::Outgoing;
use crate::db::models::email_wording;
use crate::db::DbConnection;
use crate::domain::email_wording::{fill_in, Kind, Wording};
use crate::error::AppError;

macro_rules! defaults {
    ($($name:literal),* $(,)?) => {
        fn default_source(kind: &str) -> Option<&'static str> {
            match kind {
                $($name => Some(include_str!(concat!("../../emails/", $name, "/wording.md"))),)*
                _ => None,
            }
        }
    };
}

defaults![
    "invitation",
    "invitation_reminder",
    "young_leader_invitation",
    "registration_confirmed",
    "registration_waitlisted",
    "registration_promoted",
    "registration_manage_link",
    "registration_reminder",
    "registration_cancelled",
];

/// The wording a kind starts from, before any organizer changes it.
pub fn default_wording(kind: Kind) -> Wording {
    let source = default_source(kind.name).unwrap_or_default();
    let (subject, body) = source.split_once('\n').unwrap_or((source, ""));
    Wording {
        subject: subject.trim().to_owned(),
        body: body.trim().to_owned(),
    }
}

/// Renders `w` with the values in `context` (an email's variables).
pub fn render(w: &Wording, context: &Value) -> Result<Rendered, AppError> {
    let filled = fill_in(w, context);
    let part = |key: &str| context.get(key).cloned().unwrap_or(Value::Null);
    templates::render(
        "custom",
        &json!({
            "event": context.get("event").cloned().unwrap_or(Value::Null),
            "subject": filled.subject,
            "body": filled.markdown,
            "text": filled.text,
            // What the default wording says of the person's own case, which no
            // placeholder carries: said after the organizers' words, where there is some.
            "message": part("message"),
            "reason": part("reason"),
            "nominator": part("nominator"),
            "event_full": part("event_full"),
            "scholarship": part("scholarship"),
            "nomination": part("nomination"),
            "checkin": part("checkin"),
        }),
    )
}

/// The email rendered in its event's own wording, if the event replaced its kind's.
pub fn for_email(conn: &mut DbConnection, email: &Outgoing) -> Result<Option<Rendered>, AppError> {
    match own(conn, email)? {
        Some(w) => render(&w, &email.context).map(Some),
        None => Ok(None),
    }
}

/// The wording the email's event chose for its kind, if it replaced the default.
pub fn own(conn: &mut DbConnection, email: &Outgoing) -> Result<Option<Wording>, AppError> {
    let (Some(event_id), Some(kind)) = (&email.event_id, Kind::find(email.template)) else {
        return Ok(None);
    };
    Ok(
        email_wording::find(conn, event_id, kind.name)?.map(|row| Wording {
            subject: row.subject,
            body: row.body,
        }),
    )
}

/// Example values for a kind (its `example.json`), with the event's own `event`.
pub fn sample_context(kind: Kind, event: &Value) -> Value {
    let mut context = templates::example(kind.name).unwrap_or_else(|| json!({}));
    context["event"] = event.clone();
    // The sample's QR code is not attached: show the code in text only.
    if let Some(checkin) = context.get_mut("checkin").and_then(Value::as_object_mut) {
        checkin.insert("qr".into(), Value::Null);
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::email_wording::KINDS;

    #[test]
    fn every_default_wording_is_valid_and_renders_its_example() {
        for kind in KINDS {
            let w = default_wording(*kind);
            let checked = Wording::parse(*kind, &w.subject, &w.body)
                .unwrap_or_else(|e| panic!("{}: {e:?}", kind.name));
            let example = templates::example(kind.name).expect("an example");
            let r = render(&checked, &example).unwrap_or_else(|e| panic!("{}: {e:?}", kind.name));
            assert!(
                !r.subject.is_empty() && !r.subject.contains("{{"),
                "{}",
                kind.name
            );
            assert!(
                !r.text.contains("{{") && r.html.contains("</html>"),
                "{}",
                kind.name
            );
        }
    }
}
