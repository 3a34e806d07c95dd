//! An admin makes an API token for an integration, or revokes one.
//!
//! A token acts as the organizer who made it, with the role it was given or the
//! organizer's own if that is lower (checked at every use, so an organizer who loses
//! their admin role takes their tokens' admin rights with them).

use crate::db::models::api_token::{self, ApiToken, NewApiToken};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::organizer::Organizer;
use crate::db::{now, DbConnection};
use crate::domain::api_token::{ApiTokenForm, ApiTokenSecret};
use crate::error::AppError;

/// What the audit log keeps of a token: never its secret or hash.
#[derive(serde::Serialize)]
struct Audited<'a> {
    name: &'a str,
    role: &'static str,
    expires_at: Option<chrono::NaiveDateTime>,
    revoked_at: Option<chrono::NaiveDateTime>,
}

fn audited(t: &ApiToken) -> Option<String> {
    audit::state(&Audited {
        name: &t.name,
        role: t.role.as_str(),
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
    })
}

/// Makes a token for `creator` and audits it; the secret is returned once, here.
/// A role above the creator's own is refused (403).
pub fn create(
    conn: &mut DbConnection,
    creator: &Organizer,
    form: ApiTokenForm,
) -> Result<(ApiToken, ApiTokenSecret), AppError> {
    if !creator.role.covers(form.role) {
        return Err(AppError::Forbidden(format!(
            "a token cannot have a higher role than yours ({})",
            creator.role.as_str()
        )));
    }
    let secret = ApiTokenSecret::generate();
    let id = crate::db::models::new_id();
    let hash = secret.hash();
    let token = api_token::create(
        conn,
        &NewApiToken {
            id: &id,
            token_hash: &hash,
            name: &form.name,
            role: form.role,
            organizer_id: &creator.id,
            created_at: now(),
            expires_at: form.expires_at,
        },
    )?;
    audit::record(
        conn,
        &Actor::organizer(&creator.id),
        Entry::new("api_token.created", "api_token", &token.id, None).after(audited(&token)),
    )?;
    Ok((token, secret))
}

/// Revokes a token (from then on it is 401) and audits it; revoking it again is harmless.
pub fn revoke(conn: &mut DbConnection, actor: &Organizer, id: &str) -> Result<(), AppError> {
    let before = api_token::find(conn, id)?;
    if before.revoked_at.is_some() {
        return Ok(());
    }
    api_token::revoke(conn, id)?;
    let after = api_token::find(conn, id)?;
    audit::record(
        conn,
        &Actor::organizer(&actor.id),
        Entry::new("api_token.revoked", "api_token", id, None)
            .before(audited(&before))
            .after(audited(&after)),
    )
}
