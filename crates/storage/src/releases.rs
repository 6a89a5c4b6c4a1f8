//! Releases: the guarded write path and the visibility-scoped read paths.
//!
//! Writes: [`Store::create_release`] and [`Store::act`] load the release through the visibility
//! rule (a release the caller may not see is `NotFound`), let the domain decide, and persist each
//! resulting transition with [`persist`]: a guarded update plus every record beside it, in one
//! transaction.
//!
//! Reads: every function that returns releases to a caller is named `secure_*` and puts
//! [`visible_condition`] into its SQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pressroom_domain::approval::{ApprovalRecord, Verdict, standings};
use pressroom_domain::content::ReleaseContent;
use pressroom_domain::lifecycle::{Action, Command, Release, State, Transition, format_instant};
use pressroom_domain::slug::{nth_candidate, slug_for_title};
use pressroom_domain::visibility::{Role, Viewer};
use sea_orm::sea_query::{Expr, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::audit::{self, NewEntry};
use crate::clock::{from_micros, micros};
use crate::entity::{
    approvals, corrections, departments, people, release_offices, release_revisions,
    release_topics, releases,
};
use crate::error::{StorageError, StorageResult};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::store::Store;
use crate::visibility::{effective_state_condition, public_condition, visible_condition};

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
            department_id: self.department_id,
            state: self.state,
            version: self.version,
            revision: self.revision,
            content: self.content,
            content_hash: self.content_hash,
            author: self.author,
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
}

