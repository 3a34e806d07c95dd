//! Whom audit entries are about: the person behind the record an entry names (an
//! invitee, a registrant, someone who asked for an invitation), to filter the log by a
//! person and to name them, with their registration, in each entry.
//!
//! A nomination or a scholarship request belongs to the executive who made it (their
//! registration); the nominee's name is in the entry's own state.

use std::collections::HashMap;

use diesel::dsl::{AsSelect, Select};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::audit::AuditEntry;
use super::{contains_pattern, lower};
use crate::db::schema::{
    audit_log, events, invitation_requests, invitations, nominations, registrations,
    scholarship_requests,
};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::{EventId, InvitationId, RegistrationId};
use crate::error::AppError;

/// A condition on `audit_log` rows, built once per request.
pub type AuditCondition =
    Box<dyn BoxableExpression<audit_log::table, MultiBackend, SqlType = Bool>>;

/// Entries about the person whose email address is `needle` (any case) or whose name
/// holds it (any case): their invitations, requests for an invitation, registrations, and
/// the nominations and scholarship requests those registrations made, or nominations of
/// them. Subqueries, not id lists: a short needle may match many people.
pub fn entries_about(needle: &str) -> AuditCondition {
    let exact = needle.trim().to_lowercase();
    let pattern = contains_pattern(needle);
    // Rows of `$table` naming the person: their address, or a name that holds the needle.
    macro_rules! names {
        ($table:ident) => {
            lower($table::email)
                .eq(exact.clone())
                .or(lower($table::full_name).like(pattern.clone()).escape('\\'))
        };
    }
    // Either the invitation or the registration names them: a registrant may have
    // corrected the invitation's details. (diesel allows no table inside a subquery of
    // itself, hence each condition written out against the other table.)
    let regs = || {
        registrations::table
            .filter(
                names!(registrations).or(registrations::invitation_id.eq_any(
                    invitations::table
                        .filter(names!(invitations))
                        .select(invitations::id),
                )),
            )
            .select(registrations::id)
    };
    let invs = invitations::table
        .filter(
            names!(invitations).or(invitations::id.eq_any(
                registrations::table
                    .filter(names!(registrations))
                    .select(registrations::invitation_id),
            )),
        )
        .select(invitations::id);
    let requests = invitation_requests::table
        .filter(names!(invitation_requests))
        .select(invitation_requests::id);
    let noms = nominations::table
        .filter(names!(nominations).or(nominations::registration_id.eq_any(regs())))
        .select(nominations::id);
    let scholarships = scholarship_requests::table
        .filter(scholarship_requests::registration_id.eq_any(regs()))
        .select(scholarship_requests::id);
    let about = |kind: &'static str| audit_log::entity_type.eq(kind);
    Box::new(
        about("registration")
            .and(audit_log::entity_id.eq_any(regs()))
            .or(about("invitation").and(audit_log::entity_id.eq_any(invs)))
            .or(about("invitation_request").and(audit_log::entity_id.eq_any(requests)))
            .or(about("nomination").and(audit_log::entity_id.eq_any(noms)))
            .or(about("scholarship_request").and(audit_log::entity_id.eq_any(scholarships))),
    )
}

/// The person an entry is about, and their registration when they have one.
#[derive(Clone, Debug)]
pub struct Person {
    pub full_name: String,
    pub email: String,
    pub registration_id: Option<RegistrationId>,
}

/// The event an entry belongs to, as a reader of the log needs it.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = events)]
pub struct EventRef {
    pub id: EventId,
    pub slug: String,
    pub name: String,
    pub timezone: String,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = registrations)]
struct Reg {
    id: RegistrationId,
    invitation_id: InvitationId,
    full_name: String,
    email: String,
}

fn regs_query() -> Select<registrations::table, AsSelect<Reg, MultiBackend>> {
    registrations::table.select(Reg::as_select())
}

