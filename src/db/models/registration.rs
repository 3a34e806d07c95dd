use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::community::Community;
use super::event::Event;
use super::invitation::Invitation;
use crate::db::schema::{communities, events, registration_counts, registrations};
use crate::db::DbConnection;
use crate::domain::check_in::CheckInCode;
use crate::domain::invitation::{InvitationKind, InvitationStatus};
use crate::domain::registration::{DetailsChange, RegistrationForm, RegistrationStatus};
use crate::domain::{CommunityId, EventId, InvitationId, Record, Refusal, RegistrationId};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = registrations)]
pub struct Registration {
    pub id: RegistrationId,
    pub event_id: EventId,
    pub invitation_id: InvitationId,
    pub community_id: CommunityId,
    pub kind: InvitationKind,
    pub full_name: String,
    pub email: String,
    pub title: String,
    pub organization: String,
    pub phone: Option<String>,
    pub dietary_requirements: Option<String>,
    pub accessibility_needs: Option<String>,
    pub status: RegistrationStatus,
    #[serde(skip)]
    pub manage_token_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    /// What the registrant's QR code holds, for check-in at the door; kept out of the audit log.
    #[serde(skip)]
    pub checkin_code: String,
}

impl Registration {
    pub fn status(&self) -> RegistrationStatus {
        self.status
    }
}

// None is stored as NULL, not DEFAULT: one statement form, which diesel can cache.
#[derive(Insertable)]
#[diesel(table_name = registrations, treat_none_as_default_value = false)]
struct NewRegistration<'a> {
    id: &'a RegistrationId,
    event_id: &'a EventId,
    invitation_id: &'a InvitationId,
    community_id: &'a CommunityId,
    kind: &'a str,
    full_name: &'a str,
    email: &'a str,
    title: &'a str,
    organization: &'a str,
    phone: Option<&'a str>,
    dietary_requirements: Option<&'a str>,
    accessibility_needs: Option<&'a str>,
    status: &'a str,
    manage_token_hash: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    confirmed_at: Option<NaiveDateTime>,
    checkin_code: &'a str,
}

impl<'a> NewRegistration<'a> {
    fn of(r: &'a Registration) -> Self {
        Self {
            id: &r.id,
            event_id: &r.event_id,
            invitation_id: &r.invitation_id,
            community_id: &r.community_id,
            kind: r.kind.as_str(),
            full_name: &r.full_name,
            email: &r.email,
            title: &r.title,
            organization: &r.organization,
            phone: r.phone.as_deref(),
            dietary_requirements: r.dietary_requirements.as_deref(),
            accessibility_needs: r.accessibility_needs.as_deref(),
            status: r.status.as_str(),
            manage_token_hash: &r.manage_token_hash,
            created_at: r.created_at,
            updated_at: r.updated_at,
            confirmed_at: r.confirmed_at,
            checkin_code: &r.checkin_code,
        }
    }
}

pub struct NewRegistrationArgs<'a> {
    /// Chosen in advance (see [`super::new_id`]), so that what names the registration
    /// (the calendar entry's UID) can be made before the transaction.
    pub id: RegistrationId,
    pub event_id: &'a EventId,
    pub invitation_id: &'a InvitationId,
    pub community_id: &'a CommunityId,
    pub kind: InvitationKind,
    pub form: &'a RegistrationForm,
    pub status: RegistrationStatus,
    pub manage_token_hash: &'a str,
    pub at: NaiveDateTime,
    /// Chosen in advance like `id` (see [`CheckInCode::generate`]), so that the
    /// confirmation email rendered before the transaction shows the code stored.
    pub checkin_code: &'a CheckInCode,
}

