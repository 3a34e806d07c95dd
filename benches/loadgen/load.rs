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
    /// The whole machine's CPU while the requests ran (Linux only).
    pub cpu: Option<MachineCpu>,
}

/// The machine's CPU over a scenario, from `/proc/stat`: every process counts, the
/// server, the database, the load generator and its mail sink. Per request it is less
/// noisy than the rate on a shared machine, and it bounds the rate: the cores over the
/// CPU each request takes.
#[derive(Clone, Copy, Debug)]
pub struct MachineCpu {
    /// Of all cores, the share that was busy.
    pub busy: f64,
    pub cores: usize,
}

impl MachineCpu {
    /// `(busy, total)` jiffies of all cores so far, and how many cores `/proc/stat`
    /// counts (its `cpuN` lines: the cores the first line sums, whatever this process's
    /// affinity or quota).
    fn now() -> Option<(u64, u64, usize)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = line
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        // user nice system idle iowait irq softirq steal (guest time is within user)
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3)? + v.get(4)?;
        let cores = stat
            .lines()
            .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
            .count();
        Some((total - idle, total, cores))
    }

    fn between(
        before: Option<(u64, u64, usize)>,
        after: Option<(u64, u64, usize)>,
    ) -> Option<Self> {
        let ((b0, t0, _), (b1, t1, cores)) = (before?, after?);
        let total = t1.checked_sub(t0).filter(|t| *t > 0)?;
        Some(Self {
            busy: b1.saturating_sub(b0) as f64 / total as f64,
            cores: cores.max(1),
        })
    }
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

    /// The machine's CPU time per request, and the busy share: "1.59 ms (84 %)".
    pub fn cpu_per_request(&self) -> Option<String> {
        let cpu = self.cpu?;
        let busy_secs = cpu.busy * cpu.cores as f64 * self.elapsed.as_secs_f64();
        let each = busy_secs * 1000.0 / self.requests.max(1) as f64;
        Some(format!("{each:.2} ms ({:.0} %)", cpu.busy * 100.0))
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
    let cpu_before = MachineCpu::now();
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
    stats.cpu = MachineCpu::between(cpu_before, MachineCpu::now());
    stats.requests = stats.latencies.len();
    stats.latencies.sort_unstable();
    stats
}
