//! The mail worker: claim due messages, render and send them concurrently, record each
//! outcome, and schedule retries.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use pressroom_storage::notifications::{ClaimedMail, MailState, readiness_alerts_raised};
use pressroom_storage::{StorageResult, Store};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::config::{MailConfig, MailConfigError};
use crate::metrics::Metrics;
use crate::render::render;
use crate::sending::{SendError, Sender};

/// How often the worker runs the readiness check of near embargoes
/// (`Store::check_readiness`) and looks for near review deadlines
/// (`Store::send_deadline_reminders`).
const READINESS_CHECK_EVERY: Duration = Duration::from_secs(15);

/// What one [`MailWorker::run_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundOutcome {
    /// Attempts made.
    pub attempted: usize,
    /// Messages the server accepted.
    pub sent: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    /// Failed attempts that were the last of their message.
    pub failed: usize,
}

/// Sends queued e-mail. Clones share the transport and the settings.
#[derive(Debug, Clone)]
pub struct MailWorker {
    store: Store,
    config: Arc<MailConfig>,
    sender: Sender,
}

impl MailWorker {
    /// A worker over `store`; fails when a setting is out of range.
    pub fn new(store: Store, config: MailConfig) -> Result<Self, MailConfigError> {
        config.validate()?;
        let sender = Sender::new(&config)?;
        Ok(Self {
            store,
            config: Arc::new(config),
            sender,
        })
    }

    /// One round: claims up to `concurrency` due messages, sends them concurrently and records
    /// them. The deterministic entry point for tests.
    pub async fn run_once(&self) -> StorageResult<RoundOutcome> {
        let mut outcome = RoundOutcome::default();
        let mut in_flight = JoinSet::new();
        for mail in self.claim(self.config.concurrency).await? {
            let worker = self.clone();
            in_flight.spawn(async move { worker.attempt(mail).await });
        }
        while let Some(done) = in_flight.join_next().await {
            outcome.attempted += 1;
            match done {
                Ok(Some(MailState::Sent)) => outcome.sent += 1,
                Ok(Some(MailState::Pending)) => outcome.retrying += 1,
                Ok(Some(MailState::Failed)) => outcome.failed += 1,
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "a mail attempt task failed"),
            }
        }
        Ok(outcome)
    }

    /// Runs until `shutdown` turns true (or its sender is dropped): looks for due messages
    /// every poll interval, keeps up to `concurrency` attempts in flight, and on shutdown lets
    /// the attempts in flight finish and be recorded.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let _ = Metrics::get();
        tracing::info!(
            poll_ms = self.config.poll_interval.as_millis() as u64,
            max_attempts = self.config.max_attempts,
            "mail delivery started"
        );
        let mut alerts_seen = 0;
        let mut last_readiness_check: Option<std::time::Instant> = None;
        let mut in_flight: JoinSet<Option<MailState>> = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if last_readiness_check.is_none_or(|at| at.elapsed() >= READINESS_CHECK_EVERY) {
                if let Err(error) = self.store.check_readiness().await {
                    tracing::warn!(%error, "the readiness check of near embargoes failed");
                }
                if let Err(error) = self.store.send_deadline_reminders().await {
                    tracing::warn!(%error, "could not queue the review deadline reminders");
                }
                last_readiness_check = Some(std::time::Instant::now());
            }
            alerts_seen = export_readiness_alerts(alerts_seen);
            let mut pause = self.config.poll_interval;
            let free = self.config.concurrency.saturating_sub(in_flight.len());
            if free > 0 {
                match self.claim(free).await {
                    Ok(claimed) => {
                        for mail in claimed {
                            let worker = self.clone();
                            in_flight.spawn(async move { worker.attempt(mail).await });
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "could not claim e-mail messages");
                        pause = pause.max(Duration::from_secs(1));
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Err(error) = done {
                        tracing::error!(%error, "a mail attempt task failed");
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
                tracing::error!(%error, "a mail attempt task failed");
            }
        }
        tracing::info!("mail delivery stopped");
    }

    async fn claim(&self, limit: usize) -> StorageResult<Vec<ClaimedMail>> {
        let max_attempts = i32::try_from(self.config.max_attempts).unwrap_or(i32::MAX);
        self.store
            .claim_mail(limit as u64, self.config.lease(), max_attempts)
            .await
    }

    /// Renders, sends and records one claimed message; returns its new state (`None` when it
    /// could not be recorded or another worker has taken it over).
    async fn attempt(&self, mail: ClaimedMail) -> Option<MailState> {
        let span = tracing::info_span!(
            "mail_attempt",
            mail.id = %mail.id,
            mail.kind = mail.kind.as_str(),
            attempt = mail.attempt,
        );
        async move {
            let result = match render(&mail, self.config.public_base_url.as_ref()) {
                Ok(rendered) => self.sender.send(&mail.id, &mail.recipient, rendered).await,
                Err(error) => Err(SendError::Permanent(error.to_string())),
            };
            let attempt = u32::try_from(mail.attempt).unwrap_or(u32::MAX);
            let retry_at = match &result {
                Err(SendError::Transient(_)) if attempt < self.config.max_attempts => {
                    Some(later(self.store.now(), self.config.retry_delay(attempt)))
                }
                _ => None,
            };
            if let Some(m) = Metrics::get() {
                let label = if result.is_ok() { "success" } else { "failure" };
                m.attempts.with_label_values(&[label]).inc();
            }
            // Addresses and contents stay out of the log; the id finds the row.
            match (&result, retry_at) {
                (Ok(()), _) => tracing::debug!("e-mail sent"),
                (Err(error), Some(at)) => {
                    tracing::warn!(%error, retry_at = %at, "e-mail attempt failed; will retry");
                }
                (Err(error), None) => tracing::error!(%error, "e-mail attempt failed; giving up"),
            }
            let error = result.err().map(|e| e.to_string());
            match self
                .store
                .record_mail_attempt(&mail, error.as_deref(), retry_at)
                .await
            {
                Ok(Some(state)) => {
                    if state == MailState::Failed
                        && let Some(m) = Metrics::get()
                    {
                        m.failed.inc();
                    }
                    Some(state)
                }
                Ok(None) => {
                    tracing::warn!("the claim on this e-mail had lapsed; another worker owns it now");
                    None
                }
                Err(error) => {
                    tracing::error!(%error, "could not record an e-mail attempt; it is retried when its claim lapses");
                    None
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// Adds the readiness alerts this process's writes raised since the last look to the metric;
/// returns the new total.
fn export_readiness_alerts(seen: u64) -> u64 {
    let now = readiness_alerts_raised();
    if now > seen
        && let Some(m) = Metrics::get()
    {
        m.readiness_alerts.inc_by(now - seen);
    }
    now
}

/// `now + wait`, saturating instead of overflowing.
fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
