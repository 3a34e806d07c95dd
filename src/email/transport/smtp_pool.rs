//! The SMTP connections kept open between sends, and how they are reused and closed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::Message;
use tokio::sync::Semaphore;

use super::smtp::SmtpServer;
use super::transaction::{self, Connection};
use super::SendError;

/// Time allowed to open a connection ready to send: TCP, the greeting, EHLO, TLS and
/// authentication. A send itself is bounded by the worker's send timeout.
const SMTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// An open connection unused for this long is closed (with QUIT) rather than reused:
/// servers drop idle clients after a few minutes.
pub(super) const SMTP_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Time allowed to the QUIT of a connection being closed.
const SMTP_QUIT_TIMEOUT: Duration = Duration::from_secs(2);

/// The connections open to the SMTP server between sends, at most `size` in all.
pub(super) struct SmtpPool {
    pub(super) server: SmtpServer,
    /// Idle connections, most recently used last, with when each was put back.
    idle: Mutex<Vec<(Connection, Instant)>>,
    /// A permit per connection in use. A connection is opened only when none is idle,
    /// so connections in use and idle together never exceed the permits.
    in_use: Semaphore,
}

impl SmtpPool {
    pub(super) fn new(server: SmtpServer, size: u32) -> Self {
        Self {
            server,
            idle: Mutex::new(Vec::new()),
            in_use: Semaphore::new(size.max(1) as usize),
        }
    }

    /// Sends on the most recently used idle connection, or on a new one.
    ///
    /// An idle connection is not asked first whether it still answers (a NOOP, as
    /// lettre's pool does: a round trip per message). When the server closed it while it
    /// idled, the first reply of the transaction fails, nothing of the message was taken,
    /// and the message goes at once on the next idle connection or a new one.
    /// A connection that failed is closed (QUIT) and not put back; one whose send was
    /// cancelled (the worker's timeout) is dropped with the future.
    pub(super) async fn send(&self, message: &Message) -> Result<(), SendError> {
        let _permit = self
            .in_use
            .acquire()
            .await
            .map_err(|_| SendError::Transient("the SMTP pool was closed".into()))?;
        let (envelope, content) = (message.envelope(), message.formatted());
        loop {
            let (mut conn, reused) = match self.idle_one() {
                Some(conn) => (conn, true),
                None => (self.connect().await?, false),
            };
            match transaction::send(&mut conn, envelope, &content).await {
                Ok(()) => {
                    self.lock_idle().push((conn, Instant::now()));
                    return Ok(());
                }
                // Not logged with its error: a server's reply may quote an address. A
                // refusal (5xx) is the server's answer, not a closed connection's.
                Err(failure)
                    if reused && failure.at_first_reply && !failure.error.is_permanent() =>
                {
                    tracing::debug!("an idle SMTP connection had been closed; sending on another");
                }
                Err(failure) => {
                    if !conn.smtp.has_broken() {
                        self.lock_idle().push((conn, Instant::now()));
                    }
                    return Err(failure.error);
                }
            }
        }
    }

    /// A new connection, within the time allowed.
    async fn connect(&self) -> Result<Connection, SendError> {
        tokio::time::timeout(SMTP_CONNECT_TIMEOUT, self.server.connect())
            .await
            .map_err(|_| {
                SendError::Transient(format!(
                    "no connection to {} within {} s",
                    self.server.describe(),
                    SMTP_CONNECT_TIMEOUT.as_secs()
                ))
            })?
    }

    /// The most recently used idle connection that has not idled too long; those that
    /// have are closed in the background.
    fn idle_one(&self) -> Option<Connection> {
        loop {
            let (conn, since) = self.lock_idle().pop()?;
            if since.elapsed() < SMTP_IDLE_TIMEOUT {
                return Some(conn);
            }
            tokio::spawn(quit(conn));
        }
    }

    /// Removes the idle connections unused for `idle_for` or longer, for closing.
    pub(super) fn take_idle(&self, idle_for: Duration) -> Vec<Connection> {
        let mut idle = self.lock_idle();
        let (stale, kept) = idle
            .drain(..)
            .partition::<Vec<_>, _>(|(_, since)| since.elapsed() >= idle_for);
        *idle = kept;
        stale.into_iter().map(|(conn, _)| conn).collect()
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<(Connection, Instant)>> {
        // The list stays consistent whatever panicked while holding it.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Says QUIT (lettre's `abort`) and closes, giving up on a server that does not answer.
pub(super) async fn quit(mut conn: Connection) {
    let _ = tokio::time::timeout(SMTP_QUIT_TIMEOUT, conn.smtp.abort()).await;
}
