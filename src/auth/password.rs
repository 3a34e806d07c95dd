//! argon2id hashing with the OWASP parameters (19 MiB, 2 iterations, 1 lane).
//!
//! Each hash costs ~20 MiB and tens of milliseconds of CPU, so it runs on a few threads
//! of its own (one fewer than the cores), at a lower scheduling priority: a flood of
//! logins queues here instead of taking every core (and every blocking thread) from the
//! rest of the service, and when the CPU is contended registrations and page loads run
//! first. In the login-flood benchmark the hashing thread at normal priority took one of
//! the two cores and the registrations beside it waited for the other (p99 314-482 ms).
//!
//! A hashing thread keeps its 19 MiB from one hash to the next while more are queued, and
//! gives it back when none is. Allocated per hash, every hash faulted in and zeroed 19 MiB
//! of fresh pages, and the service's peak in the login-flood benchmark was 16-19 MiB above
//! what samples every 0.1 s saw: as we read it, the next hash's memory was resident before
//! the allocator's purge delay had returned the last one's. Kept, the flood's peak fell
//! by that much (`BENCHMARKS.md`, session 22); kept for good, it raised every other
//! scenario's peak by the same 19 MiB.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

use crate::error::AppError;

/// The algorithm and version of the hashes made here; stored hashes carry their own.
const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(ALGORITHM, VERSION, params)
}

thread_local! {
    /// The argon2 memory of a hashing thread, kept between its hashes; `None` on every
    /// other thread (the command line, the warm-up), which allocates per hash instead.
    static KEPT_MEMORY: RefCell<Option<Vec<Block>>> = const { RefCell::new(None) };
}

/// Runs `f` on `blocks` blocks of argon2 memory: on a hashing thread its kept memory
/// (allocated, or grown for a stored hash of a larger cost, when a hash needs it), on
/// any other thread fresh memory.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    KEPT_MEMORY.with_borrow_mut(|kept| match kept {
        Some(memory) => {
            if memory.len() < blocks {
                memory.resize(blocks, Block::default());
            }
            f(&mut memory[..blocks])
        }
        None => f(&mut vec![Block::default(); blocks]),
    })
}

/// Argon2's output for `password` and `salt` under `argon2`'s parameters, into `out`.
fn compute(
    argon2: &Argon2<'_>,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    with_memory(argon2.params().block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, memory)
    })
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let failed = |e: &dyn std::fmt::Display| {
        AppError::Internal(anyhow::anyhow!("password hashing failed: {e}"))
    };
    let argon2 = argon2();
    let salt = argon2::password_hash::try_generate_salt().map_err(|e| failed(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&argon2, password, &salt, &mut out).map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: ALGORITHM.ident(),
        version: Some(VERSION.into()),
        params: ParamsString::try_from(argon2.params()).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
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
    verify_hash(password, hash) && known
}

/// Recomputes the hash with the stored one's algorithm, version, parameters and salt, and
/// compares the outputs in constant time (`Output`'s equality), as the `argon2` crate's
/// own verifier does; this one only brings its memory.
fn verify_hash(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    if compute(&argon2, password, salt.as_ref(), &mut out).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == *expected)
}

/// The nice value of the hashing threads: CFS/EEVDF then gives them about a tenth of a
/// contended core against a normal thread, and all of an idle one.
const HASHING_NICE: libc::c_int = 10;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
    /// Jobs sent and not yet taken by a hashing thread.
    queued: Arc<AtomicUsize>,
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
        let queued = Arc::new(AtomicUsize::new(0));
        for i in 0..n.max(1) {
            let rx = Arc::clone(&rx);
            let queued = Arc::clone(&queued);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_priority();
                    KEPT_MEMORY.set(Some(Vec::new()));
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => {
                                queued.fetch_sub(1, Ordering::AcqRel);
                                job();
                            }
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawning a password hashing thread");
        }
        Self { jobs: tx, queued }
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
        let queued = Arc::clone(&self.queued);
        let job: Job = Box::new(move || {
            let out = work();
            // The memory is kept while hashes queue up (a flood of logins) and given back
            // when none waits, so that an idle service does not hold it; before answering,
            // so that the caller's next hash finds it settled.
            if queued.load(Ordering::Acquire) == 0 {
                KEPT_MEMORY.with_borrow_mut(|kept| {
                    if let Some(memory) = kept {
                        *memory = Vec::new();
                    }
                });
            }
            let _ = done.send(out);
        });
        self.queued.fetch_add(1, Ordering::AcqRel);
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

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hasher_and_verifier() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let crate_argon2 = argon2();
        // Hashes stored before this module brought its own memory still verify...
        let stored = crate_argon2.hash_password(b"pw").unwrap().to_string();
        assert!(verify_blocking("pw", Some(&stored)));
        assert!(!verify_blocking("pW", Some(&stored)));
        // ...and the crate verifies this module's hashes.
        let ours = hash_blocking("pw").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(crate_argon2.verify_password(b"pw", &parsed).is_ok());
        assert!(crate_argon2.verify_password(b"pW", &parsed).is_err());
        // A stored hash with other parameters (a smaller memory cost) verifies under its own.
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        let cheap = other.hash_password(b"pw").unwrap().to_string();
        assert!(cheap.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
        assert!(verify_blocking("pw", Some(&cheap)));
        assert!(!verify_blocking("pW", Some(&cheap)));
    }

    #[test]
    fn a_hashing_thread_keeps_its_memory_while_hashes_are_queued() {
        let hasher = PasswordHasher::with_concurrency(1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let kept = || KEPT_MEMORY.with_borrow(|m| m.as_ref().map(Vec::len));
        // The thread waits on `gate` until the hash and the look after it are queued too.
        let (release, gate) = mpsc::channel::<()>();
        let (_, hashed, seen, ()) = runtime.block_on(async {
            tokio::join!(
                hasher.run(move || gate.recv()),
                hasher.hash("pw".into()),
                hasher.run(kept),
                async { release.send(()).unwrap() },
            )
        });
        assert_eq!(seen.unwrap(), Some(argon2().params().block_count()));
        // Nothing queued after that look: the memory was given back.
        assert_eq!(runtime.block_on(hasher.run(kept)).unwrap(), Some(0));
        let hash = hashed.unwrap();
        assert!(runtime
            .block_on(hasher.verify("pw".into(), Some(hash.clone())))
            .unwrap());
        assert!(!runtime
            .block_on(hasher.verify("pW".into(), Some(hash)))
            .unwrap());
        // Any other thread allocates per hash and keeps nothing.
        assert_eq!(kept(), None);
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
