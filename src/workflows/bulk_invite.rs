//! Bulk invite: many people at once, from a JSON array or a CSV file, each row created or
//! refused on its own.

use std::collections::HashMap;

use diesel::Connection;
use url::Url;

use super::invite::{invite, Invite};
use crate::db::models::audit::Actor;
use crate::db::models::community::Community;
use crate::db::models::event::Event;
use crate::db::DbConnection;
use crate::domain::invitation::InvitationSpec;
use crate::domain::Refusal;
use crate::error::{AppError, FieldErrors};

/// Rows per transaction in a bulk request: long enough to be fast, short enough that
/// other writers (registrations on SQLite) are not held up for long.
pub const BATCH: usize = 250;

/// A row's fate: `(row index, invitation id)` or `(row index, why it was refused)`.
pub type RowResult = Result<(usize, String), (usize, RowRefusal)>;

/// Why a row was refused: its fields, or the state of things (the address has a live
/// invitation), which `http` words under `email`.
pub enum RowRefusal {
    Fields(FieldErrors),
    Refused(Refusal),
}

/// Creates one batch of a bulk upload in the caller's transaction, each row in a savepoint
/// so that a refused row (a duplicate address) leaves the others standing, on PostgreSQL
/// too. Communities are looked up once per batch.
pub fn invite_batch(
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
