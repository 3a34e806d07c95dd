//! Invitations to one event written together: the addresses checked with one query, and
//! the invitations, their emails and audit entries stored with one statement each (on
//! PostgreSQL the three as one, `db::inserts`), the webhooks' deliveries after them. Made
//! one at a time, an invitation costs about nine statements (a savepoint, the
//! two checks of its address, the insert, the email's, the webhooks' read, the audit's),
//! and on PostgreSQL each is a round trip: a bulk upload of 5,000 people took 5.3 s, and
//! invitations made one a request by 8 clients queued on the group committer's one
//! connection (`BENCHMARKS.md`, sessions 10 and 11).
//!
//! Used by a bulk upload's batches, and by the group committer for the invitations that
//! reach it one after another through the API ([`Inviting`]). Each is judged as
//! [`invite`] judges one: an invitation of its address that ran out is marked expired
//! first, and an address that still holds a live invitation (or got one from an earlier
//! invitation of the same run) is refused.

use std::collections::HashMap;

use chrono::TimeDelta;
use diesel::Connection;
use url::Url;

use super::{invite, Invite, Invited};
use crate::db::group_commit::Merge;
use crate::db::inserts::Inserts;
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
use crate::workflows::expire;

/// Invites everyone of `specs` to `event` who may be invited, in the caller's
/// transaction, and refuses the others: one answer per spec, in order. `known` are
/// communities the caller read already (those of the others are found or created). An
/// error leaves the caller's transaction to be rolled back (the caller then invites them
/// one by one): an address invited by another request since it was checked fails the one
/// `INSERT`.
pub fn invite_together(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    specs: &[&InvitationSpec],
    known: &[&Community],
    actor: &Actor,
) -> Result<Vec<Result<Invited, Refusal>>, AppError> {
    let at = db::now();
    let emails: Vec<&str> = specs.iter().map(|s| s.email.as_str()).collect();
    let mut taken = expire::then_live(conn, event, &emails)?;
    // Whether each spec will stand: its address neither live nor taken by an earlier one.
    let stands: Vec<bool> = specs
        .iter()
        .map(|s| taken.insert(s.email.as_str().to_owned()))
        .collect();
    let chosen: Vec<&InvitationSpec> = specs
        .iter()
        .zip(&stands)
        .filter(|(_, stands)| **stands)
        .map(|(s, _)| *s)
        .collect();

    // Only the communities of invitations that will stand are created.
    let keys: Vec<String> = chosen.iter().map(|s| s.community.match_key()).collect();
    let mut communities: HashMap<&str, Community> = known
        .iter()
        .map(|c| (c.match_key.as_str(), (*c).clone()))
        .collect();
    for (spec, key) in chosen.iter().zip(&keys) {
        if !communities.contains_key(key.as_str()) {
            communities.insert(key, community::find_or_create(conn, &spec.community)?);
        }
    }

    let tokens: Vec<SecretToken> = chosen.iter().map(|_| SecretToken::generate()).collect();
    let hashes: Vec<String> = tokens.iter().map(SecretToken::hash).collect();
    let rows: Vec<(InvitationId, NewInvitationArgs<'_>)> = chosen
        .iter()
        .enumerate()
        .map(|(k, spec)| {
            // A microsecond apart, so that the list shows them in the order sent.
            let made = at + TimeDelta::microseconds(k as i64);
            let community = &communities[keys[k].as_str()];
            let args = super::sent(event, community, spec, &hashes[k], actor, None, made);
            (InvitationId::new(), args)
        })
        .collect();
    let created = invitation::as_stored(&rows);
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
    let emails: Vec<&outbox::Prepared> = emails.iter().collect();
    let own = outbox::own_wordings(conn, &emails)?;
    // The invitations, their emails and audit entries: one statement on PostgreSQL.
    let mut inserts = Inserts::on(conn);
    invitation::gather_all(&mut inserts, &rows);
    outbox::gather_all(&mut inserts, &emails, &own);
    audit::gather_each(
        &mut inserts,
        created.iter().map(|inv| {
            (
                actor,
                inv.created_at,
                Entry::created("invitation.created", inv),
            )
        }),
    );
    inserts.write(conn)?;
    webhooks::on_invitations(conn, EventKind::InvitationSent, &created)?;

    let mut created = created.into_iter().zip(&keys);
    Ok(stands
        .into_iter()
        .map(|stands| {
            if !stands {
                return Err(Refusal::AlreadyInvited);
            }
            let (invitation, key) = created.next().expect("one invitation per standing spec");
            let community = communities[key.as_str()].clone();
            Ok(Invited {
                invitation,
                community,
            })
        })
        .collect())
}

/// An organizer's invitation of one person (`POST /events/{slug}/invitations`) given to
/// the group committer: the run of them that reached it one after another is written by
/// [`invite_together`], per event and organizer.
pub struct Inviting {
    pub event: Event,
    pub spec: InvitationSpec,
    /// The community of `spec`, if it exists already: read before the write, so that the
    /// committer's one connection does not look it up.
    pub community: Option<Community>,
    pub actor: Actor,
    pub base: Url,
}

impl Inviting {
    /// Whether `self` can be written in the same run as `other`.
    fn goes_with(&self, other: &Self) -> bool {
        self.event.id == other.event.id
            && self.actor.id == other.actor.id
            && self.actor.kind == other.actor.kind
            && self.base == other.base
    }

    /// Written alone, in its own savepoint.
    fn write_alone(&self, conn: &mut DbConnection) -> Result<Invited, AppError> {
        conn.transaction(|c| {
            invite(
                c,
                &self.base,
                Invite {
                    community: self.community.as_ref(),
                    ..Invite::direct(&self.event, &self.spec, &self.actor)
                },
            )
        })
    }
}

impl Merge for Inviting {
    type Out = Invited;

    fn write_all(conn: &mut DbConnection, items: Vec<Self>) -> Vec<Result<Invited, AppError>> {
        let mut answers = Vec::with_capacity(items.len());
        let mut rest = items.as_slice();
        while let Some(first) = rest.first() {
            let len = rest.iter().take_while(|i| i.goes_with(first)).count();
            let (run, after) = rest.split_at(len);
            write_run(conn, run, &mut answers);
            rest = after;
        }
        answers
    }
}

/// Writes `run` (one event, one organizer) together in its savepoint; should that fail,
/// each alone, for its own answer.
fn write_run(
    conn: &mut DbConnection,
    run: &[Inviting],
    answers: &mut Vec<Result<Invited, AppError>>,
) {
    if run.len() < 2 {
        // One alone: the statements of one invitation, which diesel keeps prepared.
        answers.extend(run.iter().map(|i| i.write_alone(conn)));
        return;
    }
    let first = &run[0];
    let specs: Vec<&InvitationSpec> = run.iter().map(|i| &i.spec).collect();
    let known: Vec<&Community> = run.iter().filter_map(|i| i.community.as_ref()).collect();
    let written = conn.transaction(|c| {
        invite_together(c, &first.base, &first.event, &specs, &known, &first.actor)
    });
    match written {
        Ok(results) => answers.extend(results.into_iter().map(|r| r.map_err(AppError::from))),
        Err(e) => {
            tracing::info!(error = %e, invitations = run.len(), "a run of invitations is written one at a time");
            answers.extend(run.iter().map(|i| i.write_alone(conn)));
        }
    }
}
