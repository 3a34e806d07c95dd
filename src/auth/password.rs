//! argon2id hashing with the OWASP parameters (19 MiB, 2 iterations, 1 lane).
//!
//! Each hash costs ~20 MiB and tens of milliseconds of CPU, so it runs on a few threads
//! of its own (one fewer than the cores), at a lower scheduling priority: a flood of
//! logins queues here instead of taking every core (and every blocking thread) from the
//! rest of the service, and when the CPU is contended registrations and page loads run
//! first. In the login-flood benchmark the hashing thread at normal priority took one of
//! the two cores and the registrations beside it waited for the other (p99 314-482 ms).

use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::oneshot;

use crate::error::AppError;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing failed: {e}")))
}

/// A hash of a random password, verified against when the email is unknown so that an
/// unknown account costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = crate::domain::SecretToken::generate();
        hash_blocking(random.expose()).expect("hashing a random password succeeds")
    })
}

fn verify_blocking(password: &str, stored: Option<&str>) -> bool {
    let (hash, known) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let matches = argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && known
}

/// The nice value of the hashing threads: CFS/EEVDF then gives them about a tenth of a
/// contended core against a normal thread, and all of an idle one.
const HASHING_NICE: libc::c_int = 10;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        // One core stays free for everything else; on a 2-core machine that is one hash at a time.
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::with_concurrency(cores.saturating_sub(1).max(1))
    }
}

impl PasswordHasher {
    /// Starts `n` hashing threads; they end when the last clone of the hasher is dropped.
    pub fn with_concurrency(n: usize) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n.max(1) {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawning a password hashing thread");
        }
        Self { jobs: tx }
    }

    /// Computes the dummy hash now rather than on the first login with an unknown email.
    pub fn warm_up(&self) {
        let _ = dummy_hash();
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// True only when `stored` is a hash of `password`; `None` (unknown account) takes the same time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.run(move || verify_blocking(&password, stored.as_deref()))
            .await
    }

    /// Queues `work` for the hashing threads and waits for its result.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("password hashing threads stopped")))?;
        // A panic in argon2 drops `done` without a value.
        result
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("password hashing task failed")))
    }

    /// The blocking form, for the command line.
    pub fn hash_now(password: &str) -> Result<String, AppError> {
        hash_blocking(password)
    }
}

/// Raises the calling thread's nice value by [`HASHING_NICE`] (Linux applies it per
/// thread). Best effort: hashing still works, at normal priority, where this is refused.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: get/setpriority on the calling thread's own id have no memory effects.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        let nice = libc::getpriority(libc::PRIO_PROCESS, tid);
        if libc::setpriority(libc::PRIO_PROCESS, tid, (nice + HASHING_NICE).min(19)) != 0 {
            tracing::debug!("could not lower the password hashing thread's priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_blocking("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_blocking("correct horse battery staple", Some(&h)));
        assert!(!verify_blocking("wrong horse battery staple", Some(&h)));
        assert!(!verify_blocking("correct horse battery staple", None));
        assert!(!verify_blocking("anything", Some("not a hash")));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_hashing_threads_run_at_a_lower_priority() {
        let hasher = PasswordHasher::with_concurrency(1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // SAFETY: getpriority on the calling thread only reads its nice value.
        let nice = runtime
            .block_on(hasher.run(|| unsafe {
                libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t)
            }))
            .unwrap();
        // SAFETY: as above, for this test's own thread.
        let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
        assert_eq!(nice, (own + HASHING_NICE).min(19));
        let hash = runtime.block_on(hasher.hash("pw".into())).unwrap();
        assert!(runtime
            .block_on(hasher.verify("pw".into(), Some(hash)))
            .unwrap());
    }
}
