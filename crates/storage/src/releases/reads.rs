//! The read paths: every function that returns releases to a caller is named `secure_*` and puts
//! [`visible_condition`] into its SQL. `review_queue` and `release_unchecked` are the narrower
//! exceptions that docs/architecture.md names.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pressroom_domain::PersonId;
use pressroom_domain::lifecycle::State;
use pressroom_domain::visibility::{Role, Viewer};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::search::full_text_condition;
use super::{CorrectionRecord, StoredRelease};
use crate::audit::AtSeq;
use crate::clock::{from_micros, micros};
use crate::directory_cache::{self, Directory};
use crate::entity::{corrections, departments, release_offices, release_topics, releases};
use crate::error::{StorageError, StorageResult};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::store::Store;
use crate::visibility::{effective_state_condition, public_condition, visible_condition};

/// Filters of the `releases` query.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    /// Department slug.
    pub department: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// States as they read at the time of the query; `None` means every state but WITHDRAWN.
    pub states: Option<Vec<State>>,
    /// Exact topic.
    pub topic: Option<String>,
    /// Words to find in title, lead, body and quotes (plain text, no operators).
    pub query: Option<String>,
    /// Only releases public at or after this instant.
    pub published_after: Option<DateTime<Utc>>,
    /// Only releases public at or before this instant.
    pub published_before: Option<DateTime<Utc>>,
    /// Only releases whose current revision this user wrote.
    pub author: Option<String>,
}

/// How [`Store::secure_release_with_directory`] finds its release.
#[derive(Debug, Clone, Copy)]
pub enum ReleaseKey<'a> {
    /// By id.
    Id(&'a str),
    /// By slug.
    Slug(&'a str),
}

/// What a read of the compiled path saw besides its rows: the audit `seq` its statement read
/// (the same snapshot as the rows), and a directory of departments and people at least that new.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The audit head's `seq` in the read's snapshot.
    pub seq: i64,
    /// Departments and people as of `seq` or later.
    pub directory: Arc<Directory>,
}

/// A release row with the audit `seq` its statement saw (see [`directory_cache::with_seq`]).
type Versioned = AtSeq<releases::Row>;

/// The release by `key` if `viewer` may see it at `now`, with the audit `seq`.
fn release_query(
    viewer: Option<&Viewer>,
    key: ReleaseKey<'_>,
    now: DateTime<Utc>,
) -> Select<releases::Entity> {
    let query = match key {
        ReleaseKey::Id(id) => releases::Entity::find_by_id(id.to_owned()),
        ReleaseKey::Slug(slug) => releases::Entity::find().filter(releases::Column::Slug.eq(slug)),
    };
    directory_cache::with_seq(query.filter(visible_condition(viewer, now)))
}

/// The page of `releases` for `request` (rows: up to `first + 1`).
fn page_of(releases: Vec<StoredRelease>, request: &PageRequest) -> Page<StoredRelease> {
    Page::from_rows(releases, request, |r| {
        Cursor::for_release(micros(r.sort_at), &r.id)
    })
}

