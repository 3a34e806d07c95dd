//! Background jobs on a timer, run by every server process next to the email worker:
//! the sweep of time-based work (`workflows::sweep`), safe with several processes
//! sweeping one database at the same moment.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use crate::db::{self, DbPool};
use crate::email::OutboxSignal;
use crate::workflows::sweep::{sweep, SweepSettings};

/// The running sweeper, owned by the application; stop it with [`Sweeper::shutdown`].
pub struct Sweeper {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Sweeper {
    /// Starts sweeping on the current Tokio runtime: at once, then every `interval`.
    pub fn start(
        pool: DbPool,
        outbox: OutboxSignal,
        interval: Duration,
        settings: SweepSettings,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(pool, outbox, interval, settings, stopped));
        Self { stop, task }
    }

    /// Returns once the sweep under way, if any, is finished.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the sweeper ended abnormally");
        }
    }
}

async fn run(
    pool: DbPool,
    outbox: OutboxSignal,
    interval: Duration,
    settings: SweepSettings,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            // A dropped sender (the application went away) also means stop.
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let settings = settings.clone();
        match db::run(&pool, move |conn| Ok(sweep(conn, &settings, Utc::now()))).await {
            Ok(report) => {
                if report.did_anything() {
                    outbox.notify();
                    for (what, n) in report.counts.iter().filter(|(_, n)| *n > 0) {
                        tracing::info!(count = n, "swept: {what}");
                    }
                }
                for (task, e) in &report.failed {
                    tracing::warn!(error = %e, "the sweep of {task} failed");
                }
            }
            // The database may be down: the next sweep tries again.
            Err(e) => tracing::warn!(error = %e, "the sweep failed"),
        }
    }
    tracing::debug!("sweeper stopped");
}
