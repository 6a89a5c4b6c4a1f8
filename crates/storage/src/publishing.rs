//! The scheduler's storage side: claiming due embargoed releases and publishing them in batches.
//!
//! One batch is one transaction: claim up to `limit` due releases (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so several schedulers split a burst between them; `BEGIN IMMEDIATE` on SQLite,
//! so schedulers in several processes take turns), re-check each release's approvals in the
//! domain, then publish them all with one guarded `UPDATE`, one chain append for their audit
//! entries and one multi-row insert of their outbox events. A batch either commits whole or not
//! at all, so a crash at any point loses nothing and publishes nothing twice: the next run
//! simply finds whatever is still due.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pressroom_domain::lifecycle::{PublicEvent, RefusedPublication, Release, State, Transition};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::audit::{self, NewEntry};
use crate::clock::{from_micros, micros};
use crate::entity::{departments, outbox, releases};
use crate::error::{StorageError, StorageResult};
use crate::releases::{
    StoredRelease, event_payload, load_approvals_of, notify_schedulers, persist_records,
    update_guarded,
};
use crate::store::Store;
use crate::visibility::embargo_due_condition;

/// One release the scheduler published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The release.
    pub release_id: String,
    /// Its embargo instant, now its `publishedAt`.
    pub embargo_until: DateTime<Utc>,
    /// Milliseconds between the instant and the batch's clock reading.
    pub late_ms: i64,
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// How many due releases the batch claimed.
    pub claimed: usize,
    /// Releases published.
    pub published: Vec<Publication>,
    /// Releases refused (approvals on record did not cover them) and sent back to review.
    pub refused: Vec<String>,
}

impl Store {
    /// The earliest embargo instant of any embargoed release (due or not).
    pub async fn next_embargo(&self) -> StorageResult<Option<DateTime<Utc>>> {
        let next: Option<Option<i64>> = releases::Entity::find()
            .select_only()
            .column(releases::Column::EmbargoUntil)
            .filter(releases::Column::State.eq(State::Embargoed.as_str()))
            .filter(releases::Column::EmbargoUntil.is_not_null())
            .order_by_asc(releases::Column::EmbargoUntil)
            .limit(1)
            .into_tuple()
            .one(self.connection())
            .await?;
        Ok(next.flatten().map(from_micros))
    }

    /// How many embargoed releases are due at `now` (a gauge for monitoring).
    pub async fn count_due(&self, now: DateTime<Utc>) -> StorageResult<u64> {
        Ok(releases::Entity::find()
            .filter(embargo_due_condition(now))
            .count(self.connection())
            .await?)
    }

