//! Throttles failed logins per account and per client address. Only failures count;
//! a success clears the account's failures (not the address's).

use std::net::IpAddr;
use std::time::Duration;

use crate::rate_limit::SlidingWindows;

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

pub struct LoginThrottle {
    accounts: SlidingWindows<String>,
    addresses: SlidingWindows<IpAddr>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        Self {
            accounts: SlidingWindows::new(limits.per_account, limits.window),
            addresses: SlidingWindows::new(limits.per_address, limits.window),
        }
    }

    /// `Some(wait)` when this account or address has failed too often recently.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Option<Duration> {
        let by_account = self.accounts.retry_after(&account.to_owned());
        let by_address = address.and_then(|ip| self.addresses.retry_after(&ip));
        by_account.into_iter().chain(by_address).max()
    }

    pub fn record_failure(&self, account: &str, address: Option<IpAddr>) {
        self.accounts.record(account.to_owned());
        if let Some(ip) = address {
            self.addresses.record(ip);
        }
    }

    pub fn record_success(&self, account: &str) {
        self.accounts.clear(&account.to_owned());
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
