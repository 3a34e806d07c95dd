//! The outbox table: emails are queued in the transaction of the change that causes
//! them, so an email exists if and only if its change was committed.

use std::collections::hash_map::{Entry, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{templates, Outgoing};
use crate::db::inserts::{gather, Inserts};
use crate::db::schema::{emails, events};
use crate::db::{now, truncate_micros, DbConnection};
use crate::domain::refusal::Refusal;
use crate::domain::EventId;
use crate::error::AppError;

// None is stored as NULL, not DEFAULT: one statement form, which diesel can cache.
#[derive(Insertable)]
#[diesel(table_name = emails, treat_none_as_default_value = false)]
struct NewEmail<'a> {
    id: &'a str,
    event_id: Option<&'a EventId>,
    template: &'a str,
    recipient: &'a str,
    subject: &'a str,
    body_text: Option<&'a str>,
    body_html: Option<&'a str>,
    attachments: Option<&'a str>,
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
    pub event_id: Option<EventId>,
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
    /// The event's `contact_email` when the email was queued: its `Reply-To`.
    pub reply_to: Option<String>,
}

/// Renders `email` and stores it as pending, in the caller's transaction. Returns its id.
pub fn queue(conn: &mut DbConnection, email: Outgoing) -> Result<String, AppError> {
    insert(conn, &prepare(email)?)
}

/// An email rendered and ready to store. Rendering is most of the cost of queueing, so
/// a caller can do it before its transaction and only [`insert`] inside it.
pub struct Prepared {
    id: String,
    email: Outgoing,
    rendered: templates::Rendered,
    attachments: Option<String>,
    message_id: String,
}

/// Renders `email` (no database).
pub fn prepare(email: Outgoing) -> Result<Prepared, AppError> {
    let rendered = templates::render(email.template, &email.context)?;
    // Fixed at queue time so that a retried send carries the same Message-ID. Only the
    // unique part (left of '@') is used: the transport sends it in the domain of
    // CONVENE_MAIL_FROM, which is not known here (see transport::mime::message_id).
    // Made in order like the rows' ids (its unique index takes it on its last page).
    let message_id = format!("<{}@convene.mail>", crate::domain::ids::fresh());
    let attachments = if email.attachments.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&email.attachments).map_err(|e| AppError::Internal(e.into()))?)
    };
    Ok(Prepared {
        id: crate::db::models::new_id(),
        email,
        rendered,
        attachments,
        message_id,
    })
}

/// Stores a prepared email as pending, in the caller's transaction. Returns its id.
///
/// An email of an event is answered to the event's organizing team: its `Reply-To` is
/// the event's `contact_email`, read in the same statement, so that every email of the
/// event carries it whichever use case queued it, and a retry sends what was stored. An
/// event that replaced the wording of this kind of email has it rendered here, in the
/// transaction (see [`super::wording`]).
pub fn insert(conn: &mut DbConnection, p: &Prepared) -> Result<String, AppError> {
    insert_all(conn, &[p])?;
    Ok(p.id.clone())
}

/// The row of `$p` (a [`Prepared`]) in `emails`, in the words of `$rendered`, queued at
/// `$at`; its `Reply-To` read from its event in the same statement.
macro_rules! row {
    ($p:expr, $rendered:expr, $at:expr) => {{
        let (p, rendered): (&Prepared, &templates::Rendered) = ($p, $rendered);
        let reply_to = events::table
            .filter(events::id.nullable().eq(p.email.event_id.as_ref()))
            .select(events::contact_email)
            .single_value();
        (
            NewEmail {
                id: &p.id,
                event_id: p.email.event_id.as_ref(),
                template: p.email.template,
                recipient: &p.email.to,
                subject: &rendered.subject,
                body_text: Some(&rendered.text),
                body_html: Some(&rendered.html),
                attachments: p.attachments.as_deref(),
                message_id: &p.message_id,
                entity_type: p.email.entity.as_ref().map(|(t, _)| *t),
                entity_id: p.email.entity.as_ref().map(|(_, id)| id.as_str()),
                status: "pending",
                attempts: 0,
                next_attempt_at: $at,
                created_at: $at,
            },
            emails::reply_to.eq(reply_to),
        )
    }};
}