impl NewRegistrationArgs<'_> {
    /// The row as [`create`] stores it.
    pub fn row(&self) -> Registration {
        let f = self.form;
        Registration {
            id: self.id.clone(),
            event_id: self.event_id.to_owned(),
            invitation_id: self.invitation_id.to_owned(),
            community_id: self.community_id.to_owned(),
            kind: self.kind,
            full_name: f.full_name.clone(),
            email: f.email.as_str().to_owned(),
            title: f.title.clone(),
            organization: f.organization.clone(),
            phone: f.phone.as_ref().map(|p| p.as_str().to_owned()),
            dietary_requirements: f.dietary_requirements.clone(),
            accessibility_needs: f.accessibility_needs.clone(),
            status: self.status,
            manage_token_hash: self.manage_token_hash.to_owned(),
            created_at: self.at,
            updated_at: self.at,
            confirmed_at: (self.status == RegistrationStatus::Confirmed).then_some(self.at),
            cancelled_at: None,
            checkin_code: self.checkin_code.as_str().to_owned(),
        }
    }
}

/// Stores a registration and returns the row (built here, not read back: one statement);
/// 409 when the invitation already has one (unique `invitation_id`).
pub fn create(
    conn: &mut DbConnection,
    a: NewRegistrationArgs<'_>,
) -> Result<Registration, AppError> {
    let r = a.row();
    diesel::insert_into(registrations::table)
        .values(NewRegistration::of(&r))
        .execute(conn)
        .map_err(|e| {
            let taken = "registrations.invitation_id";
            if super::violates_unique(&e, "registrations_invitation_id_key", taken) {
                Refusal::AlreadyRegistered.into()
            } else {
                AppError::from(e)
            }
        })?;
    Ok(r)
}

pub fn find(conn: &mut DbConnection, id: &RegistrationId) -> Result<Registration, AppError> {
    registrations::table
        .find(id)
        .select(Registration::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("registration"))
}

/// The event's registration `id`; 404 for another event's.
/// The registrations with these ids (those that exist), in no particular order.
pub fn find_many(
    conn: &mut DbConnection,
    ids: &[&RegistrationId],
) -> Result<Vec<Registration>, AppError> {
    Ok(registrations::table
        .filter(registrations::id.eq_any(ids))
        .select(Registration::as_select())
        .load(conn)?)
}

pub fn find_in_event(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &RegistrationId,
) -> Result<Registration, AppError> {
    registrations::table
        .find(id)
        .filter(registrations::event_id.eq(event_id))
        .select(Registration::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("registration"))
}

/// A registration of this address to the event that is not cancelled, if there is one.
pub fn active_for_email(
    conn: &mut DbConnection,
    event_id: &EventId,
    email: &str,
) -> Result<Option<Registration>, AppError> {
    let found = registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::email.eq(email))
        .select(Registration::as_select())
        .load(conn)?;
    Ok(found
        .into_iter()
        .find(|r| r.status() != RegistrationStatus::Cancelled))
}

