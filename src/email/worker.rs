//! The background sender: claims due emails from the outbox, delivers them a few at a
//! time, and records the outcome (sent, retried later, or failed).
//!
//! Delivery is at least once. A claim is a lease (`locked_until`), so mail claimed by
//! a process that died goes out when the lease runs out; an email is sent twice only
//! if a process dies between the server accepting it and the database recording it
//! (the fault tests see a few such copies per SIGKILL, with the same Message-ID), or if
//! sending and recording outlast the lease, which is why the lease is half as long
//! again as the send timeout: with 3 instances on one SQLite file and a 3 s lease, a
//! test saw recording wait on the writer lock long enough for another instance to
//! send the same email again.
//!
//! Retries back off exponentially from one second, doubling up to
//! `CONVENE_EMAIL_RETRY_CAP_SECS`, with a little jitter. The worker gives up after
//! `CONVENE_EMAIL_GIVE_UP_HOURS` of retrying, counted in attempts rather than read off
//! the clock since the email was queued: an email that an organizer sends again
//! (attempts back to zero) gets the whole period again, and hours when no server was
//! running to try do not count against it.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::claims::Claims;
use super::outbox::{self, StoredEmail};
use super::transport::{SendError, Transport};
use super::OutboxSignal;
use crate::config::EmailSettings;
use diesel::Connection;

use crate::db;
use crate::db::group_commit::{GroupCommit, Merge};
use crate::error::AppError;

/// Emails sent at once; also the most SMTP connections kept open.
pub const CONCURRENCY: usize = 8;

/// Emails claimed and not yet recorded: twice the sends, so that while some outcomes
/// wait for their commit (one round trip per statement on PostgreSQL) the connections
/// already carry the next emails. Those beyond [`CONCURRENCY`] wait for a connection.
const IN_FLIGHT: usize = 2 * CONCURRENCY;

/// How long a claim holds an email: the send timeout (`CONVENE_EMAIL_SEND_TIMEOUT_SECS`,
/// 40 s by default) and half as long again to record the outcome, so that no other
/// sender takes an email that is still being sent. Mail claimed by a process that died
/// waits this long before another one sends it.
pub fn lease(send_timeout: Duration) -> Duration {
    send_timeout.mul_f64(1.5)
}

/// Retries use between this fraction of the backoff and all of it, so that mail held
/// up by one outage does not all come back at the same instant.
const MIN_JITTER: f64 = 0.8;

/// Tries to record an outcome, since a sent email whose state is lost is sent again.
const RECORD_TRIES: u32 = 5;

/// After a send finishes, the next claim waits until this many slots are free, so that
/// one claim (one commit) serves several emails rather than one; and it is made only if
/// the last claim filled all the room it had (more may be due). A wake-up (new mail, the
/// poll) claims whatever room there is (after [`CLAIM_GAP`]), so slow sends never hold
/// mail back. (Claiming after every send that freed enough room found nothing most of
/// the time while mail was queued about as fast as it was sent: a claim each time.)
const CLAIM_AT_LEAST: usize = IN_FLIGHT / 2;

/// While emails are being sent, a wake-up (new mail) claims no sooner than this after
/// the last claim, so that mail queued one email at a time (invitations made one a
/// request) is claimed a few at a time: a claim was made every two or three emails,
/// each a statement and a hop to the blocking pool; 2,112 claims for 4,944 emails in the
/// benchmark's scenario 10 on PostgreSQL, 855 with the gap (`BENCHMARKS.md`, session
/// 16). An idle worker claims at once, and a claim that filled all its room is followed
/// at once. The cost: mail queued while other mail is sent waits up to this long more.
const CLAIM_GAP: Duration = Duration::from_millis(5);

/// The running worker, owned by the application; stop it with [`EmailWorker::shutdown`].
pub struct EmailWorker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

