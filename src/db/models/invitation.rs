use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::community::Community;
use super::event::Event;
use super::{contains_pattern, lower};
use crate::db::inserts::{gather, Inserts};
use crate::db::schema::{communities, events, invitations, registrations};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::invitation::{InvitationKind, InvitationSpec, InvitationStatus};
use crate::domain::registration::RegistrationStatus;
use crate::domain::{CommunityId, EventId, InvitationId, Record, Refusal, RegistrationId};
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: InvitationId,
    pub event_id: EventId,
    pub community_id: CommunityId,
    pub kind: InvitationKind,
    pub email: String,
    pub full_name: String,
    pub title: String,
    pub organization: Option<String>,
    pub message: Option<String>,
    /// Never serialised: not even its hash leaves the database.
    #[serde(skip)]
    pub token_hash: String,
    pub status: InvitationStatus,
    pub expires_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub responded_at: Option<NaiveDateTime>,
    pub decline_reason: Option<String>,
    pub invited_by: Option<String>,
    pub nominated_by: Option<RegistrationId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Invitation {
    /// The stored status; the CHECK constraint admits only known ones.
    pub fn stored_status(&self) -> InvitationStatus {
        self.status
    }

    /// The status as of `now`: an open invitation past its expiry is expired.
    pub fn status_at(&self, now: DateTime<Utc>) -> InvitationStatus {
        InvitationStatus::effective(self.stored_status(), self.expires_at.and_utc(), now)
    }

    pub fn kind(&self) -> InvitationKind {
        self.kind
    }
}

#[derive(Insertable)]
#[diesel(table_name = invitations)]
struct NewInvitation<'a> {
    id: &'a InvitationId,
    event_id: &'a EventId,
    community_id: &'a CommunityId,
    kind: &'a str,
    email: &'a str,
    full_name: &'a str,
    title: &'a str,
    organization: Option<&'a str>,
    message: Option<&'a str>,
    token_hash: &'a str,
    status: &'a str,
    expires_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
    invited_by: Option<&'a str>,
    nominated_by: Option<&'a RegistrationId>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What a new invitation is made of besides the organizer's spec.
pub struct NewInvitationArgs<'a> {
    pub event_id: &'a EventId,
    pub community_id: &'a CommunityId,
    pub spec: &'a InvitationSpec,
    pub token_hash: &'a str,
    pub status: InvitationStatus,
    pub expires_at: NaiveDateTime,
    pub invited_by: Option<&'a str>,
    /// The registration of the executive who nominated this young leader.
    pub nominated_by: Option<&'a RegistrationId>,
    pub at: NaiveDateTime,
}

impl<'a> NewInvitation<'a> {
    fn of(id: &'a InvitationId, a: &'a NewInvitationArgs<'a>) -> Self {
        Self {
            id,
            event_id: a.event_id,
            community_id: a.community_id,
            kind: a.spec.kind.as_str(),
            email: a.spec.email.as_str(),
            full_name: &a.spec.full_name,
            title: &a.spec.title,
            organization: a.spec.organization.as_deref(),
            message: a.spec.message.as_deref(),
            token_hash: a.token_hash,
            status: a.status.as_str(),
            expires_at: a.expires_at,
            sent_at: (a.status == InvitationStatus::Sent).then_some(a.at),
            invited_by: a.invited_by,
            nominated_by: a.nominated_by,
            created_at: a.at,
            updated_at: a.at,
        }
    }
}

/// Stores an invitation; 409 when the address already has a live one for the event
/// (the partial unique index `invitations_live_email` decides, also under races).
pub fn create(conn: &mut DbConnection, a: NewInvitationArgs<'_>) -> Result<Invitation, AppError> {
    let id = InvitationId::new();
    diesel::insert_into(invitations::table)
        .values(NewInvitation::of(&id, &a))
        .returning(invitations::all_columns)
        .get_result::<Invitation>(conn)
        .map_err(|e| {
            let live = "invitations.event_id, invitations.email";
            if super::violates_unique(&e, "invitations_live_email", live) {
                Refusal::AlreadyInvited.into()
            } else {
                e.into()
            }
        })
}

