//! The storage side of webhook delivery: fanning outbox events out into jobs, claiming due jobs,
//! and recording each attempt.
//!
//! The publish transaction writes only its outbox row; everything here runs later, in short
//! transactions of its own, so a slow or unreachable endpoint can never hold up, fail or roll
//! back a publication.
//!
//! - **Fan-out** ([`Store::enqueue_webhook_jobs`]) reads outbox events after the cursor in
//!   `webhook_outbox_cursor` and creates one `webhook_jobs` row per enabled endpoint that
//!   subscribes to the event type and was registered no later than the event. The cursor row is
//!   locked for the transaction (`SELECT … FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on
//!   SQLite), so two workers never fan out the same event, and the unique index on
//!   `(endpoint_id, outbox_id)` would refuse a duplicate anyway. Outbox rows become visible in
//!   `audit_seq` order (see [`crate::audit`]), so a cursor on `audit_seq` never skips an event.
//! - **Claiming** ([`Store::claim_webhook_jobs`]) takes pending jobs whose next attempt is due
//!   (`FOR UPDATE SKIP LOCKED` on PostgreSQL), counts the attempt and pushes `next_attempt_at`
//!   forward by a lease. The HTTP request is made after that transaction committed, so no lock
//!   is held while an endpoint answers. Two workers therefore never make the same attempt; a
//!   worker that dies mid-attempt leaves a job whose lease lapses and which the next worker
//!   attempts again, so a delivery is never lost but may arrive twice (at-least-once).
//! - **Recording** ([`Store::record_webhook_attempt`]) writes the attempt to
//!   `webhook_deliveries` and moves the job on (delivered, retry at an instant, or failed) with
//!   an update guarded by the attempt number it claimed.
//!
//! Secrets leave this module only inside [`ClaimedDelivery`], whose `Debug` hides them.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use crate::clock::{from_micros, micros};
use crate::entity::webhook_outbox_cursor as cursor;
use crate::entity::{outbox, webhook_deliveries, webhook_endpoints, webhook_jobs};
use crate::error::{StorageError, StorageResult};
use crate::store::Store;

/// Rows per multi-row INSERT: well under SQLite's limit of 32,766 bound parameters.
const INSERT_CHUNK: usize = 1_000;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for its next attempt, or with an attempt in flight.
    Pending,
    /// The endpoint accepted it (a 2xx answer).
    Delivered,
    /// Every attempt failed; no more are made.
    Failed,
    /// The endpoint was disabled before the job was delivered.
    Cancelled,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Reads a stored name.
    pub fn parse(stored: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Delivered,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|state| state.as_str() == stored)
    }
}

/// One attempt a worker has claimed and now makes: everything needed to send it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// The job's id, sent as `webhook-id`; the same on every attempt of this delivery.
    pub message_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// Where to POST.
    pub url: String,
    /// The endpoint's `whsec_` signing secret; read it with [`ClaimedDelivery::secret`].
    secret: String,
    /// The outbox event.
    pub outbox_id: i64,
    /// `release.published`, `release.corrected` or `release.withdrawn`.
    pub event: String,
    /// When the event was recorded.
    pub occurred_at: DateTime<Utc>,
    /// The event's `data` object, as JSON text.
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: i32,
}

impl ClaimedDelivery {
    /// The endpoint's signing secret. Never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl std::fmt::Debug for ClaimedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is left out on purpose, so that no log line or panic message shows it.
        f.debug_struct("ClaimedDelivery")
            .field("message_id", &self.message_id)
            .field("endpoint_id", &self.endpoint_id)
            .field("url", &self.url)
            .field("outbox_id", &self.outbox_id)
            .field("event", &self.event)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// What one attempt got back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// When the request was sent (the `webhook-timestamp`).
    pub at: DateTime<Utc>,
    /// The HTTP status, when a response came; `None` on a network error, a timeout or a refused
    /// address.
    pub status: Option<i32>,
    /// Whether the endpoint accepted the delivery (a 2xx status).
    pub succeeded: bool,
}

/// What one fan-out did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FanOut {
    /// Outbox events fanned out (0 when no endpoint is enabled: the cursor then moves to the
    /// outbox head at once).
    pub events: usize,
    /// Jobs created for them.
    pub jobs: usize,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Waiting or in flight.
    pub pending: u64,
    /// Accepted by their endpoint.
    pub delivered: u64,
    /// Given up after the last attempt.
    pub failed: u64,
    /// Dropped because their endpoint was disabled.
    pub cancelled: u64,
}

