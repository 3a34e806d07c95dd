//! One pass of the time-based work: what the sweeper of every instance runs on its timer
//! (`jobs::Sweeper`) and what `convene sweep [--as-of TIME]` runs once.
//!
//! Each task is safe with several instances sweeping one database at the same moment
//! (each item is claimed by one conditional write, so it is handled once in all), and
//! each takes the time to act as of, so that a test or an operator can run a pass as if
//! at a later date. A task that fails does not stop the others: the next pass tries it
//! again.

use chrono::{DateTime, Utc};
use url::Url;

use crate::db::DbConnection;
use crate::error::AppError;
use crate::workflows::award_deadlines::sweep_scholarships;
use crate::workflows::remind_registrants::sweep_reminders;
use crate::workflows::retention::sweep_retention;
use crate::workflows::survey_waves::sweep_surveys;

/// One task of the sweep: it adds what it did to the report.
type Task = fn(&mut DbConnection, &Url, DateTime<Utc>, &mut SweepReport) -> Result<(), AppError>;

/// The tasks of one pass, in order, each with the name its failure is reported under.
/// A new piece of time-based work is one line here and one function below.
const TASKS: &[(&str, Task)] = &[
    ("scholarship awards", scholarship_awards),
    ("survey waves", survey_waves),
    ("registration reminders", registration_reminders),
    ("retention", retention),
];

/// What one pass did: a count per kind of thing done, and the tasks that failed.
#[derive(Debug, Default)]
pub struct SweepReport {
    /// `(what, how many)`, in the order the tasks ran; zero counts included.
    pub counts: Vec<(&'static str, usize)>,
    /// `(task, error)` for each task that failed.
    pub failed: Vec<(&'static str, AppError)>,
}

impl SweepReport {
    fn count(&mut self, what: &'static str, n: usize) {
        self.counts.push((what, n));
    }

    /// How many things of this kind the pass did (0 if none, or if its task failed).
    pub fn get(&self, what: &str) -> usize {
        self.counts
            .iter()
            .filter(|(w, _)| *w == what)
            .map(|(_, n)| n)
            .sum()
    }

    /// Whether the pass did anything at all (then it may have queued mail).
    pub fn did_anything(&self) -> bool {
        self.counts.iter().any(|(_, n)| *n > 0)
    }
}

/// Runs every task once, as of `as_of`, each in transactions of its own.
pub fn sweep(conn: &mut DbConnection, base_url: &Url, as_of: DateTime<Utc>) -> SweepReport {
    let mut report = SweepReport::default();
    for (name, task) in TASKS {
        if let Err(e) = task(conn, base_url, as_of, &mut report) {
            report.failed.push((name, e));
        }
    }
    report
}

fn scholarship_awards(
    conn: &mut DbConnection,
    base_url: &Url,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let done = sweep_scholarships(conn, base_url, as_of)?;
    report.count("scholarship awards lapsed", done.lapsed);
    report.count("scholarship award reminders queued", done.reminded);
    Ok(())
}

fn survey_waves(
    conn: &mut DbConnection,
    base_url: &Url,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let done = sweep_surveys(conn, base_url, as_of)?;
    report.count("post-event surveys sent", done.post_event);
    report.count("follow-up surveys sent", done.follow_up);
    report.count("survey reminders queued", done.reminded);
    Ok(())
}

fn registration_reminders(
    conn: &mut DbConnection,
    base_url: &Url,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let reminded = sweep_reminders(conn, base_url, as_of)?;
    report.count("registration reminders queued", reminded);
    Ok(())
}

fn retention(
    conn: &mut DbConnection,
    _: &Url,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let done = sweep_retention(conn, as_of)?;
    report.count("events anonymized", done.events);
    report.count("failed email bodies dropped", done.bodies);
    Ok(())
}
