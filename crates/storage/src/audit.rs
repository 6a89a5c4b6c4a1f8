//! The audit log: appending entries to the hash chain, reading them, and verifying the chain.
//!
//! Appends serialize on the single `audit_head` row: the first statement of an append is an
//! `UPDATE` of that row, which takes its row lock on PostgreSQL (SQLite serializes writers
//! anyway), so `seq` is gapless, `prev_hash` is always the true predecessor, and anything written
//! after the append in the same transaction (outbox rows) commits in `seq` order.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use pressroom_domain::audit::{AuditFields, ChainBreak, ChainVerifier};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, ExprTrait,
    FromQueryResult, QueryFilter, QueryOrder, QueryResult, Set, StreamTrait,
};
use serde_json::Value;

use crate::clock::micros;
use crate::entity::{audit_head, audit_log};
use crate::error::{StorageError, StorageResult};

/// The alias under which a read selects the audit head's `seq` beside its rows ([`head_seq`]).
pub(crate) const SEQ_ALIAS: &str = "audit_seq";

/// `(SELECT seq FROM audit_head WHERE id = 1)`, for a read's projection: the `seq` in the
/// statement's own snapshot (the compiled path's release reads, the token check).
pub(crate) fn head_seq() -> Expr {
    Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .column(audit_head::Column::Seq)
                .from(audit_head::Entity)
                .and_where(audit_head::Column::Id.eq(1))
                .to_owned()
                .into(),
        ),
    )
}

/// A row with the audit `seq` its statement selected as [`SEQ_ALIAS`].
pub(crate) struct AtSeq<T> {
    pub(crate) row: T,
    pub(crate) seq: i64,
}

impl<T: FromQueryResult> FromQueryResult for AtSeq<T> {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            row: T::from_query_result(res, pre)?,
            seq: res.try_get(pre, SEQ_ALIAS)?,
        })
    }
}

/// Who did it, and to what.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// User name or `scheduler`.
    pub actor: &'a str,
    /// Action name.
    pub action: &'a str,
    /// Release concerned.
    pub release_id: Option<&'a str>,
    /// State before.
    pub from_state: Option<&'a str>,
    /// State after.
    pub to_state: Option<&'a str>,
    /// Revision concerned.
    pub revision: Option<i32>,
    /// Details (camelCase keys); stored as JSON text with sorted keys.
    pub details: &'a BTreeMap<String, Value>,
}

impl crate::Store {
    /// The seq of the last audit entry. Every committed write appends to the audit log in its own
    /// transaction (releases, publications, directory, tokens, webhook endpoints; not the webhook
    /// worker's delivery bookkeeping), so two reads that see the same number see the same data:
    /// the generation of the GraphQL response cache.
    pub async fn audit_seq(&self) -> StorageResult<i64> {
        audit_head::Entity::find_by_id(1)
            .one(self.connection())
            .await?
            .map(|head| head.seq)
            .ok_or_else(|| StorageError::Internal("the audit_head row is missing".into()))
    }
}

/// Takes the chain's head lock now rather than at the first append (a no-op update; PostgreSQL
/// holds the row lock until the transaction ends). Writes that must not race each other before
/// they append, such as picking a free slug, call this first.
pub(crate) async fn lock_chain(txn: &DatabaseTransaction) -> StorageResult<()> {
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(())
}

/// Appends one entry in `txn` at `at`; returns its seq.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    entry: NewEntry<'_>,
    at: DateTime<Utc>,
) -> StorageResult<i64> {
    let seqs = append_many(txn, &[entry], at).await?;
    seqs.first()
        .copied()
        .ok_or_else(|| StorageError::Internal("audit append returned no seq".into()))
}

/// Rows per multi-row INSERT: well under SQLite's limit of 32,766 bound parameters.
const INSERT_CHUNK: usize = 1_000;

/// Appends entries in order in `txn` at `at`, taking the chain's head lock once; returns their seqs.
pub(crate) async fn append_many(
    txn: &DatabaseTransaction,
    entries: &[NewEntry<'_>],
    at: DateTime<Utc>,
) -> StorageResult<Vec<i64>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(entries.len()).map_err(|e| StorageError::Internal(e.to_string()))?;
    let locked = audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::Seq,
            Expr::col(audit_head::Column::Seq).add(count),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    if locked.rows_affected != 1 {
        return Err(StorageError::Internal("audit_head row is missing".into()));
    }
    let head = audit_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| StorageError::Internal("audit_head row is missing".into()))?;
    let at_micros = micros(at);
    let mut prev_hash = head.hash;
    let mut rows = Vec::with_capacity(entries.len());
    let mut seqs = Vec::with_capacity(entries.len());
    for (seq, entry) in (head.seq - count + 1..).zip(entries) {
        let details = serde_json::to_string(entry.details)?;
        let hash = AuditFields {
            seq,
            at_micros,
            actor: entry.actor,
            action: entry.action,
            release_id: entry.release_id,
            from_state: entry.from_state,
            to_state: entry.to_state,
            revision: entry.revision,
            details: &details,
            prev_hash: &prev_hash,
        }
        .hash();
        rows.push(audit_log::ActiveModel {
            seq: Set(seq),
            at: Set(at_micros),
            actor: Set(entry.actor.to_owned()),
            action: Set(entry.action.to_owned()),
            release_id: Set(entry.release_id.map(str::to_owned)),
            from_state: Set(entry.from_state.map(str::to_owned)),
            to_state: Set(entry.to_state.map(str::to_owned)),
            revision: Set(entry.revision),
            details: Set(details),
            prev_hash: Set(std::mem::replace(&mut prev_hash, hash.clone())),
            hash: Set(hash),
        });
        seqs.push(seq);
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        audit_log::Entity::insert_many(chunk).exec(txn).await?;
    }
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Hash, Expr::value(prev_hash))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(seqs)
}