pub fn find_by_manage_hash(
    conn: &mut DbConnection,
    hash: &str,
) -> Result<Option<Registration>, AppError> {
    Ok(registrations::table
        .filter(registrations::manage_token_hash.eq(hash))
        .select(Registration::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_for_invitation(
    conn: &mut DbConnection,
    invitation_id: &InvitationId,
) -> Result<Option<Registration>, AppError> {
    Ok(registrations::table
        .filter(registrations::invitation_id.eq(invitation_id))
        .select(Registration::as_select())
        .first(conn)
        .optional()?)
}

/// `(invitation id, registration id, status)` for the given invitations.
pub fn for_invitations(
    conn: &mut DbConnection,
    invitation_ids: &[InvitationId],
) -> Result<Vec<(InvitationId, RegistrationId, String)>, AppError> {
    Ok(registrations::table
        .filter(registrations::invitation_id.eq_any(invitation_ids))
        .select((
            registrations::invitation_id,
            registrations::id,
            registrations::status,
        ))
        .load(conn)?)
}

/// Holds the event's row until the transaction ends (on PostgreSQL; on SQLite it does
/// nothing, as the write transaction already excludes other writers), so that registrations for one event are
/// made one after another: waiting-list order follows the order seats were asked for, and
/// no two registrants are told the same place on the list.
pub fn lock_event(conn: &mut DbConnection, event_id: &EventId) -> Result<(), AppError> {
    if matches!(conn, DbConnection::Sqlite(_)) {
        return Ok(());
    }
    diesel::update(events::table.find(event_id))
        .set(events::seats_taken.eq(events::seats_taken))
        .execute(conn)?;
    Ok(())
}

/// [`lock_event`] and the event's row as it is now, in one statement on PostgreSQL (one
/// round trip fewer for each registration in a batch).
pub fn lock_and_read_event(conn: &mut DbConnection, event_id: &EventId) -> Result<Event, AppError> {
    // The returning clause does not compile through the MultiConnection: use the inner one.
    let found = match conn {
        DbConnection::Sqlite(_) => events::table
            .find(event_id)
            .select(Event::as_select())
            .first(conn)
            .optional()?,
        DbConnection::Postgresql(pg) => diesel::update(events::table.find(event_id))
            .set(events::seats_taken.eq(events::seats_taken))
            .returning(Event::as_returning())
            .get_result(pg)
            .optional()?,
    };
    found.ok_or_else(|| AppError::not_found("event"))
}

/// The invitation accepted at `at`, only if its row is still exactly `inv`: its status
/// and `updated_at` unchanged (every change of an invitation sets `updated_at`). So the
/// checks made on `inv` before the transaction still hold, and the check and the change
/// are one statement. `None` if it changed meanwhile: read it again and judge anew.
pub fn accept_invitation(
    conn: &mut DbConnection,
    inv: &Invitation,
    at: NaiveDateTime,
) -> Result<Option<Invitation>, AppError> {
    let n = fixed::AcceptInvitation {
        id: &inv.id,
        status: inv.status.as_str(),
        updated_at: inv.updated_at,
        at,
    }
    .execute(conn)?;
    Ok((n == 1).then(|| accepted(inv, at)))
}

/// `inv` as [`accept_invitation`] leaves it.
pub fn accepted(inv: &Invitation, at: NaiveDateTime) -> Invitation {
    Invitation {
        status: InvitationStatus::Accepted,
        updated_at: at,
        responded_at: Some(at),
        ..inv.clone()
    }
}

/// Claims one seat of the event if one is free. A single conditional UPDATE: on SQLite the
/// write transaction holds the lock; on PostgreSQL a concurrent claimant waits for the row
/// and re-checks the condition against the committed count, so capacity holds either way.
pub fn claim_seat(conn: &mut DbConnection, event_id: &EventId) -> Result<bool, AppError> {
    let n = fixed::ClaimSeat { event_id }.execute(conn)?;
    Ok(n == 1)
}

/// Gives a seat back (a confirmed registration was cancelled).
pub fn release_seat(conn: &mut DbConnection, event_id: &EventId) -> Result<(), AppError> {
    diesel::update(
        events::table
            .find(event_id)
            .filter(events::seats_taken.gt(0)),
    )
    .set(events::seats_taken.eq(events::seats_taken - 1))
    .execute(conn)?;
    Ok(())
}

/// The first of the waiting list: the earliest registration, ties broken by id.
pub fn next_waitlisted(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Option<Registration>, AppError> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq(RegistrationStatus::Waitlisted.as_str()))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .select(Registration::as_select())
        .first(conn)
        .optional()?)
}

/// 1 for the first on the waiting list, and so on.
pub fn waitlist_position(conn: &mut DbConnection, r: &Registration) -> Result<i64, AppError> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(&r.event_id))
        .filter(registrations::status.eq(RegistrationStatus::Waitlisted.as_str()))
        .filter(
            registrations::created_at
                .lt(r.created_at)
                .or(registrations::created_at
                    .eq(r.created_at)
                    .and(registrations::id.le(&r.id))),
        )
        .count()
        .get_result(conn)?)
}

