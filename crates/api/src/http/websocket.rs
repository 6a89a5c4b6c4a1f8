//! The WebSocket endpoint of subscriptions (`/graphql/ws`) and its two limits: WebSocket
//! connections open at once per client address (keyed like the anonymous request budget,
//! [`pressroom_web::address_budget::address_key`]: an IPv4 address or an IPv6 /64), and
//! operations running at once on one connection.
//!
//! A connection over the first limit is accepted and closed at once with code 1013 (try again
//! later) and a reason naming the limit, which a browser's client can read (it cannot read the
//! status of a refused upgrade). An operation over the second gets one GraphQL error (code
//! `FORBIDDEN`) and `complete`; the connection and its other subscriptions go on.
//!
//! A connection on which the client sends nothing (not even a ping) for the idle timeout is
//! closed: with code 3008 under graphql-transport-ws, with a `connection_error` under the older
//! graphql-ws. Idle sockets would otherwise hold their place against the per-address limit and
//! their memory for ever.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use async_graphql::{Data, Executor, Request, Response};
use async_graphql_poem::{GraphQLProtocol, GraphQLWebSocket};
use futures_util::SinkExt;
use futures_util::stream::{self, BoxStream, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocket, WebSocketConfig};
use poem::web::{Data as PoemData, RemoteAddr};
use poem::{IntoResponse, handler};
use pressroom_storage::Store;
use prometheus::{IntCounterVec, IntGauge, Opts, register_int_counter_vec, register_int_gauge};

use crate::error::ApiError;
use crate::gateway::Gateway;

/// The default of `HttpConfig::websocket_connections_per_address`.
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: usize = 50;

/// The default of `HttpConfig::subscriptions_per_connection`.
pub const DEFAULT_SUBSCRIPTIONS_PER_CONNECTION: usize = 20;

/// The default of `HttpConfig::websocket_idle_timeout`.
pub const DEFAULT_WEBSOCKET_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The close code of a connection over the per-address limit: 1013, try again later.
pub const OVER_LIMIT_CLOSE_CODE: u16 = 1013;

