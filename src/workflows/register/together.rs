//! Registrations written together: the run of registrations into one event that reached
//! the group committer one after another is written in one statement per table instead
//! of nine statements each (its registrations, audit entries and emails one statement on
//! PostgreSQL, `db::inserts`). On PostgreSQL each statement is a round trip on the
//! committer's one connection, which every registration waits for (about 8 per
//! registration kept it near 500/s, `BENCHMARKS.md`).
//!
//! The same checks and rows as [`PreparedRegistration::write`], which still writes
//! whatever does not fit a run: a form with a nomination or a scholarship request, a
//! community that does not exist yet, an invitation changed since it was read, a
//! registration that is refused. A run that fails as a whole is taken back (it has its
//! savepoint) and each of its registrations is written alone, for its own answer.

use chrono::{Duration, NaiveDateTime, Utc};
use url::Url;

use super::{check_can_register, PreparedRegistration, Registered};
use crate::db::group_commit::Merge;
use crate::db::inserts::Inserts;
use crate::db::models::audit::{self, Entry};
use crate::db::models::registration::{self, Registration};
use crate::db::{self, DbConnection};
use crate::domain::registration::RegistrationStatus;
use crate::domain::webhook::EventKind;
use crate::email::messages::Requests;
use crate::email::outbox;
use crate::error::AppError;
use crate::webhooks;

/// A registration given to the group committer, with the base of its links.
pub struct Registering {
    pub prepared: PreparedRegistration,
    pub base: Url,
}

impl Registering {
    /// Whether it can be written in a run: nothing to create or review beside it.
    fn fits_a_run(&self) -> bool {
        let p = &self.prepared;
        p.form.nomination.is_none() && p.form.scholarship.is_none() && p.community.is_some()
    }

    /// Written alone, in its own savepoint.
    fn write_alone(self, conn: &mut DbConnection) -> Result<Registered, AppError> {
        use diesel::Connection;
        conn.transaction(|c| self.prepared.write(c, &self.base))
    }
}

impl Merge for Registering {
    type Out = Registered;

    fn write_all(conn: &mut DbConnection, items: Vec<Self>) -> Vec<Result<Registered, AppError>> {
        let mut answers = Vec::with_capacity(items.len());
        let mut run: Vec<Registering> = Vec::new();
        for item in items {
            let joins = item.fits_a_run()
                && run.first().is_none_or(|first| {
                    first.prepared.inv.event_id == item.prepared.inv.event_id
                        && run
                            .iter()
                            .all(|r| r.prepared.inv.id != item.prepared.inv.id)
                });
            if !joins {
                write_run(conn, std::mem::take(&mut run), &mut answers);
            }
            if item.fits_a_run() {
                run.push(item);
            } else {
                answers.push(item.write_alone(conn));
            }
        }
        write_run(conn, run, &mut answers);
        answers
    }
}

/// Writes `run` together, in its savepoint; what it leaves, alone afterwards, in order.
fn write_run(
    conn: &mut DbConnection,
    run: Vec<Registering>,
    answers: &mut Vec<Result<Registered, AppError>>,
) {
    if run.len() < 2 {
        // One alone: the statements of one registration, which diesel keeps prepared.
        answers.extend(run.into_iter().map(|r| r.write_alone(conn)));
        return;
    }
    let written = {
        use diesel::Connection;
        conn.transaction(|c| write_together(c, &run))
    };
    match written {
        Ok(written) => {
            for (item, done) in run.into_iter().zip(written) {
                answers.push(match done {
                    Some(registered) => Ok(registered),
                    None => item.write_alone(conn),
                });
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, registrations = run.len(), "a run of registrations failed; writing each alone");
            answers.extend(run.into_iter().map(|r| r.write_alone(conn)));
        }
    }
}