/// [`insert`] of several emails in one statement, each event's own wording of each kind
/// read once.
pub fn insert_all(conn: &mut DbConnection, emails: &[&Prepared]) -> Result<(), AppError> {
    let own = own_wordings(conn, emails)?;
    if let ([p], [own]) = (emails, own.as_slice()) {
        // One row: a statement of fixed form, which diesel caches.
        diesel::insert_into(emails::table)
            .values(row!(p, own.as_ref().unwrap_or(&p.rendered), now()))
            .execute(conn)?;
        return Ok(());
    }
    let mut inserts = Inserts::on(conn);
    gather_all(&mut inserts, emails, &own);
    inserts.write(conn)
}

/// Each email rendered in its event's own wording of its kind, if the event replaced the
/// default (else `None`: as prepared); each event's wording of each kind read once. For
/// [`gather_all`].
pub fn own_wordings(
    conn: &mut DbConnection,
    emails: &[&Prepared],
) -> Result<Vec<Option<templates::Rendered>>, AppError> {
    let mut own = HashMap::new();
    let mut rendered = Vec::with_capacity(emails.len());
    for p in emails {
        let key = (p.email.event_id.as_ref(), p.email.template);
        if let Entry::Vacant(e) = own.entry(key) {
            e.insert(super::wording::own(conn, &p.email)?);
        }
        let render = |w| super::wording::render(w, &p.email.context);
        rendered.push(own[&key].as_ref().map(render).transpose()?);
    }
    Ok(rendered)
}

/// [`insert_all`] gathered into `inserts`, to be written with them: `own` is what
/// [`own_wordings`] gave for `emails`.
pub fn gather_all<'a>(
    inserts: &mut Inserts<'a>,
    emails: &'a [&'a Prepared],
    own: &'a [Option<templates::Rendered>],
) {
    let at = now();
    let rows: Vec<_> = emails
        .iter()
        .zip(own)
        .map(|(p, own)| row!(p, own.as_ref().unwrap_or(&p.rendered), at))
        .collect();
    if !rows.is_empty() {
        gather!(inserts, diesel::insert_into(emails::table).values(rows));
    }
}

/// Due mail: pending, its time come, and not leased to a sender (or the lease ran out,
/// because the process that held it died).
macro_rules! due {
    ($at:expr) => {
        emails::table
            .filter(emails::status.eq("pending"))
            .filter(emails::next_attempt_at.le($at))
            .filter(
                emails::locked_until
                    .is_null()
                    .or(emails::locked_until.lt($at)),
            )
            .order((emails::next_attempt_at.asc(), emails::created_at.asc()))
    };
}

