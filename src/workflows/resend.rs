//! Resend and remind: an open invitation's email again, with a new link.
//!
//! Only the token's hash is stored, so the old link cannot be repeated: the token is
//! rotated (the old link stops working) and the expiry stays as it was.

use chrono::{NaiveDateTime, Utc};
use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::Event;
use crate::db::models::invitation::{self, Invitation, StatusChange};
use crate::db::models::{nomination, registration};
use crate::db::{self, DbConnection};
use crate::domain::invitation::{InvitationKind, InvitationStatus};
use crate::domain::refusal::Refusal;
use crate::domain::{InvitationId, SecretToken};
use crate::email::messages::{self, InvitationEmail};
use crate::email::{nominations, outbox};
use crate::error::AppError;

/// Sends the event's invitation `id` again: 409 unless it is pending or sent.
pub fn resend(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    id: &InvitationId,
    actor: &Actor,
) -> Result<(Invitation, Community), AppError> {
    let before = invitation::find_in_event(conn, &event.id, id)?;
    let status = before.status_at(Utc::now());
    if !status.is_open() {
        return Err(Refusal::NotResendable(status).into());
    }
    send_again(
        conn,
        base_url,
        event,
        &before,
        InvitationEmail::Invitation,
        actor,
        db::now(),
    )
}

/// Reminds everyone whose invitation was sent and not answered (nor expired); returns
/// how many.
pub fn remind_all(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    actor: &Actor,
) -> Result<usize, AppError> {
    let at = db::now();
    let waiting = invitation::awaiting_answer(conn, &event.id, at)?;
    for inv in &waiting {
        send_again(
            conn,
            base_url,
            event,
            inv,
            InvitationEmail::Reminder,
            actor,
            at,
        )?;
    }
    Ok(waiting.len())
}

fn send_again(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    before: &Invitation,
    which: InvitationEmail,
    actor: &Actor,
    at: NaiveDateTime,
) -> Result<(Invitation, Community), AppError> {
    let token = SecretToken::generate();
    let hash = token.hash();
    let after = invitation::set_status(
        conn,
        &before.id,
        before.stored_status(),
        InvitationStatus::Sent,
        StatusChange {
            sent_at: Some(at),
            token_hash: Some(&hash),
            ..Default::default()
        },
        at,
    )?;
    let community = community::find(conn, &after.community_id)?;
    let link = messages::invitation_link(base_url, token.expose());
    // A nominated young leader's invitation keeps its own wording: who nominated them
    // and why.
    let email = match (after.kind(), after.nominated_by.as_ref()) {
        (InvitationKind::YoungLeader, Some(nominator_id)) => {
            let nominator = registration::find(conn, nominator_id)?;
            let reason = nomination::for_invitation(conn, &after.id)?
                .map(|n| n.reason)
                .unwrap_or_default();
            nominations::young_leader_invitation(
                which, event, &after, &community, &link, &nominator, &reason,
            )
        }
        _ => messages::invitation(which, event, &after, &community, &link),
    };
    outbox::queue(conn, email)?;
    let action = match which {
        InvitationEmail::Invitation => "invitation.resent",
        InvitationEmail::Reminder => "invitation.reminded",
    };
    audit::record(conn, actor, Entry::changed(action, before, &after))?;
    Ok((after, community))
}
