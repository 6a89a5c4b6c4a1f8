//! The delivery worker: fan new outbox events out into jobs, claim due attempts, make them
//! concurrently, record each outcome, and schedule retries.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use pressroom_storage::deliveries::{AttemptOutcome, ClaimedDelivery, JobState};
use pressroom_storage::{StorageResult, Store};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::config::WebhookConfig;
use crate::metrics::Metrics;
use crate::sending::Sender;

/// Why a worker could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A setting is out of range.
    #[error("invalid webhook settings: {0}")]
    Config(String),
    /// The HTTP client could not be built (e.g. no TLS roots).
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// What one [`DeliveryWorker::run_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundOutcome {
    /// Jobs created from new outbox events.
    pub enqueued: usize,
    /// Attempts made.
    pub attempted: usize,
    /// Attempts the endpoint accepted.
    pub delivered: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    /// Failed attempts that were the last of their delivery.
    pub failed: usize,
}

/// How one attempt ended, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recorded {
    /// Recorded; the job is now in this state.
    Job(JobState),
    /// Recorded, but the claim had lapsed and another worker owns the job now.
    Superseded,
    /// Not recorded (the database failed); the job is retried when its claim lapses.
    Lost,
}

/// Delivers webhook events. Clones share the HTTP client and the settings.
#[derive(Debug, Clone)]
pub struct DeliveryWorker {
    store: Store,
    config: Arc<WebhookConfig>,
    sender: Sender,
}

impl DeliveryWorker {
    /// A worker over `store`; fails when a setting is out of range or the HTTP client cannot be
    /// built.
    pub fn new(store: Store, config: WebhookConfig) -> Result<Self, WorkerError> {
        config.validate().map_err(WorkerError::Config)?;
        let sender = Sender::new(&config)?;
        Ok(Self {
            store,
            config: Arc::new(config),
            sender,
        })
    }

    /// Fans every new outbox event out into jobs, batch after batch; returns the jobs created.
    pub async fn fan_out(&self) -> StorageResult<usize> {
        let mut jobs = 0;
        loop {
            let batch = self
                .store
                .enqueue_webhook_jobs(self.config.fan_out_batch)
                .await?;
            jobs += batch.jobs;
            if (batch.events as u64) < self.config.fan_out_batch {
                return Ok(jobs);
            }
        }
    }

