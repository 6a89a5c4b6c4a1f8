//! The directory (every department and person, with their earlier names) kept in memory for
//! the read paths that render many releases, checked against the database in the same
//! statement that reads the releases.
//!
//! Every write to `departments`, `people` and their history tables appends to the audit chain in
//! the same transaction (see [`crate::directory`]), so the audit head's `seq` changes whenever
//! the directory may have changed. A read that wants the directory selects that `seq` beside
//! its release rows (one scalar subquery, the same snapshot as the rows) and then asks for a
//! directory at least that new: the cached one when it was loaded at that `seq` or later,
//! otherwise a fresh load (one statement for the seq, one each for departments and people). Any
//! write anywhere makes the next read reload it; under a read-only load the directory costs no
//! statement at all. A directory loaded after the rows were read may be newer than they are,
//! as two statements of one request under READ COMMITTED always could be.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use sea_orm::{EntityTrait, PartialModelTrait, QueryOrder, QuerySelect, Select};

use crate::audit;
use crate::directory::{Department, Person};
use crate::entity::{
    audit_head, departments, departments_history, people, people_history, releases,
};
use crate::error::{StorageError, StorageResult};
use crate::store::Store;

/// Every department and person at one audit `seq` (or later).
#[derive(Debug, Default)]
pub struct Directory {
    /// The audit head's `seq` read before the directory was loaded.
    pub seq: i64,
    /// Departments by id, each with its earlier names and zones.
    pub departments: HashMap<String, Department>,
    /// People by id, each with their earlier names and titles.
    pub people: HashMap<String, Person>,
}

/// The last directory a read loaded, shared by the clones of one [`Store`].
#[derive(Debug, Default)]
pub(crate) struct DirectoryCache {
    current: RwLock<Option<Arc<Directory>>>,
    /// Held while loading, so that requests that see a new `seq` at once load it once.
    loading: tokio::sync::Mutex<()>,
}

/// `query` projected to the columns of [`releases::Row`] and the audit `seq` as
/// [`audit::SEQ_ALIAS`] (read back through [`audit::AtSeq`]).
pub(crate) fn with_seq(query: Select<releases::Entity>) -> Select<releases::Entity> {
    releases::Row::select_cols(QuerySelect::select_only(query))
        .expr_as(audit::head_seq(), audit::SEQ_ALIAS)
}

impl DirectoryCache {
    fn at_least(&self, seq: i64) -> Option<Arc<Directory>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|directory| directory.seq >= seq)
            .cloned()
    }
}

impl Store {
    /// The directory as of audit `seq` or later: the cached one, or a fresh load.
    pub async fn directory_at_least(&self, seq: i64) -> StorageResult<Arc<Directory>> {
        let cache = self.directory_cache();
        if let Some(directory) = cache.at_least(seq) {
            return Ok(directory);
        }
        let _loading = cache.loading.lock().await;
        if let Some(directory) = cache.at_least(seq) {
            return Ok(directory);
        }
        let directory = Arc::new(self.load_directory().await?);
        let mut current = cache
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_none_or(|c| c.seq < directory.seq) {
            *current = Some(Arc::clone(&directory));
        }
        Ok(directory)
    }

    /// Reads the audit `seq`, then every department and person with their history.
    async fn load_directory(&self) -> StorageResult<Directory> {
        let seq = audit_head::Entity::find_by_id(1)
            .one(self.connection())
            .await?
            .ok_or_else(|| StorageError::Internal("the audit_head row is missing".into()))?
            .seq;
        let departments = departments::Entity::find()
            .find_with_related(departments_history::Entity)
            .order_by_asc(departments::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|(m, history)| (m.id.clone(), Department::with_history(m, history)))
            .collect();
        let people = people::Entity::find()
            .find_with_related(people_history::Entity)
            .order_by_asc(people::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|(m, history)| (m.id.clone(), Person::with_history(m, history)))
            .collect();
        Ok(Directory {
            seq,
            departments,
            people,
        })
    }
}
