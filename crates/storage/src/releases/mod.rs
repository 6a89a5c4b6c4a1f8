//! Releases: the guarded write path and the visibility-scoped read paths, one file per concern.
//!
//! - `writes.rs`: `Store::create_release` and `Store::act` load the release through the
//!   visibility rule (a release the caller may not see is `NotFound`), check the references of
//!   new content, and let the domain decide.
//! - `persist.rs`: each resulting transition is persisted with `persist_transitions`: a guarded
//!   update plus every record beside it (revision, offices, topics, approval, correction, audit
//!   entry, outbox event), in one transaction.
//! - `reads.rs`: every function that returns releases to a caller is named `secure_*` and puts
//!   `visible_condition` into its SQL.
//! - `search.rs`: the full-text condition of the listing and SQLite's FTS5 mirror.
//! - `approvals.rs`: loading approval records, for the API's DataLoader and for writes.
//! - `slugs.rs`: the first free slug at creation.
//! - `outbox.rs`: the payload of a public event.

use chrono::{DateTime, Utc};
use pressroom_domain::approval::ApprovalRecord;
use pressroom_domain::content::ReleaseContent;
use pressroom_domain::lifecycle::{Release, State};
use pressroom_domain::{DepartmentId, UserName};

use crate::clock::from_micros;
use crate::entity::releases;
use crate::error::{StorageError, StorageResult};

mod approvals;
mod outbox;
mod persist;
mod reads;
mod search;
mod slugs;
mod writes;

pub(crate) use approvals::{load_approvals, load_approvals_of};
pub(crate) use outbox::event_payload;
pub(crate) use persist::{notify_schedulers, persist_records, persist_transitions, update_guarded};
pub use reads::{ReleaseFilter, ReleaseKey, Seen};
pub(crate) use writes::load_for_write;

/// A release as stored, with its current content parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRelease {
    /// Id.
    pub id: String,
    /// Unique slug.
    pub slug: String,
    /// Department id.
    pub department_id: String,
    /// Stored state (see `pressroom_domain::visibility::effective_state` for how it reads).
    pub state: State,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Current revision number.
    pub revision: i32,
    /// Hash of the current content.
    pub content_hash: String,
    /// Current content.
    pub content: ReleaseContent,
    /// Author of the current revision.
    pub author: String,
    /// Embargo instant.
    pub embargo_until: Option<DateTime<Utc>>,
    /// Publication instant, once recorded.
    pub published_at: Option<DateTime<Utc>>,
    /// Listing key.
    pub sort_at: DateTime<Utc>,
    /// Withdrawal instant.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Public withdrawal reason.
    pub withdrawal_reason: Option<String>,
    /// Creator.
    pub created_by: String,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last write.
    pub updated_at: DateTime<Utc>,
}

impl StoredRelease {
    pub(crate) fn from_model(m: releases::Row) -> StorageResult<Self> {
        let state = State::parse(&m.state)
            .ok_or_else(|| StorageError::Internal(format!("unknown state {}", m.state)))?;
        Ok(Self {
            content: ReleaseContent::from_canonical_json(&m.content)?,
            id: m.id,
            slug: m.slug,
            department_id: m.department_id,
            state,
            version: m.version,
            revision: m.revision,
            content_hash: m.content_hash,
            author: m.author,
            embargo_until: m.embargo_until.map(from_micros),
            published_at: m.published_at.map(from_micros),
            sort_at: from_micros(m.sort_at),
            withdrawn_at: m.withdrawn_at.map(from_micros),
            withdrawal_reason: m.withdrawal_reason,
            created_by: m.created_by,
            created_at: from_micros(m.created_at),
            updated_at: from_micros(m.updated_at),
        })
    }

    pub(crate) fn into_domain(self, approvals: Vec<ApprovalRecord>) -> Release {
        Release {
            id: self.id,
            department_id: DepartmentId::from(self.department_id),
            state: self.state,
            version: self.version,
            revision: self.revision,
            content: self.content,
            content_hash: self.content_hash,
            author: UserName::from(self.author),
            embargo_until: self.embargo_until,
            published_at: self.published_at,
            approvals,
        }
    }
}

/// A public correction note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// The note.
    pub note: String,
    /// Revision the correction made.
    pub revision: i32,
}
