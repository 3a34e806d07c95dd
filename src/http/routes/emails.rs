//! An event's outbox for organizers: every email with its delivery status, and sending
//! failed ones again.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::Actor;
use crate::db::write_transaction;
use crate::email::outbox::{self, EmailSummary, STATUSES};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{
    query_filter, CurrentOrganizer, ListFilter, ListQuery, Page, PageParams,
};
use crate::http::openapi::{EventItemPath, EventPath};
use crate::http::run::for_event;
use crate::http::views::rfc3339;
use crate::http::AppState;
use crate::workflows::resend_email;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailFilters {
    /// `pending`, `sent`, `failed` or `bounced`; empty: any.
    #[param(pattern = r"^(?:pending|sent|failed|bounced)?$")]
    status: Option<String>,
}

impl ListFilter for EmailFilters {
    type Checked = Option<String>;

    fn check(self, errors: &mut FieldErrors) -> Option<String> {
        // Empty is no filter, as with the other lists' filters (`?status=`, from a form).
        query_filter(
            errors,
            "status",
            self.status.as_deref(),
            |s| STATUSES.contains(&s).then(|| s.to_owned()),
            &format!("must be one of {}", STATUSES.join(", ")),
        )
    }
}

/// One email of the outbox and how its delivery went.
#[derive(Serialize, ToSchema)]
pub struct EmailView {
    id: String,
    #[schema(example = "invitation")]
    template: String,
    #[schema(example = "ada@example.org")]
    recipient: String,
    subject: String,
    /// `pending`, `sent`, `failed` (refused when sending), or `bounced` (accepted, then
    /// reported undeliverable by a bounce).
    #[schema(example = "sent")]
    status: String,
    attempts: i32,
    /// Why the last attempt failed, or what the bounce said.
    last_error: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    sent_at: Option<String>,
    #[schema(format = DateTime)]
    next_attempt_at: String,
}

/// The event's emails, newest first.
#[derive(Serialize, ToSchema)]
pub struct EmailList {
    items: Vec<EmailView>,
    total: i64,
}

impl From<EmailSummary> for EmailView {
    fn from(e: EmailSummary) -> Self {
        Self {
            id: e.id,
            template: e.template,
            recipient: e.recipient,
            subject: e.subject,
            status: e.status.as_str().to_owned(),
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: rfc3339(e.created_at),
            sent_at: e.sent_at.map(rfc3339),
            next_attempt_at: rfc3339(e.next_attempt_at),
        }
    }
}

/// The event's outbox: every email with its delivery status.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/emails",
    params(EventPath, EmailFilters, PageParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of emails.", body = EmailList),
        (status = 404, description = "No such event."),
        (status = 422, description = "A filter or paging value is wrong."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
    query: ListQuery<EmailFilters>,
) -> Result<HttpResponse, AppError> {
    let (status, Page { limit, offset }) = (query.filter, query.page);
    let (_, (items, total)) = for_event(&state.pool, slug.into_inner(), move |conn, event| {
        outbox::list_for_event(conn, &event.id, status.as_deref(), limit, offset)
    })
    .await?;
    let items: Vec<EmailView> = items.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(EmailList { items, total }))
}

/// Send a failed email again.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/emails/{id}/resend",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Queued again.", body = EmailView),
        (status = 404, description = "No such event or email."),
        (status = 409, description = "Only a failed email can be sent again."),
    )
)]
pub async fn resend(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let actor = Actor::organizer(&organizer.id);
    let email = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            resend_email::resend_one(conn, &actor, &slug, &id)
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Ok().json(EmailView::from(email)))
}

/// How many failed emails were queued again.
#[derive(Serialize, ToSchema)]
pub struct ResentFailedView {
    /// Failed emails queued again, to be sent in a moment.
    requeued: usize,
    /// Failed emails that stay failed: their body is no longer kept (it held a secret
    /// link), so they cannot be sent again.
    not_resendable: usize,
}

/// Send every failed email of the event again (after the mail server's trouble is
/// fixed: a wrong password, a full disk).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/emails/resend-failed",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "The failed emails are queued again.", body = ResentFailedView),
        (status = 404, description = "No such event."),
    )
)]
pub async fn resend_failed(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let actor = Actor::organizer(&organizer.id);
    let done = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            resend_email::resend_failed(conn, &actor, &slug)
        })
    })
    .await?;
    if done.requeued > 0 {
        state.outbox.notify();
    }
    Ok(HttpResponse::Ok().json(ResentFailedView {
        requeued: done.requeued,
        not_resendable: done.not_resendable,
    }))
}
