//! The writes of a run of registrations into one event, each in one statement for the
//! whole run (see `workflows::register::together`; the insert is gathered with the run's
//! audit entries and emails, `db::inserts`): on PostgreSQL every statement is a round
//! trip on the group committer's one connection, which every registration waits for.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{fixed, NewRegistration, Registration};
use crate::db::inserts::{gather, Inserts};
use crate::db::models::invitation::Invitation;
use crate::db::schema::{events, registrations};
use crate::db::DbConnection;
use crate::domain::EventId;
use crate::error::AppError;

/// Each invitation accepted at its `at`, only if its row is still exactly the one read
/// (as [`super::accept_invitation`]); whether it was, in the same order.
pub fn accept_invitations(
    conn: &mut DbConnection,
    runs: &[(&Invitation, NaiveDateTime)],
) -> Result<Vec<bool>, AppError> {
    match conn {
        DbConnection::Sqlite(_) => {
            // In process: a statement costs microseconds, and this one is prepared once.
            runs.iter()
                .map(|(inv, at)| {
                    let n = fixed::AcceptInvitation {
                        id: &inv.id,
                        status: inv.status.as_str(),
                        updated_at: inv.updated_at,
                        at: *at,
                    }
                    .execute(conn)?;
                    Ok(n == 1)
                })
                .collect()
        }
        DbConnection::Postgresql(pg) => {
            use diesel::sql_types::{Array, Text, Timestamp};

            #[derive(QueryableByName)]
            struct Accepted {
                #[diesel(sql_type = Text)]
                id: String,
            }
            let ids: Vec<&str> = runs.iter().map(|(i, _)| i.id.as_str()).collect();
            let statuses: Vec<&str> = runs.iter().map(|(i, _)| i.status.as_str()).collect();
            let read: Vec<NaiveDateTime> = runs.iter().map(|(i, _)| i.updated_at).collect();
            let ats: Vec<NaiveDateTime> = runs.iter().map(|(_, at)| *at).collect();
            let accepted: Vec<Accepted> = diesel::sql_query(
                "UPDATE invitations AS i SET status = 'accepted', updated_at = v.at, \
                 responded_at = v.at \
                 FROM unnest($1::text[], $2::text[], $3::timestamp[], $4::timestamp[]) \
                 AS v(id, status, read_at, at) \
                 WHERE i.id = v.id AND i.status = v.status AND i.updated_at = v.read_at \
                 RETURNING i.id",
            )
            .bind::<Array<Text>, _>(&ids)
            .bind::<Array<Text>, _>(&statuses)
            .bind::<Array<Timestamp>, _>(&read)
            .bind::<Array<Timestamp>, _>(&ats)
            .load(pg)?;
            let accepted: std::collections::HashSet<String> =
                accepted.into_iter().map(|a| a.id).collect();
            Ok(ids.iter().map(|id| accepted.contains(*id)).collect())
        }
    }
}

/// Claims `n` seats of the event at once, only if that many are free; whether they were.
pub fn claim_seats(conn: &mut DbConnection, event_id: &EventId, n: i32) -> Result<bool, AppError> {
    if n == 0 {
        return Ok(true);
    }
    let claimed = diesel::update(
        events::table
            .find(event_id)
            .filter((events::seats_taken + n).le(events::capacity)),
    )
    .set(events::seats_taken.eq(events::seats_taken + n))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Gathers the insert of the registrations, as [`super::create`] stores one, into
/// `inserts` (one statement).
pub fn gather_all<'a>(inserts: &mut Inserts<'a>, rows: &'a [Registration]) {
    let values: Vec<NewRegistration<'a>> = rows.iter().map(NewRegistration::of).collect();
    if !values.is_empty() {
        gather!(
            inserts,
            diesel::insert_into(registrations::table).values(values)
        );
    }
}