    /// Publishes up to `limit` releases whose embargo instant has come, in one transaction.
    pub async fn publish_due(&self, limit: u64) -> StorageResult<BatchOutcome> {
        let txn = self.begin_write().await?;
        // Read the clock once the write lock is held, so no release is judged due early.
        let now = self.now();
        let rows = releases::Entity::find()
            .filter(embargo_due_condition(now))
            .order_by_asc(releases::Column::EmbargoUntil)
            .order_by_asc(releases::Column::Id)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .into_partial_model::<releases::Row>()
            .all(&txn)
            .await?;
        if rows.is_empty() {
            txn.commit().await?;
            return Ok(BatchOutcome::default());
        }
        let claimed = rows.len();
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut approvals = load_approvals_of(&txn, &ids).await?;
        let department_slugs =
            department_slugs(&txn, rows.iter().map(|r| r.department_id.clone())).await?;
        let mut published = Vec::new();
        let mut outcome = BatchOutcome {
            claimed,
            ..BatchOutcome::default()
        };
        for row in rows {
            let stored = StoredRelease::from_model(row)?;
            let slug = stored.slug.clone();
            let department_slug = department_slugs
                .get(&stored.department_id)
                .cloned()
                .unwrap_or_default();
            let records = approvals.remove(&stored.id).unwrap_or_default();
            let release = stored.into_domain(records);
            match release.scheduled_publish(now) {
                Ok(transition) => published.push((transition, slug, department_slug)),
                Err(RefusedPublication::NotDue) => {}
                Err(refusal @ RefusedPublication::NotCovered { .. }) => {
                    tracing::error!(release.id = %release.id, reason = %refusal, "refused to publish a due release");
                    if let Some(transition) = release.refuse_publication(&refusal) {
                        update_guarded(&txn, &transition, now).await?;
                        persist_records(
                            &txn,
                            &transition,
                            "scheduler",
                            &slug,
                            &department_slug,
                            now,
                        )
                        .await?;
                        outcome.refused.push(release.id.clone());
                    }
                }
            }
        }
        if !published.is_empty() {
            let published_ids: Vec<String> =
                published.iter().map(|(t, ..)| t.after.id.clone()).collect();
            let updated = releases::Entity::update_many()
                .col_expr(
                    releases::Column::State,
                    Expr::value(State::Published.as_str()),
                )
                .col_expr(
                    releases::Column::Version,
                    Expr::col(releases::Column::Version).add(1),
                )
                .col_expr(
                    releases::Column::PublishedAt,
                    Expr::col(releases::Column::EmbargoUntil),
                )
                .col_expr(
                    releases::Column::SortAt,
                    Expr::col(releases::Column::EmbargoUntil),
                )
                .col_expr(releases::Column::UpdatedAt, Expr::value(micros(now)))
                .filter(releases::Column::Id.is_in(published_ids.iter().cloned()))
                .filter(releases::Column::State.eq(State::Embargoed.as_str()))
                .exec(&txn)
                .await?;
            if updated.rows_affected != published_ids.len() as u64 {
                // The rows were claimed under a lock in this transaction; anything else is a bug.
                return Err(StorageError::Internal(format!(
                    "claimed {} due releases but updated {}",
                    published_ids.len(),
                    updated.rows_affected
                )));
            }
            let entries: Vec<NewEntry<'_>> = published
                .iter()
                .map(|(t, ..)| NewEntry {
                    actor: "scheduler",
                    action: t.action.as_str(),
                    release_id: Some(&t.after.id),
                    from_state: Some(State::Embargoed.as_str()),
                    to_state: Some(State::Published.as_str()),
                    revision: Some(t.after.revision),
                    details: &t.details,
                })
                .collect();
            let seqs = audit::append_many(&txn, &entries, now).await?;
            let events: Vec<outbox::ActiveModel> = published
                .iter()
                .zip(&seqs)
                .map(|((t, slug, department_slug), seq)| {
                    outbox_row(t.after.clone(), slug, department_slug, *seq, now)
                })
                .collect();
            for chunk in events.chunks(1_000) {
                outbox::Entity::insert_many(chunk.to_vec())
                    .exec(&txn)
                    .await?;
            }
            // "Published" e-mail to the releases' staff, queued in this transaction.
            let slugs = published
                .iter()
                .map(|(t, slug, _)| (t.after.id.clone(), slug.clone()))
                .collect();
            let steps: Vec<&Transition> = published.iter().map(|(t, ..)| t).collect();
            crate::notifications::enqueue_for_transitions(&txn, &steps, "scheduler", &slugs, now)
                .await?;
            outcome.published = published
                .iter()
                .filter_map(|(t, ..)| {
                    let until = t.after.published_at?;
                    Some(Publication {
                        release_id: t.after.id.clone(),
                        embargo_until: until,
                        late_ms: (now - until).num_milliseconds(),
                    })
                })
                .collect();
        }
        if !outcome.refused.is_empty() {
            notify_schedulers(&txn).await?;
        }
        txn.commit().await?;
        Ok(outcome)
    }

    /// Publishes batch after batch until nothing is due at the clock's current instant.
    pub async fn publish_all_due(&self, batch_size: u64) -> StorageResult<BatchOutcome> {
        let mut total = BatchOutcome::default();
        loop {
            let batch = self.publish_due(batch_size).await?;
            total.claimed += batch.claimed;
            total.published.extend(batch.published);
            total.refused.extend(batch.refused);
            if (batch.claimed as u64) < batch_size {
                return Ok(total);
            }
        }
    }
}

async fn department_slugs(
    txn: &DatabaseTransaction,
    ids: impl Iterator<Item = String>,
) -> StorageResult<HashMap<String, String>> {
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    Ok(departments::Entity::find()
        .filter(departments::Column::Id.is_in(ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.slug))
        .collect())
}

fn outbox_row(
    release: Release,
    slug: &str,
    department_slug: &str,
    seq: i64,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        audit_seq: Set(seq),
        event: Set(PublicEvent::Published.as_str().to_owned()),
        payload: Set(event_payload(&release, slug, department_slug)),
        release_id: Set(release.id),
        version: Set(release.version),
        at: Set(micros(now)),
        ..Default::default()
    }
}
