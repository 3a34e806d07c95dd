//! Throttles failed logins so that guessing is slow and nobody can lock an organizer out.
//!
//! - One account from one address: after `per_account` failures in the window that
//!   address waits (the guesser is stopped; the account holder, elsewhere, is not).
//! - One address across accounts: after `per_address` failures it waits (spraying).
//! - One account from anywhere: after [`SLOW_AFTER`] times `per_account` failures in the
//!   window, each further attempt waits [`SLOW_DOWN`] after the last failure. Many addresses together can
//!   make at most one guess per `SLOW_DOWN` against an account, and the account holder
//!   is kept waiting at most that long: slowed down, never locked out.
//!
//! Only failures count; a success clears that account's failures. On PostgreSQL the
//! counts are shared by every instance (`rate_limit::Store`).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::db;
use crate::error::AppError;
use crate::rate_limit::{Store, Windows};

/// The wait between two attempts on an account that many addresses have failed on.
pub const SLOW_DOWN: Duration = Duration::from_secs(2);
/// How many addresses' worth of failures an account takes before it is slowed down.
pub const SLOW_AFTER: u32 = 4;

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
    pairs: Windows<(String, IpAddr)>,
    addresses: Windows<IpAddr>,
    accounts: Windows<String>,
    slow_after: u32,
}

/// Where a request without a peer address (a Unix socket) is counted.
const NO_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

impl LoginThrottle {
    pub fn new(limits: Limits, store: &Store) -> Self {
        Self {
            pairs: Windows::new(store, "login_pairs", limits.per_account, limits.window),
            addresses: Windows::new(store, "login_addresses", limits.per_address, limits.window),
            // Counted without a limit of its own: only for the slow-down.
            accounts: Windows::new(store, "login_accounts", u32::MAX, limits.window),
            slow_after: limits.per_account.saturating_mul(SLOW_AFTER),
        }
    }

    /// `Some(wait)`, the true time to wait, when this address has failed too often on
    /// this account or on any, or when the account must slow down.
    pub async fn check(
        &self,
        account: &str,
        address: Option<IpAddr>,
    ) -> Result<Option<Duration>, AppError> {
        let (pair, ip, account) = keys(account, address);
        let (by_pair, by_address, (n, since_last)) = match (
            self.pairs.shared_window(&pair),
            self.addresses.shared_window(&ip),
            self.accounts.shared_window(&account),
        ) {
            // In the database: the three answers in one round trip.
            (Some((pool, p)), Some((_, a)), Some((_, c))) => {
                db::run(&pool, move |conn| {
                    let recent = c.recent(conn)?;
                    Ok((
                        p.retry_after(conn)?,
                        a.retry_after(conn)?,
                        (recent.count, recent.since_latest),
                    ))
                })
                .await?
            }
            _ => (
                self.pairs.retry_after(&pair).await?,
                self.addresses.retry_after(&ip).await?,
                self.accounts.recent(&account).await?,
            ),
        };
        let slow_down = match since_last {
            Some(since_last) if n >= self.slow_after && since_last < SLOW_DOWN => {
                Some((SLOW_DOWN - since_last).max(Duration::from_secs(1)))
            }
            _ => None,
        };
        Ok([by_pair, by_address, slow_down].into_iter().flatten().max())
    }

    pub async fn record_failure(
        &self,
        account: &str,
        address: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let (pair, ip, account) = keys(account, address);
        match (
            self.pairs.shared_window(&pair),
            self.addresses.shared_window(&ip),
            self.accounts.shared_window(&account),
        ) {
            (Some((pool, p)), Some((_, a)), Some((_, c))) => {
                db::run(&pool, move |conn| {
                    db::write_transaction(conn, |conn| {
                        p.record(conn)?;
                        a.record(conn)?;
                        c.record(conn)
                    })
                })
                .await
            }
            _ => {
                self.pairs.record(pair).await?;
                self.addresses.record(ip).await?;
                self.accounts.record(account).await
            }
        }
    }

    pub async fn record_success(
        &self,
        account: &str,
        address: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let (pair, _, account) = keys(account, address);
        match (
            self.pairs.shared_window(&pair),
            self.accounts.shared_window(&account),
        ) {
            (Some((pool, p)), Some((_, c))) => {
                db::run(&pool, move |conn| {
                    db::write_transaction(conn, |conn| {
                        p.clear(conn)?;
                        c.clear(conn)
                    })
                })
                .await
            }
            _ => {
                self.pairs.clear(&pair).await?;
                self.accounts.clear(&account).await
            }
        }
    }
}

/// The three keys of an attempt: the pair, the address, the account.
fn keys(account: &str, address: Option<IpAddr>) -> ((String, IpAddr), IpAddr, String) {
    let ip = address.unwrap_or(NO_ADDRESS);
    ((account.to_owned(), ip), ip, account.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_account: u32, per_address: u32) -> LoginThrottle {
        LoginThrottle::new(
            Limits {
                per_account,
                per_address,
                window: Duration::from_secs(60),
            },
            &Store::Memory,
        )
    }

    #[actix_web::test]
    async fn an_address_guessing_one_account_is_stopped_and_the_holder_is_not() {
        let t = throttle(2, 100);
        let (guesser, holder): (IpAddr, IpAddr) =
            ("10.0.0.66".parse().unwrap(), "10.0.0.1".parse().unwrap());
        assert!(t.check("a@x.org", Some(guesser)).await.unwrap().is_none());
        t.record_failure("a@x.org", Some(guesser)).await.unwrap();
        t.record_failure("a@x.org", Some(guesser)).await.unwrap();
        let wait = t
            .check("a@x.org", Some(guesser))
            .await
            .unwrap()
            .expect("throttled");
        assert!(wait <= Duration::from_secs(60) && wait >= Duration::from_secs(1));
        assert!(
            t.check("b@x.org", Some(guesser)).await.unwrap().is_none(),
            "other accounts"
        );
        // The holder only waits out the slow-down after the last failure.
        let held = t
            .check("a@x.org", Some(holder))
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(held <= SLOW_DOWN, "{held:?}");
        t.record_success("a@x.org", Some(holder)).await.unwrap();
        assert!(t.check("a@x.org", Some(holder)).await.unwrap().is_none());
    }

    #[actix_web::test]
    async fn an_address_is_throttled_across_accounts() {
        let t = throttle(100, 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for i in 0..3 {
            t.record_failure(&format!("u{i}@x.org"), Some(ip))
                .await
                .unwrap();
        }
        assert!(t.check("new@x.org", Some(ip)).await.unwrap().is_some());
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(t.check("new@x.org", Some(other)).await.unwrap().is_none());
    }

    #[actix_web::test]
    async fn many_addresses_only_slow_an_account_down() {
        let t = throttle(3, 100);
        for i in 0..50 {
            let ip = IpAddr::V4(Ipv4Addr::new(10, 1, 0, i));
            t.record_failure("admin@x.org", Some(ip)).await.unwrap();
        }
        let other: IpAddr = "10.9.9.9".parse().unwrap();
        let wait = t
            .check("admin@x.org", Some(other))
            .await
            .unwrap()
            .expect("slowed down");
        assert!(wait <= SLOW_DOWN, "{wait:?}");
    }
}
