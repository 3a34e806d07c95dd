//! The impact report of a programme (or of every event): what funders read.
//!
//! Definitions (PRODUCT.md Part 2, D). Only events that have ended count (not drafts).
//! - `participants`: distinct people who attended, by email address; an attendee is
//!   someone checked in, or, for an event where nobody was checked in, a confirmed
//!   registrant; a cancelled registration never counts.
//! - `communities`: the distinct communities those participants came from.
//! - `residents_engaged`: the sum of the follow-up answers.
//! - each rate `{yes, answered, percent}`: of the answers given to that question (one per
//!   survey, so a person who attended two events answers for each), how many were yes;
//!   `percent` rounded half up, `null` when nobody answered.
//! - `testimonials`: only those whose author allowed quoting, with their name, title and
//!   community while these are kept.
//!
//! Storage, and why the figures survive the deletion of personal data: when an event has
//! ended its attendance is written down once (`impact_attendances`: event, person id,
//! community, and a link to the registration), where the person id comes from
//! `impact_people`, one random id per address. The answers are columns of
//! `survey_responses` keyed by (event, person id, wave). The figures read only ids,
//! communities, booleans and counts. So the retention sweep may anonymize registrations,
//! set `impact_people.email`, `impact_attendances.registration_id`,
//! `survey_responses.highlight` and `.testimonial` to NULL, and delete `survey_links`,
//! and every figure but the testimonials stays the same; it must not delete the rows of
//! `impact_attendances`, `impact_people` or `survey_responses`, nor the communities.
//! (Writing the attendance down before anonymizing: `survey_waves::record_attendance`,
//! which is idempotent.)

mod counts;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::{self, Event};
use crate::db::models::impact::{self, AnswerCount, Attendance};
use crate::db::models::registration;
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::event::EventStatus;
use crate::domain::survey::{Rate, Wave};
use crate::domain::{CommunityId, EventId, RegistrationId};
use crate::error::AppError;
use crate::workflows::survey_waves::{event_ended_at, record_attendance};

pub use counts::ImpactCounts;

/// The figures of one event, or of all of them together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    pub participants: i64,
    pub communities: i64,
    pub residents_engaged: i64,
    pub would_recommend: Rate,
    pub learned: Rate,
    pub still_applying: Rate,
}

/// A quote its author allowed.
#[derive(Clone, Debug)]
pub struct Testimonial {
    pub quote: String,
    pub name: String,
    pub title: String,
    pub community: Community,
    pub event_slug: String,
    pub event_name: String,
}

/// The report: the figures of every event together, and of each.
#[derive(Clone, Debug)]
pub struct Report {
    pub program: Option<String>,
    pub total: Figures,
    pub events: Vec<(Event, Figures)>,
    pub testimonials: Vec<Testimonial>,
}

/// The events a report covers: of the programme (or all), ended by `as_of`, no drafts,
/// earliest first.
fn ended_events(
    conn: &mut DbConnection,
    program: Option<&str>,
    as_of: DateTime<Utc>,
) -> Result<Vec<Event>, AppError> {
    let mut events: Vec<Event> = event::list(conn, None)?
        .into_iter()
        .filter(|e| program.is_none_or(|p| e.program.as_deref() == Some(p)))
        .filter(|e| e.status() != EventStatus::Draft && event_ended_at(e) <= as_of)
        .collect();
    events.sort_by(|a, b| a.starts_on.cmp(&b.starts_on).then(a.slug.cmp(&b.slug)));
    Ok(events)
}

/// The report as of `as_of`; the attendance of an ended event not yet written down is
/// written down first.
///
/// The database counts (distinct people and communities, answers by event, wave and
/// answer), so a report reads tens of rows an event, not one per person; and the counts
/// are kept between reports ([`ImpactCounts`]), so a report counts again only the
/// events answered since the last.
pub fn report(
    conn: &mut DbConnection,
    counts: &ImpactCounts,
    program: Option<&str>,
    as_of: DateTime<Utc>,
) -> Result<Report, AppError> {
    let events = ended_events(conn, program, as_of)?;
    let ids: Vec<EventId> = events.iter().map(|e| e.id.clone()).collect();
    let recorded = impact::attendance_recorded_among(conn, &ids)?;
    for e in events.iter().filter(|e| !recorded.contains(&e.id)) {
        record_attendance(conn, e, as_of)?;
    }
    let (attended, (people, communities)) = counts.attendance(conn, &ids)?;
    let answered = counts.answers(conn, &ids)?;
    let total = figures(
        people,
        communities,
        answered.values().flat_map(|a| a.iter()),
    );
    let per_event = events
        .into_iter()
        .map(|e| {
            let (people, communities) = attended.get(&e.id).copied().unwrap_or_default();
            let answers = answered.get(&e.id).map_or(&[][..], |a| &a[..]);
            let f = figures(people, communities, answers.iter());
            (e, f)
        })
        .collect::<Vec<_>>();
    let testimonials = testimonials(conn, &per_event, &ids)?;
    Ok(Report {
        program: program.map(str::to_owned),
        total,
        events: per_event,
        testimonials,
    })
}

