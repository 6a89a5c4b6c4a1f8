//! The mail worker's metrics, in the process-wide Prometheus registry that `/metrics` serves.

use std::sync::OnceLock;

use prometheus::{IntCounter, IntCounterVec, Opts, register_int_counter, register_int_counter_vec};

/// Counters of attempts, of messages given up, and of readiness alerts.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Attempts made, by `result` (`success` or `failure`).
    pub attempts: IntCounterVec,
    /// Messages given up after their last attempt.
    pub failed: IntCounter,
    /// Readiness alerts raised by this process (a release that would not publish at its
    /// embargo instant).
    pub readiness_alerts: IntCounter,
}

impl Metrics {
    /// The metrics, registered once per process.
    pub fn get() -> Option<&'static Metrics> {
        static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
        pressroom_telemetry::register_once(&METRICS, "mail", || {
            Ok(Metrics {
                attempts: register_int_counter_vec!(
                    Opts::new(
                        "pressroom_mail_attempts_total",
                        "E-mail sending attempts, by result"
                    ),
                    &["result"]
                )?,
                failed: register_int_counter!(
                    "pressroom_mail_failed_total",
                    "E-mail messages given up after their last attempt"
                )?,
                readiness_alerts: register_int_counter!(
                    "pressroom_readiness_alerts_total",
                    "Embargoed releases found not ready to publish shortly before their instant"
                )?,
            })
        })
    }
}
