//! Throttles failed logins per account and per client address.
//!
//! Kept in memory: with several instances each applies its own limit, which still bounds
//! guessing to a few attempts per minute per instance; argon2 makes each guess expensive.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Default)]
struct Window {
    failures: Vec<Instant>,
}

impl Window {
    fn prune(&mut self, now: Instant, window: Duration) {
        self.failures.retain(|t| now.duration_since(*t) < window);
    }

    /// How long until one more attempt is allowed, if `limit` failures are already in the window.
    fn retry_after(&self, now: Instant, window: Duration, limit: u32) -> Option<Duration> {
        if (self.failures.len() as u32) < limit {
            return None;
        }
        let oldest = self.failures.iter().min()?;
        Some(
            window
                .saturating_sub(now.duration_since(*oldest))
                .max(Duration::from_secs(1)),
        )
    }
}

pub struct LoginThrottle {
    limits: Limits,
    accounts: Mutex<HashMap<String, Window>>,
    addresses: Mutex<HashMap<IpAddr, Window>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            accounts: Mutex::default(),
            addresses: Mutex::default(),
        }
    }

    /// `Some(wait)` when this account or address has failed too often recently.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let window = self.limits.window;
        let by_account = {
            let mut map = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
            map.get_mut(account).and_then(|w| {
                w.prune(now, window);
                w.retry_after(now, window, self.limits.per_account)
            })
        };
        let by_address = address.and_then(|ip| {
            let mut map = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
            map.get_mut(&ip).and_then(|w| {
                w.prune(now, window);
                w.retry_after(now, window, self.limits.per_address)
            })
        });
        by_account.into_iter().chain(by_address).max()
    }

    pub fn record_failure(&self, account: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let window = self.limits.window;
        {
            let mut map = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() > 100_000 {
                map.retain(|_, w| w.failures.iter().any(|t| now.duration_since(*t) < window));
            }
            let w = map.entry(account.to_owned()).or_default();
            w.prune(now, window);
            w.failures.push(now);
        }
        if let Some(ip) = address {
            let mut map = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() > 100_000 {
                map.retain(|_, w| w.failures.iter().any(|t| now.duration_since(*t) < window));
            }
            let w = map.entry(ip).or_default();
            w.prune(now, window);
            w.failures.push(now);
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_after_its_limit() {
        let t = LoginThrottle::new(Limits {
            per_account: 2,
            per_address: 100,
            window: Duration::from_secs(60),
        });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(t.check("a@x.org", Some(ip)).is_none());
        t.record_failure("a@x.org", Some(ip));
        t.record_failure("a@x.org", Some(ip));
        let wait = t.check("a@x.org", Some(ip)).expect("throttled");
        assert!(wait <= Duration::from_secs(60) && wait >= Duration::from_secs(1));
        assert!(
            t.check("b@x.org", Some(ip)).is_none(),
            "other accounts are not affected"
        );
        t.record_success("a@x.org");
        assert!(t.check("a@x.org", Some(ip)).is_none());
    }

    #[test]
    fn an_address_is_throttled_across_accounts() {
        let t = LoginThrottle::new(Limits {
            per_account: 100,
            per_address: 3,
            window: Duration::from_secs(60),
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for i in 0..3 {
            t.record_failure(&format!("u{i}@x.org"), Some(ip));
        }
        assert!(t.check("new@x.org", Some(ip)).is_some());
        assert!(t
            .check("new@x.org", Some("10.0.0.2".parse().unwrap()))
            .is_none());
    }
}