impl NewInvitationArgs<'_> {
    /// The row as [`gather_all`] stores it under `id`.
    fn row(&self, id: &InvitationId) -> Invitation {
        let spec = self.spec;
        Invitation {
            id: id.clone(),
            event_id: self.event_id.clone(),
            community_id: self.community_id.clone(),
            kind: spec.kind,
            email: spec.email.as_str().to_owned(),
            full_name: spec.full_name.clone(),
            title: spec.title.clone(),
            organization: spec.organization.clone(),
            message: spec.message.clone(),
            token_hash: self.token_hash.to_owned(),
            status: self.status,
            expires_at: self.expires_at,
            sent_at: (self.status == InvitationStatus::Sent).then_some(self.at),
            responded_at: None,
            decline_reason: None,
            invited_by: self.invited_by.map(str::to_owned),
            nominated_by: self.nominated_by.cloned(),
            created_at: self.at,
            updated_at: self.at,
        }
    }
}

/// Gathers the insert of several invitations (one statement) into `inserts`. A live
/// invitation of one of the addresses fails the inserts' write (the caller checked them,
/// so only a race does that, and the caller then makes them one by one).
pub fn gather_all<'a>(
    inserts: &mut Inserts<'a>,
    rows: &'a [(InvitationId, NewInvitationArgs<'a>)],
) {
    let values: Vec<NewInvitation<'a>> = rows
        .iter()
        .map(|(id, a)| NewInvitation::of(id, a))
        .collect();
    if !values.is_empty() {
        gather!(
            inserts,
            diesel::insert_into(invitations::table).values(values)
        );
    }
}

