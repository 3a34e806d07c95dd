//! Invitations, for organizers: invite one person, list, revoke, resend, and remind
//! everyone who has not answered (many at once: `bulk_invitations`).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::Actor;
use crate::db::models::community::{self, Community};
use crate::db::models::event::{self};
use crate::db::models::invitation::{self, Invitation, InvitationFilter};
use crate::db::models::registration::{self};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::invitation::{InvitationFields, InvitationSpec, InvitationStatus};
use crate::domain::InvitationId;
use crate::email::outbox;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{
    CurrentOrganizer, ListFilter, ListQuery, Page, PageParams, PeopleFilter, ValidJson,
};
use crate::http::openapi::{EventItemPath, EventPath};
use crate::http::run::for_event;
use crate::http::views::{
    csv_download, rfc3339, CommunityView, EventCsvAnswers, RegistrationRef, SheetFormat,
};
use crate::http::AppState;
use crate::workflows::invite::Inviting;
use crate::workflows::{resend, revoke};

/// What organizers see of an invitation. `status` is as of now (an open invitation past
/// its expiry shows as `expired`); the token is never shown, not even its hash.
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    id: String,
    /// `pending`, `sent`, `accepted`, `declined`, `revoked` or `expired`.
    #[schema(example = "sent")]
    status: String,
    /// How the latest email of this invitation went (the invitation, or a reminder):
    /// `pending`, `sent`, `failed` (the mail server refused it), or `bounced` (accepted,
    /// then reported undeliverable; see `POST /bounces`). Null before any email.
    #[schema(example = "bounced")]
    email_status: Option<String>,
    /// `executive` or `young_leader`.
    #[schema(example = "executive")]
    kind: String,
    #[schema(example = "ada@example.org")]
    email: String,
    #[schema(example = "Ada Lovelace")]
    full_name: String,
    #[schema(example = "Mayor")]
    title: String,
    organization: Option<String>,
    message: Option<String>,
    community: CommunityView,
    #[schema(format = DateTime)]
    expires_at: String,
    #[schema(format = DateTime)]
    sent_at: Option<String>,
    #[schema(format = DateTime)]
    responded_at: Option<String>,
    decline_reason: Option<String>,
    /// The organizer who invited.
    invited_by: Option<String>,
    /// The registration of the executive who nominated (young leaders).
    nominated_by: Option<String>,
    registration: Option<RegistrationRef>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl InvitationView {
    pub fn of(i: &Invitation, c: &Community, registration: Option<RegistrationRef>) -> Self {
        Self {
            id: i.id.to_string(),
            status: i.status_at(Utc::now()).as_str().to_owned(),
            email_status: None,
            kind: i.kind.as_str().to_owned(),
            email: i.email.clone(),
            full_name: i.full_name.clone(),
            title: i.title.clone(),
            organization: i.organization.clone(),
            message: i.message.clone(),
            community: CommunityView::of(c),
            expires_at: rfc3339(i.expires_at),
            sent_at: i.sent_at.map(rfc3339),
            responded_at: i.responded_at.map(rfc3339),
            decline_reason: i.decline_reason.clone(),
            invited_by: i.invited_by.clone(),
            nominated_by: i.nominated_by.clone().map(String::from),
            registration,
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
        }
    }

    /// With the status of the invitation's latest email, read from the outbox.
    fn with_email_status(mut self, conn: &mut DbConnection) -> Result<Self, AppError> {
        self.email_status = email_statuses(conn, std::slice::from_ref(&self.id))?.remove(&self.id);
        Ok(self)
    }
}

