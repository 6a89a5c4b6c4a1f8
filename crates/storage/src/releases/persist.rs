//! Persisting transitions: each one a guarded update of the release row plus every record beside
//! it (revision, offices, topics, approval, correction, audit entry, outbox event), in the
//! caller's transaction.

use chrono::{DateTime, Utc};
use pressroom_domain::approval::standings;
use pressroom_domain::lifecycle::{Action, Release, State, Transition};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use super::outbox::event_payload;
use super::search::index_for_search;
use crate::audit::{self, NewEntry};
use crate::clock::micros;
use crate::entity::{
    approvals, corrections, release_offices, release_revisions, release_topics, releases,
};
use crate::error::{StorageError, StorageResult};

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
        author: Set(release.author.to_string()),
        embargo_until: Set(release.embargo_until.map(micros)),
        published_at: Set(release.published_at.map(micros)),
        sort_at: Set(micros(release.sort_at(now))),
        updated_at: Set(micros(now)),
        search_text: Set(content.search_text()),
        ..Default::default()
    }
}

pub(super) async fn insert_new(
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
    row.department_id = Set(release.department_id.to_string());
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
    // The e-mail these steps cause is queued in the same transaction (docs/rules.md#notifications).
    if let Some(first) = transitions.first() {
        let slugs = [(first.after.id.clone(), slug.to_owned())].into();
        let steps: Vec<&Transition> = transitions.iter().collect();
        crate::notifications::enqueue_for_transitions(txn, &steps, actor, &slugs, now).await?;
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
            author: Set(release.author.to_string()),
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
            office_id: Set(record.office_id.to_string()),
            status: Set(record.verdict.as_str().to_owned()),
            by_user: Set(record.by_user.to_string()),
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
            person_id: Set(standing.office_id.into_string()),
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
