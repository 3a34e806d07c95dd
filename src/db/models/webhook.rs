//! Webhooks and their deliveries (an outbox of its own, see `crate::webhooks`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::DbConnection;
use crate::domain::EventId;
use crate::error::AppError;

/// A hook. `secret` signs its deliveries; it is never shown again after creation.
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// The event names, comma-separated.
    pub events: String,
    pub secret: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub failing_since: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
}

impl Webhook {
    pub fn event_names(&self) -> impl Iterator<Item = &str> {
        self.events.split(',').filter(|e| !e.is_empty())
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub events: &'a str,
    pub secret: &'a str,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

/// One event for one hook, and how its delivery stands.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub seq: i64,
    pub id: String,
    pub webhook_id: String,
    pub event_id: Option<EventId>,
    pub event_type: String,
    pub ordering_key: Option<String>,
    pub body: String,
    /// `pending` (not tried yet), `retrying`, `delivered`, or `failed` (the hook was
    /// disabled before it could be delivered).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_response_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = webhook_deliveries, treat_none_as_default_value = false)]
pub struct NewDelivery<'a> {
    pub id: &'a str,
    pub webhook_id: &'a str,
    pub event_id: Option<&'a EventId>,
    pub event_type: &'a str,
    pub ordering_key: Option<&'a str>,
    pub body: &'a str,
    pub status: &'a str,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

const UNDELIVERED: [&str; 2] = ["pending", "retrying"];

pub fn create(conn: &mut DbConnection, row: &NewWebhook<'_>) -> Result<Webhook, AppError> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)?;
    find(conn, row.id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Webhook, AppError> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("webhook"))
}

/// Every hook, oldest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Webhook>, AppError> {
    Ok(webhooks::table
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .select(Webhook::as_select())
        .load(conn)?)
}

/// The id and event names of each hook that is not disabled. Asked in the transaction
/// of every change that causes an event (a bulk invitation asks a thousand times): on
/// the backend's own connection, whose cached statement is only bound (see `on_backend`).
pub fn active(conn: &mut DbConnection) -> Result<Vec<(String, String)>, AppError> {
    Ok(crate::db::on_backend!(conn, |c| webhooks::table
        .filter(webhooks::disabled_at.is_null())
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .select((webhooks::id, webhooks::events))
        .load(c))?)
}

/// Removes a hook and its deliveries.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhooks::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn insert_delivery(conn: &mut DbConnection, row: &NewDelivery<'_>) -> Result<(), AppError> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A hook's deliveries, newest first.
pub fn deliveries(
    conn: &mut DbConnection,
    webhook_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Delivery>, i64), AppError> {
    let items = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::seq.desc())
        .limit(limit)
        .offset(offset)
        .select(Delivery::as_select())
        .load(conn)?;
    let total = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .count()
        .get_result(conn)?;
    Ok((items, total))
}

/// Deliveries that may be sent now, oldest first: undelivered, due, not claimed by a
/// sender, of a hook not disabled, and the first undelivered of their ordering key for
/// their hook (a later one waits, however due, until the earlier one is delivered).
pub fn due(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    limit: usize,
) -> Result<Vec<Delivery>, AppError> {
    let undelivered: Vec<Delivery> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::status.eq_any(UNDELIVERED))
        .filter(webhooks::disabled_at.is_null())
        .order(webhook_deliveries::seq.asc())
        .limit(2000)
        .select(Delivery::as_select())
        .load(conn)?;
    let mut blocked = std::collections::HashSet::new();
    let mut out = Vec::new();
    for d in undelivered {
        if let Some(key) = &d.ordering_key {
            if !blocked.insert((d.webhook_id.clone(), key.clone())) {
                continue;
            }
        }
        let free = d.locked_until.is_none_or(|l| l <= at);
        if d.next_attempt_at <= at && free {
            out.push(d);
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Claims a delivery until `until`, unless another sender holds it: true when claimed.
pub fn claim(
    conn: &mut DbConnection,
    d: &Delivery,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<bool, AppError> {
    let free = webhook_deliveries::locked_until
        .is_null()
        .or(webhook_deliveries::locked_until.le(at));
    let n = diesel::update(
        webhook_deliveries::table
            .find(d.seq)
            .filter(webhook_deliveries::status.eq_any(UNDELIVERED))
            .filter(free),
    )
    .set(webhook_deliveries::locked_until.eq(Some(until)))
    .execute(conn)?;
    Ok(n == 1)
}

/// The receiver answered 2xx: the delivery is done and its hook is healthy again.
pub fn record_delivered(
    conn: &mut DbConnection,
    d: &Delivery,
    code: i32,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(webhook_deliveries::table.find(d.seq))
        .set((
            webhook_deliveries::status.eq("delivered"),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::last_attempt_at.eq(Some(at)),
            webhook_deliveries::last_response_code.eq(Some(code)),
            webhook_deliveries::last_error.eq(None::<String>),
            webhook_deliveries::delivered_at.eq(Some(at)),
        ))
        .execute(conn)?;
    diesel::update(webhooks::table.find(&d.webhook_id))
        .set(webhooks::failing_since.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

/// The attempt failed: try again at `next`; the hook is failing since `at` unless it
/// was already. Returns the hook's `failing_since`.
pub fn record_failure(
    conn: &mut DbConnection,
    d: &Delivery,
    code: Option<i32>,
    error: &str,
    at: NaiveDateTime,
    next: NaiveDateTime,
) -> Result<NaiveDateTime, AppError> {
    diesel::update(webhook_deliveries::table.find(d.seq))
        .set((
            webhook_deliveries::status.eq("retrying"),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::last_attempt_at.eq(Some(at)),
            webhook_deliveries::last_response_code.eq(code),
            webhook_deliveries::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    diesel::update(
        webhooks::table
            .find(&d.webhook_id)
            .filter(webhooks::failing_since.is_null()),
    )
    .set(webhooks::failing_since.eq(Some(at)))
    .execute(conn)?;
    Ok(webhooks::table
        .find(&d.webhook_id)
        .select(webhooks::failing_since)
        .first::<Option<NaiveDateTime>>(conn)?
        .unwrap_or(at))
}

/// Disables a hook that has failed too long; its undelivered deliveries are marked
/// failed. True when this call disabled it.
pub fn disable(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> Result<bool, AppError> {
    let n = diesel::update(
        webhooks::table
            .find(id)
            .filter(webhooks::disabled_at.is_null()),
    )
    .set(webhooks::disabled_at.eq(Some(at)))
    .execute(conn)?;
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .filter(webhook_deliveries::status.eq_any(UNDELIVERED)),
    )
    .set(webhook_deliveries::status.eq("failed"))
    .execute(conn)?;
    Ok(n == 1)
}
