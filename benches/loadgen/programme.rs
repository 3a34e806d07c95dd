//! Seeding for the Part 2 scenarios, through the library: a programme of many ended
//! events with their registrations, check-ins and survey answers (the impact report and
//! the retention sweep read them). Some people attend several events and every event
//! draws on the same towns, so that the report's distinct counts have work to do.

use std::collections::BTreeSet;

use anyhow::Context;
use chrono::{Duration as Days, Utc};
use convene::db::models::check_in::CheckIn;
use convene::db::models::event::{self, Event};
use convene::db::models::impact;
use convene::db::models::survey::SurveyResponse;
use convene::db::models::{community, invitation, registration};
use convene::db::schema::{check_ins, events, survey_responses};
use convene::db::{self, write_transaction, DbConnection};
use convene::domain::check_in::CheckInCode;
use convene::domain::community::CommunitySpec;
use convene::domain::event::{EventFields, EventSpec, EventStatus};
use convene::domain::invitation::{InvitationKind, InvitationSpec, InvitationStatus};
use convene::domain::registration::{RegistrationForm, RegistrationStatus};
use convene::domain::survey::Wave;
use convene::domain::{EmailAddress, EventId, RegistrationId, SecretToken};
use diesel::prelude::*;

/// Runs `$body` on the backend's own connection: a multi-row INSERT does not compile
/// through the MultiConnection (the service has the same macro, crate-private).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            DbConnection::Sqlite($c) => $body,
            DbConnection::Postgresql($c) => $body,
        }
    };
}

/// Towns the programme's people come from (the real one counted 57).
const TOWNS: usize = 57;
/// Rows per multi-row INSERT: well under SQLite's limit on bound values.
const CHUNK: usize = 500;

pub struct Programme {
    pub name: String,
    pub event_ids: Vec<EventId>,
    pub registrations: usize,
    /// Distinct addresses among the people checked in.
    pub participants: usize,
    pub communities: usize,
}

/// `events` events of programme `name`, ended about 400 days ago, each with `per_event`
/// confirmed registrants of whom nine in ten were checked in. One address in five comes
/// back to a second event. Retention is set to its maximum, so that nothing is due
/// until the retention scenario says so.
pub fn seed(
    conn: &mut DbConnection,
    name: &str,
    events: usize,
    per_event: usize,
    admin_id: &str,
) -> anyhow::Result<Programme> {
    let distinct = (events * per_event * 4 / 5).max(1);
    let today = Utc::now().date_naive();
    let mut attended: BTreeSet<usize> = BTreeSet::new();
    let mut towns_seen: BTreeSet<usize> = BTreeSet::new();
    let mut event_ids = Vec::with_capacity(events);
    for e in 0..events {
        let starts_on = today - Days::days(400) + Days::days(e as i64 % 30);
        let spec = EventSpec::parse(EventFields {
            name: format!("Programme workshop {e}"),
            ends_on: starts_on + Days::days(1),
            timezone: "Europe/Lisbon".into(),
            scholarship_budget_cents: 0,
            currency: "EUR".into(),
            status: EventStatus::Closed,
            program: Some(name.to_owned()),
            reminder_days_before: None,
            retention_days: 3650,
            ..crate::seed::event_fields(
                &format!("{name}-{e}"),
                starts_on,
                i64::try_from(per_event)?,
            )
        })
        .map_err(|e| anyhow::anyhow!("event spec: {e:?}"))?;
        let id = write_transaction(conn, |conn| -> anyhow::Result<EventId> {
            let event = event::create(conn, &spec)?;
            let at = db::now();
            let mut arrivals = Vec::with_capacity(per_event);
            for j in 0..per_event {
                let person = (e * per_event + j) % distinct;
                let town = (person * 7 + e) % TOWNS;
                let community_spec =
                    CommunitySpec::parse(Some(&format!("Town {town}")), Some("PT"), None)
                        .map_err(|e| anyhow::anyhow!("community: {e:?}"))?;
                let community = community::find_or_create(conn, &community_spec)?;
                let email = EmailAddress::parse(&format!("person{person}@programme.example"))
                    .map_err(anyhow::Error::msg)?;
                let spec = InvitationSpec {
                    email: email.clone(),
                    full_name: format!("Person {person}"),
                    title: "Public servant".into(),
                    community: community_spec.clone(),
                    kind: InvitationKind::Executive,
                    message: None,
                    organization: Some(format!("Town {town}")),
                    expires_at: None,
                };
                let inv = invitation::create(
                    conn,
                    invitation::NewInvitationArgs {
                        event_id: &event.id,
                        community_id: &community.id,
                        spec: &spec,
                        token_hash: &SecretToken::generate().hash(),
                        status: InvitationStatus::Accepted,
                        expires_at: at + Days::days(30),
                        invited_by: Some(admin_id),
                        nominated_by: None,
                        at,
                    },
                )?;
                let form = RegistrationForm {
                    full_name: spec.full_name.clone(),
                    email,
                    title: spec.title.clone(),
                    organization: format!("Town {town}"),
                    community: community_spec,
                    phone: None,
                    dietary_requirements: None,
                    accessibility_needs: None,
                    nomination: None,
                    scholarship: None,
                };
                let reg = registration::create(
                    conn,
                    registration::NewRegistrationArgs {
                        id: RegistrationId::new(),
                        event_id: &event.id,
                        invitation_id: &inv.id,
                        community_id: &community.id,
                        kind: InvitationKind::Executive,
                        form: &form,
                        status: RegistrationStatus::Confirmed,
                        manage_token_hash: &SecretToken::generate().hash(),
                        at,
                        checkin_code: &CheckInCode::generate(),
                    },
                )?;
                if j % 10 != 9 {
                    attended.insert(person);
                    towns_seen.insert(town);
                    arrivals.push(CheckIn {
                        registration_id: reg.id,
                        event_id: event.id.clone(),
                        checked_in_at: at,
                        checked_in_by: Some(admin_id.to_owned()),
                    });
                }
            }
            for chunk in arrivals.chunks(CHUNK) {
                on_backend!(conn, |c| diesel::insert_into(check_ins::table)
                    .values(chunk)
                    .execute(c))?;
            }
            Ok(event.id)
        })?;
        event_ids.push(id);
    }
    Ok(Programme {
        name: name.to_owned(),
        event_ids,
        registrations: events * per_event,
        participants: attended.len(),
        communities: towns_seen.len(),
    })
}

