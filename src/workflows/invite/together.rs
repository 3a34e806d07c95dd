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
//! invitation of the same run) is refused. An invitation through the API whose community
//! exists comes with its token and email made before the write ([`Ready`]), as a
//! registration comes with its confirmation: the committer's one thread only writes it.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta};
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
use crate::domain::email_wording::Wording;
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
    invite_ready(conn, base_url, event, specs, &[], known, actor)
}

/// [`invite_together`], where `ready` (empty, or one per spec) holds what was made for a
/// spec before the transaction: its id, token, expiry and email ([`Ready`]).
fn invite_ready(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    specs: &[&InvitationSpec],
    ready: &[Option<&Ready>],
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
    let ready: Vec<Option<&Ready>> = if ready.is_empty() {
        vec![None; chosen.len()]
    } else {
        ready
            .iter()
            .zip(&stands)
            .filter(|(_, stands)| **stands)
            .map(|(r, _)| *r)
            .collect()
    };

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

    // Each token, and then its email, made here unless it was made before ([`Ready`]).
    let tokens: Vec<Option<SecretToken>> = ready
        .iter()
        .map(|r| r.is_none().then(SecretToken::generate))
        .collect();
    let hashes: Vec<Option<String>> = tokens
        .iter()
        .map(|t| t.as_ref().map(SecretToken::hash))
        .collect();
    let rows: Vec<(InvitationId, NewInvitationArgs<'_>)> = chosen
        .iter()
        .enumerate()
        .map(|(k, spec)| {
            // A microsecond apart, so that the list shows them in the order sent.
            let made = at + TimeDelta::microseconds(k as i64);
            let community = &communities[keys[k].as_str()];
            match ready[k] {
                Some(r) => {
                    let args =
                        super::sent(event, community, spec, &r.token_hash, actor, None, made);
                    let args = NewInvitationArgs {
                        expires_at: r.expires_at,
                        ..args
                    };
                    (r.id.clone(), args)
                }
                None => {
                    let hash = hashes[k]
                        .as_deref()
                        .expect("a token for each not made before");
                    let args = super::sent(event, community, spec, hash, actor, None, made);
                    (InvitationId::new(), args)
                }
            }
        })
        .collect();
    let created = invitation::as_stored(&rows);
    let made_here = created
        .iter()
        .zip(&tokens)
        .zip(&keys)
        .filter_map(|((inv, token), key)| {
            let link = messages::invitation_link(base_url, token.as_ref()?.expose());
            let community = &communities[key.as_str()];
            let email =
                messages::invitation(InvitationEmail::Invitation, event, inv, community, &link);
            Some(outbox::prepare(email))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The event's own wording is read for the emails made here; those made before were
    // rendered in it already.
    let own_here = outbox::own_wordings(conn, &made_here.iter().collect::<Vec<_>>())?;
    let mut made_here = made_here.iter().zip(own_here);
    let (emails, own): (Vec<&outbox::Prepared>, Vec<Option<_>>) = ready
        .iter()
        .map(|r| match r {
            Some(r) => (&r.email, None),
            None => made_here
                .next()
                .expect("an email made here for each not made before"),
        })
        .unzip();
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
    /// What was made before the write ([`Inviting::new`]), or `None` to make it there.
    pub ready: Option<Ready>,
}

/// What an invitation through the API makes before it reaches the group committer, whose
/// one thread writes every request's changes: its id, its token's hash, its expiry, and
/// its email rendered in the event's wording (read with the event). Rendering the email
/// was a tenth of the committer's time for each run of invitations, and reading the
/// wording a round trip on its connection (`BENCHMARKS.md`, session 25).
pub struct Ready {
    id: InvitationId,
    token_hash: String,
    expires_at: NaiveDateTime,
    email: outbox::Prepared,
}

impl Inviting {
    /// `spec` to be written by the group committer, with its [`Ready`] made now when its
    /// community exists (`community`); `own` is the event's own wording of the invitation
    /// email, if it replaced the default. A new community is created in the write, and the
    /// email that names it is made there.
    pub fn new(
        event: Event,
        spec: InvitationSpec,
        community: Option<Community>,
        own: Option<&Wording>,
        actor: Actor,
        base: Url,
    ) -> Result<Self, AppError> {
        let ready = match &community {
            Some(c) => Some(Ready::new(&event, &spec, c, own, &actor, &base)?),
            None => None,
        };
        Ok(Self {
            event,
            spec,
            community,
            actor,
            base,
            ready,
        })
    }
}

impl Ready {
    fn new(
        event: &Event,
        spec: &InvitationSpec,
        community: &Community,
        own: Option<&Wording>,
        actor: &Actor,
        base: &Url,
    ) -> Result<Self, AppError> {
        let token = SecretToken::generate();
        let token_hash = token.hash();
        let args = super::sent(event, community, spec, &token_hash, actor, None, db::now());
        let expires_at = args.expires_at;
        let row = [(InvitationId::new(), args)];
        let [inv] = <[_; 1]>::try_from(invitation::as_stored(&row)).expect("one row");
        let link = messages::invitation_link(base, token.expose());
        let email =
            messages::invitation(InvitationEmail::Invitation, event, &inv, community, &link);
        let [(id, _)] = row;
        Ok(Self {
            id,
            token_hash,
            expires_at,
            email: outbox::prepare_in(email, own)?,
        })
    }
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
    if let [one @ Inviting { ready: None, .. }] = run {
        // One alone, made here: the statements of one invitation, which diesel keeps
        // prepared.
        answers.push(one.write_alone(conn));
        return;
    }
    let first = &run[0];
    let specs: Vec<&InvitationSpec> = run.iter().map(|i| &i.spec).collect();
    let ready: Vec<Option<&Ready>> = run.iter().map(|i| i.ready.as_ref()).collect();
    let known: Vec<&Community> = run.iter().filter_map(|i| i.community.as_ref()).collect();
    let written = conn.transaction(|c| {
        invite_ready(
            c,
            &first.base,
            &first.event,
            &specs,
            &ready,
            &known,
            &first.actor,
        )
    });
    match written {
        Ok(results) => answers.extend(results.into_iter().map(|r| r.map_err(AppError::from))),
        Err(e) => {
            tracing::info!(error = %e, invitations = run.len(), "a run of invitations is written one at a time");
            answers.extend(run.iter().map(|i| i.write_alone(conn)));
        }
    }
}
