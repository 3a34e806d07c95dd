use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::invitation_requests;
use crate::db::{now, DbConnection};
use crate::domain::invitation_request::{InvitationRequestForm, RequestStatus};
use crate::domain::{EventId, InvitationId, Record, Refusal};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = invitation_requests)]
pub struct InvitationRequest {
    pub id: String,
    pub event_id: EventId,
    pub full_name: String,
    pub email: String,
    pub title: String,
    pub organization: String,
    pub community_name: String,
    pub community_state: String,
    pub community_country: String,
    pub reason: String,
    pub status: RequestStatus,
    pub times_requested: i32,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub invitation_id: Option<InvitationId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl InvitationRequest {
    pub fn status(&self) -> RequestStatus {
        self.status
    }
}

#[derive(Insertable)]
#[diesel(table_name = invitation_requests)]
struct NewInvitationRequest<'a> {
    id: &'a str,
    event_id: &'a EventId,
    full_name: &'a str,
    email: &'a str,
    title: &'a str,
    organization: &'a str,
    community_name: &'a str,
    community_state: &'a str,
    community_country: &'a str,
    reason: &'a str,
    status: &'a str,
    times_requested: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Whether a request was new or merged into a pending one for the same email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    New,
    Merged,
}

fn pending_for(
    conn: &mut DbConnection,
    event_id: &EventId,
    email: &str,
) -> Result<Option<InvitationRequest>, AppError> {
    Ok(invitation_requests::table
        .filter(invitation_requests::event_id.eq(event_id))
        .filter(invitation_requests::email.eq(email))
        .filter(invitation_requests::status.eq(RequestStatus::Pending.as_str()))
        .select(InvitationRequest::as_select())
        .first(conn)
        .optional()?)
}

/// Stores a request, or merges it into the pending one for the same (event, email): the
/// newest details win and the count goes up. Call inside a write transaction.
pub fn submit(
    conn: &mut DbConnection,
    event_id: &EventId,
    form: &InvitationRequestForm,
) -> Result<(InvitationRequest, Submitted), AppError> {
    let at = now();
    if let Some(existing) = pending_for(conn, event_id, form.email.as_str())? {
        diesel::update(invitation_requests::table.find(&existing.id))
            .set((
                invitation_requests::full_name.eq(&form.full_name),
                invitation_requests::title.eq(&form.title),
                invitation_requests::organization.eq(&form.organization),
                invitation_requests::community_name.eq(&form.community.name),
                invitation_requests::community_state.eq(&form.community.state),
                invitation_requests::community_country.eq(&form.community.country),
                invitation_requests::reason.eq(&form.reason),
                invitation_requests::times_requested.eq(invitation_requests::times_requested + 1),
                invitation_requests::updated_at.eq(at),
            ))
            .execute(conn)?;
        return Ok((find(conn, event_id, &existing.id)?, Submitted::Merged));
    }
    let id = super::new_id();
    diesel::insert_into(invitation_requests::table)
        .values(NewInvitationRequest {
            id: &id,
            event_id,
            full_name: &form.full_name,
            email: form.email.as_str(),
            title: &form.title,
            organization: &form.organization,
            community_name: &form.community.name,
            community_state: &form.community.state,
            community_country: &form.community.country,
            reason: &form.reason,
            status: RequestStatus::Pending.as_str(),
            times_requested: 1,
            created_at: at,
            updated_at: at,
        })
        .execute(conn)?;
    Ok((find(conn, event_id, &id)?, Submitted::New))
}

pub fn find(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &str,
) -> Result<InvitationRequest, AppError> {
    invitation_requests::table
        .filter(invitation_requests::event_id.eq(event_id))
        .filter(invitation_requests::id.eq(id))
        .select(InvitationRequest::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("invitation request"))
}

/// Requests of an event, oldest first (first come, first considered), with the total.
pub fn list(
    conn: &mut DbConnection,
    event_id: &EventId,
    status: Option<RequestStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<InvitationRequest>, i64), AppError> {
    let filtered = || {
        let mut q = invitation_requests::table
            .filter(invitation_requests::event_id.eq(event_id.to_owned()))
            .into_boxed();
        if let Some(s) = status {
            q = q.filter(invitation_requests::status.eq(s.as_str()));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let items = filtered()
        .order((
            invitation_requests::created_at.asc(),
            invitation_requests::id.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(InvitationRequest::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Records a decision; only a pending request can be decided (409 otherwise). Guarded by the
/// status in the UPDATE itself, so two organizers deciding at once cannot both succeed.
pub fn decide(
    conn: &mut DbConnection,
    request: &InvitationRequest,
    to: RequestStatus,
    note: Option<&str>,
    organizer_id: &str,
    invitation_id: Option<&InvitationId>,
) -> Result<InvitationRequest, AppError> {
    request.status().decide(to)?;
    let at = now();
    let changed = diesel::update(
        invitation_requests::table
            .find(&request.id)
            .filter(invitation_requests::status.eq(RequestStatus::Pending.as_str())),
    )
    .set((
        invitation_requests::status.eq(to.as_str()),
        invitation_requests::decision_note.eq(note),
        invitation_requests::decided_by.eq(organizer_id),
        invitation_requests::decided_at.eq(at),
        invitation_requests::invitation_id.eq(invitation_id),
        invitation_requests::updated_at.eq(at),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(Refusal::Stale(Record::InvitationRequest).into());
    }
    find(conn, &request.event_id, &request.id)
}

impl crate::db::models::audit::Audited for InvitationRequest {
    const ENTITY: &'static str = "invitation_request";

    fn entity_id(&self) -> &str {
        &self.id
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.event_id)
    }
}