impl Store {
    /// The release with this id, if `viewer` may see it at `now`.
    pub async fn secure_release(
        &self,
        viewer: Option<&Viewer>,
        id: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<StoredRelease>> {
        releases::Entity::find_by_id(id.to_owned())
            .filter(visible_condition(viewer, now))
            .into_partial_model::<releases::Row>()
            .one(self.connection())
            .await?
            .map(StoredRelease::from_model)
            .transpose()
    }

    /// The release with this slug, if `viewer` may see it at `now`.
    pub async fn secure_release_by_slug(
        &self,
        viewer: Option<&Viewer>,
        slug: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<StoredRelease>> {
        releases::Entity::find()
            .filter(releases::Column::Slug.eq(slug))
            .filter(visible_condition(viewer, now))
            .into_partial_model::<releases::Row>()
            .one(self.connection())
            .await?
            .map(StoredRelease::from_model)
            .transpose()
    }

    /// The releases with these ids that `viewer` may see at `now`, keyed by id (one query).
    pub async fn secure_releases_by_ids(
        &self,
        viewer: Option<&Viewer>,
        ids: &[String],
        now: DateTime<Utc>,
    ) -> StorageResult<HashMap<String, StoredRelease>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        releases::Entity::find()
            .filter(releases::Column::Id.is_in(ids.iter().cloned()))
            .filter(visible_condition(viewer, now))
            .into_partial_model::<releases::Row>()
            .all(self.connection())
            .await?
            .into_iter()
            .map(|m| StoredRelease::from_model(m).map(|r| (r.id.clone(), r)))
            .collect()
    }

    /// A page of releases `viewer` may see at `now`, newest first (keyset on `sort_at`, `id`).
    pub async fn secure_releases(
        &self,
        viewer: Option<&Viewer>,
        filter: &ReleaseFilter,
        page: &PageRequest,
        now: DateTime<Utc>,
    ) -> StorageResult<Page<StoredRelease>> {
        let condition = self.releases_condition(viewer, filter, now);
        self.release_page(condition, page).await
    }

    /// [`Store::secure_releases`] with the directory the page's releases refer to: the audit
    /// `seq` comes with the rows, so a cached directory costs no statement (see
    /// [`crate::directory_cache`]). `None` for the directory and `seq` when the page is empty.
    pub async fn secure_releases_with_directory(
        &self,
        viewer: Option<&Viewer>,
        filter: &ReleaseFilter,
        page: &PageRequest,
        now: DateTime<Utc>,
    ) -> StorageResult<(Page<StoredRelease>, Option<Seen>)> {
        let rows = self
            .page_with_seq_query(viewer, filter, page, now)?
            .into_model::<Versioned>()
            .all(self.connection())
            .await?;
        let seen = match rows.iter().map(|r| r.seq).max() {
            Some(seq) => Some(Seen {
                seq,
                directory: self.directory_at_least(seq).await?,
            }),
            None => None,
        };
        let releases = rows
            .into_iter()
            .map(|r| StoredRelease::from_model(r.row))
            .collect::<StorageResult<Vec<_>>>()?;
        Ok((page_of(releases, page), seen))
    }

    /// The release with this id (or slug) if `viewer` may see it at `now`, with the directory
    /// it refers to, read like [`Store::secure_releases_with_directory`].
    pub async fn secure_release_with_directory(
        &self,
        viewer: Option<&Viewer>,
        key: ReleaseKey<'_>,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<(StoredRelease, Seen)>> {
        let row = release_query(viewer, key, now)
            .into_model::<Versioned>()
            .one(self.connection())
            .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let seen = Seen {
                    seq: row.seq,
                    directory: self.directory_at_least(row.seq).await?,
                };
                Ok(Some((StoredRelease::from_model(row.row)?, seen)))
            }
        }
    }

    /// The query of [`Store::secure_releases_with_directory`].
    fn page_with_seq_query(
        &self,
        viewer: Option<&Viewer>,
        filter: &ReleaseFilter,
        page: &PageRequest,
        now: DateTime<Utc>,
    ) -> StorageResult<Select<releases::Entity>> {
        let condition = self.releases_condition(viewer, filter, now);
        Ok(directory_cache::with_seq(self.page_query(condition, page)?))
    }

    /// The statements of the compiled GraphQL path's reads for `viewer` at `now`, as they are
    /// sent: a release by id, by slug, and a department's first page and the page after
    /// `after` (`sort_at` in microseconds, id). For tests that check their plans.
    #[cfg(feature = "test-util")]
    pub fn read_statements(
        &self,
        viewer: Option<&Viewer>,
        now: DateTime<Utc>,
        release: (&str, &str),
        department: &str,
        after: (i64, &str),
    ) -> StorageResult<Vec<(&'static str, sea_orm::Statement)>> {
        use sea_orm::QueryTrait;
        let backend = self.backend();
        let filter = ReleaseFilter {
            department: Some(department.to_owned()),
            states: Some(vec![State::Published]),
            ..ReleaseFilter::default()
        };
        let later = Cursor::for_release(after.0, after.1);
        Ok(vec![
            (
                "a release by id",
                release_query(viewer, ReleaseKey::Id(release.0), now).build(backend),
            ),
            (
                "a release by slug",
                release_query(viewer, ReleaseKey::Slug(release.1), now).build(backend),
            ),
            (
                "a department's first page",
                self.page_with_seq_query(viewer, &filter, &PageRequest::new(Some(20), None)?, now)?
                    .build(backend),
            ),
            (
                "a department's later page",
                self.page_with_seq_query(
                    viewer,
                    &filter,
                    &PageRequest::new(Some(20), Some(&later))?,
                    now,
                )?
                .build(backend),
            ),
        ])
    }

    /// The condition of [`Store::secure_releases`]: visibility and every filter. A department
    /// slug is a scalar subquery, so an unknown slug matches nothing.
    fn releases_condition(
        &self,
        viewer: Option<&Viewer>,
        filter: &ReleaseFilter,
        now: DateTime<Utc>,
    ) -> Condition {
        let mut condition = Condition::all().add(visible_condition(viewer, now));
        if let Some(slug) = &filter.department {
            condition = condition.add(
                Expr::col((releases::Entity, releases::Column::DepartmentId)).eq(Expr::SubQuery(
                    None,
                    Box::new(
                        Query::select()
                            .column(departments::Column::Id)
                            .from(departments::Entity)
                            .and_where(departments::Column::Slug.eq(slug.as_str()))
                            .to_owned()
                            .into(),
                    ),
                )),
            );
        }
        if let Some(language) = &filter.language {
            condition = condition.add(releases::Column::Language.eq(language.as_str()));
        }
        if let Some(author) = &filter.author {
            condition = condition.add(releases::Column::Author.eq(author.as_str()));
        }
        condition = condition.add(match &filter.states {
            Some(states) => states.iter().fold(Condition::any(), |any, state| {
                any.add(effective_state_condition(*state, now))
            }),
            None => Condition::all().add(releases::Column::State.ne(State::Withdrawn.as_str())),
        });
        if let Some(topic) = &filter.topic {
            condition = condition.add(
                releases::Column::Id.in_subquery(
                    Query::select()
                        .column(release_topics::Column::ReleaseId)
                        .from(release_topics::Entity)
                        .and_where(release_topics::Column::Topic.eq(topic.as_str()))
                        .to_owned(),
                ),
            );
        }
        if let Some(words) = filter
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            condition = condition.add(full_text_condition(self.backend(), words));
        }
        if filter.published_after.is_some() || filter.published_before.is_some() {
            condition = condition.add(public_condition(now));
            if let Some(after) = filter.published_after {
                condition = condition.add(releases::Column::SortAt.gte(micros(after)));
            }
            if let Some(before) = filter.published_before {
                condition = condition.add(releases::Column::SortAt.lte(micros(before)));
            }
        }
        condition
    }

    /// IN_REVIEW releases waiting for the viewer's office (empty for other roles).
    pub async fn review_queue(
        &self,
        viewer: &Viewer,
        page: &PageRequest,
    ) -> StorageResult<Page<StoredRelease>> {
        let Some(person) = viewer
            .person_id
            .as_ref()
            .map(PersonId::as_str)
            .filter(|_| viewer.role == Role::MinisterOffice)
        else {
            return Ok(Page::empty(page));
        };
        let waiting = Query::select()
            .column(release_offices::Column::ReleaseId)
            .from(release_offices::Entity)
            .and_where(release_offices::Column::PersonId.eq(person))
            .and_where(release_offices::Column::Required.eq(true))
            .and_where(release_offices::Column::Approved.eq(false))
            .to_owned();
        let condition = Condition::all()
            .add(releases::Column::State.eq(State::InReview.as_str()))
            .add(releases::Column::Id.in_subquery(waiting));
        self.release_page(condition, page).await
    }

    pub(crate) async fn release_page(
        &self,
        condition: Condition,
        page: &PageRequest,
    ) -> StorageResult<Page<StoredRelease>> {
        let rows = self
            .page_query(condition, page)?
            .into_partial_model::<releases::Row>()
            .all(self.connection())
            .await?;
        let releases = rows
            .into_iter()
            .map(StoredRelease::from_model)
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(page_of(releases, page))
    }

    /// The rows of one page: `condition`, after the cursor, newest first, one more than asked.
    fn page_query(
        &self,
        condition: Condition,
        page: &PageRequest,
    ) -> StorageResult<Select<releases::Entity>> {
        let mut query = releases::Entity::find().filter(condition);
        if let Some(cursor) = &page.after {
            let (sort_at, id) = cursor.release_key()?;
            query = query.filter(
                Condition::any()
                    .add(releases::Column::SortAt.lt(sort_at))
                    .add(
                        Condition::all()
                            .add(releases::Column::SortAt.eq(sort_at))
                            .add(releases::Column::Id.lt(id)),
                    ),
            );
        }
        Ok(query
            .order_by_desc(releases::Column::SortAt)
            .order_by_desc(releases::Column::Id)
            .limit(page.limit_plus_one()))
    }

    /// Correction notes of these releases, oldest first, keyed by release id (one query).
    pub async fn corrections_for(
        &self,
        release_ids: &[String],
    ) -> StorageResult<HashMap<String, Vec<CorrectionRecord>>> {
        let mut by_release: HashMap<String, Vec<CorrectionRecord>> = HashMap::new();
        if release_ids.is_empty() {
            return Ok(by_release);
        }
        let rows = corrections::Entity::find()
            .filter(corrections::Column::ReleaseId.is_in(release_ids.iter().cloned()))
            .order_by_asc(corrections::Column::Id)
            .all(self.connection())
            .await?;
        for row in rows {
            by_release
                .entry(row.release_id)
                .or_default()
                .push(CorrectionRecord {
                    at: from_micros(row.at),
                    note: row.note,
                    revision: row.revision,
                });
        }
        Ok(by_release)
    }

    /// A release by id without any visibility check: only for returning what a write just wrote.
    pub(crate) async fn release_unchecked(&self, id: &str) -> StorageResult<StoredRelease> {
        releases::Entity::find_by_id(id.to_owned())
            .into_partial_model::<releases::Row>()
            .one(self.connection())
            .await?
            .ok_or(StorageError::NotFound)
            .and_then(StoredRelease::from_model)
    }
}
