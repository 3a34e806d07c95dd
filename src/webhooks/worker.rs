//! The webhook sender, a task on the runtime that starts it (the HTTP client, awc, is
//! bound to its thread; the database work runs on the blocking threads): it claims due
//! deliveries, posts them signed, and records each outcome.
//!
//! Delivery is at least once: a claim is a lease (`locked_until`), so a delivery claimed
//! by a process that died is sent again when the lease runs out, and one whose outcome
//! could not be recorded is sent again. Receivers deduplicate by `webhook-id`, as the
//! Standard Webhooks specification asks. A failed attempt is retried after
//! `CONVENE_WEBHOOK_RETRY_BASE_MS`, doubling up to `CONVENE_WEBHOOK_RETRY_CAP_SECS`; a
//! hook that has failed for `CONVENE_WEBHOOK_DISABLE_AFTER_HOURS` (3 days) without one
//! success is disabled. Only hook ids are logged: a hook's URL may carry a credential.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use tokio::sync::watch;

use super::signature::sign;
use crate::config::WebhookSettings;
use crate::db::models::webhook::{self, Delivery, Webhook};
use crate::db::{self, write_transaction, DbConnection, DbPool};
use crate::domain::webhook::WebhookSecret;
use crate::error::AppError;

/// Deliveries claimed and sent at once.
const BATCH: usize = 16;

/// The running worker, owned by the application; stop it with [`WebhookWorker::shutdown`].
pub struct WebhookWorker {
    stop: watch::Sender<bool>,
    task: actix_web::rt::task::JoinHandle<()>,
}

impl WebhookWorker {
    /// Starts the worker on the current (actix) runtime; it ends with it at the latest.
    pub fn start(pool: DbPool, settings: WebhookSettings) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = actix_web::rt::spawn(run(pool, settings, stopped));
        Self { stop, task }
    }

    /// Stops claiming deliveries and returns once those being sent are recorded.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the webhook worker ended abnormally");
        }
    }
}

/// What became of one attempt.
enum Outcome {
    Delivered(i32),
    Failed(Option<i32>, String),
}

async fn run(pool: DbPool, settings: WebhookSettings, mut stop: watch::Receiver<bool>) {
    let client = match client(settings.timeout) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks cannot be sent: no TLS configuration");
            return;
        }
    };
    // A claim outlasts the attempt and the recording of its outcome.
    let lease = settings.timeout.mul_f64(1.5) + Duration::from_secs(5);
    loop {
        if *stop.borrow() {
            return;
        }
        let claimed = match db::run(&pool, move |conn| claim(conn, lease)).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "webhook deliveries could not be claimed");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll_interval) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let attempts = claimed.iter().map(|(d, h)| attempt(&client, d, h));
        let outcomes = futures_util::future::join_all(attempts).await;
        for ((d, _), outcome) in claimed.into_iter().zip(outcomes) {
            let (id, settings) = (d.id.clone(), settings.clone());
            let recorded = db::run(&pool, move |conn| record(conn, &settings, &d, outcome)).await;
            if let Err(e) = recorded {
                // The lease runs out and it is sent again: at least once.
                tracing::warn!(error = %e, delivery = %id, "a webhook outcome was not recorded");
            }
        }
    }
}

/// An HTTP client that verifies servers with the platform's trust store (rustls, ring)
/// and does not follow redirects.
fn client(timeout: Duration) -> anyhow::Result<awc::Client> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let connector = awc::Connector::new()
        .rustls_0_23(Arc::new(tls))
        .timeout(timeout);
    Ok(awc::Client::builder()
        .connector(connector)
        .timeout(timeout)
        .disable_redirects()
        .finish())
}

/// Claims the due deliveries (at most [`BATCH`]) with their hooks.
fn claim(conn: &mut DbConnection, lease: Duration) -> Result<Vec<(Delivery, Webhook)>, AppError> {
    let at = db::now();
    let until = db::truncate_micros(at + chrono::Duration::from_std(lease).unwrap_or_default());
    let due = webhook::due(conn, at, BATCH)?;
    let mut claimed = Vec::new();
    for d in due {
        let hook = write_transaction(conn, |conn| {
            if webhook::claim(conn, &d, at, until)? {
                webhook::find(conn, &d.webhook_id).map(Some)
            } else {
                Ok::<_, AppError>(None)
            }
        })?;
        if let Some(hook) = hook {
            claimed.push((d, hook));
        }
    }
    Ok(claimed)
}

/// Posts one delivery, signed for this attempt.
async fn attempt(client: &awc::Client, d: &Delivery, hook: &Webhook) -> Outcome {
    let timestamp = chrono::Utc::now().timestamp();
    let key = WebhookSecret::parse(&hook.secret)
        .map(|s| s.key())
        .unwrap_or_default();
    let signature = sign(&key, &d.id, timestamp, &d.body);
    let sent = client
        .post(&hook.url)
        .insert_header(("webhook-id", d.id.as_str()))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .insert_header(("content-type", "application/json"))
        .insert_header(("user-agent", "convene-webhooks"))
        .send_body(d.body.clone())
        .await;
    match sent {
        Ok(res) if res.status().is_success() => Outcome::Delivered(res.status().as_u16().into()),
        Ok(res) => {
            let code = res.status().as_u16();
            Outcome::Failed(Some(code.into()), format!("the receiver answered {code}"))
        }
        Err(e) => Outcome::Failed(None, e.to_string()),
    }
}

/// The wait before attempt `attempts + 1`: the base, doubled per failure, capped, with a
/// little jitter so that deliveries held up together do not all come back at once.
fn backoff(settings: &WebhookSettings, attempts: i32) -> Duration {
    let doubled = settings
        .retry_base
        .saturating_mul(1u32 << attempts.clamp(0, 20));
    let capped = doubled.min(settings.retry_cap);
    capped.mul_f64(rand::random_range(0.8..=1.0))
}

fn record(
    conn: &mut DbConnection,
    settings: &WebhookSettings,
    d: &Delivery,
    outcome: Outcome,
) -> Result<(), AppError> {
    let at = db::now();
    write_transaction(conn, |conn| match outcome {
        Outcome::Delivered(code) => webhook::record_delivered(conn, d, code, at),
        Outcome::Failed(code, error) => {
            let wait = chrono::Duration::from_std(backoff(settings, d.attempts))
                .unwrap_or_else(|_| chrono::Duration::hours(1));
            let next: NaiveDateTime = db::truncate_micros(at + wait);
            tracing::info!(delivery = %d.id, webhook = %d.webhook_id, attempts = d.attempts + 1, code, "a webhook delivery failed; it will be retried");
            let since = webhook::record_failure(conn, d, code, &error, at, next)?;
            let limit = chrono::Duration::from_std(settings.disable_after)
                .unwrap_or_else(|_| chrono::Duration::days(3));
            if at - since >= limit && webhook::disable(conn, &d.webhook_id, at)? {
                tracing::warn!(webhook = %d.webhook_id, "a webhook failing since {since} is disabled");
            }
            Ok(())
        }
    })
}
