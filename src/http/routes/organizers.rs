//! Organizer accounts, managed by admins: list, add, change role, disable.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::{organizer, session};
use crate::db::write_transaction;
use crate::domain::organizer::{Password, Role};
use crate::domain::{text, EmailAddress};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{Admin, ValidJson};
use crate::http::views::rfc3339;
use crate::http::views::OrganizerView;
use crate::http::AppState;

/// An organizer account as admins see it.
#[derive(Serialize, ToSchema)]
pub struct OrganizerAccount {
    #[serde(flatten)]
    organizer: OrganizerView,
    disabled: bool,
    #[schema(format = DateTime)]
    created_at: String,
}

fn view(o: &organizer::Organizer) -> OrganizerAccount {
    OrganizerAccount {
        organizer: OrganizerView::from(o),
        disabled: o.disabled_at.is_some(),
        created_at: rfc3339(o.created_at),
    }
}

fn audited(o: &organizer::Organizer) -> Option<String> {
    audit::state(&view(o))
}

#[derive(Serialize, ToSchema)]
pub struct OrganizerList {
    items: Vec<OrganizerAccount>,
}

/// Every organizer account (admins).
#[utoipa::path(
    get,
    path = "/api/v1/organizers",
    security(("session" = [])),
    responses(
        (status = 200, description = "The accounts.", body = OrganizerList),
        (status = 403, description = "Only an admin may manage accounts."),
    )
)]
pub async fn list(state: web::Data<AppState>, _: Admin) -> Result<HttpResponse, AppError> {
    let all = crate::db::run(&state.pool, organizer::list).await?;
    let items: Vec<OrganizerAccount> = all.iter().map(view).collect();
    Ok(HttpResponse::Ok().json(OrganizerList { items }))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateOrganizer {
    #[schema(example = "rey@example.org", format = Email, max_length = 254)]
    email: String,
    #[schema(example = "Rey Reviewer", format = "line", max_length = 200)]
    name: String,
    role: Role,
    /// 12 to 256 characters.
    #[schema(
        example = "a long passphrase of words",
        min_length = 12,
        max_length = 256
    )]
    password: String,
}

/// Add an organizer account (admins).
#[utoipa::path(
    post,
    path = "/api/v1/organizers",
    request_body = CreateOrganizer,
    security(("session" = [])),
    responses(
        (status = 201, description = "Created.", body = OrganizerAccount),
        (status = 403, description = "Only an admin may manage accounts."),
        (status = 409, description = "An account with this email exists."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    ValidJson(body): ValidJson<CreateOrganizer>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    let email = EmailAddress::parse(&body.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    let name = text::single_line(&body.name, 200)
        .map_err(|m| errors.add("name", m))
        .ok();
    let password = Password::parse(body.password)
        .map_err(|m| errors.add("password", m))
        .ok();
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return Err(AppError::Validation(errors));
    };
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let role = body.role;
    let created = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let created = organizer::create(conn, &email, &name, role, &hash)?;
            audit::record(
                conn,
                &Actor::organizer(&admin.id),
                Entry::new("organizer.created", "organizer", &created.id, None)
                    .after(audited(&created)),
            )?;
            Ok(created)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(view(&created)))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct UpdateOrganizer {
    role: Option<Role>,
    /// A disabled organizer cannot sign in; their sessions end.
    disabled: Option<bool>,
}

/// Change an organizer's role, or disable or enable the account (admins).
#[utoipa::path(
    patch,
    path = "/api/v1/organizers/{id}",
    params(("id" = String, Path, description = "The organizer's id.")),
    request_body = UpdateOrganizer,
    security(("session" = [])),
    responses(
        (status = 200, description = "The account as changed.", body = OrganizerAccount),
        (status = 403, description = "Only an admin may manage accounts."),
        (status = 404, description = "No such organizer."),
        (status = 409, description = "An admin cannot disable themself or drop their own admin role."),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    id: web::Path<String>,
    ValidJson(body): ValidJson<UpdateOrganizer>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if id == admin.id && (body.disabled == Some(true) || body.role == Some(Role::Reviewer)) {
        // Otherwise the last admin could lock everyone out of administration.
        return Err(AppError::conflict(
            "you cannot disable yourself or remove your own admin role",
        ));
    }
    let updated = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let before = organizer::find(conn, &id)?;
            match body.disabled {
                Some(true) => organizer::disable(conn, &id)?,
                Some(false) => organizer::enable(conn, &id)?,
                None => {}
            }
            if let Some(role) = body.role {
                organizer::set_role(conn, &id, role)?;
                // A role change takes effect at once: sessions carry no cached role, but end them anyway
                // so that the organizer signs in again and sees the new controls.
                session::delete_for_organizer(conn, &id)?;
            }
            let after = organizer::find(conn, &id)?;
            audit::record(
                conn,
                &Actor::organizer(&admin.id),
                Entry::new("organizer.updated", "organizer", &id, None)
                    .before(audited(&before))
                    .after(audited(&after)),
            )?;
            Ok(after)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(&updated)))
}
