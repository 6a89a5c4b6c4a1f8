#![doc = include_str!("../README.md")]

use std::sync::OnceLock;

/// The metrics in `cell`, registered by `register` the first time they are asked for; `None`
/// when registration failed, which is logged once as "`{what}` metrics unavailable".
///
/// ```
/// use std::sync::OnceLock;
/// use prometheus::{IntCounter, register_int_counter};
///
/// struct Metrics {
///     runs: IntCounter,
/// }
///
/// fn metrics() -> Option<&'static Metrics> {
///     static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
///     pressroom_telemetry::register_once(&METRICS, "example", || {
///         Ok(Metrics {
///             runs: register_int_counter!("example_runs_total", "Runs")?,
///         })
///     })
/// }
///
/// assert!(metrics().is_some());
/// ```
pub fn register_once<M>(
    cell: &'static OnceLock<Option<M>>,
    what: &str,
    register: impl FnOnce() -> prometheus::Result<M>,
) -> Option<&'static M> {
    cell.get_or_init(|| {
        register()
            .map_err(|e| tracing::warn!(error = %e, "{what} metrics unavailable"))
            .ok()
    })
    .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::{IntCounter, register_int_counter};

    #[test]
    fn metrics_are_registered_once_and_a_failure_leaves_none() {
        static FIRST: OnceLock<Option<IntCounter>> = OnceLock::new();
        static SECOND: OnceLock<Option<IntCounter>> = OnceLock::new();
        let first = register_once(&FIRST, "test", || {
            register_int_counter!("pressroom_telemetry_test_total", "A test counter")
        });
        assert!(first.is_some());
        let again = register_once(&FIRST, "test", || unreachable!("registered already"));
        assert!(matches!((first, again), (Some(a), Some(b)) if std::ptr::eq(a, b)));
        let clash = register_once(&SECOND, "test", || {
            register_int_counter!("pressroom_telemetry_test_total", "The same name again")
        });
        assert!(clash.is_none(), "a name registered twice fails");
    }
}
