#![doc = include_str!("../README.md")]

use std::sync::OnceLock;
use std::time::Duration;

use chrono::Utc;
use pressroom_storage::publishing::BatchOutcome;
use pressroom_storage::store::ScheduleListener;
use pressroom_storage::{StorageResult, Store};
use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntGauge, register_histogram, register_int_counter,
    register_int_gauge,
};
use tokio::sync::watch;
use tracing::Instrument;

/// The default of [`SchedulerConfig::batch_size`] (the `scheduler_batch_size` setting).
pub const DEFAULT_BATCH_SIZE: u64 = 500;

/// The default of [`SchedulerConfig::recheck`] (the `scheduler_recheck_ms` setting).
pub const DEFAULT_RECHECK: Duration = Duration::from_secs(1);

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Most releases published in one transaction.
    pub batch_size: u64,
    /// Longest sleep between two looks at the schedule. On SQLite this bounds how late a
    /// schedule made by another process is noticed; on PostgreSQL it is the safety net for a
    /// lost notification.
    pub recheck: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            recheck: DEFAULT_RECHECK,
        }
    }
}

/// The scheduler's metrics, in the process-wide Prometheus registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Seconds between an embargo instant and the batch that published it.
    pub lateness: Histogram,
    /// Embargoed releases due and not yet published, as of the last look.
    pub due: IntGauge,
    /// Releases published by the scheduler.
    pub publications: IntCounter,
    /// Due releases refused because the approvals on record did not cover them.
    pub refused: IntCounter,
    /// Unix time of the last run that ended without an error.
    pub last_success: IntGauge,
}

impl Metrics {
    /// The metrics, registered once per process.
    pub fn get() -> Option<&'static Metrics> {
        static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
        pressroom_telemetry::register_once(&METRICS, "scheduler", || {
            let buckets = vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0,
            ];
            Ok(Metrics {
                lateness: register_histogram!(
                    HistogramOpts::new(
                        "pressroom_scheduler_lateness_seconds",
                        "Seconds between an embargo instant and the batch that published it"
                    )
                    .buckets(buckets)
                )?,
                due: register_int_gauge!(
                    "pressroom_scheduler_due_releases",
                    "Embargoed releases due and not yet published"
                )?,
                publications: register_int_counter!(
                    "pressroom_scheduler_publications_total",
                    "Releases published by the scheduler"
                )?,
                refused: register_int_counter!(
                    "pressroom_scheduler_refused_total",
                    "Due releases refused because the approvals on record did not cover them"
                )?,
                last_success: register_int_gauge!(
                    "pressroom_scheduler_last_success_timestamp_seconds",
                    "Unix time of the last scheduler run that ended without an error"
                )?,
            })
        })
    }
}

/// How often a running scheduler reports in (`scheduler_heartbeats`).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);

/// Publishes embargoed releases at their instant.
#[derive(Debug, Clone)]
pub struct Scheduler {
    store: Store,
    config: SchedulerConfig,
}

impl Scheduler {
    /// A scheduler over `store`.
    pub fn new(store: Store, config: SchedulerConfig) -> Self {
        Self { store, config }
    }

    /// Publishes everything due at the store's current instant, batch after batch, and records
    /// metrics. This is the whole of one wake-up, and the deterministic entry point for tests.
    pub async fn run_until_nothing_due(&self) -> StorageResult<BatchOutcome> {
        let mut total = BatchOutcome::default();
        loop {
            let span = tracing::info_span!(
                "publish_batch",
                batch.claimed = tracing::field::Empty,
                batch.published = tracing::field::Empty
            );
            let batch = self
                .store
                .publish_due(self.config.batch_size)
                .instrument(span.clone())
                .await?;
            span.record("batch.claimed", batch.claimed);
            span.record("batch.published", batch.published.len());
            if let Some(m) = Metrics::get() {
                for p in &batch.published {
                    m.lateness.observe(p.late_ms.max(0) as f64 / 1000.0);
                }
                m.publications.inc_by(batch.published.len() as u64);
                m.refused.inc_by(batch.refused.len() as u64);
            }
            for p in &batch.published {
                tracing::info!(release.id = %p.release_id, late_ms = p.late_ms, "published at embargo instant");
            }
            let done = (batch.claimed as u64) < self.config.batch_size;
            total.claimed += batch.claimed;
            total.published.extend(batch.published);
            total.refused.extend(batch.refused);
            if done {
                break;
            }
        }
        if let Some(m) = Metrics::get() {
            m.last_success.set(Utc::now().timestamp());
            if let Ok(due) = self.store.count_due(self.store.now()).await {
                m.due.set(i64::try_from(due).unwrap_or(i64::MAX));
            }
        }
        Ok(total)
    }

    /// How long to sleep before the next look: until the next embargo instant, at most `recheck`.
    async fn next_wait(&self) -> Duration {
        let now = self.store.now();
        match self.store.next_embargo().await {
            Ok(Some(at)) if at > now => (at - now)
                .to_std()
                .unwrap_or_default()
                .min(self.config.recheck),
            // Due but not claimed: another scheduler holds it (SKIP LOCKED); look again shortly.
            Ok(Some(_)) => Duration::from_millis(20).min(self.config.recheck),
            Ok(None) => self.config.recheck,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the next embargo instant");
                self.config.recheck
            }
        }
    }

    /// Runs until `shutdown` turns true: catches up on start, then sleeps until the next instant
    /// or a schedule change. A batch in flight always completes before it stops.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut changes = self.store.schedule_changes();
        let mut listener = self.listen().await;
        // The readiness check of the notifications alerts editors when no scheduler has
        // reported in recently; this process reports every HEARTBEAT_EVERY.
        let instance = format!(
            "{}-{}",
            std::process::id(),
            self.store.now().timestamp_micros()
        );
        let mut last_report: Option<std::time::Instant> = None;
        tracing::info!(
            batch_size = self.config.batch_size,
            recheck_ms = self.config.recheck.as_millis() as u64,
            "scheduler started"
        );
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(err) = self.run_until_nothing_due().await {
                tracing::error!(error = %err, "scheduler run failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            if last_report.is_none_or(|at| at.elapsed() >= HEARTBEAT_EVERY) {
                if let Err(err) = self.store.report_scheduler_alive(&instance).await {
                    tracing::warn!(error = %err, "could not report this scheduler alive");
                }
                last_report = Some(std::time::Instant::now());
            }
            let wait = self.next_wait().await;
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = changes.changed() => {}
                notified = recv(&mut listener) => {
                    if !notified {
                        listener = None;
                    }
                }
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("scheduler stopped");
    }

    /// On PostgreSQL, a listener for schedule changes made by other processes.
    async fn listen(&self) -> Option<ScheduleListener> {
        match self.store.listen_for_schedule_changes().await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "LISTEN failed; relying on the periodic re-check");
                None
            }
        }
    }
}

/// Waits for a notification; false when the listener failed (it is then dropped). Without a
/// listener it never returns.
async fn recv(listener: &mut Option<ScheduleListener>) -> bool {
    match listener {
        Some(l) => match l.recv().await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, "schedule notifications lost; relying on the periodic re-check");
                false
            }
        },
        None => std::future::pending().await,
    }
}