impl Store {
    /// Turns up to `limit` outbox events after the fan-out cursor into jobs, one per enabled
    /// endpoint subscribed to the event type and registered no later than the event, and moves
    /// the cursor past them. Takes no write lock when there is nothing new; when no endpoint is
    /// enabled it only moves the cursor to the newest event.
    pub async fn enqueue_webhook_jobs(&self, limit: u64) -> StorageResult<FanOut> {
        // A read first, so that an idle worker never competes with publishing for SQLite's
        // single write lock.
        let seen = self.fan_out_cursor().await?;
        let head: Option<i64> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::AuditSeq)
            .order_by_desc(outbox::Column::AuditSeq)
            .limit(1)
            .into_tuple()
            .one(self.connection())
            .await?;
        let Some(head) = head.filter(|head| *head > seen) else {
            return Ok(FanOut::default());
        };

        let txn = self.begin_write().await?;
        // Locks the cursor until commit on PostgreSQL; a second worker waits here and then
        // reads the advanced cursor (read committed re-reads a row it waited for).
        let locked = cursor::Entity::find_by_id(1)
            .lock(LockType::Update)
            .one(&txn)
            .await?
            .ok_or_else(|| StorageError::Internal("webhook_outbox_cursor has no row".into()))?;
        let endpoints = webhook_endpoints::Entity::find()
            .filter(webhook_endpoints::Column::Enabled.eq(true))
            .all(&txn)
            .await?
            .into_iter()
            .map(|e| {
                let types: Vec<String> = serde_json::from_str(&e.event_types)?;
                Ok((e.id, e.created_at, types))
            })
            .collect::<StorageResult<Vec<_>>>()?;
        if endpoints.is_empty() {
            // Nobody listens: skip everything up to the head seen above in one statement, so a
            // burst of publications costs one small write here, not one per batch of events.
            move_cursor(&txn, std::cmp::max(head, locked.audit_seq)).await?;
            txn.commit().await?;
            return Ok(FanOut::default());
        }
        // Only the columns a job needs; the payload is read when an attempt is claimed.
        let events: Vec<(i64, i64, String, i64)> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .column(outbox::Column::AuditSeq)
            .column(outbox::Column::Event)
            .column(outbox::Column::At)
            .filter(outbox::Column::AuditSeq.gt(locked.audit_seq))
            .order_by_asc(outbox::Column::AuditSeq)
            .limit(limit)
            .into_tuple()
            .all(&txn)
            .await?;
        let Some(last) = events.last().map(|(_, seq, ..)| *seq) else {
            txn.commit().await?;
            return Ok(FanOut::default());
        };
        let now = micros(self.now());
        let mut jobs = Vec::new();
        for (outbox_id, audit_seq, event, at) in &events {
            for (endpoint_id, created_at, types) in &endpoints {
                if created_at <= at && types.contains(event) {
                    jobs.push(webhook_jobs::ActiveModel {
                        id: Set(format!("msg_{}", uuid::Uuid::now_v7().simple())),
                        endpoint_id: Set(endpoint_id.clone()),
                        outbox_id: Set(*outbox_id),
                        audit_seq: Set(*audit_seq),
                        event: Set(event.clone()),
                        state: Set(JobState::Pending.as_str().to_owned()),
                        attempts: Set(0),
                        next_attempt_at: Set(now),
                        created_at: Set(now),
                        finished_at: Set(None),
                    });
                }
            }
        }
        let created = jobs.len();
        for chunk in jobs.chunks(INSERT_CHUNK) {
            webhook_jobs::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing_on([
                    webhook_jobs::Column::EndpointId,
                    webhook_jobs::Column::OutboxId,
                ])
                .exec_without_returning(&txn)
                .await?;
        }
        move_cursor(&txn, last).await?;
        txn.commit().await?;
        Ok(FanOut {
            events: events.len(),
            jobs: created,
        })
    }

    /// The `audit_seq` of the last outbox event fanned out into jobs.
    pub async fn fan_out_cursor(&self) -> StorageResult<i64> {
        Ok(cursor::Entity::find_by_id(1)
            .one(self.connection())
            .await?
            .map(|c| c.audit_seq)
            .unwrap_or_default())
    }

    /// Claims up to `limit` pending jobs whose next attempt is due: counts the attempt and
    /// pushes `next_attempt_at` forward by `lease`, the time after which a worker that died
    /// mid-attempt gives the job up to another. Jobs of disabled endpoints are cancelled, and
    /// jobs that already used `max_attempts` (their last attempt was lost) are failed, instead
    /// of being claimed. Takes no write lock when nothing is due.
    pub async fn claim_webhook_jobs(
        &self,
        limit: u64,
        lease: Duration,
        max_attempts: i32,
    ) -> StorageResult<Vec<ClaimedDelivery>> {
        let anything_due: Option<String> = webhook_jobs::Entity::find()
            .select_only()
            .column(webhook_jobs::Column::Id)
            .filter(webhook_jobs::Column::State.eq(JobState::Pending.as_str()))
            .filter(webhook_jobs::Column::NextAttemptAt.lte(micros(self.now())))
            .limit(1)
            .into_tuple()
            .one(self.connection())
            .await?;
        if anything_due.is_none() || limit == 0 {
            return Ok(Vec::new());
        }

        let txn = self.begin_write().await?;
        // The clock is read once the write lock is held, like every write of the store.
        let now = self.now();
        let due = webhook_jobs::Entity::find()
            .filter(webhook_jobs::Column::State.eq(JobState::Pending.as_str()))
            .filter(webhook_jobs::Column::NextAttemptAt.lte(micros(now)))
            .order_by_asc(webhook_jobs::Column::NextAttemptAt)
            .order_by_asc(webhook_jobs::Column::AuditSeq)
            .order_by_asc(webhook_jobs::Column::Id)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&txn)
            .await?;
        if due.is_empty() {
            txn.commit().await?;
            return Ok(Vec::new());
        }
        let endpoints: HashMap<String, webhook_endpoints::Model> =
            webhook_endpoints::Entity::find()
                .filter(
                    webhook_endpoints::Column::Id.is_in(due.iter().map(|j| j.endpoint_id.clone())),
                )
                .all(&txn)
                .await?
                .into_iter()
                .map(|e| (e.id.clone(), e))
                .collect();
        let mut exhausted = Vec::new();
        let mut cancelled = Vec::new();
        let mut claimed = Vec::new();
        for job in due {
            match endpoints.get(&job.endpoint_id) {
                Some(endpoint) if endpoint.enabled => {
                    if job.attempts >= max_attempts {
                        exhausted.push(job.id);
                    } else {
                        claimed.push((job, endpoint));
                    }
                }
                _ => cancelled.push(job.id),
            }
        }
        finish(&txn, exhausted, JobState::Failed, now).await?;
        finish(&txn, cancelled, JobState::Cancelled, now).await?;
        if claimed.is_empty() {
            txn.commit().await?;
            return Ok(Vec::new());
        }
        let events: HashMap<i64, outbox::Model> = outbox::Entity::find()
            .filter(outbox::Column::Id.is_in(claimed.iter().map(|(j, _)| j.outbox_id)))
            .all(&txn)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let lease_until = now
            + chrono::Duration::from_std(lease)
                .map_err(|e| StorageError::Internal(format!("lease out of range: {e}")))?;
        let ids: Vec<String> = claimed.iter().map(|(j, _)| j.id.clone()).collect();
        let updated = webhook_jobs::Entity::update_many()
            .col_expr(
                webhook_jobs::Column::Attempts,
                Expr::col(webhook_jobs::Column::Attempts).add(1),
            )
            .col_expr(
                webhook_jobs::Column::NextAttemptAt,
                Expr::value(micros(lease_until)),
            )
            .filter(webhook_jobs::Column::Id.is_in(ids.iter().cloned()))
            .filter(webhook_jobs::Column::State.eq(JobState::Pending.as_str()))
            .exec(&txn)
            .await?;
        if updated.rows_affected != ids.len() as u64 {
            // The rows were read under a lock in this transaction; anything else is a bug.
            return Err(StorageError::Internal(format!(
                "claimed {} webhook jobs but updated {}",
                ids.len(),
                updated.rows_affected
            )));
        }
        let deliveries = claimed
            .into_iter()
            .map(|(job, endpoint)| {
                let event = events.get(&job.outbox_id).ok_or_else(|| {
                    StorageError::Internal(format!("outbox event {} is missing", job.outbox_id))
                })?;
                Ok(ClaimedDelivery {
                    message_id: job.id,
                    endpoint_id: job.endpoint_id,
                    url: endpoint.url.clone(),
                    secret: endpoint.secret.clone(),
                    outbox_id: job.outbox_id,
                    event: job.event,
                    occurred_at: from_micros(event.at),
                    payload: event.payload.clone(),
                    attempt: job.attempts + 1,
                })
            })
            .collect::<StorageResult<Vec<_>>>()?;
        txn.commit().await?;
        Ok(deliveries)
    }

    /// Records one attempt in `webhook_deliveries` and moves its job on: delivered when it
    /// succeeded, pending until `retry_at` when that is given, failed otherwise. Returns the
    /// job's new state, or `None` when the claim had lapsed and another worker has since taken
    /// the job over (the attempt is recorded all the same).
    pub async fn record_webhook_attempt(
        &self,
        delivery: &ClaimedDelivery,
        outcome: AttemptOutcome,
        retry_at: Option<DateTime<Utc>>,
    ) -> StorageResult<Option<JobState>> {
        let txn = self.begin_write().await?;
        let now = self.now();
        webhook_deliveries::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            endpoint_id: Set(delivery.endpoint_id.clone()),
            outbox_id: Set(delivery.outbox_id),
            event: Set(delivery.event.clone()),
            attempt: Set(delivery.attempt),
            status: Set(outcome.status),
            succeeded: Set(outcome.succeeded),
            at: Set(micros(outcome.at)),
        }
        .insert(&txn)
        .await?;
        let pending = webhook_jobs::Column::State.eq(JobState::Pending.as_str());
        let this_job = webhook_jobs::Column::Id.eq(delivery.message_id.as_str());
        let (state, result) = if outcome.succeeded {
            // A success ends the job even if the claim lapsed meanwhile: a newer attempt in
            // flight elsewhere would only deliver it again.
            let result = webhook_jobs::Entity::update_many()
                .col_expr(
                    webhook_jobs::Column::State,
                    Expr::value(JobState::Delivered.as_str()),
                )
                .col_expr(webhook_jobs::Column::FinishedAt, Expr::value(micros(now)))
                .filter(this_job)
                .filter(pending)
                .exec(&txn)
                .await?;
            (JobState::Delivered, result)
        } else {
            let mut update = webhook_jobs::Entity::update_many();
            let state = match retry_at {
                Some(at) => {
                    update = update
                        .col_expr(webhook_jobs::Column::NextAttemptAt, Expr::value(micros(at)));
                    JobState::Pending
                }
                None => {
                    update = update
                        .col_expr(
                            webhook_jobs::Column::State,
                            Expr::value(JobState::Failed.as_str()),
                        )
                        .col_expr(webhook_jobs::Column::FinishedAt, Expr::value(micros(now)));
                    JobState::Failed
                }
            };
            // Guarded by the attempt number: a failure must not disturb a newer claim.
            let result = update
                .filter(this_job)
                .filter(pending)
                .filter(webhook_jobs::Column::Attempts.eq(delivery.attempt))
                .exec(&txn)
                .await?;
            (state, result)
        };
        txn.commit().await?;
        Ok((result.rows_affected == 1).then_some(state))
    }

    /// How many jobs are in each state (for monitoring and tests).
    pub async fn webhook_job_counts(&self) -> StorageResult<JobCounts> {
        let rows: Vec<(String, i64)> = webhook_jobs::Entity::find()
            .select_only()
            .column(webhook_jobs::Column::State)
            .expr(Func::count(Expr::col(webhook_jobs::Column::Id)))
            .group_by(webhook_jobs::Column::State)
            .into_tuple()
            .all(self.connection())
            .await?;
        let mut counts = JobCounts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or_default();
            match JobState::parse(&state) {
                Some(JobState::Pending) => counts.pending = n,
                Some(JobState::Delivered) => counts.delivered = n,
                Some(JobState::Failed) => counts.failed = n,
                Some(JobState::Cancelled) => counts.cancelled = n,
                None => {
                    return Err(StorageError::Internal(format!(
                        "unknown webhook job state {state:?}"
                    )));
                }
            }
        }
        Ok(counts)
    }
}