/// [`waitlist_position`] of a registration not stored yet (about to be, as it is).
pub fn waitlist_position_when_stored(
    conn: &mut DbConnection,
    r: &Registration,
) -> Result<i64, AppError> {
    // Those before it, and itself.
    Ok(waitlist_position(conn, r)? + 1)
}

/// Moves a registration from `from` to `to` only if it is still `from`; 409 otherwise.
pub fn set_status(
    conn: &mut DbConnection,
    id: &RegistrationId,
    from: RegistrationStatus,
    to: RegistrationStatus,
    at: NaiveDateTime,
) -> Result<Registration, AppError> {
    let target = registrations::table
        .find(id)
        .filter(registrations::status.eq(from.as_str()));
    let n = match to {
        RegistrationStatus::Confirmed => diesel::update(target)
            .set((
                registrations::status.eq(to.as_str()),
                registrations::confirmed_at.eq(Some(at)),
                registrations::updated_at.eq(at),
            ))
            .execute(conn)?,
        RegistrationStatus::Cancelled => diesel::update(target)
            .set((
                registrations::status.eq(to.as_str()),
                registrations::cancelled_at.eq(Some(at)),
                registrations::updated_at.eq(at),
            ))
            .execute(conn)?,
        RegistrationStatus::Waitlisted => diesel::update(target)
            .set((
                registrations::status.eq(to.as_str()),
                registrations::updated_at.eq(at),
            ))
            .execute(conn)?,
    };
    if n == 0 {
        return Err(Refusal::Stale(Record::Registration).into());
    }
    find(conn, id)
}

#[derive(AsChangeset)]
#[diesel(table_name = registrations)]
struct DetailsForm<'a> {
    full_name: Option<&'a str>,
    title: Option<&'a str>,
    organization: Option<&'a str>,
    phone: Option<Option<&'a str>>,
    dietary_requirements: Option<Option<&'a str>>,
    accessibility_needs: Option<Option<&'a str>>,
    updated_at: NaiveDateTime,
}

/// Applies a registrant's change to their own details.
pub fn update_details(
    conn: &mut DbConnection,
    id: &RegistrationId,
    c: &DetailsChange,
    at: NaiveDateTime,
) -> Result<Registration, AppError> {
    diesel::update(registrations::table.find(id))
        .set(DetailsForm {
            full_name: c.full_name.as_deref(),
            title: c.title.as_deref(),
            organization: c.organization.as_deref(),
            phone: c.phone.as_ref().map(|p| p.as_ref().map(|p| p.as_str())),
            dietary_requirements: c.dietary_requirements.as_ref().map(|v| v.as_deref()),
            accessibility_needs: c.accessibility_needs.as_ref().map(|v| v.as_deref()),
            updated_at: at,
        })
        .execute(conn)?;
    find(conn, id)
}

/// Every registration of the event with its community, in the order they came.
pub fn all_for_event(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<(Registration, Community)>, AppError> {
    Ok(registrations::table
        .inner_join(communities::table)
        .filter(registrations::event_id.eq(event_id))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .select((Registration::as_select(), Community::as_select()))
        .load(conn)?)
}

/// How many registrations of the event are in each status (a status may be missing, or
/// counted 0). Kept by the database as registrations are written (`registration_counts`):
/// counting them here took most of the organizers' list page at 10,000.
pub fn counts_by_status(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<(String, i64)>, AppError> {
    Ok(registration_counts::table
        .filter(registration_counts::event_id.eq(event_id))
        .select((registration_counts::status, registration_counts::n))
        .load(conn)?)
}

mod batch;
mod fixed;
mod list;

pub use batch::{accept_invitations, claim_seats, gather_all};

pub use list::{list, RegistrationFilter};

impl crate::db::models::audit::Audited for Registration {
    const ENTITY: &'static str = "registration";

    fn entity_id(&self) -> &str {
        self.id.as_str()
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.event_id)
    }
}
