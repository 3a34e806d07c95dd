//! Bulk invite: many people at once, from a JSON array or a CSV file, each row created or
//! refused on its own: every row is judged by the rules of one invitation, the good ones
//! are created in batches (one transaction each), and the report gives every row's fate
//! and, for CSV, the refused rows as they were sent.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::Connection;
use url::Url;

use super::invite::{invite, invite_together, Invite};
use crate::db::models::audit::Actor;
use crate::db::models::community::Community;
use crate::db::models::event::{self, Event};
use crate::db::{write_transaction, DbConnection};
use crate::domain::invitation::{InvitationFields, InvitationSpec};
use crate::domain::{EventId, InvitationId, Refusal};
use crate::error::{AppError, FieldErrors};

pub mod csv_rows;

/// Rows per transaction in a bulk request: long enough to be fast, short enough that
/// other writers (registrations on SQLite) are not held up for long.
pub const BATCH: usize = 250;

/// Most rows one bulk request may carry.
pub const MAX_ROWS: usize = 5_000;

/// More rows than [`MAX_ROWS`]: the whole upload is refused (413).
pub fn too_many_rows() -> AppError {
    AppError::PayloadTooLarge(format!(
        "a bulk request may carry at most {MAX_ROWS} invitations"
    ))
}

/// A bulk row as read: its fields if they could be read at all, and the problems found
/// while reading them (reported with those of the fields' own rules).
pub struct BulkRow {
    pub fields: Option<InvitationFields>,
    pub errors: FieldErrors,
    /// The row's text as sent (CSV only).
    pub source: Option<String>,
}

impl BulkRow {
    /// A row read as fields, with nothing found wrong yet.
    pub fn read(fields: InvitationFields) -> Self {
        Self {
            fields: Some(fields),
            errors: FieldErrors::new(),
            source: None,
        }
    }

    /// A row that could not be read as fields at all.
    pub fn unreadable(errors: FieldErrors) -> Self {
        Self {
            fields: None,
            errors,
            source: None,
        }
    }
}

/// A bulk upload as read, before any row is judged.
pub struct Upload {
    pub rows: Vec<BulkRow>,
    /// CSV only: the header row as sent (and then errors are named by column).
    pub csv_header: Option<String>,
}

/// What became of one row.
pub enum Fate {
    /// The invitation's id.
    Created(InvitationId),
    /// Why not: its fields (messages per JSON path, or CSV column), or the state of
    /// things (the address has a live invitation).
    Refused(RowRefusal),
}

/// One row's fate, with its address and name as read, to tell the rows apart.
pub struct RowReport {
    /// 1 for the first invitation (the CSV header is not a row).
    pub row: usize,
    pub fate: Fate,
    pub email: Option<String>,
    pub full_name: Option<String>,
}

/// The outcome of a bulk upload: every row, in the order sent.
pub struct Report {
    pub event_id: EventId,
    pub created: usize,
    pub refused: usize,
    pub rows: Vec<RowReport>,
    /// CSV only, when rows were refused: the header row and every refused row as sent.
    pub refused_csv: Option<String>,
}

