//! A batch of a bulk upload written together: the addresses checked with one query, and
//! the invitations, their emails, webhooks and audit entries stored with one statement
//! each. Made one at a time, a row cost about nine statements (a savepoint, the two
//! checks of its address, the insert, the email's, the webhooks' read, the audit's), and
//! on PostgreSQL each is a round trip: 5,000 people took 5.3 s (BENCHMARKS.md, session 10).
//!
//! Each row is judged as [`invite`](super::super::invite::invite) judges one: an
//! invitation of its address that ran out is marked expired first, and an address that
//! still holds a live invitation (or got one from an earlier row) is refused.

use std::collections::HashMap;

use chrono::TimeDelta;
use url::Url;

use super::{RowRefusal, RowResult};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::Event;
use crate::db::models::invitation::{self, NewInvitationArgs};
use crate::db::{self, DbConnection};
use crate::domain::invitation::InvitationSpec;
use crate::domain::webhook::EventKind;
use crate::domain::{InvitationId, Refusal, SecretToken};
use crate::email::messages::{self, InvitationEmail};
use crate::email::outbox;
use crate::error::AppError;
use crate::webhooks;
use crate::workflows::{expire, invite};

/// Creates the rows of `batch` that may be created, in the caller's transaction, and
/// refuses the others. An error leaves the caller's transaction to be rolled back (the
/// caller then makes the rows one by one): an address invited by another request since
/// it was checked fails the one `INSERT`.
pub(super) fn invite_together(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    batch: &[(usize, InvitationSpec)],
    actor: &Actor,
) -> Result<Vec<RowResult>, AppError> {
    let at = db::now();
    let emails: Vec<&str> = batch.iter().map(|(_, s)| s.email.as_str()).collect();
    let mut taken = expire::then_live(conn, event, &emails)?;
    let mut results = Vec::with_capacity(batch.len());
    let mut chosen = Vec::with_capacity(batch.len());
    for (row, spec) in batch {
        if taken.insert(spec.email.as_str().to_owned()) {
            chosen.push((*row, spec));
        } else {
            results.push(Err((*row, RowRefusal::Refused(Refusal::AlreadyInvited))));
        }
    }

    // Only the communities of rows that will stand are created.
    let keys: Vec<String> = chosen
        .iter()
        .map(|(_, s)| s.community.match_key())
        .collect();
    let mut communities: HashMap<&str, Community> = HashMap::new();
    for ((_, spec), key) in chosen.iter().zip(&keys) {
        if !communities.contains_key(key.as_str()) {
            communities.insert(key, community::find_or_create(conn, &spec.community)?);
        }
    }

    let tokens: Vec<SecretToken> = chosen.iter().map(|_| SecretToken::generate()).collect();
    let hashes: Vec<String> = tokens.iter().map(SecretToken::hash).collect();
    let rows: Vec<(InvitationId, NewInvitationArgs<'_>)> = chosen
        .iter()
        .enumerate()
        .map(|(k, (_, spec))| {
            // A microsecond apart, so that the list shows them in the order sent.
            let made = at + TimeDelta::microseconds(k as i64);
            let community = &communities[keys[k].as_str()];
            let args = invite::sent(event, community, spec, &hashes[k], actor, None, made);
            (InvitationId::new(), args)
        })
        .collect();
    let created = invitation::create_all(conn, &rows)?;

    let emails = created
        .iter()
        .zip(&tokens)
        .zip(&keys)
        .map(|((inv, token), key)| {
            let link = messages::invitation_link(base_url, token.expose());
            let community = &communities[key.as_str()];
            let email =
                messages::invitation(InvitationEmail::Invitation, event, inv, community, &link);
            outbox::prepare(email)
        })
        .collect::<Result<Vec<_>, _>>()?;
    outbox::insert_all(conn, &emails.iter().collect::<Vec<_>>())?;
    webhooks::on_invitations(conn, EventKind::InvitationSent, &created)?;
    audit::record_each(
        conn,
        created.iter().map(|inv| {
            (
                actor,
                inv.created_at,
                Entry::created("invitation.created", inv),
            )
        }),
    )?;

    results.extend(
        chosen
            .iter()
            .zip(created)
            .map(|((row, _), inv)| Ok((*row, inv.id))),
    );
    Ok(results)
}