/// Sets the fan-out cursor to `seq`.
async fn move_cursor(txn: &sea_orm::DatabaseTransaction, seq: i64) -> StorageResult<()> {
    cursor::Entity::update_many()
        .col_expr(cursor::Column::AuditSeq, Expr::value(seq))
        .filter(cursor::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(())
}

/// Ends pending jobs in `state` at `now`.
async fn finish(
    txn: &sea_orm::DatabaseTransaction,
    ids: Vec<String>,
    state: JobState,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    webhook_jobs::Entity::update_many()
        .col_expr(webhook_jobs::Column::State, Expr::value(state.as_str()))
        .col_expr(webhook_jobs::Column::FinishedAt, Expr::value(micros(now)))
        .filter(webhook_jobs::Column::Id.is_in(ids))
        .filter(webhook_jobs::Column::State.eq(JobState::Pending.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_state_round_trips_through_its_stored_name() {
        for state in [
            JobState::Pending,
            JobState::Delivered,
            JobState::Failed,
            JobState::Cancelled,
        ] {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert_eq!(JobState::parse("pending"), None);
    }

    #[test]
    fn the_debug_form_of_a_claimed_delivery_hides_its_secret() {
        let delivery = ClaimedDelivery {
            message_id: "msg_1".into(),
            endpoint_id: "e".into(),
            url: "http://127.0.0.1:1/hook".into(),
            secret: "whsec_c2VjcmV0".into(),
            outbox_id: 1,
            event: "release.published".into(),
            occurred_at: from_micros(0),
            payload: "{}".into(),
            attempt: 1,
        };
        let shown = format!("{delivery:?}");
        assert!(!shown.contains("whsec_"), "{shown}");
        assert_eq!(delivery.secret(), "whsec_c2VjcmV0");
    }
}