/// Invites every good row of `upload` to the event `slug` (422 if it has no row, 404 if
/// there is no such event): each row is judged on its own, and the good ones are created
/// [`BATCH`] at a time, one transaction per batch, so that other writers get their turn in
/// between. Invitation emails are queued with their rows; the caller wakes the outbox when
/// the report counts any created.
pub fn invite_all(
    conn: &mut DbConnection,
    base_url: &Url,
    slug: &str,
    actor: &Actor,
    upload: Upload,
) -> Result<Report, AppError> {
    if upload.rows.is_empty() {
        return Err(AppError::invalid(
            "body",
            "must contain at least one invitation",
        ));
    }
    let csv = upload.csv_header.is_some();
    let judged = judge(upload.rows, csv, Utc::now());
    let event = event::find_by_slug(conn, slug)?;
    let mut fates = judged.fates;
    for batch in judged.valid.chunks(BATCH) {
        let results = write_transaction(conn, |conn| {
            invite_batch(conn, base_url, &event, batch, actor)
        })?;
        for r in results {
            let (i, fate) = match r {
                Ok((i, id)) => (i, Fate::Created(id)),
                Err((i, e)) => (i, Fate::Refused(e)),
            };
            fates[i] = Some(fate);
        }
    }
    let mut rows = Vec::with_capacity(fates.len());
    let mut refused_rows = Vec::new();
    for (i, (fate, (email, full_name, source))) in fates.into_iter().zip(judged.labels).enumerate()
    {
        let Some(fate) = fate else { continue };
        if matches!(fate, Fate::Refused(_)) {
            refused_rows.extend(source);
        }
        rows.push(RowReport {
            row: i + 1,
            fate,
            email,
            full_name,
        });
    }
    let created = rows
        .iter()
        .filter(|r| matches!(r.fate, Fate::Created(_)))
        .count();
    let refused = rows.len() - created;
    let refused_csv = upload.csv_header.filter(|_| refused > 0).map(|header| {
        std::iter::once(header)
            .chain(refused_rows)
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(Report {
        event_id: event.id,
        created,
        refused,
        rows,
        refused_csv,
    })
}

/// The rows judged: the good ones to create (with their index), the fates of the others
/// (`None` for a row still to be created), and every row's address, name and text.
struct Judged {
    valid: Vec<(usize, InvitationSpec)>,
    fates: Vec<Option<Fate>>,
    labels: Vec<(Option<String>, Option<String>, Option<String>)>,
}

fn judge(rows: Vec<BulkRow>, csv: bool, now: DateTime<Utc>) -> Judged {
    let mut judged = Judged {
        valid: Vec::new(),
        fates: Vec::with_capacity(rows.len()),
        labels: Vec::with_capacity(rows.len()),
    };
    for (i, row) in rows.into_iter().enumerate() {
        let fields = row.fields.as_ref();
        judged.labels.push((
            fields.and_then(|f| f.email.clone()),
            fields.and_then(|f| f.full_name.clone()),
            row.source,
        ));
        let mut errors = row.errors;
        match row.fields.map(|f| InvitationSpec::parse(f, now)) {
            Some(Ok(spec)) if errors.is_empty() => {
                judged.valid.push((i, spec));
                judged.fates.push(None);
            }
            other => {
                if let Some(Err(e)) = other {
                    errors.merge_prefixed("", e);
                }
                let errors = if csv {
                    csv_rows::column_errors(errors)
                } else {
                    errors
                };
                judged
                    .fates
                    .push(Some(Fate::Refused(RowRefusal::Fields(errors))));
            }
        }
    }
    judged
}

/// A row's fate: `(row index, invitation id)` or `(row index, why it was refused)`.
pub type RowResult = Result<(usize, InvitationId), (usize, RowRefusal)>;

/// Why a row was refused: its fields, or the state of things (the address has a live
/// invitation), which `http` words under `email`.
pub enum RowRefusal {
    Fields(FieldErrors),
    Refused(Refusal),
}

/// Creates one batch of a bulk upload in the caller's transaction: together, with one
/// statement per kind of row ([`invite_together`]), in a savepoint. Should that fail (an
/// address invited by another request since it was checked), the savepoint is taken back
/// and the rows are made one by one, each refused or made on its own.
pub fn invite_batch(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    batch: &[(usize, InvitationSpec)],
    actor: &Actor,
) -> Result<Vec<RowResult>, AppError> {
    let specs: Vec<&InvitationSpec> = batch.iter().map(|(_, spec)| spec).collect();
    let together =
        conn.transaction(|conn| invite_together(conn, base_url, event, &specs, &[], actor));
    match together {
        Ok(results) => Ok(batch
            .iter()
            .zip(results)
            .map(|((i, _), result)| match result {
                Ok(invited) => Ok((*i, invited.invitation.id)),
                Err(refusal) => Err((*i, RowRefusal::Refused(refusal))),
            })
            .collect()),
        Err(e) => {
            tracing::info!(error = %e, rows = batch.len(), "a bulk batch is made one row at a time");
            one_by_one(conn, base_url, event, batch, actor)
        }
    }
}

/// [`invite_batch`] one row at a time, each in a savepoint so that a refused row (a
/// duplicate address) leaves the others standing, on PostgreSQL too. Communities are
/// looked up once per batch.
fn one_by_one(
    conn: &mut DbConnection,
    base_url: &Url,
    event: &Event,
    batch: &[(usize, InvitationSpec)],
    actor: &Actor,
) -> Result<Vec<RowResult>, AppError> {
    let mut communities: HashMap<String, Community> = HashMap::new();
    let mut results = Vec::with_capacity(batch.len());
    for (i, spec) in batch {
        let key = spec.community.match_key();
        let known = communities.get(&key);
        let outcome = conn.transaction(|conn| {
            invite(
                conn,
                base_url,
                Invite {
                    community: known,
                    ..Invite::direct(event, spec, actor)
                },
            )
        });
        results.push(match outcome {
            Ok(invited) => {
                // Only once its row stands: a refused row's new community was rolled back.
                communities.insert(key, invited.community);
                Ok((*i, invited.invitation.id))
            }
            Err(AppError::Refused(r)) => Err((*i, RowRefusal::Refused(r))),
            Err(AppError::Validation(e)) => Err((*i, RowRefusal::Fields(e))),
            Err(other) => return Err(other),
        });
    }
    Ok(results)
}
