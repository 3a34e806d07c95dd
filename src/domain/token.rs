use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A secret sent to one person (invitation, manage link, session cookie): 256 bits
/// from the OS random generator, URL-safe. Only its hash is ever stored, so a
/// leaked database does not leak working links.
pub struct SecretToken(String);

impl SecretToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts what a client presents; anything that is not the shape of a token is refused
    /// before it reaches the database.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.len() == 43
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(raw.to_owned()))
    }

    /// The secret itself: goes into an email or a cookie, never into a log or the database.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value stored and looked up: SHA-256, hex. A fast hash is right here because the
    /// token has 256 bits of entropy; nothing can be guessed by brute force.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::SecretToken;

    #[test]
    fn tokens_are_unique_url_safe_and_round_trip() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        let parsed = SecretToken::parse(a.expose()).expect("a generated token parses");
        assert_eq!(parsed.hash(), a.hash());
        assert_eq!(a.hash().len(), 64);
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        assert!(SecretToken::parse("short").is_none());
        assert!(SecretToken::parse(&"a/".repeat(22)[..43]).is_none());
    }
}
