//! A cache of whole GraphQL responses to the reads of integrators and anonymous callers, the
//! audience that asks the same listing again and again.
//!
//! What makes a cached response safe to serve again:
//!
//! - **Per caller.** The key holds the caller's identity (user name, role, embargo access; or
//!   anonymous) beside the query text or persisted-query hash, the operation name and the
//!   variables, so a response is only ever served to the caller it was made for. Only anonymous
//!   callers and integrators are cached: other roles read data that changes without an audit
//!   entry (an admin's webhook deliveries) or read little.
//! - **No write since.** An entry records the audit log's last seq, read before the response was
//!   computed. Every committed write appends to the audit log, in this process or any other
//!   replica, so an entry is served only while that seq is still the last one; each request
//!   reads it (one single-row query).
//! - **No embargo instant since.** Releases become public at their instant at read time, before
//!   the scheduler writes anything. An entry is valid only until the earliest embargo instant
//!   pending when it was made (read before the response was computed); an entry made while an
//!   instant was already due is not kept at all.
//! - **Only clean answers.** Queries only (never a mutation), executed without any error.
//!
//! Tokens are checked before the cache is consulted, so a revoked or expired token gets nothing.
//!
//! **The key** is SipHash-1-3 with a 128-bit output under a key drawn at random when the process
//! starts: a keyed pseudo-random function, so nobody outside the process can aim two requests at
//! one key, and two different requests share one with a chance of about one in 2^128 per pair.
//! It costs a miss a few hundred instructions where the SHA-256 it replaced cost some ten
//! thousand (docs/benchmarks.md, the fifth round). Each piece is written with its length, so
//! no two different requests feed the hash the same bytes.
//!
//! **Admission.** Consulting the cache costs a miss two statements (the audit seq, and the next
//! embargo instant for the answer's validity) before the answer is computed. When answers are
//! seldom asked for twice (one release by id after another), that is pure overhead, so the cache
//! watches its hit rate over windows of [`WINDOW`] lookups: while the last window hit less than
//! one lookup in [`SELECTIVE_BELOW`], a key that is neither cached nor seen recently is only
//! remembered (no statement, nothing kept), and the cache is consulted from its second request
//! on. Keys already cached are always consulted. A fresh cache, and one that hits, admits every
//! request.

use std::hash::Hasher as _;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use lru::LruCache;
use pressroom_domain::visibility::{Role, Viewer};
use siphasher::sip128::{Hasher128 as _, SipHasher13};

/// Largest response body kept; larger ones are served but not cached.
pub const MAX_CACHED_BODY_BYTES: usize = 256 * 1024;

/// The default number of responses kept per process.
pub const DEFAULT_ENTRIES: usize = 128;

/// Lookups per window over which the hit rate is judged (see the module's **Admission**).
pub const WINDOW: u32 = 512;

/// The cache becomes selective after a window in which fewer than one lookup in this many hit.
pub const SELECTIVE_BELOW: u32 = 8;

/// One cached response.
struct Entry {
    /// The audit seq read before the response was computed.
    generation: i64,
    /// The earliest pending embargo instant when the response was computed; `None`: none.
    valid_until: Option<DateTime<Utc>>,
    /// The JSON body.
    body: Bytes,
    /// The operation's first root field, for the metrics of a hit.
    field: Arc<str>,
}

/// A cached answer.
pub struct Hit {
    /// The JSON body.
    pub body: Bytes,
    /// The operation's first root field.
    pub field: Arc<str>,
}

/// The cache of a server, as the HTTP handlers find it; `None` when caching is off.
#[derive(Clone)]
pub struct SharedResponseCache(pub Option<Arc<ResponseCache>>);

/// The key of a request: the process's keyed 128-bit SipHash of its caller, persisted-query
/// hash, query hash, operation name and variables (see [`ResponseCache::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(u128);

/// The cache of one server process (an LRU of at most `capacity` responses).
pub struct ResponseCache {
    /// The SipHash key of this process's request keys, drawn at random.
    secret: (u64, u64),
    /// The entries and the admission's account, under one lock.
    state: Mutex<State>,
}

/// What the lock of a [`ResponseCache`] guards.
struct State {
    entries: LruCache<Key, Entry>,
    admission: Admission,
}

/// The hit rate of the current window, and the keys seen once while selective.
struct Admission {
    lookups: u32,
    hits: u32,
    /// Whether the last complete window hit less than one lookup in [`SELECTIVE_BELOW`].
    selective: bool,
    /// Keys asked for once, not yet admitted (bounded, least recently seen dropped first).
    seen: LruCache<Key, ()>,
}

/// Feeds what `serde_json` writes to the hash, without a buffer in between.
struct HashWriter<'a>(&'a mut SipHasher13);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `bytes` to `hasher` after their length, so that pieces cannot run into each other.
fn piece(hasher: &mut SipHasher13, bytes: &[u8]) {
    hasher.write_usize(bytes.len());
    hasher.write(bytes);
}

