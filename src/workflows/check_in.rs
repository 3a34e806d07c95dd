//! Check-in at the door: a desk checks a confirmed registrant in (by the code on their QR
//! code, or by the registration found by name), undoes a mistake, and watches arrivals
//! against the people expected; and the caterer's counts of the confirmed registrants'
//! requirements.

use std::collections::HashMap;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::check_in::{self, CheckIn, CheckInBy};
use crate::db::models::community::Community;
use crate::db::models::event::Event;
use crate::db::models::registration::{self, Registration};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::check_in::{looks_like_id, readable, requirement_key, CheckInTarget};
use crate::domain::refusal::{Record, Refusal};
use crate::domain::registration::RegistrationStatus;
use crate::domain::{RegistrationId, SecretToken};
use crate::error::AppError;
use crate::webhooks;

/// Someone checked in: the registration, its community and the new check-in.
#[derive(Debug)]
pub struct CheckedIn {
    pub registration: Registration,
    pub community: Community,
    pub check_in: CheckIn,
}

/// Why a desk cannot check someone in. `http` turns each into its status and words.
#[derive(Debug)]
pub enum CheckInError {
    /// No registration of this event has that code.
    UnknownCode,
    /// No registration of this event has that id.
    UnknownRegistration,
    /// Checked in already, at that moment, by that organizer.
    AlreadyCheckedIn {
        registration: Box<Registration>,
        previous: CheckInBy,
    },
    /// Waitlisted or cancelled: not expected at the door.
    NotConfirmed {
        registration: Box<Registration>,
        status: RegistrationStatus,
    },
    Other(AppError),
}

impl From<AppError> for CheckInError {
    fn from(e: AppError) -> Self {
        Self::Other(e)
    }
}

impl From<diesel::result::Error> for CheckInError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Other(e.into())
    }
}

/// Checks in the registrant `target` names, for `organizer`, and audits it, in one
/// transaction. Of two desks scanning the same person at once, the database lets one
/// insert through (the check-in's primary key is the registration); the other is told
/// when and by whom, as for any repeated scan.
pub fn check_in(
    conn: &mut DbConnection,
    event: &Event,
    target: &CheckInTarget,
    organizer_id: &str,
) -> Result<CheckedIn, CheckInError> {
    write_transaction(conn, |conn| {
        let found = match target {
            CheckInTarget::UnknownCode | CheckInTarget::UnknownRegistration => None,
            CheckInTarget::Code(code) => {
                check_in::registration_by_code(conn, &event.id, code.as_str())?
            }
            CheckInTarget::RegistrationId(id) => check_in::registration_by_id(conn, &event.id, id)?,
        };
        let Some((registration, community)) = found else {
            return Err(match target {
                CheckInTarget::RegistrationId(_) | CheckInTarget::UnknownRegistration => {
                    CheckInError::UnknownRegistration
                }
                CheckInTarget::Code(_) | CheckInTarget::UnknownCode => CheckInError::UnknownCode,
            });
        };
        let status = registration.status();
        if status != RegistrationStatus::Confirmed {
            return Err(CheckInError::NotConfirmed {
                registration: Box::new(registration),
                status,
            });
        }
        let row = CheckIn {
            registration_id: registration.id.clone(),
            event_id: event.id.clone(),
            checked_in_at: db::now(),
            checked_in_by: Some(organizer_id.to_owned()),
        };
        if !check_in::insert(conn, &row)? {
            // Checked in before, or by another desk a moment ago (then its row is
            // committed: the insert waited for it).
            let previous = check_in::find(conn, &registration.id)?
                .ok_or(AppError::Refused(Refusal::Stale(Record::CheckIn)))?;
            return Err(CheckInError::AlreadyCheckedIn {
                registration: Box::new(registration),
                previous,
            });
        }
        audit::record(
            conn,
            &Actor::organizer(organizer_id),
            Entry::new(
                "registration.checked_in",
                "registration",
                registration.id.as_str(),
                Some(&event.id),
            )
            .after(audit::state(&row)),
        )?;
        webhooks::on_check_in(conn, &row)?;
        Ok(CheckedIn {
            registration,
            community,
            check_in: row,
        })
    })
}

/// Undoes a check-in (the desk checked in the wrong person), audited. 404 when the
/// registration of this event is not checked in.
pub fn undo(
    conn: &mut DbConnection,
    event: &Event,
    registration_id: &RegistrationId,
    organizer_id: &str,
) -> Result<CheckIn, AppError> {
    let not_found = || AppError::not_found("check-in of this registration");
    if !looks_like_id(registration_id.as_str()) {
        return Err(not_found());
    }
    write_transaction(conn, |conn| {
        let removed = check_in::delete(conn, &event.id, registration_id)?.ok_or_else(not_found)?;
        audit::record(
            conn,
            &Actor::organizer(organizer_id),
            Entry::new(
                "registration.check_in_undone",
                "registration",
                registration_id.as_str(),
                Some(&event.id),
            )
            .before(audit::state(&removed)),
        )?;
        Ok(removed)
    })
}

