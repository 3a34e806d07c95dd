//! Counts for an event's dashboard. Each is one grouped query; nothing is cached, so the
//! numbers are exact at the moment they are read.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::{
    emails, invitation_requests, invitations, nominations, registrations, scholarship_requests,
};
use crate::db::DbConnection;
use crate::domain::{CommunityId, EventId};
use crate::error::AppError;

/// Status -> count, with every status of `all` present (zero when none).
pub type Counts = BTreeMap<String, i64>;

fn with_zeros(all: &[&str], found: Vec<(String, i64)>) -> Counts {
    let mut counts: Counts = all.iter().map(|s| ((*s).to_owned(), 0)).collect();
    for (status, n) in found {
        *counts.entry(status).or_default() += n;
    }
    counts
}

pub struct EventCounts {
    pub communities_invited: i64,
    pub communities_registered: i64,
    pub registrations: Counts,
    pub registrations_by_kind: BTreeMap<String, Counts>,
    /// Stored statuses; open invitations past their expiry are counted as expired.
    pub invitations: Counts,
    pub invitation_requests: Counts,
    pub nominations: Counts,
    pub scholarships: Counts,
    pub scholarship_requested_cents: i64,
    pub emails: Counts,
    /// When each registration was made (for the chart of registrations over time).
    pub registration_times: Vec<NaiveDateTime>,
}

pub fn for_event(
    conn: &mut DbConnection,
    event_id: &EventId,
    now: NaiveDateTime,
) -> Result<EventCounts, AppError> {
    const REGISTRATION: &[&str] = &["confirmed", "waitlisted", "cancelled"];

    // Distinct ids, counted here: communities number in the tens to hundreds.
    let communities_invited = invitations::table
        .filter(invitations::event_id.eq(event_id))
        .select(invitations::community_id)
        .distinct()
        .load::<CommunityId>(conn)?
        .len() as i64;
    let communities_registered = registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.ne("cancelled"))
        .select(registrations::community_id)
        .distinct()
        .load::<CommunityId>(conn)?
        .len() as i64;

    let by_kind: Vec<(String, String, i64)> = registrations::table
        .filter(registrations::event_id.eq(event_id))
        .group_by((registrations::kind, registrations::status))
        .select((registrations::kind, registrations::status, count_star()))
        .load(conn)?;
    let mut registrations_by_kind: BTreeMap<String, Counts> = ["executive", "young_leader"]
        .iter()
        .map(|k| ((*k).to_owned(), with_zeros(REGISTRATION, vec![])))
        .collect();
    let mut totals = Vec::new();
    for (kind, status, n) in by_kind {
        *registrations_by_kind
            .entry(kind)
            .or_default()
            .entry(status.clone())
            .or_default() += n;
        totals.push((status, n));
    }

    let invitation_rows: Vec<(String, i64)> = invitations::table
        .filter(invitations::event_id.eq(event_id))
        .group_by(invitations::status)
        .select((invitations::status, count_star()))
        .load(conn)?;
    let lapsed: Vec<(String, i64)> = invitations::table
        .filter(invitations::event_id.eq(event_id))
        .filter(invitations::status.eq_any(["pending", "sent"]))
        .filter(invitations::expires_at.le(now))
        .group_by(invitations::status)
        .select((invitations::status, count_star()))
        .load(conn)?;
    let mut invitation_counts = with_zeros(
        &[
            "pending", "sent", "accepted", "declined", "revoked", "expired",
        ],
        invitation_rows,
    );
    for (status, n) in lapsed {
        *invitation_counts.entry(status).or_default() -= n;
        *invitation_counts.entry("expired".to_owned()).or_default() += n;
    }

    let request_rows = invitation_requests::table
        .filter(invitation_requests::event_id.eq(event_id))
        .group_by(invitation_requests::status)
        .select((invitation_requests::status, count_star()))
        .load(conn)?;
    let nomination_rows = nominations::table
        .filter(nominations::event_id.eq(event_id))
        .group_by(nominations::status)
        .select((nominations::status, count_star()))
        .load(conn)?;
    let scholarship_rows = scholarship_requests::table
        .filter(scholarship_requests::event_id.eq(event_id))
        .group_by(scholarship_requests::status)
        .select((scholarship_requests::status, count_star()))
        .load(conn)?;
    // Summed here: SUM of a BIGINT is NUMERIC on PostgreSQL, which diesel cannot read
    // through the connection over both backends; an event has at most a few hundred requests.
    let requested: Vec<i64> = scholarship_requests::table
        .filter(scholarship_requests::event_id.eq(event_id))
        .filter(scholarship_requests::status.ne("withdrawn"))
        .select(scholarship_requests::requested_amount_cents)
        .load(conn)?;
    let email_rows = emails::table
        .filter(emails::event_id.eq(event_id))
        .group_by(emails::status)
        .select((emails::status, count_star()))
        .load(conn)?;
    let registration_times = registrations::table
        .filter(registrations::event_id.eq(event_id))
        .select(registrations::created_at)
        .order(registrations::created_at.asc())
        .load(conn)?;

    Ok(EventCounts {
        communities_invited,
        communities_registered,
        registrations: with_zeros(REGISTRATION, totals),
        registrations_by_kind,
        invitations: invitation_counts,
        invitation_requests: with_zeros(&["pending", "approved", "declined"], request_rows),
        nominations: with_zeros(
            &["pending", "approved", "declined", "withdrawn"],
            nomination_rows,
        ),
        scholarships: with_zeros(
            &["pending", "approved", "declined", "waitlisted", "withdrawn"],
            scholarship_rows,
        ),
        scholarship_requested_cents: requested.iter().sum(),
        emails: with_zeros(&["pending", "sent", "failed", "bounced"], email_rows),
        registration_times,
    })
}
