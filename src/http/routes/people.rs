//! One person's data on their request (admins): `GET /people/{email}` exports everything
//! held about the address, `POST /people/{email}/erase` anonymizes it everywhere now.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::Actor;
use crate::db::models::privacy::HeldRows;
use crate::domain::EmailAddress;
use crate::error::AppError;
use crate::http::extract::Admin;
use crate::http::views::rfc3339;
use crate::http::AppState;
use crate::workflows::people::{self, Erased};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PersonPath {
    /// The person's email address (any case).
    #[param(example = "dana@example.org", format = Email, max_length = 254)]
    email: String,
}

impl PersonPath {
    fn address(&self) -> Result<EmailAddress, AppError> {
        EmailAddress::parse(&self.email).map_err(|m| AppError::invalid("email", m))
    }
}

/// Everything held about one address, each kind oldest first. Secret links are never
/// part of it (only their hashes are stored).
#[derive(Serialize, ToSchema)]
pub struct PersonExport {
    #[schema(example = "dana@example.org")]
    email: String,
    /// The invitations sent to the address.
    #[schema(value_type = Vec<Object>)]
    invitations: Vec<Value>,
    /// Registrations, with the details given (phone, needs).
    #[schema(value_type = Vec<Object>)]
    registrations: Vec<Value>,
    /// When the person was checked in, per registration.
    #[schema(value_type = Vec<Object>)]
    check_ins: Vec<Value>,
    /// Nominations of this person as a young leader.
    #[schema(value_type = Vec<Object>)]
    nominations: Vec<Value>,
    /// Nominations the person made as a registrant (they name the nominee).
    #[schema(value_type = Vec<Object>)]
    nominations_made: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    invitation_requests: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    scholarship_requests: Vec<Value>,
    /// The emails sent (or to be sent) to the address: subject and status, no bodies.
    emails: Vec<ExportedEmail>,
    /// Survey answers, with the person's own words.
    #[schema(value_type = Vec<Object>)]
    survey_responses: Vec<Value>,
    /// What was done about these records, and by whom.
    audit: Vec<ExportedAuditEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedEmail {
    id: String,
    template: String,
    subject: String,
    #[schema(example = "sent")]
    status: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    sent_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedAuditEntry {
    #[schema(format = DateTime)]
    occurred_at: String,
    #[schema(example = "organizer")]
    actor: String,
    #[schema(example = "registration.created")]
    action: String,
    entity_type: String,
    entity_id: String,
}

fn values<T: Serialize>(rows: &[T]) -> Vec<Value> {
    rows.iter()
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect()
}

impl PersonExport {
    fn of(email: &EmailAddress, r: HeldRows) -> Self {
        Self {
            email: email.to_string(),
            invitations: values(&r.invitations),
            registrations: values(&r.registrations),
            check_ins: values(&r.check_ins),
            nominations: values(&r.nominations),
            nominations_made: values(&r.nominations_made),
            invitation_requests: values(&r.invitation_requests),
            scholarship_requests: values(&r.scholarships),
            emails: r
                .emails
                .into_iter()
                .map(|e| ExportedEmail {
                    id: e.id,
                    template: e.template,
                    subject: e.subject,
                    status: e.status,
                    created_at: rfc3339(e.created_at),
                    sent_at: e.sent_at.map(rfc3339),
                })
                .collect(),
            survey_responses: r
                .survey_responses
                .into_iter()
                .map(|s| {
                    let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
                    // The model leaves the free text out of what it shows elsewhere.
                    v["highlight"] = serde_json::json!(s.highlight);
                    v["testimonial"] = serde_json::json!(s.testimonial);
                    v
                })
                .collect(),
            audit: r
                .audit
                .into_iter()
                .map(|a| ExportedAuditEntry {
                    occurred_at: rfc3339(a.occurred_at),
                    actor: a.actor,
                    action: a.action,
                    entity_type: a.entity_type,
                    entity_id: a.entity_id,
                })
                .collect(),
        }
    }
}

/// Everything held about one person (admins); the export is audited.
#[utoipa::path(
    get,
    path = "/api/v1/people/{email}",
    params(PersonPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Everything held about the address (empty lists when nothing is).", body = PersonExport),
        (status = 403, description = "Only an admin may export a person's data."),
        (status = 422, description = "`email` is not an email address."),
    )
)]
pub async fn export(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    path: web::Path<PersonPath>,
) -> Result<HttpResponse, AppError> {
    let email = path.address()?;
    let actor = Actor::organizer(&admin.id);
    let held = {
        let email = email.clone();
        crate::db::run(&state.pool, move |conn| {
            people::export(conn, &email, &actor)
        })
        .await?
    };
    Ok(HttpResponse::Ok().json(PersonExport::of(&email, held)))
}

/// Erases one person everywhere now (admins): their registrations for events still to
/// come are cancelled and open invitations revoked, then every record about them is
/// anonymized; counts and impact figures stay. Audited without the address.
#[utoipa::path(
    post,
    path = "/api/v1/people/{email}/erase",
    params(PersonPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Erased; how many records of each kind.", body = Erased),
        (status = 403, description = "Only an admin may erase a person's data."),
        (status = 422, description = "`email` is not an email address."),
    )
)]
pub async fn erase(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    path: web::Path<PersonPath>,
) -> Result<HttpResponse, AppError> {
    let email = path.address()?;
    let actor = Actor::organizer(&admin.id);
    let base = state.settings.server.base_url.clone();
    let erased = crate::db::run(&state.pool, move |conn| {
        people::erase(conn, &base, &email, &actor)
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Ok().json(erased))
}
