//! Announce: organizers write to a chosen group of an event's people. Each person gets
//! exactly one email however many ways the audience matches them (one address, one
//! email), a registrant's with a fresh link to manage the registration. The announcement,
//! its emails and its audit entry are written in one transaction; a request retried with
//! its `Idempotency-Key` finds the announcement the first one made and makes no other.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use url::Url;

use crate::db::models::announcement::{self, Announcement, NewAnnouncement};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::models::registration::{self, Registration};
use crate::db::DbConnection;
use crate::domain::announcement::{AnnouncementSpec, Audience};
use crate::domain::refusal::Refusal;
use crate::email::{announcements, outbox};
use crate::error::AppError;
use crate::workflows::links;

/// One person an announcement goes to.
struct Recipient {
    email: String,
    full_name: String,
    /// Set for a registrant: their email carries a manage link.
    registration: Option<Registration>,
}

/// What [`announce`] did.
#[derive(Debug)]
pub enum Announced {
    /// Made now, with its emails queued.
    Created(Announcement),
    /// Made earlier by a request with the same `Idempotency-Key`; nothing was done now.
    Replayed(Announcement),
    /// The audience matches nobody: nothing was stored or sent.
    Nobody,
}

/// An announcement with the states of its emails.
#[derive(Debug)]
pub struct Delivery {
    pub announcement: Announcement,
    pub sent: i64,
    pub failed: i64,
    pub pending: i64,
}

/// The audience's people, registrants first, one per address (compared case-blind).
fn recipients(
    conn: &mut DbConnection,
    event: &Event,
    audience: &Audience,
    now: DateTime<Utc>,
) -> Result<Vec<Recipient>, AppError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for reg in announcement::registrations_of(conn, &event.id)? {
        if audience.takes_registration(reg.status(), reg.kind)
            && seen.insert(reg.email.to_lowercase())
        {
            out.push(Recipient {
                email: reg.email.clone(),
                full_name: reg.full_name.clone(),
                registration: Some(reg),
            });
        }
    }
    if audience.invitation_statuses.is_some() {
        for inv in announcement::invitations_of(conn, &event.id)? {
            if audience.takes_invitation(inv.status_at(now), inv.kind())
                && seen.insert(inv.email.to_lowercase())
            {
                out.push(Recipient {
                    email: inv.email,
                    full_name: inv.full_name,
                    registration: None,
                });
            }
        }
    }
    Ok(out)
}

/// How many people the audience matches now (a dry run: nothing is stored or sent).
pub fn count(conn: &mut DbConnection, slug: &str, audience: &Audience) -> Result<usize, AppError> {
    let event = event::find_by_slug(conn, slug)?;
    Ok(recipients(conn, &event, audience, Utc::now())?.len())
}

/// Sends `spec` to its audience, as `actor`, in the caller's transaction. With `key`, a second request with the same key answers the
/// first announcement (409 if it asked for a different one).
pub fn announce(
    conn: &mut DbConnection,
    base_url: &Url,
    actor: &Actor,
    slug: &str,
    spec: &AnnouncementSpec,
    key: Option<&str>,
) -> Result<Announced, AppError> {
    let event = event::find_by_slug(conn, slug)?;
    // The event row first: two requests with one key, at once, then run one after the
    // other, and the second finds the first's announcement (on SQLite the write
    // transaction already excludes other writers).
    registration::lock_event(conn, &event.id)?;
    if let Some(key) = key {
        if let Some(earlier) = announcement::find_by_key(conn, &event.id, key)? {
            let same = earlier.subject == spec.subject
                && earlier.body == spec.body
                && serde_json::from_str::<Audience>(&earlier.audience)
                    .ok()
                    .as_ref()
                    == Some(&spec.audience);
            if !same {
                return Err(Refusal::IdempotencyKeyReused.into());
            }
            return Ok(Announced::Replayed(earlier));
        }
    }
    let people = recipients(conn, &event, &spec.audience, Utc::now())?;
    if people.is_empty() {
        return Ok(Announced::Nobody);
    }
    let audience =
        serde_json::to_string(&spec.audience).map_err(|e| AppError::Internal(e.into()))?;
    let id = crate::db::models::new_id();
    let made = announcement::create(
        conn,
        NewAnnouncement {
            id: &id,
            event_id: &event.id,
            subject: &spec.subject,
            body: &spec.body,
            audience: &audience,
            recipients: i32::try_from(people.len()).unwrap_or(i32::MAX),
            idempotency_key: key,
            created_by: actor.id.as_deref(),
        },
    )?;
    for person in &people {
        let link = match &person.registration {
            Some(reg) => Some(links::new_manage_link(conn, base_url, reg)?),
            None => None,
        };
        outbox::queue(
            conn,
            announcements::announcement(
                &event,
                &made,
                &person.email,
                &person.full_name,
                link.as_deref(),
            ),
        )?;
    }
    audit::record(conn, actor, Entry::created("announcement.created", &made))?;
    tracing::info!(announcement_id = %made.id, recipients = people.len(), "announcement queued");
    Ok(Announced::Created(made))
}

/// The event's announcements, newest first, each with how its emails fared.
pub fn list(conn: &mut DbConnection, slug: &str) -> Result<Vec<Delivery>, AppError> {
    let event = event::find_by_slug(conn, slug)?;
    let all = announcement::list_for_event(conn, &event.id)?;
    let ids: Vec<String> = all.iter().map(|a| a.id.clone()).collect();
    let mut counts: HashMap<(String, String), i64> = HashMap::new();
    for (id, status, n) in announcement::delivery_counts(conn, &ids)? {
        counts.insert((id, status), n);
    }
    let of = |id: &str, status: &str| {
        counts
            .get(&(id.to_owned(), status.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    Ok(all
        .into_iter()
        .map(|a| Delivery {
            sent: of(&a.id, "sent"),
            failed: of(&a.id, "failed"),
            pending: of(&a.id, "pending"),
            announcement: a,
        })
        .collect())
}
