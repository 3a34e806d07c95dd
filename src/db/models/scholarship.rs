use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::scholarship_requests;
use crate::db::DbConnection;
use crate::domain::scholarship::{ScholarshipForm, ScholarshipStatus};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = scholarship_requests)]
pub struct ScholarshipRequest {
    pub id: String,
    pub event_id: String,
    pub registration_id: String,
    pub travelers: i32,
    pub estimated_cost_cents: i64,
    pub requested_amount_cents: i64,
    pub justification: String,
    pub status: String,
    pub awarded_amount_cents: Option<i64>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = scholarship_requests)]
struct NewScholarshipRequest<'a> {
    id: &'a str,
    event_id: &'a str,
    registration_id: &'a str,
    travelers: i32,
    estimated_cost_cents: i64,
    requested_amount_cents: i64,
    justification: &'a str,
    status: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Stores a request as `pending`; one per registration (unique `registration_id`).
pub fn create(
    conn: &mut DbConnection,
    event_id: &str,
    registration_id: &str,
    form: &ScholarshipForm,
    at: NaiveDateTime,
) -> Result<ScholarshipRequest, AppError> {
    let id = super::new_id();
    diesel::insert_into(scholarship_requests::table)
        .values(NewScholarshipRequest {
            id: &id,
            event_id,
            registration_id,
            travelers: form.travelers,
            estimated_cost_cents: form.estimated_cost.value(),
            requested_amount_cents: form.requested_amount.value(),
            justification: &form.justification,
            status: ScholarshipStatus::Pending.as_str(),
            created_at: at,
            updated_at: at,
        })
        .execute(conn)
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                AppError::conflict("This registration already has a travel scholarship request.")
            } else {
                e.into()
            }
        })?;
    scholarship_requests::table
        .find(&id)
        .select(ScholarshipRequest::as_select())
        .first(conn)
        .map_err(Into::into)
}

pub fn for_registration(
    conn: &mut DbConnection,
    registration_id: &str,
) -> Result<Option<ScholarshipRequest>, AppError> {
    Ok(scholarship_requests::table
        .filter(scholarship_requests::registration_id.eq(registration_id))
        .select(ScholarshipRequest::as_select())
        .first(conn)
        .optional()?)
}

pub fn for_event(
    conn: &mut DbConnection,
    event_id: &str,
) -> Result<Vec<ScholarshipRequest>, AppError> {
    Ok(scholarship_requests::table
        .filter(scholarship_requests::event_id.eq(event_id))
        .select(ScholarshipRequest::as_select())
        .load(conn)?)
}

/// Withdraws the registration's request if it is still pending (its registrant cancelled).
pub fn withdraw_pending(
    conn: &mut DbConnection,
    registration_id: &str,
    at: NaiveDateTime,
) -> Result<Option<ScholarshipRequest>, AppError> {
    let n = diesel::update(
        scholarship_requests::table
            .filter(scholarship_requests::registration_id.eq(registration_id))
            .filter(scholarship_requests::status.eq(ScholarshipStatus::Pending.as_str())),
    )
    .set((
        scholarship_requests::status.eq(ScholarshipStatus::Withdrawn.as_str()),
        scholarship_requests::updated_at.eq(at),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    for_registration(conn, registration_id)
}