fn approval_record(m: approvals::Model) -> StorageResult<ApprovalRecord> {
    Ok(ApprovalRecord {
        verdict: Verdict::parse(&m.status)
            .ok_or_else(|| StorageError::Internal(format!("unknown verdict {}", m.status)))?,
        office_id: m.office_id,
        revision: m.revision,
        by_user: m.by_user,
        at: from_micros(m.at),
        comment: m.comment,
        content_hash: m.content_hash,
        quotes_hash: m.quotes_hash,
    })
}

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
        let transition = Release::create(id.clone(), department.id, content, viewer)?;
        // Two creations with the same title must not pick the same free slug.
        audit::lock_chain(&txn).await?;
        let slug = free_slug(&txn, &slug_for_title(transition.after.content.title())).await?;
        insert_new(&txn, &transition, &slug, &viewer.user_name, now).await?;
        persist_records(
            &txn,
            &transition,
            &viewer.user_name,
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
            &viewer.user_name,
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
        let mut condition = Condition::all().add(visible_condition(viewer, now));
        if let Some(slug) = &filter.department {
            let department = departments::Entity::find()
                .filter(departments::Column::Slug.eq(slug.as_str()))
                .one(self.connection())
                .await?;
            match department {
                Some(d) => condition = condition.add(releases::Column::DepartmentId.eq(d.id)),
                None => return Ok(Page::empty(page)),
            }
        }
        if let Some(language) = &filter.language {
            condition = condition.add(releases::Column::Language.eq(language.as_str()));
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
        self.release_page(condition, page).await
    }

    /// IN_REVIEW releases waiting for the viewer's office (empty for other roles).
    pub async fn review_queue(
        &self,
        viewer: &Viewer,
        page: &PageRequest,
    ) -> StorageResult<Page<StoredRelease>> {
        let Some(person) = viewer
            .person_id
            .as_deref()
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

    async fn release_page(
        &self,
        condition: Condition,
        page: &PageRequest,
    ) -> StorageResult<Page<StoredRelease>> {
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
        let rows = query
            .order_by_desc(releases::Column::SortAt)
            .order_by_desc(releases::Column::Id)
            .limit(page.limit_plus_one())
            .into_partial_model::<releases::Row>()
            .all(self.connection())
            .await?;
        let releases = rows
            .into_iter()
            .map(StoredRelease::from_model)
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(Page::from_rows(releases, page, |r| {
            Cursor::for_release(micros(r.sort_at), &r.id)
        }))
    }

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

/// The body of a public event (the `data` of a webhook delivery), as JSON text with sorted keys.
pub(crate) fn event_payload(release: &Release, slug: &str, department_slug: &str) -> String {
    let payload: std::collections::BTreeMap<&str, serde_json::Value> = [
        ("id", json!(release.id)),
        ("slug", json!(slug)),
        ("version", json!(release.version)),
        ("department", json!(department_slug)),
        ("title", json!(release.content.title())),
        (
            "publishedAt",
            json!(release.published_at.map(format_instant)),
        ),
        ("url", json!(format!("/releases/{slug}"))),
    ]
    .into_iter()
    .collect();
    // A JSON value always serializes (its `Display` cannot fail), so no fallback is needed.
    serde_json::Value::Object(
        payload
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
    .to_string()
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

/// The first free slug for a base: `base`, `base-2`, `base-3`, …
async fn free_slug(txn: &DatabaseTransaction, base: &str) -> StorageResult<String> {
    let taken: Vec<String> = releases::Entity::find()
        .select_only()
        .column(releases::Column::Slug)
        .filter(
            Condition::any().add(releases::Column::Slug.eq(base)).add(
                releases::Column::Slug
                    .like(LikeExpr::new(format!("{}-%", escape_like(base))).escape('\\')),
            ),
        )
        .into_tuple()
        .all(txn)
        .await?;
    Ok((1..)
        .map(|n| nth_candidate(base, n))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_owned()))
}

fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The columns every write sets from the release after a transition.
fn release_columns(release: &Release, now: DateTime<Utc>) -> releases::ActiveModel {
    let content = &release.content;
    releases::ActiveModel {
        kind: Set(content.kind().as_str().to_owned()),
        language: Set(content.language().to_owned()),
        responsible_minister_id: Set(content.responsible_minister_id().map(str::to_owned)),
        translation_of_id: Set(content.translation_of().map(str::to_owned)),
        state: Set(release.state.as_str().to_owned()),
        version: Set(release.version),
        revision: Set(release.revision),
        content_hash: Set(release.content_hash.clone()),
        title: Set(content.title().to_owned()),
        lead: Set(content.lead().to_owned()),
        content: Set(content.canonical_json()),
        author: Set(release.author.clone()),
        embargo_until: Set(release.embargo_until.map(micros)),
        published_at: Set(release.published_at.map(micros)),
        sort_at: Set(micros(release.sort_at(now))),
        updated_at: Set(micros(now)),
        search_text: Set(content.search_text()),
        ..Default::default()
    }
}

async fn insert_new(
    txn: &DatabaseTransaction,
    transition: &Transition,
    slug: &str,
    creator: &str,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let release = &transition.after;
    let mut row = release_columns(release, now);
    row.id = Set(release.id.clone());
    row.slug = Set(slug.to_owned());
    row.department_id = Set(release.department_id.clone());
    row.withdrawn_at = Set(None);
    row.withdrawal_reason = Set(None);
    row.created_by = Set(creator.to_owned());
    row.created_at = Set(micros(now));
    row.insert(txn).await?;
    Ok(())
}

/// On PostgreSQL, queues a notification to schedulers in other processes; it is delivered when
/// (and only if) the transaction commits.
pub(crate) async fn notify_schedulers(txn: &DatabaseTransaction) -> StorageResult<()> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared(&format!("NOTIFY {}", crate::store::SCHEDULE_CHANNEL))
            .await?;
    }
    Ok(())
}

/// Persists the transitions one action produced, in order, in `txn`: each a guarded update plus
/// every record beside it, the scheduler's own step (a due release published first) under the
/// actor `scheduler`. Wakes schedulers in other processes when the schedule changed, and says
/// whether it did (the caller then wakes this process's scheduler after the commit).
pub(crate) async fn persist_transitions(
    txn: &DatabaseTransaction,
    transitions: &[Transition],
    actor: &str,
    slug: &str,
    department_slug: &str,
    now: DateTime<Utc>,
) -> StorageResult<bool> {
    let schedule_changed = transitions
        .iter()
        .any(|t| t.from == Some(State::Embargoed) || t.after.state == State::Embargoed);
    for transition in transitions {
        let actor = if transition.action == Action::ScheduledPublish {
            "scheduler"
        } else {
            actor
        };
        update_guarded(txn, transition, now).await?;
        persist_records(txn, transition, actor, slug, department_slug, now).await?;
    }
    if schedule_changed {
        notify_schedulers(txn).await?;
    }
    Ok(schedule_changed)
}

/// The guarded update: only from the version and state the transition started from.
pub(crate) async fn update_guarded(
    txn: &DatabaseTransaction,
    transition: &Transition,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let release = &transition.after;
    let mut row = release_columns(release, now);
    if transition.withdrawal.is_some() {
        row.withdrawn_at = Set(Some(micros(now)));
        row.withdrawal_reason = Set(transition.withdrawal.clone());
    }
    let from = transition.from.map(State::as_str).unwrap_or_default();
    let result = releases::Entity::update_many()
        .set(row)
        .filter(releases::Column::Id.eq(release.id.as_str()))
        .filter(releases::Column::Version.eq(release.version - 1))
        .filter(releases::Column::State.eq(from))
        .exec(txn)
        .await?;
    if result.rows_affected == 1 {
        return Ok(());
    }
    let current: Option<i32> = releases::Entity::find_by_id(release.id.clone())
        .select_only()
        .column(releases::Column::Version)
        .into_tuple()
        .one(txn)
        .await?;
    Err(StorageError::VersionConflict {
        current: current.unwrap_or_default(),
    })
}

/// Everything recorded beside the release row: revision, offices, topics, approval, correction,
/// audit entry and outbox event.
pub(crate) async fn persist_records(
    txn: &DatabaseTransaction,
    transition: &Transition,
    actor: &str,
    slug: &str,
    department_slug: &str,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let release = &transition.after;
    if transition.new_revision {
        release_revisions::ActiveModel {
            release_id: Set(release.id.clone()),
            revision: Set(release.revision),
            content: Set(release.content.canonical_json()),
            content_hash: Set(release.content_hash.clone()),
            author: Set(release.author.clone()),
            created_at: Set(micros(now)),
        }
        .insert(txn)
        .await?;
        replace_topics(txn, release).await?;
        index_for_search(txn, release).await?;
    }
    if let Some(record) = &transition.approval {
        approvals::ActiveModel {
            release_id: Set(release.id.clone()),
            revision: Set(record.revision),
            office_id: Set(record.office_id.clone()),
            status: Set(record.verdict.as_str().to_owned()),
            by_user: Set(record.by_user.clone()),
            at: Set(micros(record.at)),
            comment: Set(record.comment.clone()),
            content_hash: Set(record.content_hash.clone()),
            quotes_hash: Set(record.quotes_hash.clone()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    if transition.new_revision || transition.approval.is_some() {
        record_offices(txn, release).await?;
    }
    if transition.from == Some(State::InReview) && release.state != State::InReview {
        crate::signoff::close_open_links(txn, &release.id, now).await?;
    }
    if let Some(note) = &transition.correction {
        corrections::ActiveModel {
            release_id: Set(release.id.clone()),
            revision: Set(release.revision),
            at: Set(micros(now)),
            note: Set(note.clone()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    let seq = audit::append(
        txn,
        NewEntry {
            actor,
            action: transition.action.as_str(),
            release_id: Some(&release.id),
            from_state: transition.from.map(State::as_str),
            to_state: Some(release.state.as_str()),
            revision: Some(release.revision),
            details: &transition.details,
        },
        now,
    )
    .await?;
    if let Some(event) = transition.event {
        crate::entity::outbox::ActiveModel {
            audit_seq: Set(seq),
            event: Set(event.as_str().to_owned()),
            release_id: Set(release.id.clone()),
            version: Set(release.version),
            at: Set(micros(now)),
            payload: Set(event_payload(release, slug, department_slug)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Keeps `release_offices` in step: every office ever required stays listed (it "had" the
/// release), `required` marks the current revision's offices, `approved` whether a valid
/// approval of the current content is on record (the review queue reads it).
async fn record_offices(txn: &DatabaseTransaction, release: &Release) -> StorageResult<()> {
    release_offices::Entity::update_many()
        .col_expr(release_offices::Column::Required, Expr::value(false))
        .col_expr(release_offices::Column::Approved, Expr::value(false))
        .filter(release_offices::Column::ReleaseId.eq(release.id.as_str()))
        .exec(txn)
        .await?;
    let current = standings(
        &release.approvals,
        &release.content,
        &release.content_hash,
        release.revision,
    );
    for standing in current {
        let approved = standing.status == pressroom_domain::approval::ApprovalStatus::Approved;
        release_offices::Entity::insert(release_offices::ActiveModel {
            release_id: Set(release.id.clone()),
            person_id: Set(standing.office_id),
            required: Set(true),
            approved: Set(approved),
        })
        .on_conflict(
            OnConflict::columns([
                release_offices::Column::ReleaseId,
                release_offices::Column::PersonId,
            ])
            .update_columns([
                release_offices::Column::Required,
                release_offices::Column::Approved,
            ])
            .to_owned(),
        )
        .exec(txn)
        .await?;
    }
    Ok(())
}

/// Keeps SQLite's FTS5 mirror in step with the new revision (PostgreSQL's search vector is kept
/// by a trigger on `releases.search_text`).
async fn index_for_search(txn: &DatabaseTransaction, release: &Release) -> StorageResult<()> {
    if txn.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return Ok(());
    }
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        "DELETE FROM release_search WHERE release_id = ?",
        [release.id.clone().into()],
    ))
    .await?;
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        "INSERT INTO release_search (release_id, body) VALUES (?, ?)",
        [
            release.id.clone().into(),
            release.content.search_text().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A full-text condition on `releases` for words a person typed. Operators are not
/// interpreted: on PostgreSQL the words go through `plainto_tsquery` with the configuration of
/// each release's language; on SQLite every word becomes a quoted FTS5 phrase.
fn full_text_condition(backend: sea_orm::DbBackend, words: &str) -> Condition {
    match backend {
        sea_orm::DbBackend::Postgres => Condition::all().add(Expr::cust_with_values(
            "\"releases\".\"search_vector\" @@ plainto_tsquery(pressroom_search_config(\"releases\".\"language\"), $1)",
            [words.to_owned()],
        )),
        _ => {
            let phrases: Vec<String> = words
                .split_whitespace()
                .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
                .collect();
            if phrases.is_empty() {
                return Condition::all();
            }
            Condition::all().add(
                releases::Column::Id.in_subquery(
                    Query::select()
                        .column(sea_orm::sea_query::Alias::new("release_id"))
                        .from(sea_orm::sea_query::Alias::new("release_search"))
                        .and_where(Expr::cust_with_values(
                            "release_search MATCH ?",
                            [phrases.join(" ")],
                        ))
                        .to_owned(),
                ),
            )
        }
    }
}

async fn replace_topics(txn: &DatabaseTransaction, release: &Release) -> StorageResult<()> {
    release_topics::Entity::delete_many()
        .filter(release_topics::Column::ReleaseId.eq(release.id.as_str()))
        .exec(txn)
        .await?;
    let mut topics: Vec<&String> = release.content.topics().iter().collect();
    topics.sort();
    topics.dedup();
    if topics.is_empty() {
        return Ok(());
    }
    release_topics::Entity::insert_many(topics.into_iter().map(|topic| {
        release_topics::ActiveModel {
            release_id: Set(release.id.clone()),
            topic: Set(topic.clone()),
        }
    }))
    .exec(txn)
    .await?;
    Ok(())
}
