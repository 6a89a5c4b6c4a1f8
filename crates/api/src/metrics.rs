//! The API's metrics, in the process-wide Prometheus registry that `/metrics` serves beside the
//! scheduler's and the webhook worker's: HTTP requests, GraphQL operations and the database
//! connection pool. Every label takes values from a fixed set (route patterns, methods, status
//! codes, operation types, schema fields), so no client can grow the number of series.

use std::sync::OnceLock;
use std::time::Duration;

use poem::http::{Method, StatusCode};
use pressroom_storage::Store;
use prometheus::{
    HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    register_histogram_vec, register_int_counter_vec, register_int_gauge, register_int_gauge_vec,
};

/// Latency buckets, in seconds, from a cached page (1 ms) to the request timeout (30 s).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Every metric of this crate.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// HTTP requests answered, by `method`, `route` (the route's pattern) and `status`.
    pub http_requests: IntCounterVec,
    /// Time to answer, by `method` and `route`.
    pub http_duration: HistogramVec,
    /// GraphQL operations, by `type` (query, mutation, subscription, or `unknown` for a request
    /// the gateway refused: a syntax error, a broken limit, an unknown persisted query, a
    /// mutation over `GET`), `field` (the first root field once the document validated, else
    /// `-`) and `outcome` (`ok`, `error`: executed with errors, `refused`: not executed,
    /// `cached`: answered from the response cache).
    pub graphql_operations: IntCounterVec,
    /// Time to prepare and execute, by `type` and `field`.
    pub graphql_duration: HistogramVec,
    /// Connections of the database pool, by `state` (`idle`, `in_use`), read at each scrape.
    pub pool_connections: IntGaugeVec,
    /// The most connections the pool opens.
    pub pool_max: IntGauge,
    /// GraphQL responses served from the response cache (`hit`) and kept in it (`stored`).
    pub response_cache: IntCounterVec,
}

impl Metrics {
    /// The metrics, registered once per process; `None` if registration failed (logged once).
    pub fn get() -> Option<&'static Metrics> {
        static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
        pressroom_telemetry::register_once(&METRICS, "API", || {
            Ok(Metrics {
                http_requests: register_int_counter_vec!(
                    Opts::new("pressroom_http_requests_total", "HTTP requests answered"),
                    &["method", "route", "status"]
                )?,
                http_duration: register_histogram_vec!(
                    HistogramOpts::new(
                        "pressroom_http_request_duration_seconds",
                        "Time to answer an HTTP request"
                    )
                    .buckets(BUCKETS.to_vec()),
                    &["method", "route"]
                )?,
                graphql_operations: register_int_counter_vec!(
                    Opts::new(
                        "pressroom_graphql_operations_total",
                        "GraphQL operations, by type, first root field and outcome"
                    ),
                    &["type", "field", "outcome"]
                )?,
                graphql_duration: register_histogram_vec!(
                    HistogramOpts::new(
                        "pressroom_graphql_operation_duration_seconds",
                        "Time to prepare and execute a GraphQL operation"
                    )
                    .buckets(BUCKETS.to_vec()),
                    &["type", "field"]
                )?,
                pool_connections: register_int_gauge_vec!(
                    Opts::new(
                        "pressroom_db_pool_connections",
                        "Open database connections, by state"
                    ),
                    &["state"]
                )?,
                pool_max: register_int_gauge!(
                    "pressroom_db_pool_max_connections",
                    "The most database connections the pool opens"
                )?,
                response_cache: register_int_counter_vec!(
                    Opts::new(
                        "pressroom_graphql_response_cache_total",
                        "GraphQL responses served from the response cache or kept in it"
                    ),
                    &["result"]
                )?,
            })
        })
    }
}

/// Counts one HTTP request; `route` is the pattern that matched (`/releases/:slug`), or
/// `unmatched`.
pub fn observe_http(method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
    let Some(metrics) = Metrics::get() else {
        return;
    };
    let method = match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "other",
    };
    metrics
        .http_requests
        .with_label_values(&[method, route, status.as_str()])
        .inc();
    metrics
        .http_duration
        .with_label_values(&[method, route])
        .observe(elapsed.as_secs_f64());
}

/// Counts one GraphQL operation.
pub fn observe_graphql(kind: &str, field: &str, outcome: &str, elapsed: Duration) {
    let Some(metrics) = Metrics::get() else {
        return;
    };
    metrics
        .graphql_operations
        .with_label_values(&[kind, field, outcome])
        .inc();
    metrics
        .graphql_duration
        .with_label_values(&[kind, field])
        .observe(elapsed.as_secs_f64());
}

/// Counts a use of the response cache (`hit` or `stored`).
pub fn observe_response_cache(result: &str) {
    if let Some(metrics) = Metrics::get() {
        metrics.response_cache.with_label_values(&[result]).inc();
    }
}

/// Reads the pool's gauges from `store`, just before a scrape.
pub fn refresh_pool(store: &Store) {
    let (Some(metrics), Some(pool)) = (Metrics::get(), store.pool_status()) else {
        return;
    };
    let in_use = pool.size.saturating_sub(pool.idle);
    metrics
        .pool_connections
        .with_label_values(&["idle"])
        .set(i64::from(pool.idle));
    metrics
        .pool_connections
        .with_label_values(&["in_use"])
        .set(i64::from(in_use));
    metrics.pool_max.set(i64::from(pool.max));
}