    /// One round: fans out new events, claims up to `concurrency` due attempts, makes them
    /// concurrently and records them. The deterministic entry point for tests.
    pub async fn run_once(&self) -> StorageResult<RoundOutcome> {
        let mut outcome = RoundOutcome {
            enqueued: self.fan_out().await?,
            ..RoundOutcome::default()
        };
        let claimed = self.claim(self.config.concurrency).await?;
        let mut in_flight = JoinSet::new();
        for delivery in claimed {
            let worker = self.clone();
            in_flight.spawn(async move { worker.attempt(delivery).await });
        }
        while let Some(done) = in_flight.join_next().await {
            outcome.attempted += 1;
            match done {
                Ok(Recorded::Job(JobState::Delivered)) => outcome.delivered += 1,
                Ok(Recorded::Job(JobState::Pending)) => outcome.retrying += 1,
                Ok(Recorded::Job(JobState::Failed)) => outcome.failed += 1,
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "a webhook attempt task failed"),
            }
        }
        Ok(outcome)
    }

    /// Runs until `shutdown` turns true (or its sender is dropped): looks for new events and due
    /// retries every poll interval, keeps up to `concurrency` attempts in flight, and on
    /// shutdown lets the attempts in flight finish and be recorded.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        // Registered now rather than at the first attempt, so that `/metrics` shows the counters
        // (at zero) from the start and an alert on their absence means something.
        let _ = Metrics::get();
        tracing::info!(
            poll_ms = self.config.poll_interval.as_millis() as u64,
            max_attempts = self.config.max_attempts,
            refuse_private_addresses = self.config.refuse_private_addresses,
            "webhook delivery started"
        );
        let mut in_flight: JoinSet<Recorded> = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let mut pause = self.config.poll_interval;
            if let Err(error) = self.fan_out().await {
                tracing::warn!(%error, "could not fan out new events to webhook endpoints");
                pause = pause.max(Duration::from_secs(1));
            }
            let free = self.config.concurrency.saturating_sub(in_flight.len());
            if free > 0 {
                match self.claim(free).await {
                    Ok(claimed) => {
                        for delivery in claimed {
                            let worker = self.clone();
                            in_flight.spawn(async move { worker.attempt(delivery).await });
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "could not claim webhook deliveries");
                        pause = pause.max(Duration::from_secs(1));
                    }
                }
            }
            // A finished attempt frees a slot, so the loop goes round again at once; otherwise
            // it looks again after the poll interval.
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Err(error) = done {
                        tracing::error!(%error, "a webhook attempt task failed");
                    }
                }
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        while let Some(done) = in_flight.join_next().await {
            if let Err(error) = done {
                tracing::error!(%error, "a webhook attempt task failed");
            }
        }
        tracing::info!("webhook delivery stopped");
    }

    async fn claim(&self, limit: usize) -> StorageResult<Vec<ClaimedDelivery>> {
        let max_attempts = i32::try_from(self.config.max_attempts).unwrap_or(i32::MAX);
        self.store
            .claim_webhook_jobs(limit as u64, self.config.lease(), max_attempts)
            .await
    }

    /// Makes one claimed attempt and records it.
    async fn attempt(&self, delivery: ClaimedDelivery) -> Recorded {
        let span = tracing::info_span!(
            "webhook_attempt",
            endpoint.id = %delivery.endpoint_id,
            webhook.id = %delivery.message_id,
            event = %delivery.event,
            attempt = delivery.attempt,
        );
        async move {
            let at = self.store.now();
            let result = self.sender.send(&delivery, at).await;
            let (status, succeeded) = match &result {
                Ok(status) => (Some(i32::from(*status)), (200..300).contains(status)),
                Err(_) => (None, false),
            };
            let attempt = u32::try_from(delivery.attempt).unwrap_or(u32::MAX);
            let retry_in = (!succeeded && attempt < self.config.max_attempts)
                .then(|| self.config.retry_delay(attempt));
            let retry_at = retry_in.map(|wait| later(self.store.now(), wait));
            if let Some(m) = Metrics::get() {
                let result = if succeeded { "success" } else { "failure" };
                m.attempts.with_label_values(&[result]).inc();
            }
            match (&result, retry_in) {
                (Ok(status), _) if succeeded => tracing::debug!(status, "webhook delivered"),
                (Ok(status), Some(wait)) => tracing::warn!(
                    status,
                    retry_in_s = wait.as_secs(),
                    "webhook endpoint answered with an error; will retry"
                ),
                (Err(error), Some(wait)) => tracing::warn!(
                    %error,
                    retry_in_s = wait.as_secs(),
                    "webhook attempt failed; will retry"
                ),
                (Ok(status), None) => tracing::error!(
                    status,
                    "webhook endpoint answered with an error on the last attempt; giving up"
                ),
                (Err(error), None) => tracing::error!(
                    %error,
                    "webhook attempt failed on the last attempt; giving up"
                ),
            }
            let outcome = AttemptOutcome {
                at,
                status,
                succeeded,
            };
            match self
                .store
                .record_webhook_attempt(&delivery, outcome, retry_at)
                .await
            {
                Ok(Some(state)) => {
                    if state == JobState::Failed
                        && let Some(m) = Metrics::get()
                    {
                        m.failed.inc();
                    }
                    Recorded::Job(state)
                }
                Ok(None) => {
                    tracing::warn!("the claim on this webhook delivery had lapsed; another worker owns it now");
                    Recorded::Superseded
                }
                Err(error) => {
                    tracing::error!(%error, "could not record a webhook attempt; it is retried when its claim lapses");
                    Recorded::Lost
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// `now + wait`, saturating instead of overflowing.
fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