/// Claims up to `limit` due emails for the caller to send, leasing them until
/// `now + lease`: no other sender takes them while the lease runs, and if the caller
/// dies they become due again when it ends. The returned rows carry the lease in
/// `locked_until`; pass it back to [`record_retry`] and [`record_failure`].
///
/// On PostgreSQL the rows are claimed with `FOR UPDATE SKIP LOCKED`, so several
/// processes can drain one outbox without waiting on each other or sending twice; on
/// SQLite the transaction begins `IMMEDIATE`, which serialises claimers.
pub fn claim_due(
    conn: &mut DbConnection,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<StoredEmail>, AppError> {
    let at = now();
    let until = lease_until(at, lease)?;
    match conn {
        DbConnection::Postgresql(_) => crate::db::write_transaction(conn, |conn| {
            let DbConnection::Postgresql(pg) = conn else {
                unreachable!("the connection of the match")
            };
            // For this transaction only.
            use diesel::connection::SimpleConnection;
            pg.batch_execute(&pg_claim_settings("LOCAL"))?;
            Ok(claim_due_pg(pg, limit, until, at)?)
        }),
        DbConnection::Sqlite(_) => crate::db::write_transaction(conn, |conn| {
            let mut claimed = due!(at)
                .limit(limit)
                .select(StoredEmail::as_select())
                .load(conn)?;
            let ids: Vec<&str> = claimed.iter().map(|e| e.id.as_str()).collect();
            if !ids.is_empty() {
                diesel::update(emails::table.filter(emails::id.eq_any(&ids)))
                    .set(emails::locked_until.eq(Some(until)))
                    .execute(conn)?;
            }
            for email in &mut claimed {
                email.locked_until = Some(until);
            }
            Ok(claimed)
        }),
    }
}

/// The settings under which [`claim_due_pg`] runs, as `SET {scope} ...` statements:
/// `LOCAL` for a claim's transaction, `SESSION` for a connection that only claims.
///
/// The due mail in order is the first entries of `emails_due`, read until `limit` are
/// claimed. But right after mail was queued in a rush (an announcement, a bulk invite),
/// PostgreSQL's statistics still say the outbox holds a few pending rows, and it plans
/// to fetch every pending row and sort them: 20-30 ms per claim with 2,000 pending, so
/// delivery fell from about 2,000 to 540-660 emails/s until autovacuum analyzed the
/// table (`BENCHMARKS.md`, session 12). Without sorts the index's order is the only plan.
///
/// Nor does a claim wait for its lease to reach the disk: the outcome's durable commit
/// later flushes it too, and a lease lost with the server (a crash within a fraction of
/// a second) only lets the email be claimed again at once rather than when the lease
/// ends, a copy that delivery at least once allows. Waiting, each claim that took mail
/// was a flush of the log of its own (1,344 in the 5 s of the benchmark's invitations
/// through the API on PostgreSQL, beside the committer's 1,500), and the log is flushed
/// by one backend at a time.
pub fn pg_claim_settings(scope: &str) -> String {
    ["enable_sort = off", "synchronous_commit = off"]
        .map(|setting| format!("SET {scope} {setting}"))
        .join("; ")
}

/// [`claim_due`] on PostgreSQL as one statement, `UPDATE ... WHERE id IN (SELECT ...
/// FOR UPDATE SKIP LOCKED) RETURNING`, so that several processes can drain one outbox
/// without waiting on each other or sending twice. Run under [`pg_claim_settings`]. The
/// email worker runs it alone on a connection of its own (one round trip a claim,
/// instead of five: a claim is made every two or three emails while mail is queued as
/// fast as it is sent).
pub fn claim_due_pg(
    pg: &mut diesel::PgConnection,
    limit: i64,
    until: NaiveDateTime,
    at: NaiveDateTime,
) -> Result<Vec<StoredEmail>, diesel::result::Error> {
    // The same table in the subquery, under another name for diesel.
    let queued = diesel::alias!(emails as queued);
    let due = queued
        .filter(queued.field(emails::status).eq("pending"))
        .filter(queued.field(emails::next_attempt_at).le(at))
        .filter(
            queued
                .field(emails::locked_until)
                .is_null()
                .or(queued.field(emails::locked_until).lt(at)),
        )
        .order((
            queued.field(emails::next_attempt_at).asc(),
            queued.field(emails::created_at).asc(),
        ))
        .select(queued.field(emails::id))
        .limit(limit)
        .for_update()
        .skip_locked();
    let mut claimed = diesel::update(emails::table)
        .filter(emails::id.eq_any(due))
        .set(emails::locked_until.eq(Some(until)))
        .returning(StoredEmail::as_returning())
        .get_results(pg)?;
    // RETURNING keeps no order: sent in the order they came due.
    claimed.sort_by_key(|e| (e.next_attempt_at, e.created_at));
    Ok(claimed)
}

/// The lease of a claim made at `at`, as stored (to the microsecond).
pub fn lease_until(
    at: NaiveDateTime,
    lease: std::time::Duration,
) -> Result<NaiveDateTime, AppError> {
    let lease = chrono::Duration::from_std(lease).map_err(|e| AppError::Internal(e.into()))?;
    Ok(truncate_micros(at + lease))
}

/// Marks emails sent (those delivered meanwhile, in one statement) and drops their
/// bodies and attachments: they hold secret links, which need not stay in the database
/// once delivered. Subject, recipient and the attempt history stay for the organizers'
/// view.
pub fn record_sent(conn: &mut DbConnection, ids: &[String]) -> Result<(), AppError> {
    diesel::update(emails::table.filter(emails::id.eq_any(ids)))
        .set((
            emails::status.eq("sent"),
            emails::sent_at.eq(Some(now())),
            emails::locked_until.eq(None::<NaiveDateTime>),
            emails::body_text.eq(None::<String>),
            emails::body_html.eq(None::<String>),
            emails::attachments.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Schedules another attempt after a transient failure. Only the holder of the lease
/// `lease` may do so; returns false when the lease was lost (it ran out and another
/// sender took the email), in which case nothing changes.
pub fn record_retry(
    conn: &mut DbConnection,
    id: &str,
    lease: NaiveDateTime,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    error: &str,
) -> Result<bool, AppError> {
    let updated = diesel::update(
        emails::table
            .find(id)
            .filter(emails::status.eq("pending"))
            .filter(emails::locked_until.eq(lease)),
    )
    .set((
        emails::attempts.eq(attempts),
        emails::next_attempt_at.eq(truncate_micros(next_attempt_at)),
        emails::last_error.eq(Some(error)),
        emails::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Marks an email failed for good (a permanent error, or retried for too long), keeping
/// its body so that an organizer can send it again. Same lease rule as [`record_retry`].
pub fn record_failure(
    conn: &mut DbConnection,
    id: &str,
    lease: NaiveDateTime,
    attempts: i32,
    error: &str,
) -> Result<bool, AppError> {
    let updated = diesel::update(
        emails::table
            .find(id)
            .filter(emails::status.eq("pending"))
            .filter(emails::locked_until.eq(lease)),
    )
    .set((
        emails::status.eq("failed"),
        emails::attempts.eq(attempts),
        emails::last_error.eq(Some(error)),
        emails::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Emails that are due now (including those being sent at this moment).
pub fn count_due(conn: &mut DbConnection) -> Result<i64, AppError> {
    let at = now();
    Ok(emails::table
        .filter(emails::status.eq("pending"))
        .filter(emails::next_attempt_at.le(at))
        .count()
        .get_result(conn)?)
}

/// The whole outbox's emails by status (every event, every instance), for `/metrics`.
pub fn depth(conn: &mut DbConnection) -> Result<crate::metrics::OutboxDepth, AppError> {
    use diesel::dsl::count_star;
    let rows: Vec<(String, i64)> = emails::table
        .group_by(emails::status)
        .select((emails::status, count_star()))
        .load(conn)?;
    let of = |status: &str| {
        rows.iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n)
    };
    Ok(crate::metrics::OutboxDepth {
        pending: of("pending"),
        failed: of("failed"),
        sent: of("sent"),
        bounced: of("bounced"),
    })
}

/// What organizers see of an email: everything but the bodies.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = emails)]
pub struct EmailSummary {
    pub id: String,
    pub event_id: Option<EventId>,
    pub template: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub next_attempt_at: NaiveDateTime,
}

/// The statuses an email can have.
pub const STATUSES: &[&str] = &[PENDING, "sent", "failed", "bounced"];

/// The status of an email queued and not yet sent.
pub const PENDING: &str = "pending";

/// The email whose stored Message-ID has this unique part (left of '@'): the sender's
/// domain it went out in (see `transport::mime::message_id`) may have changed since.
pub fn find_by_message_id(
    conn: &mut DbConnection,
    message_id: &str,
) -> Result<Option<EmailSummary>, AppError> {
    let unique = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .split('@')
        .next()
        .unwrap_or_default();
    if unique.is_empty() {
        return Ok(None);
    }
    Ok(emails::table
        .filter(emails::message_id.eq(format!("<{unique}@convene.mail>")))
        .select(EmailSummary::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a sent email bounced, with what the report said. Returns false (and changes
/// nothing) when the email is not `sent` (already bounced, or not sent yet).
pub fn record_bounce(conn: &mut DbConnection, id: &str, reason: &str) -> Result<bool, AppError> {
    let updated = diesel::update(emails::table.find(id).filter(emails::status.eq("sent")))
        .set((
            emails::status.eq("bounced"),
            emails::last_error.eq(Some(reason)),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// The status of the latest email about each of these records (`entity_type` and ids),
/// by id: how the newest invitation email to each invitee went.
pub fn latest_status_for(
    conn: &mut DbConnection,
    entity_type: &str,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(Option<String>, String)> = emails::table
        .filter(emails::entity_type.eq(entity_type))
        .filter(emails::entity_id.eq_any(ids))
        .order((emails::created_at.asc(), emails::id.asc()))
        .select((emails::entity_id, emails::status))
        .load(conn)?;
    // Oldest first: a later email of the same record replaces an earlier one.
    Ok(rows
        .into_iter()
        .filter_map(|(id, status)| id.map(|id| (id, status)))
        .collect())
}

/// An event's emails, newest first, with the total count for paging.
pub fn list_for_event(
    conn: &mut DbConnection,
    event_id: &EventId,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EmailSummary>, i64), AppError> {
    let filtered = || {
        let mut q = emails::table
            .filter(emails::event_id.eq(event_id.to_owned()))
            .into_boxed();
        if let Some(status) = status {
            q = q.filter(emails::status.eq(status.to_owned()));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let items = filtered()
        .order((emails::created_at.desc(), emails::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(EmailSummary::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Puts a failed email of this event back in the queue, as new: attempts 0, due now.
/// 404 when the event has no such email; 409 when it did not fail, or was sent and
/// its body is gone.
pub fn requeue(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &str,
) -> Result<EmailSummary, AppError> {
    let email = emails::table
        .find(id)
        .filter(emails::event_id.eq(event_id))
        .select(StoredEmail::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("email"))?;
    if email.status != "failed" {
        return Err(Refusal::EmailNotFailed(email.status).into());
    }
    if email.body_text.is_none() || email.body_html.is_none() {
        return Err(Refusal::EmailBodyPurged.into());
    }
    diesel::update(emails::table.find(id).filter(emails::status.eq("failed")))
        .set((
            emails::status.eq("pending"),
            emails::attempts.eq(0),
            emails::next_attempt_at.eq(now()),
            emails::locked_until.eq(None::<NaiveDateTime>),
            emails::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(emails::table
        .find(id)
        .select(EmailSummary::as_select())
        .first(conn)?)
}

/// Puts every failed email of this event that still has its body back in the queue, as
/// new; `(queued again, failed but without a body)`.
pub fn requeue_failed(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<(usize, usize), AppError> {
    let failed = || {
        emails::table
            .filter(emails::event_id.eq(event_id.to_owned()))
            .filter(emails::status.eq("failed"))
    };
    let requeued = diesel::update(
        failed()
            .filter(emails::body_text.is_not_null())
            .filter(emails::body_html.is_not_null()),
    )
    .set((
        emails::status.eq("pending"),
        emails::attempts.eq(0),
        emails::next_attempt_at.eq(now()),
        emails::locked_until.eq(None::<NaiveDateTime>),
        emails::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    let left: i64 = failed().count().get_result(conn)?;
    Ok((requeued, left as usize))
}
