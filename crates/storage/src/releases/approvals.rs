//! Approval records as stored, loaded for many releases in one query.

use std::collections::HashMap;

use pressroom_domain::approval::{ApprovalRecord, Verdict};
use pressroom_domain::{PersonId, UserName};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};

use crate::clock::from_micros;
use crate::entity::approvals;
use crate::error::{StorageError, StorageResult};
use crate::store::Store;

fn approval_record(m: approvals::Model) -> StorageResult<ApprovalRecord> {
    Ok(ApprovalRecord {
        verdict: Verdict::parse(&m.status)
            .ok_or_else(|| StorageError::Internal(format!("unknown verdict {}", m.status)))?,
        office_id: PersonId::from(m.office_id),
        revision: m.revision,
        by_user: UserName::from(m.by_user),
        at: from_micros(m.at),
        comment: m.comment,
        content_hash: m.content_hash,
        quotes_hash: m.quotes_hash,
    })
}

impl Store {
    /// Approval records of these releases, oldest first, keyed by release id (one query).
    pub async fn approvals_for(
        &self,
        release_ids: &[String],
    ) -> StorageResult<HashMap<String, Vec<ApprovalRecord>>> {
        let mut by_release: HashMap<String, Vec<ApprovalRecord>> = HashMap::new();
        if release_ids.is_empty() {
            return Ok(by_release);
        }
        let rows = approvals::Entity::find()
            .filter(approvals::Column::ReleaseId.is_in(release_ids.iter().cloned()))
            .order_by_asc(approvals::Column::Id)
            .all(self.connection())
            .await?;
        for row in rows {
            let release_id = row.release_id.clone();
            by_release
                .entry(release_id)
                .or_default()
                .push(approval_record(row)?);
        }
        Ok(by_release)
    }
}

/// Approval records of several releases, oldest first, keyed by release id (one query).
pub(crate) async fn load_approvals_of(
    txn: &DatabaseTransaction,
    ids: &[String],
) -> StorageResult<HashMap<String, Vec<ApprovalRecord>>> {
    let mut by_release: HashMap<String, Vec<ApprovalRecord>> = HashMap::new();
    let rows = approvals::Entity::find()
        .filter(approvals::Column::ReleaseId.is_in(ids.iter().cloned()))
        .order_by_asc(approvals::Column::Id)
        .all(txn)
        .await?;
    for row in rows {
        by_release
            .entry(row.release_id.clone())
            .or_default()
            .push(approval_record(row)?);
    }
    Ok(by_release)
}

pub(crate) async fn load_approvals(
    txn: &DatabaseTransaction,
    id: &str,
) -> StorageResult<Vec<ApprovalRecord>> {
    approvals::Entity::find()
        .filter(approvals::Column::ReleaseId.eq(id))
        .order_by_asc(approvals::Column::Id)
        .all(txn)
        .await?
        .into_iter()
        .map(approval_record)
        .collect()
}
