//! `GET /audit-log` (admins): who did what, newest first, with filters and paging.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::{self, AuditEntry, AuditFilter};
use crate::db::models::audit_people::{self, EventRef, Person};
use crate::db::models::event;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{Admin, LimitParams, ListFilter, ListQuery};
use crate::http::views::rfc3339;
use crate::http::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilters {
    /// Only entries about this event (its slug).
    event: Option<String>,
    /// Only entries about this kind of thing (`event`, `invitation`, `registration`, ...).
    #[param(example = "registration", pattern = "^[a-z_]{1,40}$")]
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// Only what this organizer did.
    actor_id: Option<String>,
    /// Only this kind of act (`invitation.revoked`, `registration.cancelled`, ...).
    #[param(
        example = "registration.cancelled",
        pattern = "^[a-z_]{1,40}\\.[a-z_]{1,40}$"
    )]
    action: Option<String>,
    /// Only entries about this person (their invitations, requests for an invitation,
    /// registrations, and the nominations and scholarship requests these made): their
    /// email address, or part of their name, in any case.
    #[param(example = "dana@example.org", min_length = 1, max_length = 254)]
    person: Option<String>,
    /// Paging: entries older than this id (`next_before` of the previous page).
    #[param(minimum = 1)]
    before: Option<i64>,
}

/// The filters as the log takes them: an event by its slug (404 if unknown), the person
/// trimmed.
pub struct Wanted {
    event: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    actor_id: Option<String>,
    action: Option<String>,
    person: Option<String>,
    before: Option<i64>,
}

/// Every bad filter at once, each named: an unknown value would otherwise match nothing
/// and look like an empty log.
impl ListFilter for AuditFilters {
    type Checked = Wanted;

    fn check(self, errors: &mut FieldErrors) -> Wanted {
        let word = |s: &str| {
            (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        };
        if self.entity_type.as_deref().is_some_and(|t| !word(t)) {
            errors.add(
                "entity_type",
                "must be a kind of record, such as registration",
            );
        }
        let act = |a: &str| a.split_once('.').is_some_and(|(r, v)| word(r) && word(v));
        if self.action.as_deref().is_some_and(|a| !act(a)) {
            errors.add(
                "action",
                "must be a kind of act, such as registration.cancelled",
            );
        }
        let person = self.person.as_deref().map(str::trim);
        if let Some(p) = person {
            if p.is_empty() {
                errors.add("person", "enter an email address or part of a name");
            } else if p.chars().count() > 254 || p.chars().any(char::is_control) {
                errors.add(
                    "person",
                    "must be an email address or a name, at most 254 characters",
                );
            }
        }
        if self.before.is_some_and(|b| b < 1) {
            errors.add("before", "must be a positive entry id");
        }
        Wanted {
            person: person.map(str::to_owned),
            event: self.event,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            actor_id: self.actor_id,
            action: self.action,
            before: self.before,
        }
    }
}

/// One change: who, what, when, and the state before and after.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    #[schema(example = 42)]
    id: i64,
    #[schema(format = DateTime)]
    occurred_at: String,
    /// `organizer`, `invitee`, `registrant` or `system`.
    #[schema(example = "organizer")]
    actor: String,
    actor_id: Option<String>,
    #[schema(example = "invitation.revoked")]
    action: String,
    #[schema(example = "invitation")]
    entity_type: String,
    entity_id: String,
    event_id: Option<String>,
    /// The entry's event (its time zone is the one to read `occurred_at` in); `null` for
    /// what belongs to no event (organizer accounts, API tokens).
    event: Option<AuditEventView>,
    /// Whom the entry is about, when it is a person's record (an invitation, a request for
    /// an invitation, a registration, or a registrant's nomination or scholarship request).
    person: Option<AuditPersonView>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

/// The event an entry belongs to.
#[derive(Serialize, ToSchema)]
pub struct AuditEventView {
    #[schema(example = "future-city-2027")]
    slug: String,
    #[schema(example = "The Future City")]
    name: String,
    #[schema(example = "America/New_York")]
    timezone: String,
}

/// The person an entry is about.
#[derive(Serialize, ToSchema)]
pub struct AuditPersonView {
    #[schema(example = "Dana Whitfield")]
    full_name: String,
    #[schema(example = "dana@example.org")]
    email: String,
    /// Their registration for the entry's event, when they have one.
    registration_id: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    items: Vec<AuditEntryView>,
    /// Pass as `before` for the next page; `null` on the last page.
    next_before: Option<i64>,
}

impl AuditEntryView {
    fn of(e: AuditEntry, person: Option<&Person>, event: Option<&EventRef>) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Self {
            event: event.map(|v| AuditEventView {
                slug: v.slug.clone(),
                name: v.name.clone(),
                timezone: v.timezone.clone(),
            }),
            person: person.map(|p| AuditPersonView {
                full_name: p.full_name.clone(),
                email: p.email.clone(),
                registration_id: p.registration_id.clone().map(String::from),
            }),
            id: e.id,
            occurred_at: rfc3339(e.occurred_at),
            actor: e.actor,
            actor_id: e.actor_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            event_id: e.event_id.map(String::from),
            before: parse(e.before_state),
            after: parse(e.after_state),
        }
    }
}

/// The audit log (admins): who did what, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/audit-log",
    params(AuditFilters, LimitParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of entries.", body = AuditPage),
        (status = 403, description = "Only an admin may read the audit log."),
        (status = 404, description = "No such event (the `event` filter)."),
        (status = 422, description = "A filter is not valid (`entity_type`, `action`, `person`, `before`, `limit`), named in `errors`."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _: Admin,
    query: ListQuery<AuditFilters, LimitParams>,
) -> Result<HttpResponse, AppError> {
    let (q, limit) = (query.filter, query.page);
    let (entries, subjects) = crate::db::run(&state.pool, move |conn| {
        let event_id = match q.event {
            Some(slug) => Some(event::find_by_slug(conn, &slug)?.id),
            None => None,
        };
        let filter = AuditFilter {
            entity_type: q.entity_type,
            entity_id: q.entity_id,
            event_id,
            actor_id: q.actor_id,
            action: q.action,
            person: q.person,
            before_id: q.before,
            limit,
        };
        let entries = audit::list(conn, &filter)?;
        let subjects = audit_people::people_of(conn, &entries)?;
        Ok((entries, subjects))
    })
    .await?;
    let next_before = if entries.len() as i64 == limit {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let items: Vec<AuditEntryView> = entries
        .into_iter()
        .map(|e| {
            let (person, event) = (subjects.person(&e), subjects.event(&e));
            AuditEntryView::of(e, person, event)
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, next_before }))
}