struct Worker {
    /// Outcomes (and on SQLite claims) are written through the group commit: the
    /// outcomes of sends that finish together, and the writes of requests meanwhile,
    /// share one flush.
    commits: GroupCommit,
    /// On PostgreSQL, claims are made on a connection of their own instead, each a
    /// statement committed by itself (`FOR UPDATE SKIP LOCKED` keeps claims apart): on
    /// the committer's one connection a claim took 0.7-2 ms of nearly every batch while
    /// mail was queued as fast as it was sent, and every request in the batch waited for
    /// it.
    claims: Option<Claims>,
    transport: Transport,
    retry_cap: Duration,
    send_timeout: Duration,
    metrics: Arc<crate::metrics::Metrics>,
    /// Attempts after which transient failures become a permanent one.
    max_attempts: i32,
}

impl EmailWorker {
    /// Starts the worker on the current Tokio runtime. It sends when `signal` is
    /// notified, and looks for due mail every `CONVENE_EMAIL_POLL_MS` in any case (mail
    /// queued by another process, retries coming due).
    pub fn start(
        commits: GroupCommit,
        claims: Option<Claims>,
        transport: Transport,
        signal: OutboxSignal,
        metrics: Arc<crate::metrics::Metrics>,
        settings: &EmailSettings,
    ) -> Self {
        let worker = Arc::new(Worker {
            commits,
            claims,
            transport,
            retry_cap: settings.retry_cap,
            send_timeout: settings.send_timeout,
            metrics,
            max_attempts: max_attempts(settings.give_up_after, settings.retry_cap),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(worker.run(signal, settings.poll_interval, stopped));
        Self { stop, task }
    }

    /// Stops claiming mail and returns once the emails being sent are sent and recorded.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the email worker ended abnormally");
        }
    }
}