/// The invitations of `rows` as [`gather_all`] stores them (not read back), in order.
pub fn as_stored(rows: &[(InvitationId, NewInvitationArgs<'_>)]) -> Vec<Invitation> {
    rows.iter().map(|(id, a)| a.row(id)).collect()
}

/// The event's invitations of these addresses, whatever their status.
///
/// Asked by address alone and kept to the event here: with the event in the query,
/// PostgreSQL may plan it from statistics taken while the event had no invitations yet,
/// and read all of the event's invitations to find a few addresses (the index
/// `invitations_email_event` and its migration say more).
pub fn of_emails(
    conn: &mut DbConnection,
    event_id: &EventId,
    emails: &[&str],
) -> Result<Vec<Invitation>, AppError> {
    let mut found: Vec<Invitation> = match emails {
        // One address (each invitation made on its own): a fixed statement, which the
        // connection keeps prepared; SQLite prepares an `IN (…)` list anew each time.
        [email] => invitations::table
            .filter(invitations::email.eq(*email))
            .select(Invitation::as_select())
            .load(conn)?,
        _ => invitations::table
            .filter(invitations::email.eq_any(emails))
            .select(Invitation::as_select())
            .load(conn)?,
    };
    found.retain(|i| &i.event_id == event_id);
    Ok(found)
}

pub fn find(conn: &mut DbConnection, id: &InvitationId) -> Result<Invitation, AppError> {
    invitations::table
        .find(id)
        .select(Invitation::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("invitation"))
}

/// An invitation of this event; 404 for another event's.
pub fn find_in_event(
    conn: &mut DbConnection,
    event_id: &EventId,
    id: &InvitationId,
) -> Result<Invitation, AppError> {
    invitations::table
        .find(id)
        .filter(invitations::event_id.eq(event_id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("invitation"))
}

pub fn find_by_token_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<Invitation>, AppError> {
    Ok(invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?)
}

/// What the invitee's page shows: the invitation, its event, its community, and its
/// registration's `(id, status)` if there is one.
pub type ForInvitee = (Invitation, Event, Community, Option<(String, String)>);

/// The invitation with this token hash and everything its invitee's page shows, in one
/// statement: the page is the busiest read, and four lookups cost four round trips (and on
/// SQLite four statement runs) where one join does. Run on the backend's own connection
/// (see [`crate::db::on_backend`]).
pub fn find_for_invitee(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<ForInvitee>, AppError> {
    Ok(crate::db::on_backend!(conn, |c| invitations::table
        .inner_join(events::table)
        .inner_join(communities::table)
        .left_join(registrations::table)
        .filter(invitations::token_hash.eq(token_hash))
        .select((
            Invitation::as_select(),
            Event::as_select(),
            Community::as_select(),
            (registrations::id, registrations::status).nullable(),
        ))
        .first(c)
        .optional())?)
}

/// [`find_for_invitee`] for many token hashes in one statement (`= ANY($1)` on
/// PostgreSQL): the rows of the hashes that have one, in no particular order.
pub fn find_all_for_invitees(
    conn: &mut DbConnection,
    token_hashes: &[String],
) -> Result<Vec<ForInvitee>, AppError> {
    Ok(crate::db::on_backend!(conn, |c| invitations::table
        .inner_join(events::table)
        .inner_join(communities::table)
        .left_join(registrations::table)
        .filter(invitations::token_hash.eq_any(token_hashes))
        .select((
            Invitation::as_select(),
            Event::as_select(),
            Community::as_select(),
            (registrations::id, registrations::status).nullable(),
        ))
        .load(c))?)
}

/// The invitee's page by its token hash, as [`crate::db::read_together`] reads it: the
/// busiest read of all, many at once read together on PostgreSQL.
pub struct InviteePages;

impl crate::db::read_together::ByKey for InviteePages {
    type Key = String;
    type Found = ForInvitee;
    const THREAD: &'static str = "invitee-pages";

    fn read_one(conn: &mut DbConnection, hash: &String) -> Result<Option<ForInvitee>, AppError> {
        find_for_invitee(conn, hash)
    }

    fn read_all(conn: &mut DbConnection, hashes: &[String]) -> Result<Vec<ForInvitee>, AppError> {
        find_all_for_invitees(conn, hashes)
    }

    fn key_of(found: &ForInvitee) -> &String {
        &found.0.token_hash
    }
}

/// Open invitations of the event (of one address, or of all) that are past their expiry,
/// so that the caller can mark them expired before inviting the address again.
pub fn stale(
    conn: &mut DbConnection,
    event_id: &EventId,
    email: Option<&str>,
    now: NaiveDateTime,
) -> Result<Vec<Invitation>, AppError> {
    let mut q = invitations::table
        .filter(invitations::event_id.eq(event_id))
        .filter(invitations::status.eq_any(open_statuses()))
        .filter(invitations::expires_at.le(now))
        .into_boxed();
    if let Some(email) = email {
        q = q.filter(invitations::email.eq(email.to_owned()));
    }
    Ok(q.select(Invitation::as_select()).load(conn)?)
}

/// Whether the address holds an invitation to the event that still counts: open and not
/// past its expiry, or accepted with a registration that is not cancelled (a person whose
/// registration was cancelled can be invited again).
pub fn live_for_email(
    conn: &mut DbConnection,
    event_id: &EventId,
    email: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let found = of_emails(conn, event_id, &[email])?;
    Ok(!live_among(conn, &found, now)?.is_empty())
}

/// The addresses among `found` that hold an invitation that still counts as of `now`: an
/// open one not past its expiry, or an accepted one whose registration is not cancelled
/// (see [`live_for_email`]). One more query when some are accepted.
pub fn live_among<'a>(
    conn: &mut DbConnection,
    found: &'a [Invitation],
    now: DateTime<Utc>,
) -> Result<std::collections::HashSet<&'a str>, AppError> {
    let mut live = std::collections::HashSet::new();
    let mut accepted = Vec::new();
    for i in found {
        match i.status_at(now) {
            InvitationStatus::Pending | InvitationStatus::Sent => {
                live.insert(i.email.as_str());
            }
            InvitationStatus::Accepted => accepted.push(&i.id),
            _ => {}
        }
    }
    if accepted.is_empty() {
        return Ok(live);
    }
    let registered: Vec<(InvitationId, RegistrationStatus)> = registrations::table
        .filter(registrations::invitation_id.eq_any(&accepted))
        .select((registrations::invitation_id, registrations::status))
        .load(conn)?;
    for (invitation_id, status) in registered {
        if status != RegistrationStatus::Cancelled {
            if let Some(i) = found.iter().find(|i| i.id == invitation_id) {
                live.insert(i.email.as_str());
            }
        }
    }
    Ok(live)
}

/// The address's open invitation to the event (pending or sent, not past its expiry).
pub fn open_for_email(
    conn: &mut DbConnection,
    event_id: &EventId,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>, AppError> {
    let found = of_emails(conn, event_id, &[email])?;
    Ok(found.into_iter().find(|i| i.status_at(now).is_open()))
}

fn open_statuses() -> [&'static str; 2] {
    [
        InvitationStatus::Pending.as_str(),
        InvitationStatus::Sent.as_str(),
    ]
}

/// What changes with a status: only the fields that are `Some` are written.
#[derive(AsChangeset, Default)]
#[diesel(table_name = invitations)]
pub struct StatusChange<'a> {
    pub sent_at: Option<NaiveDateTime>,
    pub responded_at: Option<NaiveDateTime>,
    pub decline_reason: Option<&'a str>,
    pub token_hash: Option<&'a str>,
}

/// Moves an invitation from status `from` to `to`, only if it is still `from` (so that
/// two requests racing on one invitation cannot both win); 409 otherwise.
pub fn set_status(
    conn: &mut DbConnection,
    id: &InvitationId,
    from: InvitationStatus,
    to: InvitationStatus,
    change: StatusChange<'_>,
    at: NaiveDateTime,
) -> Result<Invitation, AppError> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::status.eq(from.as_str())),
    )
    .set((
        invitations::status.eq(to.as_str()),
        invitations::updated_at.eq(at),
        change,
    ))
    .returning(invitations::all_columns)
    .get_result::<Invitation>(conn)
    .optional()?
    .ok_or_else(|| Refusal::Stale(Record::Invitation).into())
}

