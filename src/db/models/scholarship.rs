use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::community::Community;
use super::registration::Registration;
use crate::db::schema::{communities, events, registrations, scholarship_requests};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::scholarship::{AwardStatus, ScholarshipForm, ScholarshipStatus};
use crate::domain::{EventId, Record, Refusal, RegistrationId, ScholarshipRequestId};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = scholarship_requests)]
pub struct ScholarshipRequest {
    pub id: ScholarshipRequestId,
    pub event_id: EventId,
    pub registration_id: RegistrationId,
    pub travelers: i32,
    pub estimated_cost_cents: i64,
    pub requested_amount_cents: i64,
    pub justification: String,
    pub status: ScholarshipStatus,
    pub awarded_amount_cents: Option<i64>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The last moment to answer an award (approved requests only).
    pub reply_by: Option<NaiveDateTime>,
    pub award_status: Option<AwardStatus>,
    pub award_answered_at: Option<NaiveDateTime>,
    /// When the one reminder to answer the award was queued.
    pub reminded_at: Option<NaiveDateTime>,
}

impl ScholarshipRequest {
    pub fn status(&self) -> ScholarshipStatus {
        self.status
    }

    pub fn award(&self) -> Option<AwardStatus> {
        self.award_status
    }

    /// The amount that counts against the budget: an offered or accepted award.
    pub fn standing_award_cents(&self) -> i64 {
        match self.award() {
            Some(a) if a.stands() => self.awarded_amount_cents.unwrap_or(0),
            _ => 0,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = scholarship_requests)]
struct NewScholarshipRequest<'a> {
    id: &'a ScholarshipRequestId,
    event_id: &'a EventId,
    registration_id: &'a RegistrationId,
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
    event_id: &EventId,
    registration_id: &RegistrationId,
    form: &ScholarshipForm,
    at: NaiveDateTime,
) -> Result<ScholarshipRequest, AppError> {
    let id = ScholarshipRequestId::new();
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
            let taken = "scholarship_requests.registration_id";
            if super::violates_unique(&e, "scholarship_requests_registration_id_key", taken) {
                AppError::from(Refusal::AlreadyRequestedScholarship)
            } else {
                AppError::from(e)
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
    registration_id: &RegistrationId,
) -> Result<Option<ScholarshipRequest>, AppError> {
    Ok(scholarship_requests::table
        .filter(scholarship_requests::registration_id.eq(registration_id))
        .select(ScholarshipRequest::as_select())
        .first(conn)
        .optional()?)
}

pub fn for_event(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<ScholarshipRequest>, AppError> {
    Ok(scholarship_requests::table
        .filter(scholarship_requests::event_id.eq(event_id))
        .select(ScholarshipRequest::as_select())
        .load(conn)?)
}

/// Withdraws the registration's request if it is still pending (its registrant cancelled).
pub fn withdraw_pending(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
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

pub fn find(
    conn: &mut DbConnection,
    id: &ScholarshipRequestId,
) -> Result<ScholarshipRequest, AppError> {
    scholarship_requests::table
        .find(id)
        .select(ScholarshipRequest::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("scholarship request"))
}

/// The request with this id if it belongs to the event; 404 otherwise.
pub fn find_in_event(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &ScholarshipRequestId,
) -> Result<ScholarshipRequest, AppError> {
    scholarship_requests::table
        .find(id)
        .filter(scholarship_requests::event_id.eq(event_id))
        .select(ScholarshipRequest::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("scholarship request"))
}

/// Filters for the organizers' list.
#[derive(Debug, Clone)]
pub struct ScholarshipFilter {
    pub event_id: EventId,
    pub status: Option<ScholarshipStatus>,
    pub award_status: Option<AwardStatus>,
    pub limit: i64,
    pub offset: i64,
}

type Joined = diesel::dsl::InnerJoin<
    scholarship_requests::table,
    diesel::dsl::InnerJoin<registrations::table, communities::table>,
>;
type Filtered<'a> = diesel::dsl::IntoBoxed<'a, Joined, MultiBackend>;

fn filtered(f: &ScholarshipFilter) -> Filtered<'static> {
    let mut q = scholarship_requests::table
        .inner_join(registrations::table.inner_join(communities::table))
        .filter(scholarship_requests::event_id.eq(f.event_id.clone()))
        .into_boxed();
    if let Some(s) = f.status {
        q = q.filter(scholarship_requests::status.eq(s.as_str()));
    }
    if let Some(a) = f.award_status {
        q = q.filter(scholarship_requests::award_status.eq(a.as_str()));
    }
    q
}

/// A request with its registration and the registration's community.
pub type WithRegistration = (ScholarshipRequest, Registration, Community);

/// One page of the event's requests, oldest first, and the total that match.
pub fn list(
    conn: &mut DbConnection,
    f: &ScholarshipFilter,
) -> Result<(Vec<WithRegistration>, i64), AppError> {
    let total = filtered(f).count().get_result::<i64>(conn)?;
    let items = filtered(f)
        .order((
            scholarship_requests::created_at.asc(),
            scholarship_requests::id.asc(),
        ))
        .limit(f.limit)
        .offset(f.offset)
        .select((
            ScholarshipRequest::as_select(),
            Registration::as_select(),
            Community::as_select(),
        ))
        .load(conn)?;
    Ok((items, total))
}

/// The organizers' decision, written only if the request is still `from`.
pub struct DecisionChange<'a> {
    pub to: ScholarshipStatus,
    pub awarded_amount_cents: Option<i64>,
    pub award_status: Option<AwardStatus>,
    pub reply_by: Option<NaiveDateTime>,
    pub note: Option<&'a str>,
    pub decided_by: &'a str,
    pub at: NaiveDateTime,
}

/// Records a decision if the request is still `from` (another organizer may have decided
/// it meanwhile: 409). A new decision starts the award afresh.
pub fn decide(
    conn: &mut DbConnection,
    id: &ScholarshipRequestId,
    from: ScholarshipStatus,
    c: DecisionChange<'_>,
) -> Result<ScholarshipRequest, AppError> {
    let n = diesel::update(
        scholarship_requests::table
            .find(id)
            .filter(scholarship_requests::status.eq(from.as_str())),
    )
    .set((
        scholarship_requests::status.eq(c.to.as_str()),
        scholarship_requests::awarded_amount_cents.eq(c.awarded_amount_cents),
        scholarship_requests::award_status.eq(c.award_status.map(AwardStatus::as_str)),
        scholarship_requests::reply_by.eq(c.reply_by),
        scholarship_requests::award_answered_at.eq(None::<NaiveDateTime>),
        scholarship_requests::reminded_at.eq(None::<NaiveDateTime>),
        scholarship_requests::decision_note.eq(c.note),
        scholarship_requests::decided_by.eq(Some(c.decided_by)),
        scholarship_requests::decided_at.eq(Some(c.at)),
        scholarship_requests::updated_at.eq(c.at),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(changed_meanwhile());
    }
    find(conn, id)
}

fn changed_meanwhile() -> AppError {
    Refusal::Stale(Record::ScholarshipRequest).into()
}

/// Withdraws a request that is still pending (its registrant asked); 409 otherwise.
pub fn withdraw(
    conn: &mut DbConnection,
    id: &ScholarshipRequestId,
    at: NaiveDateTime,
) -> Result<ScholarshipRequest, AppError> {
    let n = diesel::update(
        scholarship_requests::table
            .find(id)
            .filter(scholarship_requests::status.eq(ScholarshipStatus::Pending.as_str())),
    )
    .set((
        scholarship_requests::status.eq(ScholarshipStatus::Withdrawn.as_str()),
        scholarship_requests::updated_at.eq(at),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(changed_meanwhile());
    }
    find(conn, id)
}

/// The registrant's answer to an offered award (`Accepted` or `Declined`), taken only
/// while the award is offered and its reply-by time has not passed. Returns false when
/// it is no longer so (answered by another request, or lapsed).
pub fn answer_award(
    conn: &mut DbConnection,
    id: &ScholarshipRequestId,
    answer: AwardStatus,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        scholarship_requests::table
            .find(id)
            .filter(scholarship_requests::status.eq(ScholarshipStatus::Approved.as_str()))
            .filter(scholarship_requests::award_status.eq(AwardStatus::Offered.as_str()))
            .filter(scholarship_requests::reply_by.gt(at)),
    )
    .set((
        scholarship_requests::award_status.eq(answer.as_str()),
        scholarship_requests::award_answered_at.eq(Some(at)),
        scholarship_requests::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Releases the registration's standing award (offered or accepted): its registrant
/// cancelled. Returns the request as it was before, if there was one to release.
pub fn release_award(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
    at: NaiveDateTime,
) -> Result<Option<ScholarshipRequest>, AppError> {
    let Some(before) = for_registration(conn, registration_id)? else {
        return Ok(None);
    };
    let standing = [
        AwardStatus::Offered.as_str(),
        AwardStatus::Accepted.as_str(),
    ];
    let n = diesel::update(
        scholarship_requests::table
            .find(&before.id)
            .filter(scholarship_requests::award_status.eq_any(standing)),
    )
    .set((
        scholarship_requests::award_status.eq(AwardStatus::Released.as_str()),
        scholarship_requests::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok((n == 1).then_some(before))
}

/// Claims `amount` of the event's scholarship budget if that much is left. A single
/// conditional UPDATE, like a seat's claim: on SQLite the write transaction holds the
/// lock; on PostgreSQL a concurrent claimant waits for the row and re-checks the
/// condition against the committed sum, so the budget holds either way.
pub fn claim_budget(
    conn: &mut DbConnection,
    event_id: &EventId,
    amount: i64,
) -> Result<bool, AppError> {
    let n =
        diesel::update(events::table.find(event_id).filter(
            (events::scholarship_awarded_cents + amount).le(events::scholarship_budget_cents),
        ))
        .set(events::scholarship_awarded_cents.eq(events::scholarship_awarded_cents + amount))
        .execute(conn)?;
    Ok(n == 1)
}

/// Gives an award's amount back to the budget (declined, lapsed or released).
pub fn release_budget(
    conn: &mut DbConnection,
    event_id: &EventId,
    amount: i64,
) -> Result<(), AppError> {
    let n = diesel::update(
        events::table
            .find(event_id)
            .filter(events::scholarship_awarded_cents.ge(amount)),
    )
    .set(events::scholarship_awarded_cents.eq(events::scholarship_awarded_cents - amount))
    .execute(conn)?;
    if n == 0 {
        // The sum is kept with every award in the same transaction, so this is a bug;
        // the registrant's action still goes through.
        tracing::error!(
            %event_id,
            amount,
            "the scholarship sum was less than an award it held"
        );
    }
    Ok(())
}

/// Every request of the event with its registration and community, oldest first.
pub fn all_with_registrations(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<WithRegistration>, AppError> {
    let f = ScholarshipFilter {
        event_id: event_id.to_owned(),
        status: None,
        award_status: None,
        limit: 0,
        offset: 0,
    };
    Ok(filtered(&f)
        .order((
            scholarship_requests::created_at.asc(),
            scholarship_requests::id.asc(),
        ))
        .select((
            ScholarshipRequest::as_select(),
            Registration::as_select(),
            Community::as_select(),
        ))
        .load(conn)?)
}

mod deadlines;

pub use deadlines::{due_for_reminder, lapse_award, mark_reminded, unanswered_past_reply_by};

impl crate::db::models::audit::Audited for ScholarshipRequest {
    const ENTITY: &'static str = "scholarship_request";

    fn entity_id(&self) -> &str {
        self.id.as_str()
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.event_id)
    }
}
