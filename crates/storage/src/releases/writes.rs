//! The write path: [`Store::create_release`] and [`Store::act`] load the release through the
//! visibility rule (a release the caller may not see is `NotFound`), check the references of new
//! content, let the domain decide, and hand the transitions to [`super::persist`].

use chrono::{DateTime, Utc};
use pressroom_domain::content::ReleaseContent;
use pressroom_domain::lifecycle::{Command, Release};
use pressroom_domain::slug::slug_for_title;
use pressroom_domain::visibility::Viewer;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::StoredRelease;
use super::approvals::load_approvals;
use super::persist::{insert_new, persist_records, persist_transitions};
use super::slugs::free_slug;
use crate::audit;
use crate::entity::{departments, people, releases};
use crate::error::{StorageError, StorageResult};
use crate::store::Store;
use crate::visibility::visible_condition;

impl Store {
    /// Creates a release in the department with slug `department_slug` as `viewer`.
    pub async fn create_release(
        &self,
        viewer: &Viewer,
        department_slug: &str,
        content: ReleaseContent,
    ) -> StorageResult<StoredRelease> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let department = crate::directory::department_by_slug(&txn, department_slug).await?;
        check_references(&txn, &content, None, viewer, now).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let transition = Release::create(id.clone(), department.id.into(), content, viewer)?;
        // Two creations with the same title must not pick the same free slug.
        audit::lock_chain(&txn).await?;
        let slug = free_slug(&txn, &slug_for_title(transition.after.content.title())).await?;
        insert_new(&txn, &transition, &slug, viewer.user_name.as_str(), now).await?;
        persist_records(
            &txn,
            &transition,
            viewer.user_name.as_str(),
            &slug,
            &department.slug,
            now,
        )
        .await?;
        txn.commit().await?;
        self.release_unchecked(&id).await
    }

    /// Applies `command` to release `id` as `viewer`, if `expected_version` is current.
    /// `input_department` is the department slug given with new content (update, correct); a
    /// release cannot move to another department.
    pub async fn act(
        &self,
        viewer: &Viewer,
        id: &str,
        expected_version: i32,
        command: Command,
        input_department: Option<&str>,
    ) -> StorageResult<StoredRelease> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let stored = load_for_write(&txn, viewer, id, Some(expected_version), now).await?;
        let department = departments::Entity::find_by_id(stored.department_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| StorageError::Internal("release without department".into()))?;
        if let Some(slug) = input_department
            && slug != department.slug
        {
            return Err(StorageError::validation(
                "input.department",
                "a release cannot move to another department",
            ));
        }
        if let Command::Update(content) | Command::Correct(content, _) = &command {
            check_references(&txn, content, Some(id), viewer, now).await?;
        }
        let records = load_approvals(&txn, id).await?;
        let slug = stored.slug.clone();
        let release = stored.into_domain(records);
        let transitions = release.apply(viewer, command, now)?;
        let schedule_changed = persist_transitions(
            &txn,
            &transitions,
            viewer.user_name.as_str(),
            &slug,
            &department.slug,
            now,
        )
        .await?;
        txn.commit().await?;
        if schedule_changed {
            self.announce_schedule_change();
        }
        self.release_unchecked(id).await
    }
}

/// Release `id` read in a write transaction through the visibility rule (`NotFound` when
/// `viewer` may not see it at `now`), and, when `expected_version` is given, only at that
/// version (`VersionConflict` otherwise).
pub(crate) async fn load_for_write(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    id: &str,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> StorageResult<StoredRelease> {
    let stored = releases::Entity::find_by_id(id.to_owned())
        .filter(visible_condition(Some(viewer), now))
        .into_partial_model::<releases::Row>()
        .one(txn)
        .await?
        .ok_or(StorageError::NotFound)
        .and_then(StoredRelease::from_model)?;
    match expected_version {
        Some(expected) if expected != stored.version => Err(StorageError::VersionConflict {
            current: stored.version,
        }),
        _ => Ok(stored),
    }
}

/// Every person the content names exists, and a translated release exists and is visible.
async fn check_references(
    txn: &DatabaseTransaction,
    content: &ReleaseContent,
    own_id: Option<&str>,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let wanted = content.referenced_people();
    if !wanted.is_empty() {
        let found: Vec<String> = people::Entity::find()
            .select_only()
            .column(people::Column::Id)
            .filter(people::Column::Id.is_in(wanted.iter().map(|s| (*s).to_owned())))
            .into_tuple()
            .all(txn)
            .await?;
        if let Some(missing) = wanted.iter().find(|id| !found.iter().any(|f| f == *id)) {
            let field = if content.responsible_minister_id() == Some(*missing) {
                "input.responsibleMinisterId".to_owned()
            } else {
                let index = content
                    .body()
                    .iter()
                    .position(|b| matches!(b, pressroom_domain::content::Block::Quote { speaker_id, .. } if speaker_id == missing))
                    .unwrap_or_default();
                format!("input.body[{index}].quote.speakerId")
            };
            return Err(StorageError::validation(&field, "no person has this id"));
        }
    }
    if let Some(original) = content.translation_of() {
        let visible = original != own_id.unwrap_or_default()
            && releases::Entity::find_by_id(original.to_owned())
                .filter(visible_condition(Some(viewer), now))
                .one(txn)
                .await?
                .is_some();
        if !visible {
            return Err(StorageError::validation(
                "input.translationOf",
                "no release has this id",
            ));
        }
    }
    Ok(())
}
