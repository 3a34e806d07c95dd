use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::communities;
use crate::db::{now, DbConnection};
use crate::domain::community::CommunitySpec;
use crate::domain::CommunityId;
use crate::error::AppError;

#[derive(Queryable, Selectable, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[diesel(table_name = communities)]
pub struct Community {
    pub id: CommunityId,
    pub name: String,
    pub state: String,
    pub country: String,
    pub match_key: String,
    pub created_at: NaiveDateTime,
}

impl Community {
    pub fn spec(&self) -> CommunitySpec {
        CommunitySpec {
            name: self.name.clone(),
            state: self.state.clone(),
            country: self.country.clone(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = communities)]
struct NewCommunity<'a> {
    id: &'a CommunityId,
    name: &'a str,
    state: &'a str,
    country: &'a str,
    match_key: &'a str,
    created_at: NaiveDateTime,
}

/// The community matching `spec` however it was typed, created if it is new, in the
/// caller's transaction. `ON CONFLICT` does not compile through the multi-backend
/// connection, so two requests that race to create one community are settled by the
/// unique `match_key`: the loser's insert fails (inside a savepoint, so that PostgreSQL
/// keeps the outer transaction usable) and it reads the winner's row.
pub fn find_or_create(
    conn: &mut DbConnection,
    spec: &CommunitySpec,
) -> Result<Community, AppError> {
    let key = spec.match_key();
    if let Some(found) = find_by_key(conn, &key)? {
        return Ok(found);
    }
    let id = CommunityId::new();
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(communities::table)
            .values(NewCommunity {
                id: &id,
                name: &spec.name,
                state: &spec.state,
                country: &spec.country,
                match_key: &key,
                created_at: now(),
            })
            .execute(conn)
    });
    match inserted {
        Ok(_) => {}
        Err(e) if super::is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    find_by_key(conn, &key)?.ok_or_else(|| AppError::not_found("community"))
}

/// The community whose `match_key` is `key`, if there is one.
pub fn find_by_key(conn: &mut DbConnection, key: &str) -> Result<Option<Community>, AppError> {
    Ok(communities::table
        .filter(communities::match_key.eq(key))
        .select(Community::as_select())
        .first(conn)
        .optional()?)
}

/// The communities with these ids (those that exist), in no particular order.
pub fn find_many(
    conn: &mut DbConnection,
    ids: &[&CommunityId],
) -> Result<Vec<Community>, AppError> {
    Ok(communities::table
        .filter(communities::id.eq_any(ids))
        .select(Community::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &CommunityId) -> Result<Community, AppError> {
    communities::table
        .find(id)
        .select(Community::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("community"))
}
