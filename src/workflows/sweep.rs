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

use crate::config::{BounceImapSettings, JobSettings};
use crate::db::{write_transaction, DbConnection};
use crate::email::bounce_mailbox::{self, Handled};
use crate::email::dsn;
use crate::error::AppError;
use crate::workflows::award_deadlines::sweep_scholarships;
use crate::workflows::record_bounce::{record_bounce, BounceOutcome};
use crate::workflows::remind_registrants::sweep_reminders;
use crate::workflows::retention::sweep_retention;
use crate::workflows::survey_waves::sweep_surveys;

/// What the tasks need to know of the settings.
#[derive(Clone, Debug)]
pub struct SweepSettings {
    /// Makes the links in the emails the tasks queue.
    pub base_url: Url,
    /// The bounce mailbox, when `CONVENE_BOUNCE_IMAP_URL` is set.
    pub bounce_imap: Option<BounceImapSettings>,
}

impl SweepSettings {
    pub fn of(base_url: &Url, jobs: &JobSettings) -> Self {
        Self {
            base_url: base_url.clone(),
            bounce_imap: jobs.bounce_imap.clone(),
        }
    }
}

/// One task of the sweep: it adds what it did to the report.
type Task =
    fn(&mut DbConnection, &SweepSettings, DateTime<Utc>, &mut SweepReport) -> Result<(), AppError>;

/// The tasks of one pass, in order, each with the name its failure is reported under.
/// A new piece of time-based work is one line here and one function below.
const TASKS: &[(&str, Task)] = &[
    ("scholarship awards", scholarship_awards),
    ("survey waves", survey_waves),
    ("registration reminders", registration_reminders),
    ("retention", retention),
    ("bounce mailbox", bounce_mailbox),
    ("rate limits", rate_limits),
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
pub fn sweep(
    conn: &mut DbConnection,
    settings: &SweepSettings,
    as_of: DateTime<Utc>,
) -> SweepReport {
    let mut report = SweepReport::default();
    for (name, task) in TASKS {
        if let Err(e) = task(conn, settings, as_of, &mut report) {
            report.failed.push((name, e));
        }
    }
    report
}

fn scholarship_awards(
    conn: &mut DbConnection,
    settings: &SweepSettings,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let done = sweep_scholarships(conn, &settings.base_url, as_of)?;
    report.count("scholarship awards lapsed", done.lapsed);
    report.count("scholarship award reminders queued", done.reminded);
    Ok(())
}

fn survey_waves(
    conn: &mut DbConnection,
    settings: &SweepSettings,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let done = sweep_surveys(conn, &settings.base_url, as_of)?;
    report.count("post-event surveys sent", done.post_event);
    report.count("follow-up surveys sent", done.follow_up);
    report.count("survey reminders queued", done.reminded);
    Ok(())
}

fn registration_reminders(
    conn: &mut DbConnection,
    settings: &SweepSettings,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let reminded = sweep_reminders(conn, &settings.base_url, as_of)?;
    report.count("registration reminders queued", reminded);
    Ok(())
}

fn retention(
    conn: &mut DbConnection,
    _: &SweepSettings,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let done = sweep_retention(conn, as_of)?;
    report.count("events anonymized", done.events);
    report.count("failed email bodies dropped", done.bodies);
    Ok(())
}

/// Each unseen message of the bounce mailbox is applied as a bounce posted to `/bounces`
/// would be, each in its own transaction; what is not a delivery report is kept, seen.
fn bounce_mailbox(
    conn: &mut DbConnection,
    settings: &SweepSettings,
    _as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let Some(imap) = &settings.bounce_imap else {
        return Ok(());
    };
    let mut bounced = 0;
    let drained = bounce_mailbox::drain(imap, |raw| {
        let Ok(dsn) = dsn::parse(raw) else {
            return Ok(Handled::Kept);
        };
        if let BounceOutcome::Bounced { .. } = write_transaction(conn, |c| record_bounce(c, &dsn))?
        {
            bounced += 1;
        }
        Ok::<_, AppError>(Handled::Done)
    })
    // The whole chain in the message: the sweeper logs only the error's own words.
    .map_err(|e| AppError::Internal(anyhow::anyhow!("reading {}: {e:#}", imap.describe())))?;
    report.count("bounces read from the mailbox", bounced);
    drained.map(|_| ())
}

/// The shared rate limits' old attempts (PostgreSQL; the table is empty on SQLite).
fn rate_limits(
    conn: &mut DbConnection,
    _: &SweepSettings,
    as_of: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), AppError> {
    let pruned = crate::db::models::rate_hit::prune(conn, as_of.naive_utc())?;
    report.count("expired rate-limit counts deleted", pruned);
    Ok(())
}
