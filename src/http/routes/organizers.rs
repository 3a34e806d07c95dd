//! Organizer accounts, managed by admins: list, add, change role, disable.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::db::models::audit::{self, Actor, Change};
use crate::db::models::{organizer, session};
use crate::db::write_transaction;
use crate::domain::organizer::{Password, Role};
use crate::domain::{text, EmailAddress};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{Admin, ValidJson};
use crate::http::routes::auth::OrganizerView;
use crate::http::routes::events::rfc3339;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizers", web::get().to(list))
        .route("/organizers", web::post().to(create))
        .route("/organizers/{id}", web::patch().to(update));
}

fn view(o: &organizer::Organizer) -> serde_json::Value {
    let mut v = serde_json::to_value(OrganizerView::from(o)).unwrap_or_default();
    v["disabled"] = serde_json::json!(o.disabled_at.is_some());
    v["created_at"] = serde_json::json!(rfc3339(o.created_at));
    v
}

async fn list(state: web::Data<AppState>, _: Admin) -> Result<HttpResponse, AppError> {
    let all = crate::db::run(&state.pool, organizer::list).await?;
    let items: Vec<serde_json::Value> = all.iter().map(view).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct CreateOrganizer {
    email: String,
    name: String,
    role: Role,
    password: String,
}

async fn create(
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
                Change {
                    action: "organizer.created",
                    entity_type: "organizer",
                    entity_id: &created.id,
                    event_id: None,
                    before: None,
                    after: Some(view(&created)),
                },
            )?;
            Ok(created)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(view(&created)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UpdateOrganizer {
    role: Option<Role>,
    disabled: Option<bool>,
}

async fn update(
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
                Change {
                    action: "organizer.updated",
                    entity_type: "organizer",
                    entity_id: &id,
                    event_id: None,
                    before: Some(view(&before)),
                    after: Some(view(&after)),
                },
            )?;
            Ok(after)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(&updated)))
}
