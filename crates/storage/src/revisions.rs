//! Earlier revisions of a release, for the people who work on it: the newsroom diffs what an
//! office approved against what it is asked now, and shows the changes each revision made.
//! Earlier revisions are internal detail (docs/rules.md#visibility): every read carries the
//! releases whose internal detail the viewer may see (`newsroom::internal_detail_ids`) as a
//! subquery, so a revision of a release the caller may not see, or sees only because it is
//! public (integrators, another department's staff), does not exist for them; one statement.

use chrono::{DateTime, Utc};
use pressroom_domain::content::ReleaseContent;
use pressroom_domain::visibility::Viewer;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::clock::from_micros;
use crate::entity::release_revisions;
use crate::error::StorageResult;
use crate::newsroom::internal_detail_ids;
use crate::store::Store;

/// One revision of a release.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionRecord {
    /// Its number, from 1.
    pub revision: i32,
    /// Who wrote it.
    pub author: String,
    /// When.
    pub at: DateTime<Utc>,
    /// SHA-256 of its canonical content.
    pub content_hash: String,
    /// The content.
    pub content: ReleaseContent,
}

impl Store {
    /// The content of revision `revision` of release `release_id`, if `viewer` may read the
    /// release's internal detail: one statement.
    pub async fn revision_content(
        &self,
        viewer: &Viewer,
        release_id: &str,
        revision: i32,
    ) -> StorageResult<Option<ReleaseContent>> {
        let Some(readable) = internal_detail_ids(viewer) else {
            return Ok(None);
        };
        let row = release_revisions::Entity::find_by_id((release_id.to_owned(), revision))
            .filter(release_revisions::Column::ReleaseId.in_subquery(readable))
            .one(self.connection())
            .await?;
        row.map(|r| Ok(ReleaseContent::from_canonical_json(&r.content)?))
            .transpose()
    }

    /// Every revision of release `release_id`, oldest first, if `viewer` may read the
    /// release's internal detail: one statement whatever the number of revisions.
    pub async fn revisions(
        &self,
        viewer: &Viewer,
        release_id: &str,
    ) -> StorageResult<Vec<RevisionRecord>> {
        let Some(readable) = internal_detail_ids(viewer) else {
            return Ok(Vec::new());
        };
        release_revisions::Entity::find()
            .filter(release_revisions::Column::ReleaseId.eq(release_id))
            .filter(release_revisions::Column::ReleaseId.in_subquery(readable))
            .order_by_asc(release_revisions::Column::Revision)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|r| {
                Ok(RevisionRecord {
                    content: ReleaseContent::from_canonical_json(&r.content)?,
                    revision: r.revision,
                    author: r.author,
                    at: from_micros(r.created_at),
                    content_hash: r.content_hash,
                })
            })
            .collect()
    }
}
