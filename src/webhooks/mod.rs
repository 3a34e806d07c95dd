//! Webhooks: the events a change causes are written, in the transaction of the change, as
//! deliveries to every hook that wants them ([`enqueue`]); a worker of their own
//! ([`worker`]) sends them, signed as the Standard Webhooks specification says
//! ([`signature`]), with retries and backoff, at least once, and in order per
//! registration (or invitation, before there is a registration).
//!
//! Payloads are thin: what happened, to which records (ids) and their new status. An
//! integrator reads the rest through the API with a token, so that no personal data
//! leaves in a webhook body.

pub mod signature;
pub mod worker;

use serde_json::{json, Value};

use crate::db::models::check_in::CheckIn;
use crate::db::models::invitation::Invitation;
use crate::db::models::nomination::Nomination;
use crate::db::models::registration::Registration;
use crate::db::models::scholarship::ScholarshipRequest;
use crate::db::models::webhook::{self, NewDelivery};
use crate::db::{now, DbConnection};
use crate::domain::webhook::EventKind;
use crate::domain::EventId;
use crate::error::AppError;

/// Queues `kind` with `data` for every active hook that wants it, in the caller's
/// transaction. Deliveries of the same registration (`data.registration_id`, or else
/// `data.invitation_id`) to one hook are sent in the order they were queued.
pub fn enqueue(
    conn: &mut DbConnection,
    event_id: &EventId,
    kind: EventKind,
    data: Value,
) -> Result<(), AppError> {
    let hooks = wanting(conn, kind)?;
    enqueue_to(conn, &hooks, event_id, kind, data)
}

/// The active hooks that want `kind`.
fn wanting(conn: &mut DbConnection, kind: EventKind) -> Result<Vec<String>, AppError> {
    Ok(webhook::active(conn)?
        .into_iter()
        .filter(|(_, events)| events.split(',').any(|e| e == kind.as_str()))
        .map(|(id, _)| id)
        .collect())
}

/// [`enqueue`] to `hooks`, read once for several events.
fn enqueue_to(
    conn: &mut DbConnection,
    hooks: &[String],
    event_id: &EventId,
    kind: EventKind,
    data: Value,
) -> Result<(), AppError> {
    if hooks.is_empty() {
        return Ok(());
    }
    let at = now();
    let key = ["registration_id", "invitation_id"]
        .iter()
        .find_map(|k| data.get(*k).and_then(Value::as_str))
        .map(str::to_owned);
    let body = json!({ "type": kind.as_str(), "timestamp": rfc3339(at), "data": data }).to_string();
    for hook_id in hooks {
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        webhook::insert_delivery(
            conn,
            &NewDelivery {
                id: &id,
                webhook_id: hook_id,
                event_id: Some(event_id),
                event_type: kind.as_str(),
                ordering_key: key.as_deref(),
                body: &body,
                status: "pending",
                next_attempt_at: at,
                created_at: at,
            },
        )?;
    }
    Ok(())
}

/// [`enqueue`] for an invitation's event (`invitation.sent`, `invitation.declined`).
pub fn on_invitation(
    conn: &mut DbConnection,
    kind: EventKind,
    i: &Invitation,
) -> Result<(), AppError> {
    enqueue(conn, &i.event_id, kind, invitation(i))
}

/// [`on_invitation`] for each of `invitations`, the hooks read once.
pub fn on_invitations(
    conn: &mut DbConnection,
    kind: EventKind,
    invitations: &[Invitation],
) -> Result<(), AppError> {
    let hooks = wanting(conn, kind)?;
    for i in invitations {
        enqueue_to(conn, &hooks, &i.event_id, kind, invitation(i))?;
    }
    Ok(())
}

/// [`enqueue`] for a registration's event (`registration.*`).
pub fn on_registration(
    conn: &mut DbConnection,
    kind: EventKind,
    r: &Registration,
) -> Result<(), AppError> {
    enqueue(conn, &r.event_id, kind, registration(r))
}

/// [`on_registration`] for each of `regs`, the hooks read once.
pub fn on_registrations(
    conn: &mut DbConnection,
    kind: EventKind,
    regs: &[Registration],
) -> Result<(), AppError> {
    let hooks = wanting(conn, kind)?;
    for r in regs {
        enqueue_to(conn, &hooks, &r.event_id, kind, registration(r))?;
    }
    Ok(())
}

/// [`enqueue`] `nomination.decided`.
pub fn on_nomination(conn: &mut DbConnection, n: &Nomination) -> Result<(), AppError> {
    enqueue(
        conn,
        &n.event_id,
        EventKind::NominationDecided,
        nomination(n),
    )
}

/// [`enqueue`] `scholarship.decided`.
pub fn on_scholarship(conn: &mut DbConnection, s: &ScholarshipRequest) -> Result<(), AppError> {
    enqueue(
        conn,
        &s.event_id,
        EventKind::ScholarshipDecided,
        scholarship(s),
    )
}

/// [`enqueue`] `checkin.created`.
pub fn on_check_in(conn: &mut DbConnection, c: &CheckIn) -> Result<(), AppError> {
    enqueue(conn, &c.event_id, EventKind::CheckinCreated, check_in(c))
}

/// A stored time (UTC) as RFC 3339.
fn rfc3339(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// `invitation.*`: the invitation and its status.
pub fn invitation(i: &Invitation) -> Value {
    json!({
        "event_id": i.event_id,
        "invitation_id": i.id,
        "kind": i.kind().as_str(),
        "status": i.stored_status().as_str(),
    })
}

/// `registration.*`: the registration and its status.
pub fn registration(r: &Registration) -> Value {
    json!({
        "event_id": r.event_id,
        "registration_id": r.id,
        "invitation_id": r.invitation_id,
        "status": r.status().as_str(),
    })
}

/// `nomination.decided`.
pub fn nomination(n: &Nomination) -> Value {
    json!({
        "event_id": n.event_id,
        "nomination_id": n.id,
        "registration_id": n.registration_id,
        "status": n.status().as_str(),
        "invitation_id_of_nominee": n.invitation_id,
    })
}

/// `scholarship.decided`.
pub fn scholarship(s: &ScholarshipRequest) -> Value {
    json!({
        "event_id": s.event_id,
        "scholarship_id": s.id,
        "registration_id": s.registration_id,
        "status": s.status().as_str(),
        "awarded_amount_cents": s.awarded_amount_cents,
    })
}

/// `checkin.created`.
pub fn check_in(c: &CheckIn) -> Value {
    json!({
        "event_id": c.event_id,
        "registration_id": c.registration_id,
        "checked_in_at": rfc3339(c.checked_in_at),
    })
}
