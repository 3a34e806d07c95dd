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
    let take = move |_worker: usize| {
        let i = next.get();
        next.set(i + 1);
        (i < total).then_some(i)
    };
    run(concurrency.min(total.max(1)), take, request).await
}

/// Like [`drive`], but each worker `w` calls `request(w)` until `stop` is set, for
/// background load.
pub async fn drive_until<F, Fut>(concurrency: usize, stop: Rc<Cell<bool>>, request: F) -> Stats
where
    F: Fn(usize) -> Fut + 'static,
    Fut: Future<Output = bool> + 'static,
{
    run(
        concurrency,
        move |worker| (!stop.get()).then_some(worker),
        request,
    )
    .await
}

/// `workers` loops, each calling `request` with what `take` gives it until `None`.
async fn run<T, F, Fut>(workers: usize, take: T, request: F) -> Stats
where
    T: Fn(usize) -> Option<usize> + 'static,
    F: Fn(usize) -> Fut + 'static,
    Fut: Future<Output = bool> + 'static,
{
    let (take, request) = (Rc::new(take), Rc::new(request));
    let started = Instant::now();
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let (take, request) = (Rc::clone(&take), Rc::clone(&request));
            actix_rt::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while let Some(i) = take(w) {
                    let t = Instant::now();
                    let ok = request(i).await;
                    latencies.push(t.elapsed());
                    errors += usize::from(!ok);
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut stats = Stats::default();
    for h in handles {
        let (latencies, errors) = h.await.expect("a load worker panicked");
        stats.latencies.extend(latencies);
        stats.errors += errors;
    }
    stats.elapsed = started.elapsed();
    stats.requests = stats.latencies.len();
    stats.latencies.sort_unstable();
    stats
}