/// Open invitations of the event that were sent and not answered, not yet expired.
pub fn awaiting_answer(
    conn: &mut DbConnection,
    event_id: &EventId,
    now: NaiveDateTime,
) -> Result<Vec<Invitation>, AppError> {
    Ok(invitations::table
        .filter(invitations::event_id.eq(event_id))
        .filter(invitations::status.eq(InvitationStatus::Sent.as_str()))
        .filter(invitations::expires_at.gt(now))
        .order((invitations::created_at.asc(), invitations::id.asc()))
        .select(Invitation::as_select())
        .load(conn)?)
}

/// Filters for the organizers' list; `status` is the status as of `now`.
#[derive(Debug, Clone)]
pub struct InvitationFilter {
    pub event_id: EventId,
    pub status: Option<InvitationStatus>,
    pub kind: Option<InvitationKind>,
    /// A community id, or part of a community's name.
    pub community: Option<String>,
    /// Part of the name, email, title or organization.
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
    pub now: NaiveDateTime,
}

type Joined = diesel::dsl::InnerJoin<invitations::table, communities::table>;
type Filtered<'a> = diesel::dsl::IntoBoxed<'a, Joined, MultiBackend>;

fn filtered(f: &InvitationFilter) -> Filtered<'static> {
    let mut q = invitations::table
        .inner_join(communities::table)
        .filter(invitations::event_id.eq(f.event_id.clone()))
        .into_boxed();
    let open = open_statuses();
    q = match f.status {
        None => q,
        Some(InvitationStatus::Expired) => q.filter(
            invitations::status
                .eq(InvitationStatus::Expired.as_str())
                .or(invitations::status
                    .eq_any(open)
                    .and(invitations::expires_at.le(f.now))),
        ),
        Some(s) if s.is_open() => q
            .filter(invitations::status.eq(s.as_str()))
            .filter(invitations::expires_at.gt(f.now)),
        Some(s) => q.filter(invitations::status.eq(s.as_str())),
    };
    if let Some(kind) = f.kind {
        q = q.filter(invitations::kind.eq(kind.as_str()));
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
            lower(invitations::full_name)
                .like(p.clone())
                .escape('\\')
                .or(lower(invitations::email).like(p.clone()).escape('\\'))
                .or(lower(invitations::title).like(p.clone()).escape('\\'))
                .or(lower(invitations::organization.assume_not_null())
                    .like(p)
                    .escape('\\')),
        );
    }
    q
}

/// One page of invitations with their communities, newest first, and the total that match.
pub fn list(
    conn: &mut DbConnection,
    f: &InvitationFilter,
) -> Result<(Vec<(Invitation, Community)>, i64), AppError> {
    let total = filtered(f).count().get_result::<i64>(conn)?;
    let items = filtered(f)
        .order((invitations::created_at.desc(), invitations::id.desc()))
        .limit(f.limit)
        .offset(f.offset)
        .select((Invitation::as_select(), Community::as_select()))
        .load(conn)?;
    Ok((items, total))
}

/// An invitation with its community and, once the person registered, their
/// registration's status.
pub type WithRegistration = (Invitation, Community, Option<String>);

/// Every invitation of the event, oldest first (the order they were sent in), for the export.
pub fn all_for_event(
    conn: &mut DbConnection,
    event_id: &EventId,
) -> Result<Vec<WithRegistration>, AppError> {
    Ok(invitations::table
        .inner_join(communities::table)
        .left_join(registrations::table.on(registrations::invitation_id.eq(invitations::id)))
        .filter(invitations::event_id.eq(event_id))
        .order((invitations::created_at.asc(), invitations::id.asc()))
        .select((
            Invitation::as_select(),
            Community::as_select(),
            registrations::status.nullable(),
        ))
        .load(conn)?)
}

impl crate::db::models::audit::Audited for Invitation {
    const ENTITY: &'static str = "invitation";

    fn entity_id(&self) -> &str {
        self.id.as_str()
    }

    fn event_id(&self) -> Option<&EventId> {
        Some(&self.event_id)
    }
}
