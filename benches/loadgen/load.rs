//! Drives HTTP requests at a fixed concurrency and summarises their latencies.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// One scenario's figures.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    /// Sorted ascending.
    pub latencies: Vec<Duration>,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }
}

/// Runs `total` calls of `request(i)` (i = 0..total), `concurrency` at a time, on the
/// current single-threaded runtime. A call returns whether its answer was the expected one.
pub async fn drive<F, Fut>(concurrency: usize, total: usize, request: F) -> Stats
where
    F: Fn(usize) -> Fut + 'static,
    Fut: Future<Output = bool> + 'static,
{
    let next = Rc::new(Cell::new(0usize));
    let request = Rc::new(request);
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.min(total.max(1)) {
        let next = Rc::clone(&next);
        let request = Rc::clone(&request);
        workers.push(actix_rt::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.get();
                if i >= total {
                    break;
                }
                next.set(i + 1);
                let t = Instant::now();
                let ok = request(i).await;
                latencies.push(t.elapsed());
                errors += usize::from(!ok);
            }
            (latencies, errors)
        }));
    }
    let mut stats = Stats::default();
    for w in workers {
        let (latencies, errors) = w.await.expect("a load worker panicked");
        stats.latencies.extend(latencies);
        stats.errors += errors;
    }
    stats.elapsed = started.elapsed();
    stats.requests = stats.latencies.len();
    stats.latencies.sort_unstable();
    stats
}

/// Like [`drive`], but repeats until `stop` is set, for background load.
pub async fn drive_until<F, Fut>(concurrency: usize, stop: Rc<Cell<bool>>, request: F) -> Stats
where
    F: Fn(usize) -> Fut + 'static,
    Fut: Future<Output = bool> + 'static,
{
    let request = Rc::new(request);
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        let stop = Rc::clone(&stop);
        let request = Rc::clone(&request);
        workers.push(actix_rt::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            while !stop.get() {
                let t = Instant::now();
                let ok = request(w).await;
                latencies.push(t.elapsed());
                errors += usize::from(!ok);
            }
            (latencies, errors)
        }));
    }
    let mut stats = Stats::default();
    for w in workers {
        let (latencies, errors) = w.await.expect("a load worker panicked");
        stats.latencies.extend(latencies);
        stats.errors += errors;
    }
    stats.elapsed = started.elapsed();
    stats.requests = stats.latencies.len();
    stats.latencies.sort_unstable();
    stats
}
