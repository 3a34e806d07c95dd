//! An admin adds a webhook (an integrator's URL and the events it wants) or removes one.

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::organizer::Organizer;
use crate::db::models::webhook::{self, NewWebhook, Webhook};
use crate::db::{now, DbConnection};
use crate::domain::webhook::WebhookForm;
use crate::error::AppError;

/// What the audit log keeps of a hook: never its secret.
#[derive(serde::Serialize)]
struct Audited<'a> {
    url: &'a str,
    events: &'a str,
    disabled_at: Option<chrono::NaiveDateTime>,
}

fn audited(h: &Webhook) -> Option<String> {
    audit::state(&Audited {
        url: &h.url,
        events: &h.events,
        disabled_at: h.disabled_at,
    })
}

/// Adds a hook and audits it; its secret is in the returned row (shown once, by the caller).
pub fn create(
    conn: &mut DbConnection,
    creator: &Organizer,
    form: WebhookForm,
) -> Result<Webhook, AppError> {
    let id = crate::db::models::new_id();
    let events: Vec<&str> = form.events.iter().map(|e| e.as_str()).collect();
    let hook = webhook::create(
        conn,
        &NewWebhook {
            id: &id,
            url: &form.url,
            events: &events.join(","),
            secret: form.secret.expose(),
            created_by: &creator.id,
            created_at: now(),
        },
    )?;
    audit::record(
        conn,
        &Actor::organizer(&creator.id),
        Entry::new("webhook.created", "webhook", &hook.id, None).after(audited(&hook)),
    )?;
    Ok(hook)
}

/// Removes a hook and its deliveries, and audits it.
pub fn delete(conn: &mut DbConnection, actor: &Organizer, id: &str) -> Result<(), AppError> {
    let before = webhook::find(conn, id)?;
    webhook::delete(conn, id)?;
    audit::record(
        conn,
        &Actor::organizer(&actor.id),
        Entry::new("webhook.deleted", "webhook", id, None).before(audited(&before)),
    )
}
