use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::community::Community;
use super::registration::Registration;
use crate::db::schema::{communities, nominations, registrations};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::nomination::{NominationForm, NominationStatus};
use crate::domain::{
    CommunityId, EventId, InvitationId, NominationId, Record, Refusal, RegistrationId,
};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = nominations)]
pub struct Nomination {
    pub id: NominationId,
    pub event_id: EventId,
    pub registration_id: RegistrationId,
    pub community_id: CommunityId,
    pub full_name: String,
    pub email: String,
    pub title: String,
    pub organization: String,
    pub reason: String,
    pub status: NominationStatus,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub invitation_id: Option<InvitationId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Nomination {
    /// The stored status; the CHECK constraint admits only known ones.
    pub fn status(&self) -> NominationStatus {
        self.status
    }
}

#[derive(Insertable)]
#[diesel(table_name = nominations)]
struct NewNomination<'a> {
    id: &'a NominationId,
    event_id: &'a EventId,
    registration_id: &'a RegistrationId,
    community_id: &'a CommunityId,
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
    event_id: &EventId,
    registration_id: &RegistrationId,
    community_id: &CommunityId,
    form: &NominationForm,
    at: NaiveDateTime,
) -> Result<Nomination, AppError> {
    let id = NominationId::new();
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

pub fn find(conn: &mut DbConnection, id: &NominationId) -> Result<Nomination, AppError> {
    nominations::table
        .find(id)
        .select(Nomination::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("nomination"))
}

pub fn for_registration(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
) -> Result<Vec<Nomination>, AppError> {
    Ok(nominations::table
        .filter(nominations::registration_id.eq(registration_id))
        .order((nominations::created_at.asc(), nominations::id.asc()))
        .select(Nomination::as_select())
        .load(conn)?)
}

pub fn for_event(conn: &mut DbConnection, event_id: &EventId) -> Result<Vec<Nomination>, AppError> {
    Ok(nominations::table
        .filter(nominations::event_id.eq(event_id))
        .order((nominations::created_at.asc(), nominations::id.asc()))
        .select(Nomination::as_select())
        .load(conn)?)
}

/// Withdraws the registration's pending nominations (its registrant cancelled); returns them.
pub fn withdraw_pending(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
    at: NaiveDateTime,
) -> Result<Vec<Nomination>, AppError> {
    let pending: Vec<Nomination> = for_registration(conn, registration_id)?
        .into_iter()
        .filter(|n| n.status == NominationStatus::Pending)
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

/// A nomination of this event; 404 for another event's.
pub fn find_in_event(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &NominationId,
) -> Result<Nomination, AppError> {
    nominations::table
        .find(id)
        .filter(nominations::event_id.eq(event_id))
        .select(Nomination::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("nomination"))
}

/// A nomination made by this registration; 404 for anyone else's.
pub fn find_of_registration(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
    id: &NominationId,
) -> Result<Nomination, AppError> {
    nominations::table
        .find(id)
        .filter(nominations::registration_id.eq(registration_id))
        .select(Nomination::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("nomination"))
}

/// How many of the registration's nominations count toward the executive's limit.
pub fn counted_for(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
) -> Result<i64, AppError> {
    Ok(nominations::table
        .filter(nominations::registration_id.eq(registration_id))
        .filter(nominations::status.eq_any(NominationStatus::COUNTED.map(NominationStatus::as_str)))
        .count()
        .get_result(conn)?)
}

/// Holds the nominator's registration row until the transaction ends (on PostgreSQL;
/// SQLite's write transaction already excludes other writers), so that two nominations
/// sent at once by one executive are counted one after the other, and a cancellation
/// in flight is seen.
pub fn lock_nominator(
    conn: &mut DbConnection,
    registration_id: &RegistrationId,
) -> Result<(), AppError> {
    diesel::update(registrations::table.find(registration_id))
        .set(registrations::updated_at.eq(registrations::updated_at))
        .execute(conn)?;
    Ok(())
}

/// What a decision records besides the new status; `None` fields are left as they are.
#[derive(AsChangeset, Default)]
#[diesel(table_name = nominations)]
pub struct Decision<'a> {
    pub decided_by: Option<&'a str>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<&'a str>,
}

/// Moves a nomination from `from` to `to` only if it is still `from`, so that two
/// organizers deciding at once cannot both win; 409 for the one that loses.
pub fn set_status(
    conn: &mut DbConnection,
    id: &NominationId,
    from: NominationStatus,
    to: NominationStatus,
    decision: Decision<'_>,
    at: NaiveDateTime,
) -> Result<Nomination, AppError> {
    let n = diesel::update(
        nominations::table
            .find(id)
            .filter(nominations::status.eq(from.as_str())),
    )
    .set((
        nominations::status.eq(to.as_str()),
        nominations::updated_at.eq(at),
        decision,
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(Refusal::Stale(Record::Nomination).into());
    }
    find(conn, id)
}

/// Records the invitation an approval sent to the nominee.
pub fn link_invitation(
    conn: &mut DbConnection,
    id: &NominationId,
    invitation_id: &InvitationId,
) -> Result<Nomination, AppError> {
    diesel::update(nominations::table.find(id))
        .set(nominations::invitation_id.eq(Some(invitation_id)))
        .execute(conn)?;
    find(conn, id)
}

/// Filters for the organizers' list.
#[derive(Debug, Clone)]
pub struct NominationFilter {
    pub event_id: EventId,
    pub status: Option<NominationStatus>,
    pub limit: i64,
    pub offset: i64,
}

/// A nomination with the nominator's registration and the community they share.
pub type Reviewed = (Nomination, Registration, Community);

/// The event's nominations with their nominators and communities, optionally of one status.
fn reviewed_of(event_id: &EventId, status: Option<NominationStatus>) -> ReviewedQuery<'static> {
    let mut q = nominations::table
        .inner_join(registrations::table)
        .inner_join(communities::table.on(communities::id.eq(nominations::community_id)))
        .filter(nominations::event_id.eq(event_id.to_owned()))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(nominations::status.eq(s.as_str()));
    }
    q
}

type ReviewedQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::InnerJoinOn<
        diesel::dsl::InnerJoin<nominations::table, registrations::table>,
        communities::table,
        diesel::dsl::Eq<communities::id, nominations::community_id>,
    >,
    MultiBackend,
>;

/// One page of the event's nominations, in the order they came (the order to review
/// them in), with their nominators and communities, and the total that match.
pub fn list(
    conn: &mut DbConnection,
    f: &NominationFilter,
) -> Result<(Vec<Reviewed>, i64), AppError> {
    let total = reviewed_of(&f.event_id, f.status)
        .count()
        .get_result::<i64>(conn)?;
    let items = in_order(reviewed_of(&f.event_id, f.status))
        .limit(f.limit)
        .offset(f.offset)
        .load(conn)?;
    Ok((items, total))
}

/// Every nomination of the event in the order they came, with its nominator and
/// community: for the export.
pub fn all_reviewed(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<Reviewed>, AppError> {
    Ok(in_order(reviewed_of(event_id, None)).load(conn)?)
}

/// What a reviewer sees of a nomination: it, its nominator, their community.
type ReviewedColumns = (
    diesel::dsl::AsSelect<Nomination, MultiBackend>,
    diesel::dsl::AsSelect<Registration, MultiBackend>,
    diesel::dsl::AsSelect<Community, MultiBackend>,
);
type InOrder = diesel::dsl::Order<
    ReviewedQuery<'static>,
    (
        diesel::dsl::Asc<nominations::created_at>,
        diesel::dsl::Asc<nominations::id>,
    ),
>;

/// The order to review nominations in (the order they came), and what a reviewer sees.
fn in_order(q: ReviewedQuery<'static>) -> diesel::dsl::Select<InOrder, ReviewedColumns> {
    q.order((nominations::created_at.asc(), nominations::id.asc()))
        .select((
            Nomination::as_select(),
            Registration::as_select(),
            Community::as_select(),
        ))
}

/// One nomination with its nominator and community, as [`list`] gives them.
pub fn reviewed(conn: &mut DbConnection, n: Nomination) -> Result<Reviewed, AppError> {
    let nominator = super::registration::find(conn, &n.registration_id)?;
    let community = super::community::find(conn, &n.community_id)?;
    Ok((n, nominator, community))
}

impl crate::db::models::audit::Audited for Nomination {
    const ENTITY: &'static str = "nomination";

    fn entity_id(&self) -> &str {
        self.id.as_str()
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.event_id)
    }
}

/// The nomination whose approval made this invitation, if one did.
pub fn for_invitation(
    conn: &mut DbConnection,
    invitation_id: &InvitationId,
) -> Result<Option<Nomination>, AppError> {
    Ok(nominations::table
        .filter(nominations::invitation_id.eq(invitation_id))
        .select(Nomination::as_select())
        .first(conn)
        .optional()?)
}