/// Arrivals against the people expected.
pub struct Arrivals {
    /// Confirmed registrations.
    pub expected: i64,
    /// Check-ins of registrations still confirmed: a person who arrived and cancelled
    /// later is listed, but no longer counted against those expected.
    pub arrived: i64,
    /// Latest first.
    pub check_ins: Vec<(CheckInBy, Registration, Community)>,
}

pub fn arrivals(conn: &mut DbConnection, event: &Event) -> Result<Arrivals, AppError> {
    let check_ins = check_in::list(conn, &event.id)?;
    let arrived = check_ins
        .iter()
        .filter(|(_, r, _)| r.status() == RegistrationStatus::Confirmed)
        .count() as i64;
    Ok(Arrivals {
        expected: check_in::confirmed_count(conn, &event.id)?,
        arrived,
        check_ins,
    })
}

/// One requirement for the caterer: a readable spelling and how many asked for it.
#[derive(Debug, PartialEq, Eq)]
pub struct Need {
    pub text: String,
    pub count: i64,
}

/// The caterer's numbers: confirmed registrants and their requirements, grouped.
pub struct Catering {
    pub confirmed: i64,
    pub dietary: Vec<Need>,
    pub accessibility: Vec<Need>,
}

pub fn catering(conn: &mut DbConnection, event: &Event) -> Result<Catering, AppError> {
    let needs = check_in::confirmed_needs(conn, &event.id)?;
    let confirmed = needs.len() as i64;
    let (dietary, accessibility): (Vec<_>, Vec<_>) = needs.into_iter().unzip();
    Ok(Catering {
        confirmed,
        dietary: group(dietary.iter().flatten()),
        accessibility: group(accessibility.iter().flatten()),
    })
}

/// Answers that say there is nothing to cater for, not a requirement.
const NOTHING: &[&str] = &["-", "n/a", "na", "no", "none", "nothing", "nil"];

/// Groups free-text answers case- and space-insensitively; each group is shown in its most
/// frequent spelling (the first written on a tie), most asked-for first.
fn group<'a>(answers: impl Iterator<Item = &'a String>) -> Vec<Need> {
    // key -> (count, first seen, spelling -> (count, first seen))
    type Spellings = HashMap<String, (i64, usize)>;
    let mut groups: HashMap<String, (i64, usize, Spellings)> = HashMap::new();
    for (i, raw) in answers.enumerate() {
        let Some(key) = requirement_key(raw) else {
            continue;
        };
        if NOTHING.contains(&key.as_str()) {
            continue;
        }
        let entry = groups.entry(key).or_insert((0, i, HashMap::new()));
        entry.0 += 1;
        let spelling = entry.2.entry(readable(raw)).or_insert((0, i));
        spelling.0 += 1;
    }
    let mut out: Vec<(i64, usize, String)> = groups
        .into_values()
        .map(|(count, first, spellings)| {
            let text = spellings
                .into_iter()
                .max_by(|(_, (a, ai)), (_, (b, bi))| a.cmp(b).then(bi.cmp(ai)))
                .map(|(s, _)| s)
                .unwrap_or_default();
            (count, first, text)
        })
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    out.into_iter()
        .map(|(count, _, text)| Need { text, count })
        .collect()
}

/// The check-in code of the registration behind a manage link, while it is confirmed.
/// An unknown token is [`AppError::UnknownToken`] (counted against the caller's address).
pub fn code_for_manage_token(conn: &mut DbConnection, raw: &str) -> Result<String, AppError> {
    let hash = SecretToken::parse(raw)
        .map(|t| t.hash())
        .ok_or(AppError::UnknownToken("registration"))?;
    let reg = registration::find_by_manage_hash(conn, &hash)?
        .ok_or(AppError::UnknownToken("registration"))?;
    if reg.status() != RegistrationStatus::Confirmed {
        return Err(AppError::not_found(
            "check-in code: only a confirmed registration has one",
        ));
    }
    Ok(reg.checkin_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_are_grouped_and_shown_in_their_most_frequent_spelling() {
        let answers: Vec<String> = [
            "vegetarian",
            "  Vegetarian ",
            "Vegetarian",
            "GLUTEN   free",
            "Halal",
            "gluten free",
            "none",
            "  ",
        ]
        .map(String::from)
        .to_vec();
        let needs = group(answers.iter());
        assert_eq!(
            needs,
            [
                Need {
                    text: "Vegetarian".into(),
                    count: 3
                },
                Need {
                    text: "GLUTEN free".into(),
                    count: 2
                },
                Need {
                    text: "Halal".into(),
                    count: 1
                },
            ]
        );
    }
}
