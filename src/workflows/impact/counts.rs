//! The counts behind the impact report, kept between reports.
//!
//! Why they may be kept: once an event's attendance is written down it never changes
//! (retention and erasure keep its rows, see the module above), so the distinct people
//! and communities of an event, and of a set of events, are counted once. Answers change
//! whenever someone answers; each event's answers have a version in the database, which
//! every write of an answer raises in its own transaction
//! (`db::models::impact::answers_changed`), and counts are kept with the version they
//! were made at. A report reads the versions (one row an event) and counts again only
//! the events whose answers changed. Each instance keeps its own counts and sees the
//! answers given through the others by their versions.
//!
//! What it saves: a programme of 100 events and 50,000 registrations was counted in
//! about 400 ms a report (distinct people and the answers' groups sorted each time),
//! with a p99 of 2 s on SQLite for eight organizers at once (`BENCHMARKS.md`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::db::models::impact::{self, AnswerCount};
use crate::db::DbConnection;
use crate::domain::EventId;
use crate::error::AppError;

/// Sets of events whose distinct people are kept; more are rare (a report per programme
/// and one of every event), and beyond it the kept sets are forgotten and counted again.
const MOST_SETS: usize = 64;

/// Distinct people and distinct communities.
pub type Attended = (i64, i64);

/// The kept counts of one server. Cheap to share: `Arc` it.
#[derive(Default)]
pub struct ImpactCounts {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// Per event whose attendance is written down: distinct people and communities.
    attendance: HashMap<EventId, Attended>,
    /// Per event: the version of its answers, and their counts at that version.
    answers: HashMap<EventId, (i64, Arc<[AnswerCount]>)>,
    /// Per set of events (their ids sorted, joined by commas): distinct people and
    /// communities in all, which is not the sum of the events'.
    in_all: HashMap<String, Attended>,
}

impl ImpactCounts {
    fn kept(&self) -> MutexGuard<'_, Kept> {
        // The counts are only ever replaced whole under the lock: a panic elsewhere
        // leaves nothing half-written, so a poisoned lock may be used.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Distinct people and communities per event, and of them all. Every event's
    /// attendance must be written down already (its counts never change after that).
    pub fn attendance(
        &self,
        conn: &mut DbConnection,
        event_ids: &[EventId],
    ) -> Result<(HashMap<EventId, Attended>, Attended), AppError> {
        let missing: Vec<EventId> = {
            let kept = self.kept();
            event_ids
                .iter()
                .filter(|id| !kept.attendance.contains_key(*id))
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            let counted = impact::attendance_by_event(conn, &missing)?;
            let mut kept = self.kept();
            // An event that nobody attended has no rows, and counts nobody.
            for id in missing {
                kept.attendance.entry(id).or_default();
            }
            for (id, people, communities) in counted {
                kept.attendance.insert(id, (people, communities));
            }
        }
        let mut key: Vec<&str> = event_ids.iter().map(EventId::as_str).collect();
        key.sort_unstable();
        let key = key.join(",");
        let known = self.kept().in_all.get(&key).copied();
        let in_all = match known {
            Some(counts) => counts,
            None => {
                let counts = impact::attendance_in_all(conn, event_ids)?;
                let mut kept = self.kept();
                if kept.in_all.len() >= MOST_SETS {
                    kept.in_all.clear();
                }
                kept.in_all.insert(key, counts);
                counts
            }
        };
        let kept = self.kept();
        let per_event = event_ids
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    kept.attendance.get(id).copied().unwrap_or_default(),
                )
            })
            .collect();
        Ok((per_event, in_all))
    }

    /// The answers of each event, counted as of now.
    pub fn answers(
        &self,
        conn: &mut DbConnection,
        event_ids: &[EventId],
    ) -> Result<HashMap<EventId, Arc<[AnswerCount]>>, AppError> {
        // The versions first: counts made after reading them are at least that new, so
        // keeping them under these versions never keeps an older count as a newer one.
        let versions = impact::answers_versions(conn, event_ids)?;
        let version = |id: &EventId| versions.get(id).copied().unwrap_or(0);
        let stale: Vec<EventId> = {
            let kept = self.kept();
            event_ids
                .iter()
                .filter(|id| kept.answers.get(*id).is_none_or(|(v, _)| *v != version(id)))
                .cloned()
                .collect()
        };
        if !stale.is_empty() {
            let mut counted: HashMap<EventId, Vec<AnswerCount>> =
                stale.iter().map(|id| (id.clone(), Vec::new())).collect();
            for a in impact::answer_counts(conn, &stale)? {
                counted.entry(a.event_id.clone()).or_default().push(a);
            }
            let mut kept = self.kept();
            for (id, rows) in counted {
                let v = version(&id);
                // A slower report that counted an older version does not replace newer
                // counts.
                if kept.answers.get(&id).is_none_or(|(old, _)| *old <= v) {
                    kept.answers.insert(id, (v, rows.into()));
                }
            }
        }
        let kept = self.kept();
        Ok(event_ids
            .iter()
            .filter_map(|id| Some((id.clone(), kept.answers.get(id)?.1.clone())))
            .collect())
    }
}