fn figures<'a>(
    participants: i64,
    communities: i64,
    answers: impl Iterator<Item = &'a AnswerCount> + Clone,
) -> Figures {
    let rate = |wave: Wave, pick: fn(&AnswerCount) -> Option<bool>| {
        let (mut yes, mut given) = (0, 0);
        for a in answers.clone().filter(|a| a.wave == wave.as_str()) {
            if let Some(b) = pick(a) {
                given += a.answers;
                yes += if b { a.answers } else { 0 };
            }
        }
        Rate::of(yes, given)
    };
    Figures {
        participants,
        communities,
        residents_engaged: answers
            .clone()
            .filter(|a| a.wave == Wave::FollowUp.as_str())
            .map(|a| a.residents_engaged)
            .sum(),
        would_recommend: rate(Wave::PostEvent, |a| a.would_recommend),
        learned: rate(Wave::PostEvent, |a| a.learned),
        still_applying: rate(Wave::FollowUp, |a| a.still_applying),
    }
}

fn testimonials(
    conn: &mut DbConnection,
    events: &[(Event, Figures)],
    event_ids: &[EventId],
) -> Result<Vec<Testimonial>, AppError> {
    let answered = impact::quotable(conn, event_ids)?;
    let person_ids: Vec<&str> = answered.iter().map(|r| r.person_id.as_str()).collect();
    let attendances = impact::attendances_of(conn, &person_ids)?;
    let by_person: HashMap<(&str, &str), &Attendance> = attendances
        .iter()
        .map(|a| ((a.event_id.as_str(), a.person_id.as_str()), a))
        .collect();
    let events: HashMap<&str, &Event> = events.iter().map(|(e, _)| (e.id.as_str(), e)).collect();
    // The quotes that may be shown, with the attendance that says whose they are.
    let mut quotes = Vec::new();
    for r in answered.iter().filter(|r| r.may_quote) {
        let Some(quote) = r.testimonial.as_deref().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let Some(a) = by_person.get(&(r.event_id.as_str(), r.person_id.as_str())) else {
            continue;
        };
        // Without the person's details (deleted), a quote cannot be attributed: left out.
        let Some(reg_id) = a.registration_id.as_ref() else {
            continue;
        };
        let Some(e) = events.get(r.event_id.as_str()) else {
            continue;
        };
        quotes.push((quote, reg_id, &a.community_id, *e));
    }
    let reg_ids: Vec<&RegistrationId> = quotes.iter().map(|q| q.1).collect();
    let people: HashMap<RegistrationId, registration::Registration> =
        registration::find_many(conn, &reg_ids)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
    let community_ids: Vec<&CommunityId> = quotes.iter().map(|q| q.2).collect();
    let places: HashMap<CommunityId, Community> = community::find_many(conn, &community_ids)?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let mut out = Vec::with_capacity(quotes.len());
    for (quote, reg_id, community_id, e) in quotes {
        let (Some(reg), Some(place)) = (people.get(reg_id), places.get(community_id)) else {
            return Err(AppError::not_found(
                "the registration or community of a testimonial",
            ));
        };
        out.push(Testimonial {
            quote: quote.to_owned(),
            name: reg.full_name.clone(),
            title: reg.title.clone(),
            community: place.clone(),
            event_slug: e.slug.clone(),
            event_name: e.name.clone(),
        });
    }
    Ok(out)
}

/// A programme and its events.
#[derive(Clone, Debug)]
pub struct Program {
    pub program: String,
    pub published: bool,
    pub events: Vec<Event>,
}

/// Every programme named by an event, by name, each with its events, earliest first.
pub fn programs(conn: &mut DbConnection) -> Result<Vec<Program>, AppError> {
    let published = impact::published(conn)?;
    let mut by_name: std::collections::BTreeMap<String, Vec<Event>> = Default::default();
    for e in event::list(conn, None)? {
        if let Some(p) = e.program.clone() {
            by_name.entry(p).or_default().push(e);
        }
    }
    Ok(by_name
        .into_iter()
        .map(|(program, mut events)| {
            events.sort_by(|a, b| a.starts_on.cmp(&b.starts_on).then(a.slug.cmp(&b.slug)));
            Program {
                published: published.contains(&program),
                program,
                events,
            }
        })
        .collect())
}

/// Makes the programme's impact page public (404 for a programme no event names);
/// publishing again changes nothing.
pub fn publish(conn: &mut DbConnection, program: &str, organizer_id: &str) -> Result<(), AppError> {
    write_transaction(conn, |conn| {
        let known = event::list(conn, None)?
            .iter()
            .any(|e| e.program.as_deref() == Some(program));
        if !known {
            return Err(AppError::not_found("programme"));
        }
        if impact::publish(conn, program, organizer_id, db::now())? {
            audit::record(
                conn,
                &Actor::organizer(organizer_id),
                Entry::new("program.published", "program", program, None),
            )?;
        }
        Ok(())
    })
}

/// The public report of a published programme; 404 before it is published.
pub fn public_report(
    conn: &mut DbConnection,
    counts: &ImpactCounts,
    program: &str,
    as_of: DateTime<Utc>,
) -> Result<Report, AppError> {
    if !impact::is_published(conn, program)? {
        return Err(AppError::not_found("published programme"));
    }
    report(conn, counts, Some(program), as_of)
}