/// The status of the latest email of each invitation, by invitation id.
fn email_statuses(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, String>, AppError> {
    crate::email::outbox::latest_status_for(conn, "invitation", ids)
}

/// Invite one person; their email with the private link is queued at once.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations",
    params(EventPath),
    request_body = InvitationFields,
    security(("session" = [])),
    responses(
        (status = 201, description = "Invited; `Location` names the invitation.", body = InvitationView,
            headers(("Location" = String, description = "The new invitation's address"))),
        (status = 404, description = "No such event."),
        (status = 409, description = "This address already has a live invitation to the event."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    ValidJson(fields): ValidJson<InvitationFields>,
) -> Result<HttpResponse, AppError> {
    let spec = InvitationSpec::parse(fields, Utc::now()).map_err(AppError::Validation)?;
    let slug = slug.into_inner();
    let base = state.settings.server.base_url.clone();
    // The event and the community are read before the write, so that the group
    // committer's one thread, which runs the writes of every request, does only what must
    // be in the transaction.
    let key = spec.community.match_key();
    let (event, community) = db::read_here(&state.pool, move |conn| {
        event::find_by_slug_with_community(conn, &slug, &key)
    })
    .await?;
    let slug = event.slug.clone();
    // Organizers' tools (a CRM sync, a script) invite many at once: through the group
    // committer, the invitations that arrive meanwhile are written together, a statement
    // per table for all of them, and made durable by one commit.
    let invited = state
        .group_commit
        .run_merged(Inviting {
            event,
            spec,
            community,
            actor: Actor::organizer(&organizer.id),
            base,
        })
        .await?;
    let mut view = InvitationView::of(&invited.invitation, &invited.community, None);
    // Its one email was queued in the same transaction: pending, as the outbox says.
    view.email_status = Some(outbox::PENDING.to_owned());
    let created = invited.invitation;
    state.outbox.notify();
    tracing::info!(invitation_id = %created.id, event_id = %created.event_id, "invitation created");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/events/{slug}/invitations/{}", created.id),
        ))
        .json(view))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilters {
    /// `pending`, `sent`, `accepted`, `declined`, `revoked` or `expired`; empty: any.
    #[param(pattern = r"^(?:pending|sent|accepted|declined|revoked|expired)?$")]
    status: Option<String>,
    /// `executive` or `young_leader`; empty: any.
    #[param(pattern = r"^(?:executive|young_leader)?$")]
    kind: Option<String>,
    /// Only invitations to this community (its name).
    community: Option<String>,
    /// Search in names and email addresses.
    q: Option<String>,
}

impl ListFilter for ListFilters {
    type Checked = PeopleFilter<InvitationStatus>;

    fn check(self, errors: &mut FieldErrors) -> Self::Checked {
        PeopleFilter::check(errors, (self.status, self.kind), self.community, self.q)
    }
}

/// A page of invitations, newest first.
#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    items: Vec<InvitationView>,
    /// How many match the filters, on every page.
    total: i64,
    limit: i64,
    offset: i64,
}

/// Registrations of the given invitations, by invitation id.
fn registrations_of(
    conn: &mut DbConnection,
    invitations: &[&Invitation],
) -> Result<HashMap<InvitationId, RegistrationRef>, AppError> {
    let ids: Vec<InvitationId> = invitations.iter().map(|i| i.id.clone()).collect();
    Ok(registration::for_invitations(conn, &ids)?
        .into_iter()
        .map(|(inv, id, status)| {
            (
                inv,
                RegistrationRef {
                    id: id.into(),
                    status,
                },
            )
        })
        .collect())
}

/// The event's invitations, with filters and paging.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/invitations",
    params(EventPath, ListFilters, PageParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of invitations.", body = InvitationList),
        (status = 404, description = "No such event."),
        (status = 422, description = "A filter or paging value is wrong."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
    query: ListQuery<ListFilters>,
) -> Result<HttpResponse, AppError> {
    let (wanted, Page { limit, offset }) = (query.filter, query.page);
    let (_, (items, total)) = for_event(&state.pool, slug.into_inner(), move |conn, event| {
        let filter = InvitationFilter {
            event_id: event.id.clone(),
            status: wanted.status,
            kind: wanted.kind,
            community: wanted.community,
            q: wanted.q,
            limit,
            offset,
            now: db::now(),
        };
        let (rows, total) = invitation::list(conn, &filter)?;
        let invitations: Vec<&Invitation> = rows.iter().map(|(i, _)| i).collect();
        let mut regs = registrations_of(conn, &invitations)?;
        let ids: Vec<String> = invitations.iter().map(|i| i.id.to_string()).collect();
        let mut emails = email_statuses(conn, &ids)?;
        let items: Vec<InvitationView> = rows
            .iter()
            .map(|(i, c)| {
                let mut view = InvitationView::of(i, c, regs.remove(&i.id));
                view.email_status = emails.remove(i.id.as_str());
                view
            })
            .collect();
        Ok((items, total))
    })
    .await?;
    Ok(HttpResponse::Ok().json(InvitationList {
        items,
        total,
        limit,
        offset,
    }))
}

/// One invitation.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/invitations/{id}",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "The invitation.", body = InvitationView),
        (status = 404, description = "No such event or invitation."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let id = InvitationId::from(id);
    let view = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        let inv = invitation::find_in_event(conn, &event.id, &id)?;
        let community = community::find(conn, &inv.community_id)?;
        let reg = registrations_of(conn, &[&inv])?.remove(&inv.id);
        InvitationView::of(&inv, &community, reg).with_email_status(conn)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Revoke an open invitation: its link stops working.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations/{id}/revoke",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Revoked.", body = InvitationView),
        (status = 404, description = "No such event or invitation."),
        (status = 409, description = "The invitation was already answered, revoked or expired."),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let id = InvitationId::from(id);
    let view = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let actor = Actor::organizer(&organizer.id);
            let (after, community) = revoke::revoke(conn, &event.id, &id, &actor)?;
            InvitationView::of(&after, &community, None).with_email_status(conn)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Send an open invitation's email again, with a new link (the old one stops working).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations/{id}/resend",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Queued again.", body = InvitationView),
        (status = 404, description = "No such event or invitation."),
        (status = 409, description = "Only a pending or sent invitation can be sent again."),
    )
)]
pub async fn resend(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let id = InvitationId::from(id);
    let base = state.settings.server.base_url.clone();
    let view = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let actor = Actor::organizer(&organizer.id);
            let (after, community) = resend::resend(conn, &base, &event, &id, &actor)?;
            InvitationView::of(&after, &community, None).with_email_status(conn)
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Ok().json(view))
}

