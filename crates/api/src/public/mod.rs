//! The public, anonymous read surfaces: HTML pages, Atom feeds and ninjs documents.
//!
//! | route | what | module |
//! |---|---|---|
//! | `GET /releases` | published releases, newest first, `?first=&after=` | [`pages`] |
//! | `GET /releases/{slug}` | the press page of a published or withdrawn release | [`pages`] |
//! | `GET /releases/{slug}.json` | the same release as IPTC ninjs 3.1 | [`ninjs`] |
//! | `GET /departments/{slug}` | one department's published releases | [`pages`] |
//! | `GET /feeds/releases.atom`, `GET /feeds/{department}.atom` | Atom feeds | [`feeds`] |
//! | `GET /static/pressroom.css` | the stylesheet | [`pages`] |
//! | `GET`, `POST /signoff/{token}` | a sign-off link's page and its answer (not cached, not indexed) | [`signoff`] |
//!
//! # Reading
//!
//! Every handler reads the clock once (`store.now()`) and reads releases only through the
//! store's `secure_*` functions, anonymously (ninjs alone accepts a bearer token). So the
//! embargo rule (docs/rules.md#embargo) holds here by construction: before its instant an embargoed
//! release is not found; from the instant on it reads as PUBLISHED with `publishedAt` equal to
//! the instant, whether or not the scheduler has run. Withdrawn releases keep their page (with
//! the withdrawal notice) and leave listings and feeds, which ask for effective PUBLISHED only.
//!
//! # Caching
//!
//! The go-live is what the cache policy is built around: a cache must never keep answering
//! "not found", or an old list, after an embargo lifts.
//!
//! - A page or ninjs document that exists: `public, max-age=60` (a correction or withdrawal
//!   reaches every reader within a minute). ninjs asked with a token: `private, no-store`, and
//!   every ninjs answer says `Vary: Authorization`.
//! - 404 (unknown slug, draft, release under embargo, all alike): `no-store`, with one fixed body
//!   for every reason, so neither the body nor the headers tell whether something is embargoed.
//! - Listings and feeds: `public, max-age=N` with N at most 30 s and never past the next embargo
//!   instant of any department (`Store::next_embargo`, a global and therefore safe bound for a
//!   department's list); `public, no-cache` when an embargo is due but the scheduler has not yet
//!   recorded it.
//! - Every 200 has a strong `ETag` (a hash of the body) and, where known, `Last-Modified`;
//!   `If-None-Match` gets `304`. HTML carries `Content-Security-Policy: default-src 'none';
//!   style-src 'self'…`, `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
//!
//! # Escaping
//!
//! Release text is plain text. Pages and fragments are askama templates, checked at compile time
//! and escaping every value by default; the only unescaped insertions (`|safe`) are fragments
//! that askama itself rendered. Atom and JSON escape through their writers.

pub mod feeds;
pub mod ninjs;
pub mod pages;
pub mod signoff;

pub use pressroom_web::fragments::{DEFAULT_COUNTRY_CALLING_CODE, set_country_calling_code};

use pressroom_storage::StorageError;

/// Why a public surface could not answer (always a 500 for the caller; details go to the log).
#[derive(Debug, thiserror::Error)]
pub enum PublicError {
    /// The store failed, or refused malformed paging input.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// A template failed to render.
    #[error("template: {0}")]
    Render(#[from] askama::Error),
    /// The Atom writer failed.
    #[error("atom: {0}")]
    Atom(#[from] atom_syndication::Error),
    /// Stored data broke an invariant.
    #[error("broken data: {0}")]
    Broken(&'static str),
}