/// The WebSocket limits of one server, and the connections each address holds now.
#[derive(Clone)]
pub struct WebSocketLimits {
    connections_per_address: usize,
    subscriptions_per_connection: usize,
    idle_timeout: Duration,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl WebSocketLimits {
    /// At most `connections_per_address` connections per address and
    /// `subscriptions_per_connection` operations per connection (each at least 1).
    pub fn new(connections_per_address: usize, subscriptions_per_connection: usize) -> Self {
        Self {
            connections_per_address: connections_per_address.max(1),
            subscriptions_per_connection: subscriptions_per_connection.max(1),
            idle_timeout: DEFAULT_WEBSOCKET_IDLE_TIMEOUT,
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Connections on which the client sends nothing for `timeout` are closed.
    #[must_use]
    pub fn idle_timeout(self, timeout: Duration) -> Self {
        Self {
            idle_timeout: timeout,
            ..self
        }
    }

    /// A connection slot for `address`, held until dropped; `None` when the address holds its
    /// limit already.
    fn connect(&self, address: Option<IpAddr>) -> Option<ConnectionSlot> {
        let key = pressroom_web::address_budget::address_key(address);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key).or_insert(0);
        if *count >= self.connections_per_address {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            key,
            open: Arc::clone(&self.open),
        })
    }
}

/// One open connection of an address; counted down when dropped.
struct ConnectionSlot {
    key: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The gateway as one connection sees it: it counts the operations running on the connection.
#[derive(Clone)]
struct Connection {
    gateway: Gateway,
    running: Arc<AtomicUsize>,
    limit: usize,
}

/// One running operation of a connection; counted down when its stream is dropped (it ended,
/// the client completed it, or the connection closed).
struct OperationSlot(Arc<AtomicUsize>);

impl Drop for OperationSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Executor for Connection {
    async fn execute(&self, request: Request) -> Response {
        self.gateway.execute(request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if self.running.fetch_add(1, Ordering::Relaxed) >= self.limit {
            self.running.fetch_sub(1, Ordering::Relaxed);
            observe_refusal("subscriptions_per_connection");
            let error = ApiError::forbidden(format!(
                "too many operations on this connection (at most {}): complete one, or open \
                 another connection",
                self.limit
            ));
            let error = async_graphql::Error::from(error).into_server_error(Default::default());
            return stream::once(std::future::ready(Response::from_errors(vec![error]))).boxed();
        }
        let slot = OperationSlot(Arc::clone(&self.running));
        self.gateway
            .execute_stream(request, session_data)
            .map(move |response| {
                let _running = &slot;
                response
            })
            .boxed()
    }
}

/// The read buffer each connection starts with: graphql-ws messages from clients are small
/// (an `init`, a `subscribe` with its query, `complete`, `ping`), and the buffer grows for a
/// larger one. tungstenite's default, 128 KiB, made 5,000 idle connections hold 750 MiB.
pub const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Each connection's socket: a small read buffer, and no message or frame larger than a
/// `/graphql` request body may be ([`crate::http::MAX_BODY_BYTES`]; tungstenite's default
/// would take 64 MiB).
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(crate::http::MAX_BODY_BYTES))
        .max_frame_size(Some(crate::http::MAX_BODY_BYTES))
}

/// `GET /graphql/ws`: GraphQL over WebSocket (graphql-transport-ws, or the older graphql-ws).
#[handler]
pub(crate) async fn subscriptions(
    gateway: PoemData<&Gateway>,
    store: PoemData<&Store>,
    limits: PoemData<&WebSocketLimits>,
    remote: &RemoteAddr,
    protocol: GraphQLProtocol,
    websocket: WebSocket,
) -> impl IntoResponse {
    let connection = Connection {
        gateway: gateway.clone(),
        running: Arc::new(AtomicUsize::new(0)),
        limit: limits.subscriptions_per_connection,
    };
    let store = store.clone();
    let slot = limits.connect(remote.as_socket_addr().map(|a| a.ip()));
    let per_address = limits.connections_per_address;
    let idle_timeout = limits.idle_timeout;
    websocket
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .config(socket_config())
        .on_upgrade(move |mut stream| async move {
            let Some(slot) = slot else {
                observe_refusal("connections_per_address");
                let reason = format!(
                    "too many WebSocket connections from this address (at most {per_address})"
                );
                let _ = stream
                    .send(Message::Close(Some((
                        CloseCode::from(OVER_LIMIT_CLOSE_CODE),
                        reason,
                    ))))
                    .await;
                return;
            };
            let _open = OpenConnection::new();
            GraphQLWebSocket::new(stream, connection, protocol)
                .on_connection_init(move |payload| super::auth::connection_init(store, payload))
                .keepalive_timeout(idle_timeout)
                .serve()
                .await;
            drop(slot);
        })
}

/// The endpoint's metrics.
struct WebSocketMetrics {
    connections: IntGauge,
    refusals: IntCounterVec,
}

impl WebSocketMetrics {
    fn get() -> Option<&'static WebSocketMetrics> {
        static METRICS: OnceLock<Option<WebSocketMetrics>> = OnceLock::new();
        pressroom_telemetry::register_once(&METRICS, "WebSocket", || {
            Ok(WebSocketMetrics {
                connections: register_int_gauge!(
                    "pressroom_websocket_connections_active",
                    "WebSocket connections open at /graphql/ws"
                )?,
                refusals: register_int_counter_vec!(
                    Opts::new(
                        "pressroom_websocket_refusals_total",
                        "WebSocket connections and operations refused by a limit"
                    ),
                    &["limit"]
                )?,
            })
        })
    }
}

/// Counts a refusal by the limit `limit` (`connections_per_address` or
/// `subscriptions_per_connection`).
fn observe_refusal(limit: &str) {
    if let Some(metrics) = WebSocketMetrics::get() {
        metrics.refusals.with_label_values(&[limit]).inc();
    }
}

/// One open connection, counted while it lives.
struct OpenConnection(());

impl OpenConnection {
    fn new() -> Self {
        if let Some(metrics) = WebSocketMetrics::get() {
            metrics.connections.inc();
        }
        Self(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        if let Some(metrics) = WebSocketMetrics::get() {
            metrics.connections.dec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn connections_are_counted_per_address_and_freed_when_dropped() {
        let limits = WebSocketLimits::new(2, 1);
        let first = limits.connect(ip("192.0.2.1"));
        let second = limits.connect(ip("::ffff:192.0.2.1"));
        assert!(first.is_some() && second.is_some());
        assert!(limits.connect(ip("192.0.2.1")).is_none(), "the same host");
        assert!(limits.connect(ip("192.0.2.2")).is_some(), "another host");
        drop(first);
        assert!(
            limits.connect(ip("192.0.2.1")).is_some(),
            "a slot was freed"
        );
        let _a = limits.connect(ip("2001:db8:1:2::1"));
        let _b = limits.connect(ip("2001:db8:1:2::2"));
        assert!(
            limits.connect(ip("2001:db8:1:2:ffff::9")).is_none(),
            "the same /64"
        );
        assert!(
            limits.connect(ip("2001:db8:1:3::1")).is_some(),
            "another /64"
        );
    }
}