impl ResponseCache {
    /// A cache of at most `capacity` responses; `None` when `capacity` is 0 (caching off).
    pub fn new(capacity: usize) -> Option<Self> {
        use rand::Rng as _;
        let mut rng = rand::rng();
        NonZeroUsize::new(capacity).map(|capacity| Self {
            secret: (rng.random(), rng.random()),
            state: Mutex::new(State {
                entries: LruCache::new(capacity),
                admission: Admission {
                    lookups: 0,
                    hits: 0,
                    selective: false,
                    seen: LruCache::new(
                        capacity.saturating_mul(NonZeroUsize::MIN.saturating_add(7)),
                    ),
                },
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the request of `key` should consult the cache (and may fill it): always while
    /// the cache is not selective, and when it is, for keys cached or seen once before
    /// (see the module's **Admission**). Counts the lookup in the window.
    pub fn admit(&self, key: &Key) -> bool {
        let mut state = self.lock();
        let cached = state.entries.contains(key);
        let admission = &mut state.admission;
        admission.lookups += 1;
        if admission.lookups >= WINDOW {
            admission.selective = admission.hits * SELECTIVE_BELOW < admission.lookups;
            admission.lookups = 0;
            admission.hits = 0;
            if !admission.selective {
                admission.seen.clear();
            }
        }
        if cached || !admission.selective {
            return true;
        }
        if admission.seen.pop(key).is_some() {
            true
        } else {
            admission.seen.put(*key, ());
            false
        }
    }

    /// Whether the cache is selective now (for the tests and the benchmark's account).
    pub fn is_selective(&self) -> bool {
        self.lock().admission.selective
    }

    /// The key of a request by `viewer`, or `None` when the request may not be cached.
    /// `query_hash` is the request's [`crate::gateway::query_hash`], which stands for its query
    /// text.
    pub fn key(
        &self,
        viewer: Option<&Viewer>,
        request: &async_graphql::Request,
        query_hash: Option<&str>,
    ) -> Option<Key> {
        let mut hasher = SipHasher13::new_with_keys(self.secret.0, self.secret.1);
        match viewer {
            None => hasher.write_u8(0),
            Some(v) if v.role == Role::Integrator => {
                hasher.write_u8(1);
                piece(&mut hasher, v.user_name.as_str().as_bytes());
                hasher.write_u8(u8::from(v.embargo_access));
            }
            Some(_) => return None,
        }
        // The persisted-query hash is part of the key even beside a query text, so that a text
        // sent with a wrong hash still meets the gateway's refusal instead of a cached answer.
        let persisted = match request.extensions.get("persistedQuery") {
            Some(async_graphql::Value::Object(fields)) => match fields.get("sha256Hash") {
                Some(async_graphql::Value::String(hash)) => hash.as_str(),
                _ => return None,
            },
            Some(_) => return None,
            None => "",
        };
        if query_hash.is_none() && persisted.is_empty() {
            return None;
        }
        let operation = request.operation_name.as_deref().unwrap_or("");
        for part in [persisted, query_hash.unwrap_or(""), operation] {
            piece(&mut hasher, part.as_bytes());
        }
        // The variables come last, so they need no length.
        serde_json::to_writer(HashWriter(&mut hasher), &request.variables).ok()?;
        Some(Key(hasher.finish128().into()))
    }

    /// The body cached under `key`, if it was made at `generation` and `now` is before its
    /// validity ends.
    pub fn get(&self, key: &Key, generation: i64, now: DateTime<Utc>) -> Option<Hit> {
        let mut state = self.lock();
        let entry = state.entries.get(key)?;
        let fresh = entry.generation == generation && entry.valid_until.is_none_or(|end| now < end);
        if fresh {
            let hit = Hit {
                body: entry.body.clone(),
                field: Arc::clone(&entry.field),
            };
            state.admission.hits += 1;
            Some(hit)
        } else {
            state.entries.pop(key);
            None
        }
    }

    /// Keeps `body`, the answer of an operation whose first root field is `field`, made at
    /// `generation` with the data as of `made_at`, until `valid_until` (the earliest pending
    /// embargo instant); returns whether it was kept.
    pub fn put(
        &self,
        key: Key,
        generation: i64,
        made_at: DateTime<Utc>,
        valid_until: Option<DateTime<Utc>>,
        body: Bytes,
        field: &str,
    ) -> bool {
        if body.len() > MAX_CACHED_BODY_BYTES || valid_until.is_some_and(|end| end <= made_at) {
            return false;
        }
        let entry = Entry {
            generation,
            valid_until,
            body,
            field: Arc::from(field),
        };
        self.lock().entries.put(key, entry);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A key standing for `name`, for the tests of the cache's bookkeeping.
    fn k(name: &str) -> Key {
        let mut hasher = SipHasher13::new();
        piece(&mut hasher, name.as_bytes());
        Key(hasher.finish128().into())
    }

    /// The key as the server computes it, from the request's query hash.
    fn key(viewer: Option<&Viewer>, request: &async_graphql::Request) -> Option<Key> {
        CACHE.with(|cache| {
            let hash = crate::gateway::query_hash(request);
            cache.key(viewer, request, hash.as_deref())
        })
    }

    thread_local! {
        /// One cache (one secret) for all the keys a test compares.
        static CACHE: ResponseCache = ResponseCache::new(1).expect("a cache");
    }

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2022, 6, 2, 8, 0, second)
            .single()
            .expect("an instant")
    }

    fn viewer(name: &str, role: Role, embargo_access: bool) -> Viewer {
        Viewer {
            user_name: name.into(),
            role,
            department_id: None,
            person_id: None,
            embargo_access,
        }
    }

    #[test]
    fn keys_separate_callers_documents_operations_and_variables() {
        let request = || async_graphql::Request::new("{ releases { nodes { id } } }");
        let agency = viewer("agency", Role::Integrator, true);
        let monitor = viewer("monitor", Role::Integrator, false);
        let keys = [
            key(None, &request()),
            key(Some(&agency), &request()),
            key(Some(&monitor), &request()),
            key(None, &request().operation_name("A")),
            key(
                None,
                &request().variables(async_graphql::Variables::from_json(
                    serde_json::json!({ "first": 5 }),
                )),
            ),
        ];
        for (i, a) in keys.iter().enumerate() {
            assert!(a.is_some(), "{i}");
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(key(None, &request()), key(None, &request()));
        for role in [
            Role::Drafter,
            Role::Editor,
            Role::MinisterOffice,
            Role::Admin,
        ] {
            assert_eq!(key(Some(&viewer("x", role, false)), &request()), None);
        }
    }

    #[test]
    fn keys_are_secret_per_process_and_their_pieces_cannot_run_into_each_other() {
        let request = |operation: &str| {
            async_graphql::Request::new("{ releases { nodes { id } } }").operation_name(operation)
        };
        CACHE.with(|cache| {
            // Without the lengths, "ab" + "c" and "a" + "bc" would feed the hash the same bytes.
            assert_ne!(
                cache.key(None, &request("c"), Some("ab")),
                cache.key(None, &request("bc"), Some("a"))
            );
            let other = ResponseCache::new(1).expect("a cache");
            assert_ne!(
                cache.key(None, &request("c"), Some("ab")),
                other.key(None, &request("c"), Some("ab")),
                "another process, another secret"
            );
        });
    }

    #[test]
    fn an_entry_lives_until_a_write_or_the_next_embargo_instant() {
        let cache = ResponseCache::new(4).expect("a cache");
        let body = Bytes::from_static(b"{}");
        assert!(cache.put(k("k"), 7, at(0), Some(at(30)), body.clone(), "f"));
        assert!(cache.get(&k("k"), 7, at(29)).is_some());
        assert!(cache.get(&k("k"), 8, at(1)).is_none(), "a write happened");
        assert!(
            cache.get(&k("k"), 7, at(1)).is_none(),
            "a stale entry is dropped"
        );

        assert!(cache.put(k("k"), 7, at(0), Some(at(30)), body.clone(), "f"));
        assert!(cache.get(&k("k"), 7, at(30)).is_none(), "the instant came");

        assert!(
            !cache.put(k("k"), 7, at(30), Some(at(30)), body.clone(), "f"),
            "an instant already due is not cached over"
        );
        assert!(cache.put(k("k"), 7, at(0), None, body.clone(), "f"));
        assert!(
            cache.get(&k("k"), 7, at(59)).is_some(),
            "no embargo pending"
        );
        let big = Bytes::from(vec![b' '; MAX_CACHED_BODY_BYTES + 1]);
        assert!(!cache.put(k("big"), 7, at(0), None, big, "f"));
        assert!(ResponseCache::new(0).is_none());
    }

    #[test]
    fn after_a_window_of_misses_a_key_is_admitted_from_its_second_request() {
        let cache = ResponseCache::new(4).expect("a cache");
        let body = Bytes::from_static(b"{}");
        // A fresh cache admits every request.
        for n in 0..WINDOW - 1 {
            assert!(cache.admit(&k(&format!("once-{n}"))), "{n}");
        }
        assert!(!cache.is_selective());
        // The window ends with no hit: selective from now on.
        assert!(!cache.admit(&k("new")), "the lookup that ends the window");
        assert!(cache.is_selective());
        assert!(!cache.admit(&k("other")), "seen once: not consulted");
        assert!(cache.admit(&k("other")), "seen twice: consulted");
        assert!(cache.put(k("other"), 1, at(0), None, body.clone(), "f"));
        assert!(cache.admit(&k("other")), "cached: always consulted");
        assert!(cache.get(&k("other"), 1, at(1)).is_some());

        // A window in which one lookup in eight or more hits makes it admit everything again.
        for n in 0..WINDOW {
            if n.is_multiple_of(4) {
                assert!(cache.admit(&k("other")));
                assert!(cache.get(&k("other"), 1, at(1)).is_some());
            } else {
                cache.admit(&k(&format!("twice-{}", n / 2)));
            }
        }
        assert!(!cache.is_selective());
        assert!(cache.admit(&k("brand-new")));
    }
}
