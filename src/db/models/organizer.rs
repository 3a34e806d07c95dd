use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::organizers;
use crate::db::{now, DbConnection};
use crate::domain::organizer::Role;
use crate::domain::refusal::Refusal;
use crate::domain::EmailAddress;
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = organizers)]
pub struct Organizer {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `none` or `each`: whether new items waiting for review are emailed to them.
    pub review_notices: String,
}

impl Organizer {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }
}

#[derive(Insertable)]
#[diesel(table_name = organizers)]
pub struct NewOrganizer<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Creates an organizer; 409 when the email is taken.
pub fn create(
    conn: &mut DbConnection,
    email: &EmailAddress,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<Organizer, AppError> {
    let id = super::new_id();
    let at = now();
    let row = NewOrganizer {
        id: &id,
        email: email.as_str(),
        name,
        role: role.as_str(),
        password_hash,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(organizers::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                AppError::from(Refusal::OrganizerEmailTaken(email.to_string()))
            } else {
                e.into()
            }
        })?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Organizer, AppError> {
    organizers::table
        .find(id)
        .select(Organizer::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("organizer"))
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<Organizer>, AppError> {
    Ok(organizers::table
        .filter(organizers::email.eq(email.to_lowercase()))
        .select(Organizer::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Organizer>, AppError> {
    Ok(organizers::table
        .order(organizers::created_at.asc())
        .select(Organizer::as_select())
        .load(conn)?)
}

pub fn set_password(
    conn: &mut DbConnection,
    id: &str,
    password_hash: &str,
) -> Result<(), AppError> {
    diesel::update(organizers::table.find(id))
        .set((
            organizers::password_hash.eq(password_hash),
            organizers::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_role(conn: &mut DbConnection, id: &str, role: Role) -> Result<(), AppError> {
    diesel::update(organizers::table.find(id))
        .set((
            organizers::role.eq(role.as_str()),
            organizers::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Disables an account and ends its sessions; disabling twice changes nothing.
pub fn disable(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    let at = now();
    diesel::update(
        organizers::table
            .find(id)
            .filter(organizers::disabled_at.is_null()),
    )
    .set((
        organizers::disabled_at.eq(Some(at)),
        organizers::updated_at.eq(at),
    ))
    .execute(conn)?;
    super::session::delete_for_organizer(conn, id)?;
    Ok(())
}

pub fn enable(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    diesel::update(organizers::table.find(id))
        .set((
            organizers::disabled_at.eq(None::<NaiveDateTime>),
            organizers::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_review_notices(conn: &mut DbConnection, id: &str, value: &str) -> Result<(), AppError> {
    diesel::update(organizers::table.find(id))
        .set((
            organizers::review_notices.eq(value),
            organizers::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Enabled organizers who asked to be emailed about each new item waiting for review.
pub fn notice_subscribers(conn: &mut DbConnection) -> Result<Vec<Organizer>, AppError> {
    Ok(organizers::table
        .filter(organizers::review_notices.eq("each"))
        .filter(organizers::disabled_at.is_null())
        .select(Organizer::as_select())
        .load(conn)?)
}
