//! The ways handlers reach the database, written once: for the event a path names, for
//! the registration a manage link names, and an admin's removal of a record named by id.
//! Each runs off the async threads (`db::run`).

use actix_web::HttpResponse;

use crate::db::models::event::{self, Event};
use crate::db::models::organizer::Organizer;
use crate::db::models::registration::Registration;
use crate::db::{self, write_transaction, DbConnection, DbPool};
use crate::error::AppError;
use crate::workflows::links;

/// The event `slug` names (404 if none) and what `read` reads for it.
pub async fn for_event<T, F>(pool: &DbPool, slug: String, read: F) -> Result<(Event, T), AppError>
where
    F: FnOnce(&mut DbConnection, &Event) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    db::run(pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        let read = read(conn, &event)?;
        Ok((event, read))
    })
    .await
}

/// Runs `act` for the registration a manage link's token names (404 if none), in one
/// write transaction with the lookup.
pub async fn as_registrant<T, F>(pool: &DbPool, token: String, act: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection, &Registration) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    db::run(pool, move |conn| {
        write_transaction(conn, |conn| {
            let reg = links::registration_by_manage_token(conn, &token)?;
            act(conn, &reg)
        })
    })
    .await
}

/// An admin's removal (or revocation) of the record `id` names, by the workflow `remove`,
/// in one write transaction: 204.
pub async fn admin_removes(
    pool: &DbPool,
    admin: Organizer,
    id: String,
    remove: fn(&mut DbConnection, &Organizer, &str) -> Result<(), AppError>,
) -> Result<HttpResponse, AppError> {
    db::run(pool, move |conn| {
        write_transaction(conn, |conn| remove(conn, &admin, &id))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
