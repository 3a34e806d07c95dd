use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::community::Community;
use super::{contains_pattern, lower};
use crate::db::schema::{communities, events, registrations};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::invitation::InvitationKind;
use crate::domain::registration::{DetailsChange, RegistrationForm, RegistrationStatus};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = registrations)]
pub struct Registration {
    pub id: String,
    pub event_id: String,
    pub invitation_id: String,
    pub community_id: String,
    pub kind: String,
    pub full_name: String,
    pub email: String,
    pub title: String,
    pub organization: String,
    pub phone: Option<String>,
    pub dietary_requirements: Option<String>,
    pub accessibility_needs: Option<String>,
    pub status: String,
    #[serde(skip)]
    pub manage_token_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
}

impl Registration {
    pub fn status(&self) -> RegistrationStatus {
        RegistrationStatus::parse(&self.status).unwrap_or(RegistrationStatus::Cancelled)
    }
}

#[derive(Insertable)]
#[diesel(table_name = registrations)]
struct NewRegistration<'a> {
    id: &'a str,
    event_id: &'a str,
    invitation_id: &'a str,
    community_id: &'a str,
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
}

pub struct NewRegistrationArgs<'a> {
    pub event_id: &'a str,
    pub invitation_id: &'a str,
    pub community_id: &'a str,
    pub kind: InvitationKind,
    pub form: &'a RegistrationForm,
    pub status: RegistrationStatus,
    pub manage_token_hash: &'a str,
    pub at: NaiveDateTime,
}

/// Stores a registration; 409 when the invitation already has one (unique `invitation_id`).
pub fn create(
    conn: &mut DbConnection,
    a: NewRegistrationArgs<'_>,
) -> Result<Registration, AppError> {
    let id = super::new_id();
    let f = a.form;
    // RETURNING saves the read-back: one statement fewer in the registration batch.
    diesel::insert_into(registrations::table)
        .values(NewRegistration {
            id: &id,
            event_id: a.event_id,
            invitation_id: a.invitation_id,
            community_id: a.community_id,
            kind: a.kind.as_str(),
            full_name: &f.full_name,
            email: f.email.as_str(),
            title: &f.title,
            organization: &f.organization,
            phone: f.phone.as_ref().map(|p| p.as_str()),
            dietary_requirements: f.dietary_requirements.as_deref(),
            accessibility_needs: f.accessibility_needs.as_deref(),
            status: a.status.as_str(),
            manage_token_hash: a.manage_token_hash,
            created_at: a.at,
            updated_at: a.at,
            confirmed_at: (a.status == RegistrationStatus::Confirmed).then_some(a.at),
        })
        .returning(registrations::all_columns)
        .get_result::<Registration>(conn)
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                already_registered()
            } else {
                e.into()
            }
        })
}

pub fn already_registered() -> AppError {
    AppError::conflict("You have already registered with this invitation.")
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Registration, AppError> {
    registrations::table
        .find(id)
        .select(Registration::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("registration"))
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
    invitation_id: &str,
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
    invitation_ids: &[String],
) -> Result<Vec<(String, String, String)>, AppError> {
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
pub fn lock_event(conn: &mut DbConnection, event_id: &str) -> Result<(), AppError> {
    if matches!(conn, DbConnection::Sqlite(_)) {
        return Ok(());
    }
    diesel::update(events::table.find(event_id))
        .set(events::seats_taken.eq(events::seats_taken))
        .execute(conn)?;
    Ok(())
}

/// Claims one seat of the event if one is free. A single conditional UPDATE: on SQLite the
/// write transaction holds the lock; on PostgreSQL a concurrent claimant waits for the row
/// and re-checks the condition against the committed count, so capacity holds either way.
pub fn claim_seat(conn: &mut DbConnection, event_id: &str) -> Result<bool, AppError> {
    let n = diesel::update(
        events::table
            .find(event_id)
            .filter(events::seats_taken.lt(events::capacity)),
    )
    .set(events::seats_taken.eq(events::seats_taken + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// Gives a seat back (a confirmed registration was cancelled).
pub fn release_seat(conn: &mut DbConnection, event_id: &str) -> Result<(), AppError> {
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
    event_id: &str,
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

/// Moves a registration from `from` to `to` only if it is still `from`; 409 otherwise.
pub fn set_status(
    conn: &mut DbConnection,
    id: &str,
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
        return Err(AppError::conflict(
            "This registration was changed by another request; reload and try again.",
        ));
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
    id: &str,
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

/// Filters for the organizers' list.
#[derive(Debug, Clone, Default)]
pub struct RegistrationFilter {
    pub event_id: String,
    pub status: Option<RegistrationStatus>,
    pub kind: Option<InvitationKind>,
    /// A community id, or part of a community's name.
    pub community: Option<String>,
    /// Part of the name, email, title or organization.
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

type Joined = diesel::dsl::InnerJoin<registrations::table, communities::table>;
type Filtered<'a> = diesel::dsl::IntoBoxed<'a, Joined, MultiBackend>;

fn filtered(f: &RegistrationFilter) -> Filtered<'static> {
    let mut q = registrations::table
        .inner_join(communities::table)
        .filter(registrations::event_id.eq(f.event_id.clone()))
        .into_boxed();
    if let Some(s) = f.status {
        q = q.filter(registrations::status.eq(s.as_str()));
    }
    if let Some(kind) = f.kind {
        q = q.filter(registrations::kind.eq(kind.as_str()));
    }
    if let Some(c) = f.community.as_deref().filter(|c| !c.trim().is_empty()) {
        q = q.filter(
            communities::id
                .eq(c.trim().to_owned())
                .or(lower(communities::name)
                    .like(contains_pattern(c))
                    .escape('\\')),
        );
    }
    if let Some(text) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = contains_pattern(text);
        q = q.filter(
            lower(registrations::full_name)
                .like(p.clone())
                .escape('\\')
                .or(lower(registrations::email).like(p.clone()).escape('\\'))
                .or(lower(registrations::title).like(p.clone()).escape('\\'))
                .or(lower(registrations::organization).like(p).escape('\\')),
        );
    }
    q
}

/// One page of registrations with their communities, in the order they came (which is
/// also the waiting-list order), and the total that match.
pub fn list(
    conn: &mut DbConnection,
    f: &RegistrationFilter,
) -> Result<(Vec<(Registration, Community)>, i64), AppError> {
    let total = filtered(f).count().get_result::<i64>(conn)?;
    let items = filtered(f)
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .limit(f.limit)
        .offset(f.offset)
        .select((Registration::as_select(), Community::as_select()))
        .load(conn)?;
    Ok((items, total))
}

/// Every registration of the event with its community, in the order they came.
pub fn all_for_event(
    conn: &mut DbConnection,
    event_id: &str,
) -> Result<Vec<(Registration, Community)>, AppError> {
    Ok(registrations::table
        .inner_join(communities::table)
        .filter(registrations::event_id.eq(event_id))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .select((Registration::as_select(), Community::as_select()))
        .load(conn)?)
}

/// How many registrations of the event are in each status.
pub fn counts_by_status(
    conn: &mut DbConnection,
    event_id: &str,
) -> Result<Vec<(String, i64)>, AppError> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .group_by(registrations::status)
        .select((registrations::status, diesel::dsl::count_star()))
        .load(conn)?)
}