/// The outcome of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every entry checks out; the number of entries and the head hash.
    Intact {
        /// Entries checked.
        entries: i64,
        /// Hash of the last entry.
        head: String,
    },
    /// The first place the chain breaks.
    Broken(ChainBreak),
}

/// Recomputes the whole chain, streaming entries in seq order.
pub async fn verify<C: ConnectionTrait + StreamTrait>(db: &C) -> StorageResult<Verification> {
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::Internal("audit_head row is missing".into()))?;
    let mut verifier = ChainVerifier::default();
    let mut rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .stream(db)
        .await?;
    while let Some(row) = rows.next().await {
        let row = row?;
        let fields = AuditFields {
            seq: row.seq,
            at_micros: row.at,
            actor: &row.actor,
            action: &row.action,
            release_id: row.release_id.as_deref(),
            from_state: row.from_state.as_deref(),
            to_state: row.to_state.as_deref(),
            revision: row.revision,
            details: &row.details,
            prev_hash: &row.prev_hash,
        };
        if let Err(broken) = verifier.push(&fields, &row.hash) {
            return Ok(Verification::Broken(broken));
        }
    }
    Ok(match verifier.finish(head.seq, &head.hash) {
        Ok((entries, head)) => Verification::Intact { entries, head },
        Err(broken) => Verification::Broken(broken),
    })
}

/// An audit entry as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain.
    pub seq: i64,
    /// Instant.
    pub at: DateTime<Utc>,
    /// User name or `scheduler`.
    pub actor: String,
    /// Action name.
    pub action: String,
    /// Release concerned.
    pub release_id: Option<String>,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: Option<String>,
    /// Revision concerned.
    pub revision: Option<i32>,
    /// Details as stored JSON text.
    pub details: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(m: audit_log::Model) -> Self {
        Self {
            seq: m.seq,
            at: crate::clock::from_micros(m.at),
            actor: m.actor,
            action: m.action,
            release_id: m.release_id,
            from_state: m.from_state,
            to_state: m.to_state,
            revision: m.revision,
            details: m.details,
            prev_hash: m.prev_hash,
            hash: m.hash,
        }
    }
}

impl crate::Store {
    /// A page of audit entries, oldest first, that `viewer` may read: admins read everything;
    /// drafters, editors and offices read the entries of releases whose internal detail they may
    /// see (`internal_detail_condition`) among those they see beyond the public (their
    /// department's, or those past DRAFT needing their office); integrators and anonymous callers
    /// read none (internal deliberation is not public). `release_id` narrows to one release.
    pub async fn secure_audit_entries(
        &self,
        viewer: Option<&pressroom_domain::visibility::Viewer>,
        release_id: Option<&str>,
        page: &crate::pagination::PageRequest,
    ) -> StorageResult<crate::pagination::Page<AuditEntry>> {
        use crate::entity::releases;
        use crate::pagination::{Cursor, Page};
        use crate::visibility::{internal_detail_condition, privileged_condition};
        use pressroom_domain::visibility::Role;
        use sea_orm::sea_query::Query;
        use sea_orm::{Condition, QuerySelect};

        let Some(viewer) = viewer else {
            return Ok(Page::empty(page));
        };
        let mut condition = Condition::all();
        if viewer.role != Role::Admin {
            // The trail of releases whose internal detail the viewer may see, among those it
            // sees by role: an office does not read the trail of a release back in DRAFT.
            let (Some(internal), Some(privileged)) = (
                internal_detail_condition(viewer),
                privileged_condition(viewer),
            ) else {
                return Ok(Page::empty(page));
            };
            let readable = Query::select()
                .column(releases::Column::Id)
                .from(releases::Entity)
                .cond_where(Condition::all().add(internal).add(privileged))
                .to_owned();
            condition = condition.add(audit_log::Column::ReleaseId.in_subquery(readable));
        }
        if let Some(id) = release_id {
            condition = condition.add(audit_log::Column::ReleaseId.eq(id));
        }
        if let Some(cursor) = &page.after {
            condition = condition.add(audit_log::Column::Seq.gt(cursor.seq()?));
        }
        let rows = audit_log::Entity::find()
            .filter(condition)
            .order_by_asc(audit_log::Column::Seq)
            .limit(page.limit_plus_one())
            .all(self.connection())
            .await?;
        Ok(Page::from_rows(
            rows.into_iter().map(AuditEntry::from).collect(),
            page,
            |e| Cursor::for_seq(e.seq),
        ))
    }
}
