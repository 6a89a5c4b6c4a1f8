//! HTTP: every route, bearer-token auth, GraphiQL, the WebSocket endpoint for subscriptions,
//! and health checks. The GraphQL endpoint itself (`GET` and `POST /graphql`, per the
//! GraphQL-over-HTTP specification) is in [`crate::graphql_http`].

use async_graphql::Data;
use async_graphql::http::GraphiQLSource;
use async_graphql_poem::{GraphQLProtocol, GraphQLWebSocket};
use poem::http::StatusCode;
use poem::web::websocket::WebSocket;
use poem::web::{Data as PoemData, Html};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use poem::http::Method;
use poem::middleware::{CatchPanic, Cors, RequestId, ReuseId};
use poem::{Endpoint, EndpointExt, IntoResponse, PathPattern, Response, Route, get, handler};
use pressroom_domain::visibility::Viewer;
use pressroom_storage::Store;

use crate::context::RequestContext;
use crate::error::ApiError;
use crate::gateway::Gateway;
use crate::response_cache::{ResponseCache, SharedResponseCache};
use crate::signoff::LinkSettings;

use crate::graphql_http;

pub use graphql_http::MAX_BODY_BYTES;

/// How the `Authorization` header resolved.
pub(crate) enum Auth {
    /// No header.
    Anonymous,
    /// A valid token.
    Viewer(Viewer),
    /// A malformed header, or an unknown, revoked or expired token.
    Refused,
}

/// Resolves an `Authorization` header value (`Bearer <token>`; none = anonymous).
pub(crate) async fn authenticate(store: &Store, header: Option<&str>) -> Result<Auth, ApiError> {
    let Some(value) = header else {
        return Ok(Auth::Anonymous);
    };
    let Some(token) = value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Ok(Auth::Refused);
    };
    Ok(match store.authenticate(token).await? {
        Some(viewer) => Auth::Viewer(viewer),
        None => Auth::Refused,
    })
}

/// GraphiQL, pointed at this server's endpoints.
pub(crate) fn graphiql_page() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

#[handler]
async fn subscriptions(
    gateway: PoemData<&Gateway>,
    store: PoemData<&Store>,
    protocol: GraphQLProtocol,
    websocket: WebSocket,
) -> impl IntoResponse {
    let gateway = gateway.clone();
    let store = store.clone();
    websocket
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, gateway, protocol)
                .on_connection_init(move |payload| connection_init(store, payload))
                .serve()
        })
}

/// Authenticates a WebSocket connection from its `connection_init` payload
/// (`{"Authorization": "Bearer <token>"}`; none = anonymous).
async fn connection_init(store: Store, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let header = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str());
    let viewer = match authenticate(&store, header)
        .await
        .map_err(async_graphql::Error::from)?
    {
        Auth::Anonymous => None,
        Auth::Viewer(viewer) => Some(viewer),
        Auth::Refused => return Err(ApiError::unauthenticated().into()),
    };
    let mut data = Data::default();
    data.insert(RequestContext::live(&store, viewer));
    Ok(data)
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
        }
    }
}

/// The request budgets of `/graphql`: per token, keyed by the SHA-256 of the bearer token (only
/// tokens that authenticated are counted, so the keys are bounded by real tokens), and for
/// anonymous callers per client address (an IPv4 address, or the /64 network of an IPv6 one, so
/// that one host cannot rotate through its own addresses).
#[derive(Clone, Default)]
pub struct RateLimit {
    /// Per token; `None`: no limit.
    pub per_token: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    /// Per client address for requests without a token; `None`: no limit.
    pub per_address: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
}

/// Addresses kept by the per-address limiter before the ones with full budgets are forgotten.
const ADDRESSES_KEPT: usize = 10_000;

impl RateLimit {
    /// Budgets of `per_minute` requests per token and `anonymous_per_minute` per address.
    pub fn new(per_minute: Option<NonZeroU32>, anonymous_per_minute: Option<NonZeroU32>) -> Self {
        Self {
            per_token: per_minute.map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
            per_address: anonymous_per_minute
                .map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
        }
    }

    /// `None` when the token may go on; otherwise how long to wait.
    pub fn check(&self, token: &str) -> Option<Duration> {
        let limiter = self.per_token.as_ref()?;
        let key = pressroom_domain::content::sha256_hex(token.as_bytes());
        limiter
            .check_key(&key)
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// `None` when an anonymous caller from `address` may go on; otherwise how long to wait.
    /// A request whose address is unknown (not over TCP) shares one budget with all such.
    pub fn check_anonymous(&self, address: Option<IpAddr>) -> Option<Duration> {
        let limiter = self.per_address.as_ref()?;
        if limiter.len() > ADDRESSES_KEPT {
            limiter.retain_recent();
        }
        let key = match address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)) {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
            },
            v4 => v4,
        };
        limiter
            .check_key(&key)
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
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
        .at("/graphql/ws", get(subscriptions))
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
        .at("/metrics", get(metrics));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn anonymous_budgets_are_per_ipv4_address_and_per_ipv6_network() {
        let limit = RateLimit::new(None, NonZeroU32::new(1));
        assert!(limit.check_anonymous(ip("192.0.2.1")).is_none());
        assert!(limit.check_anonymous(ip("192.0.2.1")).is_some(), "spent");
        assert!(
            limit.check_anonymous(ip("::ffff:192.0.2.1")).is_some(),
            "the same host"
        );
        assert!(
            limit.check_anonymous(ip("192.0.2.2")).is_none(),
            "another host"
        );
        assert!(limit.check_anonymous(ip("2001:db8:1:2::1")).is_none());
        assert!(
            limit.check_anonymous(ip("2001:db8:1:2:ffff::9")).is_some(),
            "the same /64"
        );
        assert!(
            limit.check_anonymous(ip("2001:db8:1:3::1")).is_none(),
            "another /64"
        );
        assert!(
            RateLimit::new(None, None)
                .check_anonymous(ip("192.0.2.1"))
                .is_none()
        );
    }
}
