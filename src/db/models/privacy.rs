//! What is held about people, and its anonymization: for one event's people (the
//! retention sweep) or for one address everywhere (an erasure).
//!
//! Anonymizing keeps every row and every column the figures read (statuses, kinds,
//! communities, check-ins, amounts, the answers' booleans and counts, the impact person
//! ids), and replaces or drops what names a person: names, addresses, titles,
//! organizations, phone, needs, free-text reasons and answers, email bodies and
//! subjects, and the before/after details of the audit entries. Secret links stop
//! working (their hashes are replaced by values no token hashes to). See
//! `workflows::impact` for why the impact figures survive this.

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::IntoSql;

use crate::db::schema::{
    audit_log, emails, events, impact_attendances, impact_people, invitation_requests, invitations,
    nominations, registration_manage_tokens, registrations, scholarship_requests, survey_links,
    survey_responses, webhook_deliveries,
};
use crate::db::DbConnection;
use crate::domain::EventId;
use crate::error::AppError;

/// The name an anonymized person is shown under.
pub const ANONYMIZED_NAME: &str = "(anonymized)";

/// Whose data: one event's people, or one (lowercased) address in every event.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    Event(&'a EventId),
    Address(&'a str),
}

/// The ids of the rows that hold a person's data, by table.
#[derive(Debug, Default)]
pub struct Held {
    pub invitations: Vec<String>,
    pub registrations: Vec<String>,
    pub nominations: Vec<String>,
    pub invitation_requests: Vec<String>,
    pub scholarships: Vec<String>,
    pub emails: Vec<String>,
    pub survey_responses: Vec<String>,
    /// Impact person ids whose address may go: for an event, those who attended no
    /// event whose data is still kept.
    pub people: Vec<String>,
}

impl Held {
    /// Every row id, for the audit entries about them (an email's bounce names its
    /// recipient).
    fn all_ids(&self) -> impl Iterator<Item = &String> {
        self.invitations
            .iter()
            .chain(&self.registrations)
            .chain(&self.nominations)
            .chain(&self.invitation_requests)
            .chain(&self.scholarships)
            .chain(&self.survey_responses)
            .chain(&self.emails)
    }
}

/// Bind parameters per statement: well under SQLite's and PostgreSQL's limits, so an
/// event of 50,000 registrations is anonymized in many small statements.
const CHUNK: usize = 500;

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort_unstable();
    v.dedup();
    v
}

/// Finds the rows that hold data of `scope`'s people.
pub fn held(conn: &mut DbConnection, scope: Scope<'_>) -> Result<Held, AppError> {
    let mut h = Held::default();
    match scope {
        Scope::Event(event_id) => {
            h.invitations = invitations::table
                .filter(invitations::event_id.eq(event_id))
                .select(invitations::id)
                .load(conn)?;
            h.registrations = registrations::table
                .filter(registrations::event_id.eq(event_id))
                .select(registrations::id)
                .load(conn)?;
            h.nominations = nominations::table
                .filter(nominations::event_id.eq(event_id))
                .select(nominations::id)
                .load(conn)?;
            h.invitation_requests = invitation_requests::table
                .filter(invitation_requests::event_id.eq(event_id))
                .select(invitation_requests::id)
                .load(conn)?;
            h.scholarships = scholarship_requests::table
                .filter(scholarship_requests::event_id.eq(event_id))
                .select(scholarship_requests::id)
                .load(conn)?;
            h.emails = emails::table
                .filter(emails::event_id.eq(event_id))
                .select(emails::id)
                .load(conn)?;
            h.survey_responses = survey_responses::table
                .filter(survey_responses::event_id.eq(event_id))
                .select(survey_responses::id)
                .load(conn)?;
            // A person who also attended an event whose data is still kept keeps their
            // address there, so that they are counted once across events.
            let attended: Vec<String> = impact_attendances::table
                .filter(impact_attendances::event_id.eq(event_id))
                .select(impact_attendances::person_id)
                .load(conn)?;
            let mut still_kept = std::collections::HashSet::new();
            for chunk in attended.chunks(CHUNK) {
                still_kept.extend(
                    impact_attendances::table
                        .inner_join(events::table)
                        .filter(impact_attendances::person_id.eq_any(chunk))
                        .filter(events::anonymized_at.is_null())
                        .filter(events::id.ne(event_id))
                        .select(impact_attendances::person_id)
                        .load::<String>(conn)?,
                );
            }
            h.people = attended
                .into_iter()
                .filter(|p| !still_kept.contains(p))
                .collect();
        }
        Scope::Address(email) => {
            h.registrations = registrations::table
                .filter(registrations::email.eq(email))
                .select(registrations::id)
                .load(conn)?;
            let mut invitation_ids: Vec<String> = invitations::table
                .filter(invitations::email.eq(email))
                .select(invitations::id)
                .load(conn)?;
            // A registration whose address was corrected, and the invitation behind it.
            for chunk in h.registrations.chunks(CHUNK) {
                invitation_ids.extend(
                    registrations::table
                        .filter(registrations::id.eq_any(chunk))
                        .select(registrations::invitation_id)
                        .load::<String>(conn)?,
                );
            }
            h.invitations = dedup(invitation_ids);
            h.nominations = nominations::table
                .filter(nominations::email.eq(email))
                .select(nominations::id)
                .load(conn)?;
            h.invitation_requests = invitation_requests::table
                .filter(invitation_requests::email.eq(email))
                .select(invitation_requests::id)
                .load(conn)?;
            for chunk in h.registrations.chunks(CHUNK) {
                h.scholarships.extend(
                    scholarship_requests::table
                        .filter(scholarship_requests::registration_id.eq_any(chunk))
                        .select(scholarship_requests::id)
                        .load::<String>(conn)?,
                );
            }
            h.emails = emails::table
                .filter(emails::recipient.eq(email))
                .select(emails::id)
                .load(conn)?;
            h.people = impact_people::table
                .filter(impact_people::email.eq(email))
                .select(impact_people::id)
                .load(conn)?;
            for chunk in h.people.chunks(CHUNK) {
                h.survey_responses.extend(
                    survey_responses::table
                        .filter(survey_responses::person_id.eq_any(chunk))
                        .select(survey_responses::id)
                        .load::<String>(conn)?,
                );
            }
        }
    }
    h.people = dedup(std::mem::take(&mut h.people));
    Ok(h)
}

