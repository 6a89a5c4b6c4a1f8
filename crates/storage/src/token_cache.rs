//! Bearer tokens that authenticated recently, kept in memory and confirmed by the audit `seq`
//! the request's own read sees.
//!
//! A token row never changes the identity it grants: after it is inserted only `revoked_at`
//! (by [`Store::revoke_token`], which appends to the audit chain in the same transaction) and
//! `last_used_at` (bookkeeping) are written. So a token that was valid when the audit head's
//! `seq` was S is still valid in any snapshot whose `seq` is still S, unless it has expired since,
//! which needs no database to tell. That is what the cache keeps: for each token (by its
//! SHA-256) the identity, the expiry and the `seq` read in the same statement as the token row.
//!
//! [`Store::authenticate_unconfirmed`] answers from the cache without a statement and hands
//! back an [`Unconfirmed`] that says which `seq` the answer stands on; before the request
//! answers, it passes that to [`Store::confirm_token`] with the `seq` a statement of its own saw
//! (the compiled read path and the response cache read it anyway), which checks the token in
//! the database again only when the `seq` moved.
//! A revocation through another replica moves the `seq`, so the next request on this replica
//! checks the token again and is refused. [`Store::authenticate`] always asks the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use pressroom_domain::visibility::Viewer;
use sha2::{Digest, Sha256};

use crate::clock::micros;
use crate::directory::LAST_USED_INTERVAL_SECS;
use crate::error::StorageResult;
use crate::store::Store;

/// The most tokens kept; when full, the cache starts again empty. Only tokens that
/// authenticated are kept, so the entries are bounded by the tokens an admin issued.
pub const TOKEN_CACHE_ENTRIES: usize = 4096;

/// The SHA-256 of a token: what the cache is keyed by (`tokens.token_hash` is its hex).
pub(crate) type TokenDigest = [u8; 32];

/// The SHA-256 of `token`.
pub(crate) fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// A token that authenticated, as of audit `seq`.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) viewer: Viewer,
    /// Microseconds; `None`: never expires.
    pub(crate) expires_at: Option<i64>,
    /// The audit head's `seq` read in the statement that found the token valid.
    pub(crate) seq: i64,
    /// Microseconds; when this process last knew a use of the token to be recorded.
    pub(crate) last_used_at: AtomicI64,
}

/// The tokens of one [`Store`] and its clones, by the SHA-256 of the secret.
#[derive(Default)]
pub(crate) struct TokenCache {
    entries: RwLock<HashMap<TokenDigest, Arc<Entry>>>,
}

/// Only the size: the entries hold token hashes and identities, which have no place in logs.
impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("TokenCache")
            .field("entries", &entries)
            .finish()
    }
}

impl TokenCache {
    fn get(&self, digest: &TokenDigest) -> Option<Arc<Entry>> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(digest)
            .cloned()
    }

    /// Drops the entry of a token found revoked or expired.
    pub(crate) fn forget(&self, digest: &TokenDigest) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(digest);
    }

    /// Keeps `entry` unless an entry read at a later `seq` is already there.
    pub(crate) fn put(&self, digest: TokenDigest, entry: Entry) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries
            .get(&digest)
            .is_some_and(|kept| kept.seq > entry.seq)
        {
            return;
        }
        if entries.len() >= TOKEN_CACHE_ENTRIES && !entries.contains_key(&digest) {
            entries.clear();
        }
        entries.insert(digest, Arc::new(entry));
    }
}

/// A caller a bearer token stands for, and whether that still has to be confirmed.
#[derive(Debug)]
pub struct Authenticated {
    /// The identity the token grants.
    pub viewer: Viewer,
    /// `Some`: answered from memory; the request must hand it to [`Store::confirm_token`]
    /// before it answers. `None`: checked in the database just now.
    pub unconfirmed: Option<Unconfirmed>,
}

/// A token answered from memory, valid as long as the audit `seq` is still the one it was
/// checked at (see [`Store::confirm_token`]). Holds the token's SHA-256, never the token.
pub struct Unconfirmed {
    digest: TokenDigest,
    seq: i64,
}

/// Only the `seq`: the digest stands for a secret.
impl std::fmt::Debug for Unconfirmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unconfirmed")
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The caller `token` stands for, answered from memory when this process saw the token
    /// authenticate before (no statement; see the module's documentation for what the caller
    /// must still do), otherwise as [`Store::authenticate`]. `None` for an unknown, revoked or
    /// expired token.
    pub async fn authenticate_unconfirmed(
        &self,
        token: &str,
    ) -> StorageResult<Option<Authenticated>> {
        let digest = digest(token);
        let now = micros(self.now());
        if let Some(entry) = self.token_cache().get(&digest)
            && entry.expires_at.is_none_or(|end| end > now)
        {
            self.note_use(&entry, now).await;
            return Ok(Some(Authenticated {
                viewer: entry.viewer.clone(),
                unconfirmed: Some(Unconfirmed {
                    digest,
                    seq: entry.seq,
                }),
            }));
        }
        Ok(self
            .authenticate_digest(digest)
            .await?
            .map(|(_, viewer)| Authenticated {
                viewer,
                unconfirmed: None,
            }))
    }

    /// Whether a token answered from memory may answer a request whose read saw audit `seen`
    /// (`None`: the request read no `seq`). The `seq` the token was checked at means no write
    /// (no revocation among them) committed in between: true at no cost. Otherwise the token is
    /// checked in the database again, which also brings its entry up to date.
    pub async fn confirm_token(
        &self,
        unconfirmed: Unconfirmed,
        seen: Option<i64>,
    ) -> StorageResult<bool> {
        if seen == Some(unconfirmed.seq) {
            return Ok(true);
        }
        Ok(self
            .authenticate_digest(unconfirmed.digest)
            .await?
            .is_some())
    }

    /// Records a use of the cached token `entry` at `now` when the last one this process knows
    /// of is [`LAST_USED_INTERVAL_SECS`] old: one request per interval claims the write.
    async fn note_use(&self, entry: &Entry, now: i64) {
        let stale = now - LAST_USED_INTERVAL_SECS * 1_000_000;
        let last = entry.last_used_at.load(Ordering::Relaxed);
        if last > stale
            || entry
                .last_used_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.record_token_use(&entry.id, now, stale).await;
    }
}
