//! The change feed: public events in the order they committed, resumable by cursor.
//!
//! Events come from the outbox and are ordered by the audit `seq` that recorded them, which
//! commits in order (see [`crate::audit`]), so a reader that resumes from a cursor never skips an
//! event that committed later with a smaller key. Only events of releases the public sees at the
//! moment of reading are listed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::clock::from_micros;
use crate::entity::{outbox, releases};
use crate::error::StorageResult;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::store::Store;
use crate::visibility::public_condition;

/// One public event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// Ordering key (the audit seq that recorded it).
    pub seq: i64,
    /// `release.published`, `release.corrected` or `release.withdrawn`.
    pub event: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The release.
    pub release_id: String,
    /// The release's version after the write.
    pub version: i32,
}

impl Store {
    /// A page of public events after the cursor, oldest first.
    pub async fn public_changes(
        &self,
        page: &PageRequest,
        now: DateTime<Utc>,
    ) -> StorageResult<Page<ChangeEvent>> {
        let public_releases = Query::select()
            .column(releases::Column::Id)
            .from(releases::Entity)
            .cond_where(public_condition(now))
            .to_owned();
        let mut condition =
            Condition::all().add(outbox::Column::ReleaseId.in_subquery(public_releases));
        if let Some(cursor) = &page.after {
            condition = condition.add(outbox::Column::AuditSeq.gt(cursor.seq()?));
        }
        let rows = outbox::Entity::find()
            .filter(condition)
            .order_by_asc(outbox::Column::AuditSeq)
            .limit(page.limit_plus_one())
            .all(self.connection())
            .await?;
        let events = rows
            .into_iter()
            .map(|m| ChangeEvent {
                seq: m.audit_seq,
                event: m.event,
                at: from_micros(m.at),
                release_id: m.release_id,
                version: m.version,
            })
            .collect();
        Ok(Page::from_rows(events, page, |e| Cursor::for_seq(e.seq)))
    }
}

impl Store {
    /// The cursor of the newest event, so a live subscriber starts from now.
    pub async fn change_feed_head(&self) -> StorageResult<Option<String>> {
        let newest: Option<i64> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::AuditSeq)
            .order_by_desc(outbox::Column::AuditSeq)
            .limit(1)
            .into_tuple()
            .one(self.connection())
            .await?;
        Ok(newest.map(Cursor::for_seq))
    }
}
