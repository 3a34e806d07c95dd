//! argon2id hashing with the OWASP parameters (19 MiB, 2 iterations, 1 lane).
//!
//! Each hash costs ~20 MiB and tens of milliseconds of CPU, so it runs on the blocking
//! pool behind a semaphore: a flood of logins queues here instead of taking every core
//! (and every blocking thread) from the rest of the service.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

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

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
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
    pub fn with_concurrency(n: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(n)),
        }
    }

    /// Computes the dummy hash now rather than on the first login with an unknown email.
    pub fn warm_up(&self) {
        let _ = dummy_hash();
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        actix_web::web::block(move || hash_blocking(&password))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing task failed: {e}")))?
    }

    /// True only when `stored` is a hash of `password`; `None` (unknown account) takes the same time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        actix_web::web::block(move || verify_blocking(&password, stored.as_deref()))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("verification task failed: {e}")))
    }

    /// The blocking form, for the command line.
    pub fn hash_now(password: &str) -> Result<String, AppError> {
        hash_blocking(password)
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
}
