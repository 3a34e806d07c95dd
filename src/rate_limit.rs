//! Sliding-window counters per key (an account, a client address), in memory.
//!
//! Per process: with several instances each applies its own limit, which still bounds
//! abuse to a small multiple; nothing here must be exact, only cheap and bounded.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept before stale ones are swept, so a flood of distinct keys cannot grow memory.
const SWEEP_ABOVE: usize = 50_000;

pub struct SlidingWindows<K> {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<K, Vec<Instant>>>,
}

impl<K: Hash + Eq> SlidingWindows<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            hits: Mutex::default(),
        }
    }

    fn with_map<T>(&self, f: impl FnOnce(&mut HashMap<K, Vec<Instant>>, Instant) -> T) -> T {
        let now = Instant::now();
        let mut map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_ABOVE {
            let window = self.window;
            map.retain(|_, hits| hits.iter().any(|t| now.duration_since(*t) < window));
        }
        f(&mut map, now)
    }

    fn wait(&self, hits: &mut Vec<Instant>, now: Instant) -> Option<Duration> {
        hits.retain(|t| now.duration_since(*t) < self.window);
        if (hits.len() as u32) < self.limit {
            return None;
        }
        let oldest = hits.iter().min()?;
        Some(
            self.window
                .saturating_sub(now.duration_since(*oldest))
                .max(Duration::from_secs(1)),
        )
    }

    /// How long `key` must wait, if it has used up its hits in the window.
    pub fn retry_after(&self, key: &K) -> Option<Duration> {
        self.with_map(|map, now| map.get_mut(key).and_then(|hits| self.wait(hits, now)))
    }

    /// Counts one hit for `key`.
    pub fn record(&self, key: K) {
        self.with_map(|map, now| map.entry(key).or_default().push(now));
    }

    /// Counts one hit unless the limit is reached; `Err(wait)` when it is.
    pub fn acquire(&self, key: K) -> Result<(), Duration> {
        self.with_map(|map, now| {
            let hits = map.entry(key).or_default();
            match self.wait(hits, now) {
                Some(wait) => Err(wait),
                None => {
                    hits.push(now);
                    Ok(())
                }
            }
        })
    }

    /// The hits of `key` in the window, and how long ago the latest was.
    pub fn recent(&self, key: &K) -> (u32, Option<Duration>) {
        self.with_map(|map, now| match map.get_mut(key) {
            Some(hits) => {
                hits.retain(|t| now.duration_since(*t) < self.window);
                let latest = hits.iter().max().map(|t| now.duration_since(*t));
                (hits.len() as u32, latest)
            }
            None => (0, None),
        })
    }

    pub fn clear(&self, key: &K) {
        self.with_map(|map, _| map.remove(key));
    }
}

/// Per-address limits on the endpoints anyone can call.
pub struct PublicLimits {
    /// Requests for an invitation: a person needs one or two, a spammer thousands.
    pub invitation_requests: SlidingWindows<std::net::IpAddr>,
    /// Unknown invitation or manage tokens: only guessing produces many.
    pub token_misses: SlidingWindows<std::net::IpAddr>,
}

impl PublicLimits {
    /// `CONVENE_INVITATION_REQUEST_LIMIT` per hour, `CONVENE_TOKEN_MISS_LIMIT` per 10 minutes.
    pub fn new(settings: &crate::config::Settings) -> Self {
        Self {
            invitation_requests: SlidingWindows::new(
                settings.invitation_request_limit,
                Duration::from_secs(3600),
            ),
            token_misses: SlidingWindows::new(settings.token_miss_limit, Duration::from_secs(600)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_its_limit_until_the_window_passes() {
        let w = SlidingWindows::new(2, Duration::from_millis(200));
        assert!(w.acquire("a").is_ok());
        assert!(w.acquire("a").is_ok());
        let wait = w.acquire("a").unwrap_err();
        assert!(
            wait >= Duration::from_secs(1),
            "Retry-After is at least a second"
        );
        assert!(w.acquire("b").is_ok(), "other keys are unaffected");
        std::thread::sleep(Duration::from_millis(250));
        assert!(w.acquire("a").is_ok());
    }

    #[test]
    fn clearing_a_key_forgives_it() {
        let w = SlidingWindows::new(1, Duration::from_secs(60));
        w.record("a");
        assert!(w.retry_after(&"a").is_some());
        w.clear(&"a");
        assert!(w.retry_after(&"a").is_none());
    }
}