/// The registrations of `run` (one event, communities known, no requests) that can be
/// made as read: `None` for those to judge again alone (changed meanwhile, or refused).
fn write_together(
    conn: &mut DbConnection,
    run: &[Registering],
) -> Result<Vec<Option<Registered>>, AppError> {
    let first = &run[0].prepared;
    let event = registration::lock_and_read_event(conn, &first.inv.event_id)?;
    let now = Utc::now();
    // One microsecond apart: the waiting list is in order of `created_at`, as they came.
    let start = db::now();
    let ats: Vec<NaiveDateTime> = (0..run.len())
        .map(|k| start + Duration::microseconds(k as i64))
        .collect();
    let may: Vec<usize> = (0..run.len())
        .filter(|&k| check_can_register(&run[k].prepared.inv, &event, now).is_ok())
        .collect();
    let tried: Vec<_> = may
        .iter()
        .map(|&k| (&run[k].prepared.inv, ats[k]))
        .collect();
    let accepted = registration::accept_invitations(conn, &tried)?;
    let made: Vec<usize> = may
        .into_iter()
        .zip(accepted)
        .filter_map(|(k, ok)| ok.then_some(k))
        .collect();
    let free = usize::try_from(event.capacity - event.seats_taken).unwrap_or(0);
    let seats = free.min(made.len());
    let claimed = i32::try_from(seats).map_err(|e| AppError::Internal(e.into()))?;
    if !registration::claim_seats(conn, &event.id, claimed)? {
        return Err(AppError::Internal(anyhow::anyhow!(
            "the event's seats changed while it was locked"
        )));
    }
    // Only a registration whose community exists joins a run (`fits_a_run`).
    let communities = run
        .iter()
        .map(|r| r.prepared.community.as_ref().map(|c| &c.id))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a new community in a run")))?;
    let hashes: Vec<String> = made
        .iter()
        .map(|&k| run[k].prepared.manage.hash())
        .collect();
    let rows: Vec<Registration> = made
        .iter()
        .enumerate()
        .map(|(j, &k)| {
            let p = &run[k].prepared;
            let status = if j < seats {
                RegistrationStatus::Confirmed
            } else {
                RegistrationStatus::Waitlisted
            };
            p.args(communities[k], status, &hashes[j], ats[k]).row()
        })
        .collect();
    webhooks::on_registrations(conn, EventKind::RegistrationCreated, &rows)?;
    // The first on the waiting list is counted (before the run is stored); those after it
    // follow in order.
    let first_waiting = match rows.get(seats) {
        Some(reg) => registration::waitlist_position_when_stored(conn, reg)?,
        None => 0,
    };
    let mut fresh: Vec<Option<outbox::Prepared>> = made.iter().map(|_| None).collect();
    let mut emails = Vec::with_capacity(made.len());
    for (j, (slot, reg)) in fresh.iter_mut().zip(&rows).enumerate() {
        let item = &run[made[j]];
        let position = (j >= seats).then(|| first_waiting + (j - seats) as i64);
        let email = item.prepared.email(
            slot,
            &event,
            reg,
            &item.base,
            position,
            &Requests::default(),
        )?;
        emails.push(email);
    }
    let own = outbox::own_wordings(conn, &emails)?;
    let invitations: Vec<_> = made
        .iter()
        .map(|&k| registration::accepted(&run[k].prepared.inv, ats[k]))
        .collect();
    // The registrations, their audit entries and emails: one statement on PostgreSQL.
    let mut inserts = Inserts::on(conn);
    registration::gather_all(&mut inserts, &rows);
    audit::gather_each(
        &mut inserts,
        made.iter()
            .zip(&invitations)
            .zip(&rows)
            .flat_map(|((&k, inv), reg)| {
                let p = &run[k].prepared;
                [
                    (
                        &p.actor,
                        ats[k],
                        Entry::changed_from("invitation.accepted", p.inv_state.clone(), inv),
                    ),
                    (
                        &p.actor,
                        ats[k],
                        Entry::created("registration.created", reg),
                    ),
                ]
            }),
    );
    outbox::gather_all(&mut inserts, &emails, &own);
    inserts.write(conn)?;
    let mut written: Vec<Option<Registered>> = run.iter().map(|_| None).collect();
    for (&k, reg) in made.iter().zip(rows) {
        written[k] = Some(Registered {
            registration: reg,
            manage_url: run[k].prepared.manage_url.clone(),
        });
    }
    Ok(written)
}
