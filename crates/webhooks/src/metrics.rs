//! The delivery worker's metrics, in the process-wide Prometheus registry that `/metrics` serves.

use std::sync::OnceLock;

use prometheus::{IntCounter, IntCounterVec, Opts, register_int_counter, register_int_counter_vec};

/// Counters of attempts and of deliveries given up.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Attempts made, by `result` (`success` or `failure`).
    pub attempts: IntCounterVec,
    /// Deliveries given up after their last attempt.
    pub failed: IntCounter,
}

impl Metrics {
    /// The metrics, registered once per process.
    pub fn get() -> Option<&'static Metrics> {
        static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
        pressroom_telemetry::register_once(&METRICS, "webhook", || {
            Ok(Metrics {
                attempts: register_int_counter_vec!(
                    Opts::new(
                        "pressroom_webhook_attempts_total",
                        "Webhook delivery attempts, by result"
                    ),
                    &["result"]
                )?,
                failed: register_int_counter!(
                    "pressroom_webhook_failed_deliveries_total",
                    "Webhook deliveries given up after their last attempt"
                )?,
            })
        })
    }
}