/// Whom the entries of a page are about, and their events.
#[derive(Default, Debug)]
pub struct Subjects {
    /// By (entity type, entity id).
    people: HashMap<(String, String), Person>,
    /// By event id.
    events: HashMap<EventId, EventRef>,
}

impl Subjects {
    pub fn person(&self, e: &AuditEntry) -> Option<&Person> {
        self.people
            .get(&(e.entity_type.clone(), e.entity_id.clone()))
    }

    pub fn event(&self, e: &AuditEntry) -> Option<&EventRef> {
        e.event_id.as_ref().and_then(|id| self.events.get(id))
    }
}

/// Whom each of `entries` is about, and their events: a few queries for the whole page.
pub fn people_of(conn: &mut DbConnection, entries: &[AuditEntry]) -> Result<Subjects, AppError> {
    let ids = |kind: &str| -> Vec<String> {
        entries
            .iter()
            .filter(|e| e.entity_type == kind)
            .map(|e| e.entity_id.clone())
            .collect()
    };
    let event_ids: Vec<EventId> = entries.iter().filter_map(|e| e.event_id.clone()).collect();
    let events: HashMap<EventId, EventRef> = events::table
        .filter(events::id.eq_any(&event_ids))
        .select(EventRef::as_select())
        .load(conn)?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();

    // The records that belong to a registration, and the registration of each.
    let owned: Vec<(String, String, String)> = nominations::table
        .filter(nominations::id.eq_any(ids("nomination")))
        .select((nominations::id, nominations::registration_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(id, reg)| ("nomination".to_owned(), id, reg))
        .chain(
            scholarship_requests::table
                .filter(scholarship_requests::id.eq_any(ids("scholarship_request")))
                .select((
                    scholarship_requests::id,
                    scholarship_requests::registration_id,
                ))
                .load::<(String, String)>(conn)?
                .into_iter()
                .map(|(id, reg)| ("scholarship_request".to_owned(), id, reg)),
        )
        .collect();
    let mut reg_ids = ids("registration");
    reg_ids.extend(owned.iter().map(|(_, _, reg)| reg.clone()));
    let inv_ids = ids("invitation");
    let regs: Vec<Reg> = regs_query()
        .filter(
            registrations::id
                .eq_any(&reg_ids)
                .or(registrations::invitation_id.eq_any(&inv_ids)),
        )
        .load(conn)?;
    let person = |r: &Reg| Person {
        full_name: r.full_name.clone(),
        email: r.email.clone(),
        registration_id: Some(r.id.clone()),
    };
    let by_id: HashMap<&str, &Reg> = regs.iter().map(|r| (r.id.as_str(), r)).collect();
    let by_invitation: HashMap<&str, &Reg> =
        regs.iter().map(|r| (r.invitation_id.as_str(), r)).collect();

    let mut out = HashMap::new();
    for r in &regs {
        out.insert(("registration".to_owned(), r.id.to_string()), person(r));
    }
    for (kind, id, reg) in owned {
        if let Some(r) = by_id.get(reg.as_str()) {
            out.insert((kind, id), person(r));
        }
    }
    let invs: Vec<(String, String, String)> = invitations::table
        .filter(invitations::id.eq_any(&inv_ids))
        .select((invitations::id, invitations::full_name, invitations::email))
        .load(conn)?;
    for (id, full_name, email) in invs {
        let registration_id = by_invitation.get(id.as_str()).map(|r| r.id.clone());
        let p = Person {
            full_name,
            email,
            registration_id,
        };
        out.insert(("invitation".to_owned(), id), p);
    }
    let requests: Vec<(String, String, String)> = invitation_requests::table
        .filter(invitation_requests::id.eq_any(ids("invitation_request")))
        .select((
            invitation_requests::id,
            invitation_requests::full_name,
            invitation_requests::email,
        ))
        .load(conn)?;
    for (id, full_name, email) in requests {
        let p = Person {
            full_name,
            email,
            registration_id: None,
        };
        out.insert(("invitation_request".to_owned(), id), p);
    }
    Ok(Subjects {
        people: out,
        events,
    })
}
