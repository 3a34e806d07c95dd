//! One event's whole data as JSON (`convene export` / `convene import`), to move an event
//! between databases, SQLite to PostgreSQL or back.
//!
//! Rows go across as they are stored, ids included, so every link stays valid: only
//! hashes of invitation and manage tokens (a registration's later links included) are
//! stored, and the same hashes arrive. With
//! the event come the communities and organizers its rows name (organizers with their
//! password hash, so they can sign in on the new database), its outbox (mail still
//! pending is sent by the new database's service) and its audit log. Sessions stay behind.
//!
//! An import refuses an event whose id or slug exists already, and runs in one
//! transaction: it adds everything or nothing. An organizer or community that exists
//! already (same email, same community) is reused, and the imported rows point to it.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{
    audit_log, communities, emails, event_sessions, events, invitation_requests, invitations,
    nominations, organizers, registration_manage_tokens, registrations, scholarship_requests,
};
use crate::db::{write_transaction, DbConnection};
use crate::domain::refusal::Refusal;
use crate::error::AppError;

/// Names the format, so that an import can refuse anything else.
pub const FORMAT: &str = "convene-event-export";
pub const VERSION: u32 = 1;

/// Declares a row type that is read, written and serialised with every column.
macro_rules! row {
    ($(#[$doc:meta])* $name:ident, $table:ident { $($(#[$attr:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Queryable, Selectable, Insertable, Serialize, Deserialize, Clone, Debug, PartialEq)]
        #[diesel(table_name = $table)]
        pub struct $name { $($(#[$attr])* pub $field: $ty),* }
    };
}

row!(OrganizerRow, organizers {
    id: String, email: String, name: String, role: String, password_hash: String,
    disabled_at: Option<NaiveDateTime>, created_at: NaiveDateTime, updated_at: NaiveDateTime,
    review_notices: String,
});

row!(
    CommunityRow,
    communities {
        id: String,
        name: String,
        state: String,
        country: String,
        match_key: String,
        created_at: NaiveDateTime,
    }
);

row!(EventRow, events {
    id: String, slug: String, name: String, venue: String, city: String,
    starts_on: NaiveDate, ends_on: NaiveDate, timezone: String, capacity: i32,
    scholarship_budget_cents: i64, currency: String, status: String,
    registration_opens_at: Option<NaiveDateTime>, registration_closes_at: NaiveDateTime,
    created_at: NaiveDateTime, updated_at: NaiveDateTime, seats_taken: i32,
    invitation_ttl_days: i32, nominations_per_executive: i32, scholarship_awarded_cents: i64,
    // Added by issue 14: an export made before has none of these.
    #[serde(default)] description: String,
    #[serde(default)] practical_info: String,
    #[serde(default)] contact_email: Option<String>,
    #[serde(default)] program: Option<String>,
    #[serde(default = "default_reminder")] reminder_days_before: Option<i32>,
    #[serde(default)] calendar_sequence: i32,
    // Added by issue 20.
    #[serde(default = "default_retention")] retention_days: i32,
    #[serde(default)] anonymized_at: Option<NaiveDateTime>,
});

/// What the migration gave the events that were there before `retention_days`.
fn default_retention() -> i32 {
    crate::domain::event::DEFAULT_RETENTION_DAYS as i32
}

/// What the migration gave the events that were there before `reminder_days_before`.
fn default_reminder() -> Option<i32> {
    Some(crate::domain::event::DEFAULT_REMINDER_DAYS as i32)
}

row!(InvitationRow, invitations {
    id: String, event_id: String, community_id: String, kind: String, email: String,
    full_name: String, title: String, organization: Option<String>, message: Option<String>,
    token_hash: String, status: String, expires_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>, responded_at: Option<NaiveDateTime>,
    decline_reason: Option<String>, invited_by: Option<String>, nominated_by: Option<String>,
    created_at: NaiveDateTime, updated_at: NaiveDateTime,
});

row!(RegistrationRow, registrations {
    id: String, event_id: String, invitation_id: String, community_id: String, kind: String,
    full_name: String, email: String, title: String, organization: String,
    phone: Option<String>, dietary_requirements: Option<String>,
    accessibility_needs: Option<String>, status: String, manage_token_hash: String,
    created_at: NaiveDateTime, updated_at: NaiveDateTime,
    confirmed_at: Option<NaiveDateTime>, cancelled_at: Option<NaiveDateTime>,
    checkin_code: String,
    #[serde(default)] reminded_at: Option<NaiveDateTime>,
});

row!(NominationRow, nominations {
    id: String, event_id: String, registration_id: String, community_id: String,
    full_name: String, email: String, title: String, organization: String, reason: String,
    status: String, decision_note: Option<String>, decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>, invitation_id: Option<String>,
    created_at: NaiveDateTime, updated_at: NaiveDateTime,
});

row!(ScholarshipRow, scholarship_requests {
    id: String, event_id: String, registration_id: String, travelers: i32,
    estimated_cost_cents: i64, requested_amount_cents: i64, justification: String,
    status: String, awarded_amount_cents: Option<i64>, decision_note: Option<String>,
    decided_by: Option<String>, decided_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime, updated_at: NaiveDateTime, reply_by: Option<NaiveDateTime>,
    award_status: Option<String>, award_answered_at: Option<NaiveDateTime>,
    reminded_at: Option<NaiveDateTime>,
});

row!(InvitationRequestRow, invitation_requests {
    id: String, event_id: String, full_name: String, email: String, title: String,
    organization: String, community_name: String, community_state: String,
    community_country: String, reason: String, status: String, times_requested: i32,
    decision_note: Option<String>, decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>, invitation_id: Option<String>,
    created_at: NaiveDateTime, updated_at: NaiveDateTime,
});

row!(EmailRow, emails {
    id: String, event_id: Option<String>, template: String, recipient: String,
    subject: String, body_text: Option<String>, body_html: Option<String>,
    attachments: Option<String>, message_id: String, entity_type: Option<String>,
    entity_id: Option<String>, status: String, attempts: i32, next_attempt_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>, last_error: Option<String>,
    created_at: NaiveDateTime, sent_at: Option<NaiveDateTime>,
    #[serde(default)] reply_to: Option<String>,
});

row!(AgendaSessionRow, event_sessions {
    id: String, event_id: String, title: String, starts_at: NaiveDateTime,
    ends_at: NaiveDateTime, location: Option<String>, description: Option<String>,
    created_at: NaiveDateTime, updated_at: NaiveDateTime,
});

row!(
    /// An audit entry without its number: the receiving database numbers it anew.
    AuditRow, audit_log {
    occurred_at: NaiveDateTime, actor_id: Option<String>, actor: String, action: String,
    entity_type: String, entity_id: String, event_id: Option<String>,
    before_state: Option<String>, after_state: Option<String>,
});

row!(
    /// A manage link made after a registration's first one (its hash only).
    ManageTokenRow,
    registration_manage_tokens {
        token_hash: String,
        registration_id: String,
        created_at: NaiveDateTime,
    }
);

/// The export file.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct EventExport {
    pub format: String,
    pub version: u32,
    pub event: EventRow,
    pub organizers: Vec<OrganizerRow>,
    pub communities: Vec<CommunityRow>,
    pub invitations: Vec<InvitationRow>,
    pub registrations: Vec<RegistrationRow>,
    /// Absent from files made before there were any (still version 1).
    #[serde(default)]
    pub manage_tokens: Vec<ManageTokenRow>,
    pub nominations: Vec<NominationRow>,
    pub scholarship_requests: Vec<ScholarshipRow>,
    pub invitation_requests: Vec<InvitationRequestRow>,
    pub emails: Vec<EmailRow>,
    pub audit_log: Vec<AuditRow>,
    /// The agenda (none in an export made before it existed).
    #[serde(default)]
    pub sessions: Vec<AgendaSessionRow>,
}

/// Reads the event `slug` and everything that belongs to it, in one transaction.
pub fn export(conn: &mut DbConnection, slug: &str) -> Result<EventExport, AppError> {
    conn.transaction(|conn| {
        let event: EventRow = events::table
            .filter(events::slug.eq(slug))
            .select(EventRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("event '{slug}'")))?;
        let id = event.id.clone();
        let invitations: Vec<InvitationRow> = invitations::table
            .filter(invitations::event_id.eq(&id))
            .order(invitations::id)
            .select(InvitationRow::as_select())
            .load(conn)?;
        let registrations: Vec<RegistrationRow> = registrations::table
            .filter(registrations::event_id.eq(&id))
            .order(registrations::id)
            .select(RegistrationRow::as_select())
            .load(conn)?;
        let manage_tokens: Vec<ManageTokenRow> = registration_manage_tokens::table
            .inner_join(registrations::table)
            .filter(registrations::event_id.eq(&id))
            .order(registration_manage_tokens::token_hash)
            .select(ManageTokenRow::as_select())
            .load(conn)?;
        let nominations: Vec<NominationRow> = nominations::table
            .filter(nominations::event_id.eq(&id))
            .order(nominations::id)
            .select(NominationRow::as_select())
            .load(conn)?;
        let scholarship_requests: Vec<ScholarshipRow> = scholarship_requests::table
            .filter(scholarship_requests::event_id.eq(&id))
            .order(scholarship_requests::id)
            .select(ScholarshipRow::as_select())
            .load(conn)?;
        let invitation_requests: Vec<InvitationRequestRow> = invitation_requests::table
            .filter(invitation_requests::event_id.eq(&id))
            .order(invitation_requests::id)
            .select(InvitationRequestRow::as_select())
            .load(conn)?;
        let emails: Vec<EmailRow> = emails::table
            .filter(emails::event_id.eq(&id))
            .order(emails::id)
            .select(EmailRow::as_select())
            .load(conn)?;
        let audit_log: Vec<AuditRow> = audit_log::table
            .filter(audit_log::event_id.eq(&id))
            .order(audit_log::id)
            .select(AuditRow::as_select())
            .load(conn)?;
        let sessions: Vec<AgendaSessionRow> = event_sessions::table
            .filter(event_sessions::event_id.eq(&id))
            .order((event_sessions::starts_at, event_sessions::id))
            .select(AgendaSessionRow::as_select())
            .load(conn)?;

        let mut community_ids: Vec<&str> = invitations
            .iter()
            .map(|i| i.community_id.as_str())
            .chain(registrations.iter().map(|r| r.community_id.as_str()))
            .chain(nominations.iter().map(|n| n.community_id.as_str()))
            .collect();
        community_ids.sort_unstable();
        community_ids.dedup();
        let communities: Vec<CommunityRow> = communities::table
            .filter(communities::id.eq_any(&community_ids))
            .order(communities::id)
            .select(CommunityRow::as_select())
            .load(conn)?;

        let mut organizer_ids: Vec<&str> = invitations
            .iter()
            .filter_map(|i| i.invited_by.as_deref())
            .chain(nominations.iter().filter_map(|n| n.decided_by.as_deref()))
            .chain(
                scholarship_requests
                    .iter()
                    .filter_map(|s| s.decided_by.as_deref()),
            )
            .chain(
                invitation_requests
                    .iter()
                    .filter_map(|r| r.decided_by.as_deref()),
            )
            .chain(audit_log.iter().filter_map(|a| a.actor_id.as_deref()))
            .collect();
        organizer_ids.sort_unstable();
        organizer_ids.dedup();
        let organizers: Vec<OrganizerRow> = organizers::table
            .filter(organizers::id.eq_any(&organizer_ids))
            .order(organizers::id)
            .select(OrganizerRow::as_select())
            .load(conn)?;

        Ok(EventExport {
            format: FORMAT.into(),
            version: VERSION,
            event,
            organizers,
            communities,
            invitations,
            registrations,
            manage_tokens,
            nominations,
            scholarship_requests,
            invitation_requests,
            emails,
            audit_log,
            sessions,
        })
    })
}

/// What an import added, and what it found already there.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub organizers_added: usize,
    pub organizers_reused: usize,
    pub communities_added: usize,
    pub communities_reused: usize,
    pub rows_added: usize,
}

/// Adds the exported event to this database, in one transaction.
pub fn import(conn: &mut DbConnection, mut data: EventExport) -> Result<ImportSummary, AppError> {
    if data.format != FORMAT || data.version != VERSION {
        return Err(AppError::BadRequest(format!(
            "not a {FORMAT} version {VERSION} file (format '{}', version {})",
            data.format, data.version
        )));
    }
    write_transaction(conn, |conn| {
        let taken: i64 = events::table
            .filter(
                events::id
                    .eq(&data.event.id)
                    .or(events::slug.eq(&data.event.slug)),
            )
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(Refusal::ImportedAlready(data.event.slug.clone()).into());
        }
        let mut summary = ImportSummary::default();

        // Organizers and communities may exist already: same id, or the same person or
        // place under another id, which the imported rows then point to.
        let mut organizer_ids: HashMap<String, String> = HashMap::new();
        for o in &data.organizers {
            let existing: Option<String> = organizers::table
                .filter(organizers::id.eq(&o.id).or(organizers::email.eq(&o.email)))
                .select(organizers::id)
                .first(conn)
                .optional()?;
            match existing {
                Some(id) => {
                    organizer_ids.insert(o.id.clone(), id);
                    summary.organizers_reused += 1;
                }
                None => {
                    diesel::insert_into(organizers::table)
                        .values(o)
                        .execute(conn)?;
                    summary.organizers_added += 1;
                }
            }
        }
        let mut community_ids: HashMap<String, String> = HashMap::new();
        for c in &data.communities {
            let existing: Option<String> = communities::table
                .filter(
                    communities::id
                        .eq(&c.id)
                        .or(communities::match_key.eq(&c.match_key)),
                )
                .select(communities::id)
                .first(conn)
                .optional()?;
            match existing {
                Some(id) => {
                    community_ids.insert(c.id.clone(), id);
                    summary.communities_reused += 1;
                }
                None => {
                    diesel::insert_into(communities::table)
                        .values(c)
                        .execute(conn)?;
                    summary.communities_added += 1;
                }
            }
        }
        let organizer = |id: &mut Option<String>| {
            if let Some(new) = id.as_ref().and_then(|old| organizer_ids.get(old)) {
                *id = Some(new.clone());
            }
        };
        let community = |id: &mut String| {
            if let Some(new) = community_ids.get(id.as_str()) {
                id.clone_from(new);
            }
        };

        diesel::insert_into(events::table)
            .values(&data.event)
            .execute(conn)?;
        // In the order of their references.
        for mut row in std::mem::take(&mut data.invitations) {
            community(&mut row.community_id);
            organizer(&mut row.invited_by);
            summary.rows_added += diesel::insert_into(invitations::table)
                .values(&row)
                .execute(conn)?;
        }
        for mut row in std::mem::take(&mut data.registrations) {
            community(&mut row.community_id);
            summary.rows_added += diesel::insert_into(registrations::table)
                .values(&row)
                .execute(conn)?;
        }
        for row in std::mem::take(&mut data.manage_tokens) {
            summary.rows_added += diesel::insert_into(registration_manage_tokens::table)
                .values(&row)
                .execute(conn)?;
        }
        for mut row in std::mem::take(&mut data.nominations) {
            community(&mut row.community_id);
            organizer(&mut row.decided_by);
            summary.rows_added += diesel::insert_into(nominations::table)
                .values(&row)
                .execute(conn)?;
        }
        for mut row in std::mem::take(&mut data.scholarship_requests) {
            organizer(&mut row.decided_by);
            summary.rows_added += diesel::insert_into(scholarship_requests::table)
                .values(&row)
                .execute(conn)?;
        }
        for mut row in std::mem::take(&mut data.invitation_requests) {
            organizer(&mut row.decided_by);
            summary.rows_added += diesel::insert_into(invitation_requests::table)
                .values(&row)
                .execute(conn)?;
        }
        for mut row in std::mem::take(&mut data.emails) {
            // A claim by a process of the old database means nothing here.
            row.locked_until = None;
            summary.rows_added += diesel::insert_into(emails::table)
                .values(&row)
                .execute(conn)?;
        }
        for row in std::mem::take(&mut data.sessions) {
            summary.rows_added += diesel::insert_into(event_sessions::table)
                .values(&row)
                .execute(conn)?;
        }
        for mut row in std::mem::take(&mut data.audit_log) {
            organizer(&mut row.actor_id);
            summary.rows_added += diesel::insert_into(audit_log::table)
                .values(&row)
                .execute(conn)?;
        }
        Ok(summary)
    })
}