/// Answers for the written-down attendance of the programme's events: seven in ten
/// attendees answer the post-event survey, four in ten the follow-up. Returns how many
/// answers were stored.
pub fn answer_surveys(conn: &mut DbConnection, p: &Programme) -> anyhow::Result<usize> {
    let attendances = impact::attendances(conn, &p.event_ids)?;
    anyhow::ensure!(
        !attendances.is_empty(),
        "the attendance must be written down (by a first report) before surveys are answered"
    );
    let at = db::now();
    let mut rows = Vec::new();
    for (i, a) in attendances.iter().enumerate() {
        if i % 10 < 7 {
            let mut r = SurveyResponse::new(&a.event_id, &a.person_id, Wave::PostEvent, at);
            r.answered_at = Some(at);
            r.would_recommend = Some(i % 50 != 0);
            r.learned = Some(i % 20 != 0);
            r.testimonial = (i % 100 == 0).then(|| format!("Workshop {i} changed how we plan."));
            r.may_quote = i % 200 == 0;
            rows.push(r);
        }
        if i % 10 < 4 {
            let mut r = SurveyResponse::new(&a.event_id, &a.person_id, Wave::FollowUp, at);
            r.answered_at = Some(at);
            r.still_applying = Some(i % 7 != 0);
            r.residents_engaged = Some((i % 50) as i64);
            rows.push(r);
        }
    }
    write_transaction(conn, |conn| -> anyhow::Result<()> {
        for chunk in rows.chunks(CHUNK / 2) {
            on_backend!(conn, |c| diesel::insert_into(survey_responses::table)
                .values(chunk)
                .execute(c))
            .context("survey answers")?;
        }
        // Inserted behind the library's back: say so, as every write of an answer does,
        // or the report would keep the counts of its first run.
        for id in &p.event_ids {
            impact::answers_changed(conn, id, at)?;
        }
        Ok(())
    })?;
    Ok(rows.len())
}

/// Makes the programme's people due for anonymizing now (30 days after events that
/// ended more than a year ago).
pub fn make_due(conn: &mut DbConnection, p: &Programme) -> anyhow::Result<()> {
    diesel::update(events::table.filter(events::program.eq(&p.name)))
        .set(events::retention_days.eq(30))
        .execute(conn)?;
    Ok(())
}

/// The programme's events, to tell whether all were anonymized.
pub fn anonymized(conn: &mut DbConnection, p: &Programme) -> anyhow::Result<usize> {
    let all: Vec<Event> = event::list(conn, None)?;
    Ok(all
        .iter()
        .filter(|e| e.program.as_deref() == Some(p.name.as_str()) && e.anonymized_at.is_some())
        .count())
}
