//! An organizer's password: changed while signed in (every other session ends), or reset
//! through a link emailed on request, for a forgotten one: single use, valid for
//! [`RESET_TTL_MINUTES`], stored only as the hash of its token; a reset ends every session.
//! Asking for a link answers the same whether the address has an account or not.

use chrono::Duration;
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::organizer::{self, Organizer};
use crate::db::models::password_reset::{self, PasswordReset};
use crate::db::models::session;
use crate::db::{now, DbConnection};
use crate::domain::refusal::{Ended, Refusal};
use crate::domain::SecretToken;
use crate::email::{outbox, Outgoing};
use crate::error::AppError;

/// How long a reset link works.
pub const RESET_TTL_MINUTES: i64 = 60;

/// Sets a new password (already hashed) for the signed-in organizer and ends their other
/// sessions (`keep`: the hash of the session making the change) and reset links.
pub fn change(
    conn: &mut DbConnection,
    who: &Organizer,
    new_hash: &str,
    keep: &str,
) -> Result<(), AppError> {
    organizer::set_password(conn, &who.id, new_hash)?;
    session::delete_for_organizer_except(conn, &who.id, keep)?;
    password_reset::retire_for(conn, &who.id, now())?;
    audit::record(
        conn,
        &Actor::organizer(&who.id),
        Entry::new("organizer.password_changed", "organizer", &who.id, None),
    )
}

/// Emails a reset link to the organizer with this address, if there is one and it is
/// enabled; nothing otherwise (the caller answers the same either way). True if sent.
pub fn request_reset(
    conn: &mut DbConnection,
    email: &str,
    base_url: &Url,
) -> Result<bool, AppError> {
    let Some(who) = organizer::find_by_email(conn, email)?.filter(|o| o.disabled_at.is_none())
    else {
        return Ok(false);
    };
    let token = SecretToken::generate();
    let at = now();
    password_reset::create(
        conn,
        &PasswordReset {
            token_hash: token.hash(),
            organizer_id: who.id.clone(),
            created_at: at,
            expires_at: at + Duration::minutes(RESET_TTL_MINUTES),
            used_at: None,
        },
    )?;
    let link = base_url
        .join(&format!("admin/reset-password/{}", token.expose()))
        .map_err(|e| AppError::Internal(e.into()))?;
    outbox::queue(
        conn,
        Outgoing {
            template: "password_reset",
            to: who.email.clone(),
            context: serde_json::json!({
                "recipient": { "full_name": who.name },
                "reset_link": link.as_str(),
                "minutes": RESET_TTL_MINUTES,
            }),
            attachments: vec![],
            event_id: None,
            entity: Some(("organizer", who.id.clone())),
        },
    )?;
    audit::record(
        conn,
        &Actor::system(),
        Entry::new("organizer.password_reset_sent", "organizer", &who.id, None),
    )?;
    Ok(true)
}

/// Sets a new password (already hashed) through a reset link, once: 404 for a link that
/// never existed, 410 for one used or run out. Every session of the organizer ends.
pub fn reset(
    conn: &mut DbConnection,
    token_hash: &str,
    new_hash: &str,
) -> Result<Organizer, AppError> {
    let link = password_reset::find(conn, token_hash)?
        .ok_or(AppError::UnknownToken("password reset link"))?;
    let at = now();
    if link.used_at.is_some() {
        return Err(Refusal::Ended(Ended::ResetLinkUsed).into());
    }
    if !password_reset::claim(conn, token_hash, at)? {
        return Err(Refusal::Ended(Ended::ResetLinkRunOut).into());
    }
    let who = organizer::find(conn, &link.organizer_id)?;
    if who.disabled_at.is_some() {
        return Err(Refusal::Ended(Ended::AccountDisabled).into());
    }
    organizer::set_password(conn, &who.id, new_hash)?;
    session::delete_for_organizer(conn, &who.id)?;
    password_reset::retire_for(conn, &who.id, at)?;
    audit::record(
        conn,
        &Actor::organizer(&who.id),
        Entry::new("organizer.password_reset", "organizer", &who.id, None),
    )?;
    Ok(who)
}
