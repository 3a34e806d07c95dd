//! DKIM signing: `CONVENE_DKIM_SELECTOR` and `CONVENE_DKIM_KEY_FILE`, both or neither,
//! checked at start so that a key that cannot sign stops the service with the variable's
//! name instead of leaving every email unsigned.

use std::path::Path;

use lettre::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};

use super::ConfigError;

const SELECTOR_VAR: &str = "CONVENE_DKIM_SELECTOR";
const KEY_VAR: &str = "CONVENE_DKIM_KEY_FILE";

/// What signs every email: the selector published in DNS (`{selector}._domainkey.{domain}`,
/// the domain being the sender's) and the private key. Its `Debug` hides the key.
#[derive(Clone)]
pub struct DkimSettings {
    pub selector: String,
    pub algorithm: DkimSigningAlgorithm,
    /// As lettre reads it: an RSA key in PKCS#1 PEM, or an Ed25519 key in base64.
    key: String,
}

impl std::fmt::Debug for DkimSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSettings")
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .field("key", &"***")
            .finish()
    }
}

impl DkimSettings {
    /// None when neither variable is set; an error naming the variable when one is set
    /// without the other, the selector is not a DNS label, or the key cannot be read.
    pub fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let err = |name: &'static str, message: String| ConfigError { name, message };
        let (selector, file) = match (get(SELECTOR_VAR), get(KEY_VAR)) {
            (None, None) => return Ok(None),
            (Some(s), Some(f)) => (s.trim().to_owned(), f),
            (Some(_), None) => {
                return Err(err(KEY_VAR, format!("is needed with {SELECTOR_VAR}")));
            }
            (None, Some(_)) => {
                return Err(err(SELECTOR_VAR, format!("is needed with {KEY_VAR}")));
            }
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !selector.split('.').all(label_ok) {
            return Err(err(
                SELECTOR_VAR,
                format!("'{selector}' is not a DNS name (letters, digits, '-', '_' and dots)"),
            ));
        }
        let (algorithm, key) = read_key(Path::new(&file)).map_err(|m| err(KEY_VAR, m))?;
        // Sign once now: a key lettre cannot use is found at start, not at the first send.
        DkimSigningKey::new(&key, algorithm)
            .map_err(|e| err(KEY_VAR, format!("{file}: not a usable signing key: {e}")))?;
        Ok(Some(Self {
            selector,
            algorithm,
            key,
        }))
    }

    /// The signing key, as lettre wants it.
    pub fn signing_key(&self) -> DkimSigningKey {
        DkimSigningKey::new(&self.key, self.algorithm)
            .expect("the key was checked when the settings were read")
    }
}

/// Reads the key file: an RSA key in PEM, PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8
/// (`BEGIN PRIVATE KEY`, what `openssl genpkey` writes), or an Ed25519 key as the base64
/// of its 32 bytes (RFC 8463).
fn read_key(file: &Path) -> Result<(DkimSigningAlgorithm, String), String> {
    use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
    use rsa::pkcs8::DecodePrivateKey;

    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let text = text.trim();
    if text.contains("BEGIN RSA PRIVATE KEY") {
        Ok((DkimSigningAlgorithm::Rsa, text.to_owned()))
    } else if text.contains("BEGIN PRIVATE KEY") {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(text)
            .map_err(|e| format!("{}: not an RSA key in PKCS#8 PEM: {e}", file.display()))?;
        let pem = key
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        Ok((DkimSigningAlgorithm::Rsa, pem.to_string()))
    } else if text.starts_with("-----") {
        Err(format!(
            "{}: expected an RSA private key (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)",
            file.display()
        ))
    } else {
        Ok((DkimSigningAlgorithm::Ed25519, text.to_owned()))
    }
}
