//! The outbox table: emails are queued in the transaction of the change that causes
//! them, so an email exists if and only if its change was committed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{templates, Outgoing};
use crate::db::schema::emails;
use crate::db::{now, DbConnection};
use crate::error::AppError;

#[derive(Insertable)]
#[diesel(table_name = emails)]
struct NewEmail<'a> {
    id: &'a str,
    event_id: Option<&'a str>,
    template: &'a str,
    recipient: &'a str,
    subject: &'a str,
    body_text: Option<&'a str>,
    body_html: Option<&'a str>,
    attachments: Option<String>,
    message_id: &'a str,
    entity_type: Option<&'a str>,
    entity_id: Option<&'a str>,
    status: &'a str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// An email as stored in the outbox.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = emails)]
pub struct StoredEmail {
    pub id: String,
    pub event_id: Option<String>,
    pub template: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    pub attachments: Option<String>,
    pub message_id: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Renders `email` and stores it as pending, in the caller's transaction. Returns its id.
pub fn queue(conn: &mut DbConnection, email: Outgoing) -> Result<String, AppError> {
    let rendered = templates::render(email.template, &email.context)?;
    let id = crate::db::models::new_id();
    // Fixed at queue time so that a retried send carries the same Message-ID.
    let message_id = format!("<{}@convene.mail>", uuid::Uuid::new_v4());
    let attachments = if email.attachments.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&email.attachments).map_err(|e| AppError::Internal(e.into()))?)
    };
    let at = now();
    diesel::insert_into(emails::table)
        .values(NewEmail {
            id: &id,
            event_id: email.event_id.as_deref(),
            template: email.template,
            recipient: &email.to,
            subject: &rendered.subject,
            body_text: Some(&rendered.text),
            body_html: Some(&rendered.html),
            attachments,
            message_id: &message_id,
            entity_type: email.entity.as_ref().map(|(t, _)| *t),
            entity_id: email.entity.as_ref().map(|(_, id)| id.as_str()),
            status: "pending",
            attempts: 0,
            next_attempt_at: at,
            created_at: at,
        })
        .execute(conn)?;
    Ok(id)
}
