//! Anti-forgery tokens for every state-changing newsroom request.
//!
//! A token is the HMAC-SHA256, under the server's key (setting `newsroom_csrf_key`), of what the
//! browser already holds secretly: the session's own anti-forgery secret once signed in, or a
//! random pre-session cookie on the sign-in page. A page from another site can make the browser
//! send its cookies, but it can neither read a page to copy the token nor compute one without
//! the key. There is no default key: without the setting the server draws a random one at
//! start (then tokens hold only on that process, which is fine for one replica; several replicas
//! need the same configured key).

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// The key tokens are derived with.
#[derive(Clone)]
pub struct CsrfKey(Vec<u8>);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(..)")
    }
}

/// Why a configured key was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "newsroom_csrf_key must be at least {MIN_KEY_BYTES} bytes written as hexadecimal (64 hex digits or more)"
)]
pub struct BadKey;

impl CsrfKey {
    /// A key from its hexadecimal form (the setting), at least [`MIN_KEY_BYTES`] bytes.
    pub fn from_hex(text: &str) -> Result<Self, BadKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| BadKey)?;
        if bytes.len() < MIN_KEY_BYTES {
            return Err(BadKey);
        }
        Ok(Self(bytes))
    }

    /// A fresh random key of 32 bytes.
    pub fn random() -> Self {
        let mut bytes = vec![0u8; MIN_KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length, so this cannot fail.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }

    /// The token for `binding` (the session's secret, or the pre-session cookie).
    pub fn token(&self, binding: &str) -> String {
        let mut mac = self.mac();
        mac.update(b"pressroom-newsroom-csrf\0");
        mac.update(binding.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `given` is the token for `binding`, compared in constant time.
    pub fn verify(&self, binding: &str, given: Option<&str>) -> bool {
        let Some(given) = given.and_then(|g| hex::decode(g).ok()) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(b"pressroom-newsroom-csrf\0");
        mac.update(binding.as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_for_its_own_binding_only() {
        let key = CsrfKey::random();
        let token = key.token("session-a");
        assert!(key.verify("session-a", Some(&token)));
        assert!(!key.verify("session-b", Some(&token)));
        assert!(!key.verify("session-a", None));
        assert!(!key.verify("session-a", Some("")));
        assert!(!key.verify("session-a", Some("not hex")));
    }

    #[test]
    fn another_key_makes_other_tokens() {
        let a = CsrfKey::random();
        let b = CsrfKey::random();
        assert!(!b.verify("s", Some(&a.token("s"))));
    }

    #[test]
    fn a_short_or_malformed_key_is_refused() {
        assert!(CsrfKey::from_hex("abcd").is_err());
        assert!(CsrfKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(CsrfKey::from_hex(&"ab".repeat(32)).is_ok());
    }
}
