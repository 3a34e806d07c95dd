//! The webhook worker's settings (`CONVENE_WEBHOOK_*`).

use std::time::Duration;

use super::ConfigError;

/// How webhook deliveries are retried and when a failing hook is disabled.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// The wait before the first retry (`CONVENE_WEBHOOK_RETRY_BASE_MS`, 1000); it doubles
    /// at each failure.
    pub retry_base: Duration,
    /// The longest wait between two attempts (`CONVENE_WEBHOOK_RETRY_CAP_SECS`, 3600).
    pub retry_cap: Duration,
    /// How often the worker looks for due deliveries when nothing wakes it
    /// (`CONVENE_WEBHOOK_POLL_MS`, 1000).
    pub poll_interval: Duration,
    /// The longest one delivery may take (`CONVENE_WEBHOOK_TIMEOUT_SECS`, 10).
    pub timeout: Duration,
    /// A hook whose deliveries have failed this long, without one success, is disabled
    /// (`CONVENE_WEBHOOK_DISABLE_AFTER_HOURS`, 72).
    pub disable_after: Duration,
}

impl WebhookSettings {
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let number = |name: &'static str, default: u64, min: u64, max: u64, unit: &str| {
            let raw = lookup(name).filter(|v| !v.trim().is_empty());
            match raw {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| ConfigError {
                        name,
                        message: format!("expected {unit} from {min} to {max}"),
                    }),
            }
        };
        Ok(Self {
            retry_base: Duration::from_millis(number(
                "CONVENE_WEBHOOK_RETRY_BASE_MS",
                1000,
                10,
                600_000,
                "milliseconds",
            )?),
            retry_cap: Duration::from_secs(number(
                "CONVENE_WEBHOOK_RETRY_CAP_SECS",
                3600,
                1,
                86_400,
                "seconds",
            )?),
            poll_interval: Duration::from_millis(number(
                "CONVENE_WEBHOOK_POLL_MS",
                1000,
                10,
                600_000,
                "milliseconds",
            )?),
            timeout: Duration::from_secs(number(
                "CONVENE_WEBHOOK_TIMEOUT_SECS",
                10,
                1,
                120,
                "seconds",
            )?),
            disable_after: Duration::from_secs(
                3600 * number(
                    "CONVENE_WEBHOOK_DISABLE_AFTER_HOURS",
                    72,
                    1,
                    24 * 30,
                    "hours",
                )?,
            ),
        })
    }
}