impl Worker {
    async fn run(
        self: Arc<Self>,
        signal: OutboxSignal,
        poll: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut sending: JoinSet<()> = JoinSet::new();
        let mut poll = tokio::time::interval(poll);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut stopping = false;
        let mut woken = true;
        let mut last_claim = tokio::time::Instant::now();
        // Whether the last claim may have left due mail behind (it took all it could).
        let mut more = false;
        let mut wakeups = signal.subscribe();
        loop {
            let room = IN_FLIGHT - sending.len();
            let gap_over = sending.is_empty() || last_claim.elapsed() >= CLAIM_GAP;
            if !stopping && room > 0 && ((woken && gap_over) || (more && room >= CLAIM_AT_LEAST)) {
                woken = false;
                last_claim = tokio::time::Instant::now();
                wakeups.claiming();
                match self.claim(room).await {
                    Ok(batch) => {
                        more = batch.len() == room;
                        for email in batch {
                            sending.spawn(Arc::clone(&self).deliver(email));
                        }
                    }
                    // The database may be down: try again at the next poll.
                    Err(e) => {
                        more = true;
                        tracing::warn!(error = %e, "cannot claim due emails");
                    }
                }
            }
            if stopping && sending.is_empty() {
                break;
            }
            // A wake-up that the gap holds back, with room to claim: claimed when the gap
            // is over. Without room the next send to finish makes the claim: a timer that
            // has run out would only spin this loop meanwhile (it did, while a backlog of
            // mail kept every slot busy).
            let held = woken && !stopping && sending.len() < IN_FLIGHT;
            tokio::select! {
                Some(done) = sending.join_next(), if !sending.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "an email delivery task failed");
                    }
                }
                () = wakeups.queued(), if !stopping => woken = true,
                () = tokio::time::sleep_until(last_claim + CLAIM_GAP), if held => {}
                _ = poll.tick(), if !stopping => {
                    woken = true;
                    self.transport.close_idle();
                }
                // A dropped sender (the application went away) also means stop.
                _ = stop.changed(), if !stopping => stopping = true,
            }
            stopping = stopping || *stop.borrow();
        }
        self.transport.shutdown().await;
        tracing::debug!("email worker stopped");
    }

    async fn claim(&self, limit: usize) -> Result<Vec<StoredEmail>, AppError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let lease = lease(self.send_timeout);
        match &self.claims {
            Some(claims) => {
                let claimed = claims.claim(limit, lease).await?;
                if !claimed.is_empty() {
                    // The group committer's commits reach the disk a moment after they
                    // are visible (`db::durable`): nothing is sent from rows that a crash
                    // of the database could still take back.
                    self.commits.durable().await?;
                }
                Ok(claimed)
            }
            None => {
                let claim = move |c: &mut db::DbConnection| outbox::claim_due(c, limit, lease);
                self.commits.run(claim).await
            }
        }
    }

    /// Sends one claimed email and records what happened.
    async fn deliver(self: Arc<Self>, email: StoredEmail) {
        let Some(lease) = email.locked_until else {
            tracing::error!(email_id = %email.id, "an unclaimed email reached delivery");
            return;
        };
        let sent = tokio::time::timeout(self.send_timeout, self.transport.send(&email)).await;
        let outcome = match sent {
            Ok(outcome) => outcome,
            Err(_) => Err(SendError::Transient(format!(
                "no answer within {} s",
                self.send_timeout.as_secs()
            ))),
        };
        let attempts = email.attempts.saturating_add(1);
        let id = email.id.clone();
        self.metrics.observe_delivery(match &outcome {
            Ok(()) => "sent",
            Err(SendError::Transient(_)) if attempts < self.max_attempts => "retry",
            Err(_) => "failed",
        });
        match outcome {
            Ok(()) => {
                self.record("sent", &email, || self.commits.run_merged(Sent(id.clone())))
                    .await;
                tracing::info!(email_id = %email.id, template = %email.template, attempts, "email sent");
            }
            Err(SendError::Permanent(error)) => {
                tracing::warn!(
                    email_id = %email.id, template = %email.template, attempts,
                    error = %redact(&error), "email refused; not retrying"
                );
                let write = move |conn: &mut db::DbConnection| {
                    outbox::record_failure(conn, &id, lease, attempts, &error)
                };
                self.record("failed", &email, || self.commits.run(write.clone()))
                    .await;
            }
            Err(SendError::Transient(error)) if attempts >= self.max_attempts => {
                tracing::warn!(
                    email_id = %email.id, template = %email.template, attempts,
                    error = %redact(&error), "email could not be sent; giving up"
                );
                let error = format!("gave up after {attempts} attempts: {error}");
                let write = move |conn: &mut db::DbConnection| {
                    outbox::record_failure(conn, &id, lease, attempts, &error)
                };
                self.record("failed", &email, || self.commits.run(write.clone()))
                    .await;
            }
            Err(SendError::Transient(error)) => {
                let delay = jittered(backoff(attempts, self.retry_cap));
                tracing::info!(
                    email_id = %email.id, template = %email.template, attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %redact(&error), "email not sent; will retry"
                );
                let next = db::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                let write = move |conn: &mut db::DbConnection| {
                    outbox::record_retry(conn, &id, lease, attempts, next, &error)
                };
                self.record("retry", &email, || self.commits.run(write.clone()))
                    .await;
            }
        }
    }

    /// Writes an outcome (each call of `write` is one try), trying again for a few
    /// seconds if the database is unavailable.
    async fn record<F, W>(&self, outcome: &'static str, email: &StoredEmail, write: W)
    where
        W: Fn() -> F,
        F: std::future::Future<Output = Result<bool, AppError>>,
    {
        for attempt in 1..=RECORD_TRIES {
            match write().await {
                Ok(true) => return,
                Ok(false) => {
                    tracing::warn!(
                        email_id = %email.id, outcome,
                        "the claim on this email ran out before its outcome was recorded"
                    );
                    return;
                }
                Err(e) if attempt < RECORD_TRIES => {
                    tracing::warn!(email_id = %email.id, outcome, error = %e, "cannot record the outcome; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => {
                    tracing::error!(
                        email_id = %email.id, outcome, error = %e,
                        "cannot record the outcome; the email will be tried again when its claim runs out"
                    );
                }
            }
        }
    }
}

/// An email delivered, recorded with the others delivered meanwhile: one statement
/// for them all, instead of a savepoint and an UPDATE each, which on PostgreSQL are
/// round trips on the group committer's one connection.
struct Sent(String);

impl Merge for Sent {
    type Out = bool;
    // Only the worker that claimed an email records its outcome, and nothing else in a
    // batch reads it.
    const COMMUTES: bool = true;

    fn write_all(conn: &mut db::DbConnection, items: Vec<Self>) -> Vec<Result<bool, AppError>> {
        let n = items.len();
        let ids: Vec<String> = items.into_iter().map(|Sent(id)| id).collect();
        // In a savepoint: a failure takes back only these, each then told to try again.
        let recorded = conn
            .transaction(|c| outbox::record_sent(c, &ids))
            .map_err(|e| e.to_string());
        (0..n)
            .map(|_| {
                recorded
                    .clone()
                    .map(|()| true)
                    .map_err(AppError::Unavailable)
            })
            .collect()
    }
}

/// The wait after `attempts` failed attempts: 1 s, 2 s, 4 s, ... never more than `cap`.
pub fn backoff(attempts: i32, cap: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
    Duration::from_secs(1u64 << doublings).min(cap)
}

fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(rand::random_range(MIN_JITTER..=1.0))
}