/// `anonymized-<row id>@invalid`: unique per row (the live-invitation index needs that),
/// and in a domain reserved never to receive mail.
macro_rules! placeholder_address {
    ($id:expr) => {
        "anonymized-"
            .into_sql::<Text>()
            .concat($id)
            .concat("@invalid")
    };
}

/// A stored hash no secret token hashes to (hashes are hex), unique per row.
macro_rules! dead_hash {
    ($id:expr) => {
        "anonymized:".into_sql::<Text>().concat($id)
    };
}

/// Anonymizes every row in `held` (see the module's words for what stays). Run it in
/// one transaction with [`held`].
pub fn anonymize(conn: &mut DbConnection, held: &Held) -> Result<(), AppError> {
    for ids in held.invitations.chunks(CHUNK) {
        diesel::update(invitations::table.filter(invitations::id.eq_any(ids)))
            .set((
                invitations::email.eq(placeholder_address!(invitations::id)),
                invitations::full_name.eq(ANONYMIZED_NAME),
                invitations::title.eq(""),
                invitations::organization.eq(None::<String>),
                invitations::message.eq(None::<String>),
                invitations::decline_reason.eq(None::<String>),
                invitations::token_hash.eq(dead_hash!(invitations::id)),
            ))
            .execute(conn)?;
        delivered_webhooks_forget(conn, ids)?;
    }
    for ids in held.registrations.chunks(CHUNK) {
        diesel::update(registrations::table.filter(registrations::id.eq_any(ids)))
            .set((
                registrations::email.eq(placeholder_address!(registrations::id)),
                registrations::full_name.eq(ANONYMIZED_NAME),
                registrations::title.eq(""),
                registrations::organization.eq(""),
                registrations::phone.eq(None::<String>),
                registrations::dietary_requirements.eq(None::<String>),
                registrations::accessibility_needs.eq(None::<String>),
                registrations::manage_token_hash.eq(dead_hash!(registrations::id)),
            ))
            .execute(conn)?;
        diesel::delete(
            registration_manage_tokens::table
                .filter(registration_manage_tokens::registration_id.eq_any(ids)),
        )
        .execute(conn)?;
        diesel::update(
            impact_attendances::table.filter(impact_attendances::registration_id.eq_any(ids)),
        )
        .set(impact_attendances::registration_id.eq(None::<String>))
        .execute(conn)?;
        delivered_webhooks_forget(conn, ids)?;
    }
    for ids in held.nominations.chunks(CHUNK) {
        diesel::update(nominations::table.filter(nominations::id.eq_any(ids)))
            .set((
                nominations::email.eq(placeholder_address!(nominations::id)),
                nominations::full_name.eq(ANONYMIZED_NAME),
                nominations::title.eq(""),
                nominations::organization.eq(""),
                nominations::reason.eq(""),
                nominations::decision_note.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    for ids in held.invitation_requests.chunks(CHUNK) {
        diesel::update(invitation_requests::table.filter(invitation_requests::id.eq_any(ids)))
            .set((
                invitation_requests::email.eq(placeholder_address!(invitation_requests::id)),
                invitation_requests::full_name.eq(ANONYMIZED_NAME),
                invitation_requests::title.eq(""),
                invitation_requests::organization.eq(""),
                invitation_requests::reason.eq(""),
                invitation_requests::decision_note.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    for ids in held.scholarships.chunks(CHUNK) {
        diesel::update(scholarship_requests::table.filter(scholarship_requests::id.eq_any(ids)))
            .set((
                scholarship_requests::justification.eq(""),
                scholarship_requests::decision_note.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    for ids in held.emails.chunks(CHUNK) {
        // Mail not yet sent to the person is not sent at all.
        diesel::update(
            emails::table
                .filter(emails::id.eq_any(ids))
                .filter(emails::status.eq("pending")),
        )
        .set(emails::status.eq("failed"))
        .execute(conn)?;
        diesel::update(emails::table.filter(emails::id.eq_any(ids)))
            .set((
                emails::recipient.eq(placeholder_address!(emails::id)),
                emails::subject.eq(ANONYMIZED_NAME),
                emails::body_text.eq(None::<String>),
                emails::body_html.eq(None::<String>),
                emails::attachments.eq(None::<String>),
                emails::last_error.eq(None::<String>),
                emails::locked_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(conn)?;
    }
    for ids in held.survey_responses.chunks(CHUNK) {
        diesel::update(survey_responses::table.filter(survey_responses::id.eq_any(ids)))
            .set((
                survey_responses::highlight.eq(None::<String>),
                survey_responses::testimonial.eq(None::<String>),
            ))
            .execute(conn)?;
        diesel::delete(survey_links::table.filter(survey_links::response_id.eq_any(ids)))
            .execute(conn)?;
    }
    for ids in held.people.chunks(CHUNK) {
        diesel::update(impact_people::table.filter(impact_people::id.eq_any(ids)))
            .set(impact_people::email.eq(None::<String>))
            .execute(conn)?;
    }
    let ids: Vec<&String> = held.all_ids().collect();
    for ids in ids.chunks(CHUNK) {
        diesel::update(audit_log::table.filter(audit_log::entity_id.eq_any(ids)))
            .set((
                audit_log::before_state.eq(None::<String>),
                audit_log::after_state.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Empties the bodies of the webhook deliveries ordered by these registrations or
/// invitations (`ordering_key`) once they are no longer waiting: what was delivered is
/// kept only as a log; what waits is still sent.
fn delivered_webhooks_forget(conn: &mut DbConnection, ids: &[String]) -> Result<(), AppError> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::ordering_key.eq_any(ids))
            .filter(webhook_deliveries::status.ne_all(["pending", "retrying"])),
    )
    .set(webhook_deliveries::body.eq("{}"))
    .execute(conn)?;
    Ok(())
}

/// Drops the details of every audit entry about the event (its people's, and those
/// about the event itself, which name no one but may quote a note).
pub fn drop_event_audit_details(conn: &mut DbConnection, id: &EventId) -> Result<(), AppError> {
    diesel::update(
        audit_log::table
            .filter(audit_log::event_id.eq(id))
            .filter(audit_log::entity_type.ne("event")),
    )
    .set((
        audit_log::before_state.eq(None::<String>),
        audit_log::after_state.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Rewrites the audit entries that name `email` as their subject (an export of it) so
/// that an erasure leaves the address nowhere.
pub fn forget_address_in_audit(conn: &mut DbConnection, email: &str) -> Result<(), AppError> {
    diesel::update(
        audit_log::table
            .filter(audit_log::entity_type.eq("person"))
            .filter(audit_log::entity_id.eq(email)),
    )
    .set(audit_log::entity_id.eq("(erased)"))
    .execute(conn)?;
    Ok(())
}

/// The events whose people's data is not anonymized yet, with what decides when it is
/// due: `(id, ends_on, timezone, retention_days)`.
pub fn events_kept(
    conn: &mut DbConnection,
) -> Result<Vec<(EventId, chrono::NaiveDate, String, i32)>, AppError> {
    Ok(events::table
        .filter(events::anonymized_at.is_null())
        .select((
            events::id,
            events::ends_on,
            events::timezone,
            events::retention_days,
        ))
        .load(conn)?)
}

/// Claims the event for anonymization: true for exactly one caller.
pub fn claim_event(
    conn: &mut DbConnection,
    event_id: &EventId,
    at: chrono::NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        events::table
            .find(event_id)
            .filter(events::anonymized_at.is_null()),
    )
    .set(events::anonymized_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Drops the bodies of emails that failed finally and were made before `before`: they
/// hold secret links, and after that long nobody resends them.
pub fn drop_old_failed_bodies(
    conn: &mut DbConnection,
    before: chrono::NaiveDateTime,
) -> Result<usize, AppError> {
    Ok(diesel::update(
        emails::table
            .filter(emails::status.eq("failed"))
            .filter(emails::created_at.lt(before))
            .filter(emails::body_text.is_not_null()),
    )
    .set((
        emails::body_text.eq(None::<String>),
        emails::body_html.eq(None::<String>),
        emails::attachments.eq(None::<String>),
    ))
    .execute(conn)?)
}

/// The rows behind [`Held`], for an export. Secret-link hashes are not part of them
/// (the models skip them when serialized).
#[derive(Debug, Default)]
pub struct HeldRows {
    pub invitations: Vec<super::invitation::Invitation>,
    pub registrations: Vec<super::registration::Registration>,
    pub check_ins: Vec<super::check_in::CheckIn>,
    /// Nominations of this person.
    pub nominations: Vec<super::nomination::Nomination>,
    /// Nominations this person made as a registrant.
    pub nominations_made: Vec<super::nomination::Nomination>,
    pub invitation_requests: Vec<super::invitation_request::InvitationRequest>,
    pub scholarships: Vec<super::scholarship::ScholarshipRequest>,
    pub emails: Vec<crate::email::outbox::EmailSummary>,
    pub survey_responses: Vec<super::survey::SurveyResponse>,
    pub audit: Vec<super::audit::AuditEntry>,
}

/// The rows of `$table` whose `$column` is one of `$ids`, read in chunks.
macro_rules! rows_where_in {
    ($conn:expr, $table:ident :: $column:ident in $ids:expr, $model:ty) => {{
        let mut rows: Vec<$model> = Vec::new();
        for chunk in $ids.chunks(CHUNK) {
            rows.extend(
                $table::table
                    .filter($table::$column.eq_any(chunk))
                    .select(<$model>::as_select())
                    .load($conn)?,
            );
        }
        rows
    }};
}

/// Loads the rows behind `held`, each kind in the order it was made.
pub fn rows(conn: &mut DbConnection, held: &Held) -> Result<HeldRows, AppError> {
    use super::{audit, check_in, invitation, invitation_request, nomination};
    use super::{registration, scholarship, survey};
    use crate::db::schema::check_ins;
    use crate::email::outbox::EmailSummary;
    let regs = &held.registrations;
    let all: Vec<&String> = held.all_ids().collect();
    let mut r = HeldRows {
        invitations: rows_where_in!(conn, invitations::id in held.invitations, invitation::Invitation),
        registrations: rows_where_in!(conn, registrations::id in regs, registration::Registration),
        check_ins: rows_where_in!(conn, check_ins::registration_id in regs, check_in::CheckIn),
        nominations: rows_where_in!(conn, nominations::id in held.nominations, nomination::Nomination),
        nominations_made: rows_where_in!(conn, nominations::registration_id in regs, nomination::Nomination),
        invitation_requests: rows_where_in!(
            conn,
            invitation_requests::id in held.invitation_requests,
            invitation_request::InvitationRequest
        ),
        scholarships: rows_where_in!(
            conn,
            scholarship_requests::id in held.scholarships,
            scholarship::ScholarshipRequest
        ),
        emails: rows_where_in!(conn, emails::id in held.emails, EmailSummary),
        survey_responses: rows_where_in!(
            conn,
            survey_responses::id in held.survey_responses,
            survey::SurveyResponse
        ),
        audit: rows_where_in!(conn, audit_log::entity_id in all, audit::AuditEntry),
    };
    r.invitations.sort_by_key(|x| x.created_at);
    r.registrations.sort_by_key(|x| x.created_at);
    r.nominations.sort_by_key(|x| x.created_at);
    r.nominations_made.sort_by_key(|x| x.created_at);
    r.invitation_requests.sort_by_key(|x| x.created_at);
    r.scholarships.sort_by_key(|x| x.created_at);
    r.emails.sort_by_key(|x| x.created_at);
    r.survey_responses.sort_by_key(|x| x.sent_at);
    r.audit.sort_by_key(|x| x.id);
    Ok(r)
}
