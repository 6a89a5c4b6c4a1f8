//! HTTP: every route (`app_with`, the whole route table in one place), GraphiQL, the WebSocket
//! endpoint for subscriptions and health checks; and, apart, the metrics (`metrics_app`), which
//! are served on a listener of their own (the `metrics_listen` setting), never on the API's.
//! Who may call is in two files beside
//! this one: `http/auth.rs` resolves the bearer token of a request or of a WebSocket's
//! `connection_init`, and `http/rate_limit.rs` holds the per-token and per-address budgets.
//! The WebSocket endpoint of subscriptions and its limits (connections per address, operations
//! per connection) are in `http/websocket.rs`. The GraphQL endpoint itself (`GET` and
//! `POST /graphql`, per the GraphQL-over-HTTP specification) is in [`crate::graphql_http`].

use poem::http::StatusCode;
use poem::web::Data as PoemData;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use poem::http::Method;
use poem::middleware::{CatchPanic, Cors, RequestId, ReuseId};
use poem::{Endpoint, EndpointExt, IntoResponse, PathPattern, Response, Route, get, handler};
use pressroom_storage::Store;

use crate::gateway::Gateway;
use crate::response_cache::{ResponseCache, SharedResponseCache};
use crate::signoff::LinkSettings;

use crate::graphql_http;

mod auth;
mod rate_limit;
mod websocket;

pub(crate) use auth::{Malformed, bearer_token};
pub use graphql_http::MAX_BODY_BYTES;
pub use rate_limit::RateLimit;
pub use websocket::{
    DEFAULT_CONNECTIONS_PER_ADDRESS, DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
    DEFAULT_WEBSOCKET_IDLE_TIMEOUT, OVER_LIMIT_CLOSE_CODE, WebSocketLimits,
};

/// GraphiQL, pointed at this server's endpoints, with its files served from the binary
/// ([`crate::graphiql`]).
pub(crate) fn graphiql_page() -> Response {
    crate::graphiql::page("/graphql", "/graphql/ws")
}

/// Prometheus text exposition of every metric registered in this process (HTTP, GraphQL,
/// database pool, and the scheduler's and webhook worker's when they run here).
#[handler]
fn metrics(store: PoemData<&Store>) -> Response {
    crate::metrics::refresh_pool(&store);
    let encoder = prometheus::TextEncoder::new();
    match encoder.encode_to_string(&prometheus::gather()) {
        Ok(text) => Response::builder()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(err) => {
            tracing::error!(error = %err, "metrics could not be encoded");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(store: PoemData<&Store>) -> Response {
    match store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// HTTP settings of `app_with`.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Origins allowed to call the API from a browser (CORS); empty: no CORS headers at all,
    /// `*`: any origin.
    pub cors_origins: Vec<String>,
    /// Longest time a request may take before it is answered `503` (WebSocket connections, once
    /// upgraded, are not limited).
    pub request_timeout: Duration,
    /// GraphQL requests each token may make per minute; beyond it `429` with `Retry-After`.
    /// `None`: no limit.
    pub rate_limit_per_minute: Option<NonZeroU32>,
    /// GraphQL requests without a token that one client address (an IPv4 address, or an IPv6
    /// /64 network) may make per minute; beyond it `429` with `Retry-After`. `None`: no limit.
    pub anonymous_rate_limit_per_minute: Option<NonZeroU32>,
    /// GraphQL responses to integrators and anonymous callers kept for reuse
    /// ([`crate::response_cache`]); 0 turns the cache off.
    pub response_cache_entries: usize,
    /// The public base URL links are made absolute with, and the longest life of a sign-off link.
    pub links: LinkSettings,
    /// The newsroom's settings; `None`: no newsroom is served.
    pub newsroom: Option<pressroom_newsroom::NewsroomConfig>,
    /// WebSocket connections one client address (an IPv4 address, or an IPv6 /64 network) may
    /// hold open at once at `/graphql/ws`; beyond it a new one is closed with code 1013.
    pub websocket_connections_per_address: usize,
    /// Operations (subscriptions) one WebSocket connection may run at once; beyond it a new
    /// one gets a `FORBIDDEN` error.
    pub subscriptions_per_connection: usize,
    /// How long a WebSocket connection may send nothing (not even a ping) before it is closed.
    pub websocket_idle_timeout: Duration,
}

/// The default of [`HttpConfig::request_timeout`] (the `request_timeout_secs` setting).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            rate_limit_per_minute: None,
            anonymous_rate_limit_per_minute: None,
            response_cache_entries: crate::response_cache::DEFAULT_ENTRIES,
            links: LinkSettings::default(),
            newsroom: None,
            websocket_connections_per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            subscriptions_per_connection: DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
            websocket_idle_timeout: DEFAULT_WEBSOCKET_IDLE_TIMEOUT,
        }
    }
}

