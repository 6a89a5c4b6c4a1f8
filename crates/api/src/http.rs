//! HTTP: the GraphQL endpoint with bearer-token auth, GraphiQL, the WebSocket endpoint for
//! subscriptions, and health checks.

use async_graphql::http::GraphiQLSource;
use async_graphql::{Data, ServerError};
use async_graphql_poem::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use poem::http::{HeaderMap, StatusCode};
use poem::middleware::SizeLimit;
use poem::web::websocket::WebSocket;
use poem::web::{Data as PoemData, Html};
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler};
use pressroom_domain::visibility::Viewer;
use pressroom_storage::Store;

use crate::context::RequestContext;
use crate::error::ApiError;
use crate::schema::PressroomSchema;

/// Largest request body accepted; larger ones get `413`.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How the `Authorization` header resolved.
enum Auth {
    Anonymous,
    Viewer(Viewer),
    Refused,
}

async fn authenticate(store: &Store, header: Option<&str>) -> Result<Auth, ApiError> {
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

fn error_response(err: ApiError) -> GraphQLResponse {
    let err: async_graphql::Error = err.into();
    let server_error = err.into_server_error(async_graphql::Pos::default());
    GraphQLResponse(async_graphql::Response::from_errors(vec![ServerError {
        locations: vec![],
        ..server_error
    }]))
}

/// Gives every error that left the engine without a contract code one: limits become
/// `QUERY_TOO_COMPLEX`, everything else the engine refuses (parse errors, unknown fields, bad
/// variables) is `VALIDATION`.
fn with_codes(mut response: async_graphql::Response) -> async_graphql::Response {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let message = error.message.to_ascii_lowercase();
            let code = if message.contains("too complex")
                || message.contains("nested too deep")
                || message.contains("too deep")
            {
                "QUERY_TOO_COMPLEX"
            } else {
                "VALIDATION"
            };
            let extensions = error.extensions.get_or_insert_with(Default::default);
            extensions.set("code", code);
        }
    }
    response
}

#[handler]
async fn graphql(
    schema: PoemData<&PressroomSchema>,
    store: PoemData<&Store>,
    headers: &HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let header = headers.get("authorization").and_then(|v| v.to_str().ok());
    let viewer = match authenticate(&store, header).await {
        Ok(Auth::Anonymous) => None,
        Ok(Auth::Viewer(viewer)) => Some(viewer),
        Ok(Auth::Refused) => return error_response(ApiError::unauthenticated()),
        Err(err) => return error_response(err),
    };
    let context = RequestContext::new(&store, viewer);
    GraphQLResponse(with_codes(schema.execute(request.0.data(context)).await))
}

#[handler]
fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

#[handler]
async fn subscriptions(
    schema: PoemData<&PressroomSchema>,
    store: PoemData<&Store>,
    protocol: GraphQLProtocol,
    websocket: WebSocket,
) -> impl IntoResponse {
    let schema = schema.clone();
    let store = store.clone();
    websocket
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
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

/// Prometheus text exposition of every metric registered in this process (scheduler included).
#[handler]
fn metrics() -> Response {
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

/// Every HTTP route of Pressroom over `store`.
pub fn app(store: Store) -> impl Endpoint {
    let schema = crate::schema::build(Some(store.clone()));
    Route::new()
        .at(
            "/graphql",
            get(graphiql).post(graphql.with(SizeLimit::new(MAX_BODY_BYTES))),
        )
        .at("/graphql/ws", get(subscriptions))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/releases", get(crate::public::pages::list_releases))
        .at("/releases/:slug", get(crate::public::pages::show_release))
        .at(
            "/departments/:slug",
            get(crate::public::pages::list_department),
        )
        .at("/feeds/:file", get(crate::public::feeds::serve_feed))
        .at(
            "/static/pressroom.css",
            get(crate::public::pages::stylesheet),
        )
        .at("/metrics", get(metrics))
        .data(schema)
        .data(store)
}
