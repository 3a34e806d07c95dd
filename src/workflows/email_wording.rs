//! Organizers word their event's emails: list every kind with its wording, replace one,
//! restore the default, preview a wording with sample values, and send themselves a test.
//! Each change is audited; the test email goes through the outbox like any other.

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::email_wording;
use crate::db::models::event::{self, Event};
use crate::db::DbConnection;
use crate::domain::email_wording::{Kind, Wording, KINDS};
use crate::email::messages::event_context;
use crate::email::templates::Rendered;
use crate::email::{outbox, wording, Outgoing};
use crate::error::AppError;

/// One kind of email with the wording the event sends.
#[derive(Debug)]
pub struct KindWording {
    pub kind: Kind,
    pub wording: Wording,
    /// Replaced by the organizers (otherwise the default).
    pub customized: bool,
}

fn kind_of(name: &str) -> Result<Kind, AppError> {
    Kind::find(name).ok_or_else(|| AppError::not_found(format!("kind of email '{name}'")))
}

/// The event's wording of `kind`: its own, or the default.
fn current(conn: &mut DbConnection, e: &Event, kind: Kind) -> Result<KindWording, AppError> {
    Ok(match email_wording::find(conn, &e.id, kind.name)? {
        Some(row) => KindWording {
            kind,
            wording: Wording {
                subject: row.subject,
                body: row.body,
            },
            customized: true,
        },
        None => KindWording {
            kind,
            wording: wording::default_wording(kind),
            customized: false,
        },
    })
}

/// Every kind of email the event sends, with its wording.
pub fn list(conn: &mut DbConnection, slug: &str) -> Result<Vec<KindWording>, AppError> {
    let e = event::find_by_slug(conn, slug)?;
    KINDS.iter().map(|k| current(conn, &e, *k)).collect()
}

/// Replaces the event's wording of `kind` (422 naming an unknown placeholder, or the
/// missing link the kind exists for).
pub fn replace(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    kind: &str,
    subject: &str,
    body: &str,
) -> Result<KindWording, AppError> {
    let e = event::find_by_slug(conn, slug)?;
    let kind = kind_of(kind)?;
    let w = Wording::parse(kind, subject, body).map_err(AppError::Validation)?;
    let before = email_wording::find(conn, &e.id, kind.name)?;
    let after = email_wording::save(
        conn,
        &e.id,
        kind.name,
        &w.subject,
        &w.body,
        actor.id.as_deref(),
    )?;
    let entry = match &before {
        Some(b) => Entry::changed("email_template.replaced", b, &after),
        None => Entry::created("email_template.replaced", &after),
    };
    audit::record(conn, actor, entry)?;
    Ok(KindWording {
        kind,
        wording: w,
        customized: true,
    })
}

/// Restores the default wording of `kind` (nothing to do if the event kept it).
pub fn restore(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    kind: &str,
) -> Result<(), AppError> {
    let e = event::find_by_slug(conn, slug)?;
    let kind = kind_of(kind)?;
    if let Some(before) = email_wording::find(conn, &e.id, kind.name)? {
        email_wording::remove(conn, &e.id, kind.name)?;
        audit::record(
            conn,
            actor,
            Entry::new(
                "email_template.restored",
                "email_template",
                kind.name,
                Some(&e.id),
            )
            .before(audit::state(&before)),
        )?;
    }
    Ok(())
}

/// `kind` rendered with sample values, in the wording given (each part left out is the
/// current one), without saving anything.
pub fn preview(
    conn: &mut DbConnection,
    slug: &str,
    kind: &str,
    subject: Option<String>,
    body: Option<String>,
) -> Result<Rendered, AppError> {
    let e = event::find_by_slug(conn, slug)?;
    let kind = kind_of(kind)?;
    let now = current(conn, &e, kind)?.wording;
    let w = Wording::parse(
        kind,
        subject.as_deref().unwrap_or(&now.subject),
        body.as_deref().unwrap_or(&now.body),
    )
    .map_err(AppError::Validation)?;
    wording::render(&w, &wording::sample_context(kind, &event_context(&e)))
}

/// Queues `kind`, as the event sends it now, with sample values, to `to` (the signed-in
/// organizer).
pub fn send_test(
    conn: &mut DbConnection,
    slug: &str,
    kind: &str,
    to: &str,
) -> Result<(), AppError> {
    let e = event::find_by_slug(conn, slug)?;
    let kind = kind_of(kind)?;
    outbox::queue(
        conn,
        Outgoing {
            template: kind.name,
            to: to.to_owned(),
            context: wording::sample_context(kind, &event_context(&e)),
            attachments: vec![],
            event_id: Some(e.id.clone()),
            entity: None,
        },
    )?;
    Ok(())
}