/// `GET /metrics` alone: the Prometheus text of this process, for a listener of its own.
///
/// The metrics show per-field operation counts and the state of the database pool, which is
/// nobody's business on the public listener, so [`app_with`] does not serve them: `pressroom
/// serve --metrics-listen 127.0.0.1:9090` serves this endpoint on a second address that only
/// Prometheus reaches (a loopback or private interface, or a port the firewall keeps closed).
pub fn metrics_app(store: Store) -> impl Endpoint {
    // Registered now, so that the API's metrics are listed before its first request.
    let _ = crate::metrics::Metrics::get();
    Route::new().at("/metrics", get(metrics)).data(store)
}

/// Every HTTP route of Pressroom over `store`, with the default [`HttpConfig`].
pub fn app(store: Store) -> impl Endpoint {
    app_with(store, HttpConfig::default())
}

/// Every HTTP route of Pressroom over `store`. Every response carries an `x-request-id` (the
/// client's, if it sent one), which is also on every log line of the request; a panic in a
/// handler becomes a bare `500` and never takes the server down.
pub fn app_with(store: Store, config: HttpConfig) -> impl Endpoint {
    let gateway = Gateway::new(crate::schema::build_with(
        Some(store.clone()),
        config.links.clone(),
    ));
    // Registered now, so that `/metrics` lists the API's metrics before the first request.
    let _ = crate::metrics::Metrics::get();
    let routes = Route::new()
        .at(
            "/graphql",
            get(graphql_http::serve_get)
                .post(graphql_http::serve_post)
                .put(graphql_http::other_method)
                .patch(graphql_http::other_method)
                .delete(graphql_http::other_method),
        )
        .at("/graphql/ws", get(websocket::subscriptions))
        .at("/graphiql/:file", get(crate::graphiql::asset))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/", get(crate::public::pages::home))
        .at("/departments", get(crate::public::pages::list_departments))
        .at("/releases", get(crate::public::pages::list_releases))
        .at("/releases/:slug", get(crate::public::pages::show_release))
        .at(
            "/departments/:slug",
            get(crate::public::pages::list_department),
        )
        .at("/feeds/:file", get(crate::public::feeds::serve_feed))
        .at(
            "/signoff/:token",
            get(crate::public::signoff::show).post(crate::public::signoff::answer),
        )
        .at(
            "/static/pressroom.css",
            get(crate::public::pages::stylesheet),
        )
        .at(
            "/static/newsroom.js",
            get(crate::public::pages::newsroom_script),
        );
    // The newsroom: its own pages under /newsroom, on the same store and the same middleware.
    let routes = match config.newsroom.clone() {
        Some(newsroom) => routes.nest(
            pressroom_newsroom::BASE,
            pressroom_newsroom::routes(newsroom),
        ),
        None => routes,
    };
    let routes = routes
        .data(RateLimit::new(
            config.rate_limit_per_minute,
            config.anonymous_rate_limit_per_minute,
        ))
        .data(SharedResponseCache(
            ResponseCache::new(config.response_cache_entries).map(Arc::new),
        ))
        .data(
            WebSocketLimits::new(
                config.websocket_connections_per_address,
                config.subscriptions_per_connection,
            )
            .idle_timeout(config.websocket_idle_timeout),
        )
        .data(gateway)
        .data(config.links.clone())
        .data(store);
    let timeout = config.request_timeout;
    let cors = (!config.cors_origins.is_empty()).then(|| {
        let cors = Cors::new()
            .allow_methods([Method::GET, Method::POST])
            .max_age(600);
        if config.cors_origins.iter().any(|o| o == "*") {
            cors
        } else {
            cors.allow_origins(config.cors_origins.clone())
        }
    });
    routes
        .with_if(cors.is_some(), cors.unwrap_or_default())
        .around(move |endpoint, request| async move {
            match tokio::time::timeout(timeout, endpoint.call(request)).await {
                Ok(result) => result.map(IntoResponse::into_response),
                Err(_) => {
                    tracing::warn!(timeout_ms = timeout.as_millis() as u64, "request timed out");
                    Ok((StatusCode::SERVICE_UNAVAILABLE, "request timed out").into_response())
                }
            }
        })
        .with(CatchPanic::new())
        .around(|endpoint, request| async move {
            // Every answer is counted, errors (an unknown path, a refused method) included.
            let began = std::time::Instant::now();
            let method = request.method().clone();
            let result = endpoint.call(request).await;
            let (pattern, status) = match &result {
                Ok(response) => (response.data::<PathPattern>(), response.status()),
                Err(error) => (error.data::<PathPattern>(), error.status()),
            };
            let route = pattern.map_or("unmatched", |pattern| &*pattern.0);
            crate::metrics::observe_http(&method, route, status, began.elapsed());
            result
        })
        .with(RequestId::default().reuse_id(ReuseId::Use))
}