/// How many invitees were reminded.
#[derive(Serialize, ToSchema)]
pub struct Reminded {
    reminded: usize,
}

/// Remind everyone whose invitation was sent and not answered (nor expired).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations/remind",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Reminders queued.", body = Reminded),
        (status = 404, description = "No such event."),
    )
)]
pub async fn remind(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let base = state.settings.server.base_url.clone();
    let reminded = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let actor = Actor::organizer(&organizer.id);
            resend::remind_all(conn, &base, &event, &actor)
        })
    })
    .await?;
    if reminded > 0 {
        state.outbox.notify();
    }
    tracing::info!(reminded, "invitation reminders queued");
    Ok(HttpResponse::Ok().json(Reminded { reminded }))
}

/// The invitations export's columns, in order.
const CSV_HEADER: [&str; 19] = [
    "id",
    "status",
    "kind",
    "full_name",
    "email",
    "title",
    "organization",
    "community",
    "state",
    "country",
    "message",
    "email_status",
    "registration_status",
    "decline_reason",
    "invited_at",
    "sent_at",
    "expires_at",
    "responded_at",
    "time_zone",
];

/// Every invitation of the event as CSV, for spreadsheets.
///
/// Oldest first: `status` as of now, `email_status` of its latest email (`bounced` among
/// them), the registration's status once registered, times in the event's zone to the
/// second (`time_zone` column). Cells that a spreadsheet would read as a formula start
/// with `'`.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/invitations.csv",
    params(EventPath),
    security(("session" = [])),
    responses(EventCsvAnswers)
)]
pub async fn export(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (event, (rows, mut emails)) = for_event(&state.pool, slug.into_inner(), |conn, event| {
        let rows = invitation::all_for_event(conn, &event.id)?;
        let ids: Vec<String> = rows.iter().map(|(i, ..)| i.id.to_string()).collect();
        let mut emails = HashMap::new();
        // In parts: SQLite caps the parameters of one statement.
        for part in ids.chunks(1_000) {
            emails.extend(email_statuses(conn, part)?);
        }
        Ok((rows, emails))
    })
    .await?;
    let sheet = SheetFormat::of(&event);
    let now = Utc::now();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    csv_download(
        &format!("{}-invitations.csv", event.slug),
        &CSV_HEADER,
        rows.iter().map(|(i, c, registration)| {
            vec![
                i.id.to_string(),
                i.status_at(now).as_str().to_owned(),
                i.kind.as_str().to_owned(),
                i.full_name.clone(),
                i.email.clone(),
                i.title.clone(),
                opt(&i.organization),
                c.name.clone(),
                c.state.clone(),
                c.country.clone(),
                opt(&i.message),
                emails.remove(i.id.as_str()).unwrap_or_default(),
                opt(registration),
                opt(&i.decline_reason),
                sheet.time(i.created_at),
                sheet.time_opt(i.sent_at),
                sheet.time(i.expires_at),
                sheet.time_opt(i.responded_at),
                sheet.zone(),
            ]
        }),
    )
}
