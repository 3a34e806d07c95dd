use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::nominations;
use crate::db::DbConnection;
use crate::domain::nomination::{NominationForm, NominationStatus};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = nominations)]
pub struct Nomination {
    pub id: String,
    pub event_id: String,
    pub registration_id: String,
    pub community_id: String,
    pub full_name: String,
    pub email: String,
    pub title: String,
    pub organization: String,
    pub reason: String,
    pub status: String,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub invitation_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = nominations)]
struct NewNomination<'a> {
    id: &'a str,
    event_id: &'a str,
    registration_id: &'a str,
    community_id: &'a str,
    full_name: &'a str,
    email: &'a str,
    title: &'a str,
    organization: &'a str,
    reason: &'a str,
    status: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Stores a nomination as `pending`, for the organizers to decide.
pub fn create(
    conn: &mut DbConnection,
    event_id: &str,
    registration_id: &str,
    community_id: &str,
    form: &NominationForm,
    at: NaiveDateTime,
) -> Result<Nomination, AppError> {
    let id = super::new_id();
    diesel::insert_into(nominations::table)
        .values(NewNomination {
            id: &id,
            event_id,
            registration_id,
            community_id,
            full_name: &form.full_name,
            email: form.email.as_str(),
            title: &form.title,
            organization: &form.organization,
            reason: &form.reason,
            status: NominationStatus::Pending.as_str(),
            created_at: at,
            updated_at: at,
        })
        .execute(conn)?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Nomination, AppError> {
    nominations::table
        .find(id)
        .select(Nomination::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("nomination"))
}

pub fn for_registration(
    conn: &mut DbConnection,
    registration_id: &str,
) -> Result<Vec<Nomination>, AppError> {
    Ok(nominations::table
        .filter(nominations::registration_id.eq(registration_id))
        .order((nominations::created_at.asc(), nominations::id.asc()))
        .select(Nomination::as_select())
        .load(conn)?)
}

pub fn for_event(conn: &mut DbConnection, event_id: &str) -> Result<Vec<Nomination>, AppError> {
    Ok(nominations::table
        .filter(nominations::event_id.eq(event_id))
        .order((nominations::created_at.asc(), nominations::id.asc()))
        .select(Nomination::as_select())
        .load(conn)?)
}

/// Withdraws the registration's pending nominations (its registrant cancelled); returns them.
pub fn withdraw_pending(
    conn: &mut DbConnection,
    registration_id: &str,
    at: NaiveDateTime,
) -> Result<Vec<Nomination>, AppError> {
    let pending: Vec<Nomination> = for_registration(conn, registration_id)?
        .into_iter()
        .filter(|n| n.status == NominationStatus::Pending.as_str())
        .collect();
    for n in &pending {
        diesel::update(
            nominations::table
                .find(&n.id)
                .filter(nominations::status.eq(NominationStatus::Pending.as_str())),
        )
        .set((
            nominations::status.eq(NominationStatus::Withdrawn.as_str()),
            nominations::updated_at.eq(at),
        ))
        .execute(conn)?;
    }
    Ok(pending)
}