/// The attempt at which to give up: the waits before it add up to at least `period`,
/// even when every wait is jittered to its shortest.
pub fn max_attempts(period: Duration, cap: Duration) -> i32 {
    let mut waited = Duration::ZERO;
    let mut waits: i32 = 0;
    // Up the ramp one wait at a time; at the cap, the rest is a division.
    while waited < period {
        let wait = backoff(waits + 1, cap);
        if wait == cap {
            let shortest = cap.mul_f64(MIN_JITTER).as_secs_f64();
            let rest = ((period - waited).as_secs_f64() / shortest).ceil();
            waits = waits.saturating_add(i32::try_from(rest as i64).unwrap_or(i32::MAX));
            break;
        }
        waited += wait.mul_f64(MIN_JITTER);
        waits += 1;
    }
    waits.saturating_add(1)
}

/// Error text for logs, with anything that looks like an email address removed:
/// servers often echo the recipient in their replies.
fn redact(text: &str) -> String {
    static ADDRESS: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"[^\s<>()\[\]@,;:]+@[^\s<>()\[\]@,;:]+").expect("a valid pattern")
    });
    ADDRESS.replace_all(text, "[address]").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_a_second_up_to_the_cap() {
        let cap = Duration::from_secs(60);
        let waits: Vec<u64> = (1..=9).map(|a| backoff(a, cap).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(0, cap), Duration::from_secs(1));
        assert_eq!(backoff(i32::MAX, cap), cap);
        assert_eq!(backoff(5, Duration::from_secs(2)), Duration::from_secs(2));
    }

    #[test]
    fn jitter_never_exceeds_the_backoff() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(60));
            assert!(d <= Duration::from_secs(60) && d >= Duration::from_secs(48));
        }
    }

    #[test]
    fn the_worker_gives_up_only_after_the_whole_period() {
        let cap = Duration::from_secs(60);
        let period = Duration::from_secs(72 * 3600);
        let n = max_attempts(period, cap);
        let shortest_wait = |a: i32| backoff(a, cap).as_secs_f64() * MIN_JITTER;
        let before_giving_up: f64 = (1..n).map(shortest_wait).sum();
        assert!(before_giving_up >= period.as_secs_f64());
        assert!(
            before_giving_up - shortest_wait(n - 1) < period.as_secs_f64(),
            "not one too many"
        );
        // The ramp (1 + 2 + ... + 32 s), then 72 h in waits of at least 48 s.
        assert_eq!(n, 6 + 5399 + 1);
        assert_eq!(max_attempts(Duration::from_secs(1), cap), 3);
    }

    #[test]
    fn addresses_are_kept_out_of_logged_errors() {
        assert_eq!(
            redact("permanent error (550): 5.1.1 <dana@example.org>: unknown user"),
            "permanent error (550): 5.1.1 <[address]>: unknown user"
        );
        assert_eq!(redact("Connection refused"), "Connection refused");
    }
}
