//! The GraphQL endpoint over HTTP, following the GraphQL-over-HTTP specification (the draft
//! that the `graphql-http` audit checks).
//!
//! - `POST /graphql` takes a JSON body (`Content-Type: application/json`, otherwise `415`) with
//!   `query`, `operationName`, `variables` and `extensions`; a body that is not such an object
//!   is `400`, one over [`MAX_BODY_BYTES`] is `413`, one without `Content-Length` is `411`.
//! - `GET /graphql` takes the same parameters in the URL (`variables` and `extensions`
//!   JSON-encoded) and executes queries only: a mutation is `405` with `Allow: POST`. Without
//!   parameters, a browser (one that accepts `text/html`) gets GraphiQL.
//! - The response is `application/graphql-response+json` when the `Accept` header prefers it,
//!   and `application/json` otherwise (also without an `Accept` header); an `Accept` header that
//!   allows neither is `406`.
//! - With `application/json`, every well-formed request gets `200`, as it always did. With
//!   `application/graphql-response+json`, a request that fails before execution starts (a
//!   syntax or validation error, a variable that does not fit, an unknown persisted query) is
//!   `400` without a `data` entry, a refused token is `401`, and once execution has started the
//!   answer is `200` with `data`, even when it is `null`.
//!
//! Every error carries `extensions.code` ([`with_codes`]).

use std::collections::BTreeMap;
use std::time::Instant;

use async_graphql::parser::types::OperationType;
use async_graphql::{ServerError, Variables};
use poem::error::ResponseError;
use poem::http::{HeaderMap, HeaderValue, StatusCode, header};
use poem::web::Data as PoemData;
use poem::{Body, IntoResponse, Request, Response, handler};
use pressroom_domain::ErrorCode;
use pressroom_storage::Store;
use pressroom_storage::token_cache::Unconfirmed;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use tokio::io::AsyncReadExt;
use tracing::Instrument;

use crate::context::RequestContext;
use crate::error::ApiError;
use crate::gateway::{Gateway, Refusal, Transport, execution_started};
use crate::http::RateLimit;
use crate::http::{Malformed, bearer_token, graphiql_page};
use crate::response_cache::{ResponseCache, SharedResponseCache};

/// Largest request body accepted; larger ones get `413`.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The media type of GraphQL responses defined by the GraphQL-over-HTTP specification.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// What a GraphQL response is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: the status code tells request errors apart.
    GraphQLResponseJson,
    /// `application/json`: the legacy media type, `200` for every well-formed request.
    Json,
}

impl MediaType {
    fn content_type(self) -> &'static str {
        match self {
            Self::GraphQLResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// One media range of an `Accept` header.
struct MediaRange {
    kind: String,
    subtype: String,
    q: f32,
}

/// The media ranges of every `Accept` header of a request, in order; a range with a malformed
/// weight is left out.
fn media_ranges(headers: &HeaderMap) -> Vec<MediaRange> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let (kind, subtype) = media.split_once('/')?;
            let mut q = 1.0;
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    q = value.trim().parse::<f32>().ok()?;
                }
            }
            Some(MediaRange {
                kind: kind.trim().to_owned(),
                subtype: subtype.trim().to_owned(),
                q,
            })
        })
        .collect()
}

/// How well `kind/subtype` is accepted: the weight of the most specific range that matches it,
/// that range's specificity (2 exact, 1 `kind/*`, 0 `*/*`) and its position.
fn acceptance(ranges: &[MediaRange], kind: &str, subtype: &str) -> Option<(f32, u8, usize)> {
    ranges
        .iter()
        .enumerate()
        .filter_map(|(position, range)| {
            let specificity = match (range.kind.as_str(), range.subtype.as_str()) {
                (k, s) if k == kind && s == subtype => 2,
                (k, "*") if k == kind => 1,
                ("*", "*") => 0,
                _ => return None,
            };
            Some((range.q, specificity, position))
        })
        .max_by_key(|&(_, specificity, position)| (specificity, std::cmp::Reverse(position)))
}

/// The media type to answer in, or `None` when the `Accept` header allows neither (`406`).
/// No `Accept` header means `application/json`. Otherwise the higher weight wins, then the
/// more specific match, then the one listed first; a wildcard alone chooses `application/json`.
pub fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let ranges = media_ranges(headers);
    if ranges.is_empty() {
        return if headers.contains_key(header::ACCEPT) {
            None
        } else {
            Some(MediaType::Json)
        };
    }
    let graphql = acceptance(&ranges, "application", "graphql-response+json")
        .filter(|(q, ..)| *q > 0.0)
        .map(|a| (a, MediaType::GraphQLResponseJson));
    let json = acceptance(&ranges, "application", "json")
        .filter(|(q, ..)| *q > 0.0)
        .map(|a| (a, MediaType::Json));
    match (graphql, json) {
        (None, None) => None,
        (Some((_, media)), None) | (None, Some((_, media))) => Some(media),
        (Some(((q1, s1, p1), g)), Some(((q2, s2, p2), j))) => {
            let better = q1.total_cmp(&q2).then(s1.cmp(&s2)).then(p2.cmp(&p1));
            Some(if better.is_gt() { g } else { j })
        }
    }
}

/// Whether the request accepts HTML (a browser), which gets GraphiQL on a bare `GET`.
fn accepts_html(headers: &HeaderMap) -> bool {
    media_ranges(headers)
        .iter()
        .any(|r| r.kind == "text" && r.subtype == "html" && r.q > 0.0)
}

/// Whether the body is declared as JSON in UTF-8 (no charset means UTF-8).
fn is_json_content(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|parameter| match parameter.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                let charset = value.trim().trim_matches('"');
                charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8")
            }
            _ => true,
        })
}

/// The parameters of one GraphQL request, from a JSON body or from the URL.
#[derive(Default)]
struct Params {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Map<String, Json>>,
    extensions: Option<Map<String, Json>>,
}

impl Params {
    /// From a JSON body: an object whose `query` and `operationName` are strings and whose
    /// `variables` and `extensions` are objects, each of them possibly `null` or absent.
    fn from_json(body: &[u8]) -> Result<Self, String> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err("the request has no body: send a JSON object with a `query`".into());
        }
        let value: Json =
            serde_json::from_slice(body).map_err(|e| format!("the body is not valid JSON: {e}"))?;
        let Json::Object(mut object) = value else {
            return Err("the body must be a JSON object with a `query`".into());
        };
        Ok(Self {
            query: string_param(&mut object, "query")?,
            operation_name: string_param(&mut object, "operationName")?,
            variables: object_param(object.remove("variables"), "variables")?,
            extensions: object_param(object.remove("extensions"), "extensions")?,
        })
    }

    /// From the URL of a `GET`: `variables` and `extensions` are JSON texts; an empty value is
    /// the same as none, and a parameter given twice is refused.
    fn from_url(request: &Request) -> Result<Self, String> {
        let pairs: Vec<(String, String)> = request
            .params()
            .map_err(|e| format!("the URL's query string is malformed: {e}"))?;
        let mut params = Self::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "query" => &mut params.query,
                "operationName" => &mut params.operation_name,
                "variables" | "extensions" => {
                    let parsed = if value.is_empty() {
                        None
                    } else {
                        let json = serde_json::from_str(&value).map_err(|e| {
                            format!("the `{name}` parameter is not valid JSON: {e}")
                        })?;
                        object_param(Some(json), &name)?
                    };
                    let slot = if name == "variables" {
                        &mut params.variables
                    } else {
                        &mut params.extensions
                    };
                    if slot.is_some() {
                        return Err(format!("the `{name}` parameter is given twice"));
                    }
                    *slot = parsed;
                    continue;
                }
                _ => continue,
            };
            if slot.is_some() {
                return Err(format!("the `{name}` parameter is given twice"));
            }
            *slot = Some(value).filter(|v| !v.is_empty());
        }
        Ok(params)
    }

    /// Whether the URL carries none of the parameters (a browser opening the endpoint).
    fn is_empty(&self) -> bool {
        self.query.is_none() && self.extensions.is_none()
    }

    /// The engine's request; a missing `query` is allowed only with a persisted query's hash.
    fn into_request(self) -> Result<async_graphql::Request, String> {
        let persisted = self
            .extensions
            .as_ref()
            .is_some_and(|e| e.contains_key("persistedQuery"));
        if self.query.is_none() && !persisted {
            return Err("the request has no `query`".into());
        }
        let mut request = async_graphql::Request::new(self.query.unwrap_or_default());
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            request = request.variables(Variables::from_json(Json::Object(variables)));
        }
        for (name, value) in self.extensions.unwrap_or_default() {
            let value = async_graphql::Value::from_json(value)
                .map_err(|e| format!("the extension `{name}` cannot be read: {e}"))?;
            request.extensions.insert(name, value);
        }
        Ok(request)
    }
}

/// A string (or `null`) parameter of a JSON body.
fn string_param(object: &mut Map<String, Json>, name: &str) -> Result<Option<String>, String> {
    match object.remove(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(value)) => Ok(Some(value)),
        Some(_) => Err(format!("`{name}` must be a string")),
    }
}

/// An object (or `null`) parameter.
fn object_param(value: Option<Json>, name: &str) -> Result<Option<Map<String, Json>>, String> {
    match value {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(value)) => Ok(Some(value)),
        Some(_) => Err(format!("`{name}` must be a JSON object")),
    }
}

/// An engine error from an [`ApiError`], without a source location.
fn server_error(err: ApiError) -> ServerError {
    let err: async_graphql::Error = err.into();
    ServerError {
        locations: vec![],
        ..err.into_server_error(async_graphql::Pos::default())
    }
}

/// Gives every error that left the engine without a contract code one: limits become
/// `QUERY_TOO_COMPLEX`, everything else the engine refuses (parse errors, unknown fields, bad
/// variables, an unknown persisted query) is `VALIDATION`.
pub fn with_codes(mut response: async_graphql::Response) -> async_graphql::Response {
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
                ErrorCode::QueryTooComplex
            } else {
                ErrorCode::Validation
            };
            let extensions = error.extensions.get_or_insert_with(Default::default);
            extensions.set("code", code.as_str());
        }
    }
    response
}

/// The body of a GraphQL response: `data` only once execution has started.
#[derive(Serialize)]
struct ResponseBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, async_graphql::Value>,
}

fn respond(media: MediaType, status: StatusCode, body: &ResponseBody<'_>) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => respond_bytes(media, status, bytes),
        Err(err) => {
            tracing::error!(error = %err, "a GraphQL response could not be serialized");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A response with an already serialized body.
fn respond_bytes(media: MediaType, status: StatusCode, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .content_type(media.content_type())
        .body(body)
}

/// A response with one error and no `data`.
fn request_error(media: MediaType, status: StatusCode, err: ApiError) -> Response {
    let errors = [server_error(err)];
    respond(
        media,
        status,
        &ResponseBody {
            data: None,
            errors: &errors,
            extensions: &BTreeMap::new(),
        },
    )
}

/// `400` for an HTTP request that is not a GraphQL request (both media types agree on it).
fn bad_request(media: MediaType, message: String) -> Response {
    request_error(
        media,
        StatusCode::BAD_REQUEST,
        ApiError::new(ErrorCode::Validation, message),
    )
}

fn not_acceptable() -> Response {
    request_error(
        MediaType::Json,
        StatusCode::NOT_ACCEPTABLE,
        ApiError::new(
            ErrorCode::Validation,
            "the Accept header allows neither application/graphql-response+json nor \
             application/json",
        ),
    )
}

/// Authenticates, executes and answers with the status codes of the specification. The rate
/// limit and the response cache come from the HTTP request's data. Each step below either
/// answers the request itself or hands on to the next.
async fn execute(
    gateway: &Gateway,
    store: &Store,
    http: &Request,
    media: MediaType,
    request: async_graphql::Request,
    transport: Transport,
) -> Response {
    let authorization = http
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let mut caller = match authenticate_caller(store, authorization, media).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let viewer = caller.viewer.take();
    if let Some(refused) = rate_limit(http, authorization, viewer.as_ref()) {
        return refused;
    }
    // One span per operation, inside the request-id span: who asked for what (never a token).
    let span = tracing::info_span!(
        "graphql",
        actor = viewer
            .as_ref()
            .map_or("anonymous", |v| v.user_name.as_str()),
        operation = request.operation_name.as_deref().unwrap_or("-"),
    );
    let began = Instant::now();
    // Hashed once: the response cache's key and the gateway's document cache both use it.
    let query_hash = crate::gateway::query_hash(&request);
    let ticket = match cache_lookup(
        http,
        store,
        viewer.as_ref(),
        &request,
        query_hash.as_deref(),
    )
    .await
    {
        Lookup::Hit(hit, generation) => {
            if let Err(refused) = caller.confirm(store, Some(generation), media).await {
                return refused;
            }
            crate::metrics::observe_response_cache("hit");
            crate::metrics::observe_graphql("query", &hit.field, "cached", began.elapsed());
            span.in_scope(|| tracing::info!(cached = true, "graphql operation"));
            return respond_bytes(media, StatusCode::OK, hit.body);
        }
        Lookup::Miss(ticket) => ticket,
    };
    // The audit seq the cache read before the data also confirms a remembered token.
    if let Some(ticket) = &ticket
        && let Err(refused) = caller.confirm(store, Some(ticket.generation), media).await
    {
        return refused;
    }
    let mut prepared = match gateway.prepare_hashed(request, transport, query_hash) {
        Ok(prepared) => prepared,
        Err(refusal) => return refused(refusal, media, &span, began),
    };
    let mut ticket = match ticket {
        Some(ticket) if prepared.kind == OperationType::Query => {
            ticket.until_next_embargo(store).await
        }
        _ => None,
    };
    let context = RequestContext::new(store, viewer);
    let made_at = context.now();
    // Step 4a, the compiled path for the read shapes it recognises (`crate::fast_path`); the
    // engine runs everything else, and whatever the fast path would not answer without error.
    if prepared.kind == OperationType::Query
        && let Some(plan) = crate::fast_path::plan(&prepared.document, &prepared.request)
        && let Some(answer) = crate::fast_path::run(&plan, store, &context)
            .instrument(span.clone())
            .await
    {
        // The read's own audit seq confirms a remembered token (no statement when it is the
        // seq the token was checked at).
        if let Err(refused) = caller.confirm(store, answer.seq, media).await {
            return refused;
        }
        crate::metrics::observe_graphql("query", plan.field(), "ok", began.elapsed());
        span.in_scope(|| tracing::info!(errors = 0, fast = true, "graphql operation"));
        let body = bytes::Bytes::from(answer.body);
        if let Some(ticket) = ticket.take() {
            ticket.fill(made_at, body.clone(), plan.field());
        }
        return respond_bytes(media, StatusCode::OK, body);
    }
    if let Err(refused) = caller.confirm(store, None, media).await {
        return refused;
    }
    let kind = prepared.kind;
    let first_field = prepared.first_field.take();
    let response = run(gateway, prepared.into_engine_request(), context, &span).await;
    let started = execution_started(&response);
    let field = record(kind, first_field.as_deref(), &response, &span, began);
    let status = if started || media == MediaType::Json {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = match serde_json::to_vec(&ResponseBody {
        data: started.then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    }) {
        Ok(body) => bytes::Bytes::from(body),
        Err(err) => {
            tracing::error!(error = %err, "a GraphQL response could not be serialized");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if let Some(ticket) = ticket
        && started
        && response.errors.is_empty()
    {
        ticket.fill(made_at, body.clone(), field);
    }
    respond_bytes(media, status, body)
}

/// Who is asking: the caller of a request, and a token still to be confirmed.
struct Caller {
    /// `None` for anonymous (taken by [`execute`] once authenticated).
    viewer: Option<pressroom_domain::visibility::Viewer>,
    /// A token answered from memory, until confirmed (see `pressroom_storage::token_cache`):
    /// the request must confirm it before it answers.
    unconfirmed: Option<Unconfirmed>,
}

impl Caller {
    /// Confirms a token answered from memory against the audit seq the request's read saw
    /// (`None`: it read none), checking the token in the database again when the seq moved;
    /// a token revoked meanwhile gets the answer of a refused token. Nothing to do otherwise.
    async fn confirm(
        &mut self,
        store: &Store,
        seen: Option<i64>,
        media: MediaType,
    ) -> Result<(), Response> {
        let Some(unconfirmed) = self.unconfirmed.take() else {
            return Ok(());
        };
        match store.confirm_token(unconfirmed, seen).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(refused_token(media)),
            Err(err) => Err(authentication_failed(media, err.into())),
        }
    }
}

/// Step 1, authenticate: the caller (anonymous without a token), or the answer to a refused or
/// failed authentication (`401` with `WWW-Authenticate` for `application/graphql-response+json`).
/// A token this process saw before is answered from memory and confirmed later
/// ([`Caller::confirm`]).
async fn authenticate_caller(
    store: &Store,
    authorization: Option<&str>,
    media: MediaType,
) -> Result<Caller, Response> {
    let token = match bearer_token(authorization) {
        Ok(None) => {
            return Ok(Caller {
                viewer: None,
                unconfirmed: None,
            });
        }
        Ok(Some(token)) => token,
        Err(Malformed) => return Err(refused_token(media)),
    };
    match store.authenticate_unconfirmed(token).await {
        Ok(Some(authenticated)) => Ok(Caller {
            viewer: Some(authenticated.viewer),
            unconfirmed: authenticated.unconfirmed,
        }),
        Ok(None) => Err(refused_token(media)),
        Err(err) => Err(authentication_failed(media, err.into())),
    }
}

/// The answer to a malformed `Authorization` header or an unknown, revoked or expired token.
fn refused_token(media: MediaType) -> Response {
    let status = match media {
        MediaType::GraphQLResponseJson => StatusCode::UNAUTHORIZED,
        MediaType::Json => StatusCode::OK,
    };
    let mut response = request_error(media, status, ApiError::unauthenticated());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

/// The answer when the token could not be checked (the database failed).
fn authentication_failed(media: MediaType, err: ApiError) -> Response {
    let status = match media {
        MediaType::GraphQLResponseJson => StatusCode::INTERNAL_SERVER_ERROR,
        MediaType::Json => StatusCode::OK,
    };
    request_error(media, status, err)
}

/// Step 2, rate-limit: `429` with `Retry-After` when the token (or, without one, the client
/// address) has used up its budget; `None` when the request may go on.
fn rate_limit(
    http: &Request,
    authorization: Option<&str>,
    viewer: Option<&pressroom_domain::visibility::Viewer>,
) -> Option<Response> {
    let limit = http.data::<RateLimit>()?;
    let (wait, message) = match viewer {
        Some(_) => authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .and_then(|token| limit.check(token.trim()))
            .map(|wait| (wait, "rate limit exceeded for this token")),
        None => limit
            .check_anonymous(http.remote_addr().as_socket_addr().map(|a| a.ip()))
            .map(|wait| {
                (
                    wait,
                    "rate limit exceeded for requests without a token from this address",
                )
            }),
    }?;
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = plain(StatusCode::TOO_MANY_REQUESTS, message);
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Some(response)
}

/// What the cache lookup found.
enum Lookup<'a> {
    /// A cached answer for this caller, valid now, and the audit seq it was checked against.
    Hit(crate::response_cache::Hit, i64),
    /// No answer; where to keep this one, if it may be kept.
    Miss(Option<CacheTicket<'a>>),
}

/// Where an answer may be kept: the cache, the caller's key, and the audit log's last seq
/// (the generation) read before the data.
struct CacheTicket<'a> {
    cache: &'a ResponseCache,
    key: crate::response_cache::Key,
    generation: i64,
    /// The earliest pending embargo instant, once read (see [`CacheTicket::until_next_embargo`]).
    valid_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl CacheTicket<'_> {
    /// Bounds how long the answer may be served again by the earliest pending embargo instant,
    /// read before the data; `None` (skip the cache) when it cannot be read.
    async fn until_next_embargo(self, store: &Store) -> Option<Self> {
        match store.next_embargo().await {
            Ok(valid_until) => Some(Self {
                valid_until,
                ..self
            }),
            Err(err) => {
                tracing::warn!(error = %err, "the response cache is skipped");
                None
            }
        }
    }

    /// Step 6, fill the cache with the answer made at `made_at`.
    fn fill(self, made_at: chrono::DateTime<chrono::Utc>, body: bytes::Bytes, field: &str) {
        if self.cache.put(
            self.key,
            self.generation,
            made_at,
            self.valid_until,
            body,
            field,
        ) {
            crate::metrics::observe_response_cache("stored");
        }
    }
}

/// Step 3, cache lookup: a cached answer for this caller, when no write and no embargo instant
/// came since it was made.
async fn cache_lookup<'a>(
    http: &'a Request,
    store: &Store,
    viewer: Option<&pressroom_domain::visibility::Viewer>,
    request: &async_graphql::Request,
    query_hash: Option<&str>,
) -> Lookup<'a> {
    let Some(cache) = http
        .data::<SharedResponseCache>()
        .and_then(|shared| shared.0.as_deref())
    else {
        return Lookup::Miss(None);
    };
    // Only once there is a cache: with it off, no request pays for a key.
    let Some(key) = cache.key(viewer, request, query_hash) else {
        return Lookup::Miss(None);
    };
    // While the cache seldom hits, a key asked for the first time costs no statement.
    if !cache.admit(&key) {
        return Lookup::Miss(None);
    }
    match store.audit_seq().await {
        Ok(generation) => match cache.get(&key, generation, store.now()) {
            Some(hit) => Lookup::Hit(hit, generation),
            None => Lookup::Miss(Some(CacheTicket {
                cache,
                key,
                generation,
                valid_until: None,
            })),
        },
        Err(err) => {
            tracing::warn!(error = %err, "the response cache is skipped");
            Lookup::Miss(None)
        }
    }
}

/// The answer to a request the gateway refused before running it: `405` with `Allow: POST` for
/// a mutation over `GET`, otherwise `400` (or `200` for `application/json`).
fn refused(refusal: Refusal, media: MediaType, span: &tracing::Span, began: Instant) -> Response {
    crate::metrics::observe_graphql("unknown", "-", "refused", began.elapsed());
    span.in_scope(|| tracing::info!(errors = 1, "graphql operation refused"));
    let status = match (&refusal, media) {
        (Refusal::MutationOverGet(_), _) => StatusCode::METHOD_NOT_ALLOWED,
        (Refusal::Request(_), MediaType::GraphQLResponseJson) => StatusCode::BAD_REQUEST,
        (Refusal::Request(_), MediaType::Json) => StatusCode::OK,
    };
    let response = with_codes(async_graphql::Response::from_errors(vec![
        refusal.error().clone(),
    ]));
    let mut reply = respond(
        media,
        status,
        &ResponseBody {
            data: None,
            errors: &response.errors,
            extensions: &response.extensions,
        },
    );
    if status == StatusCode::METHOD_NOT_ALLOWED {
        reply
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    reply
}

/// Step 4, run: the operation in the schema with the request's context, inside its span, every
/// error given a contract code.
async fn run(
    gateway: &Gateway,
    request: async_graphql::Request,
    context: RequestContext,
    span: &tracing::Span,
) -> async_graphql::Response {
    with_codes(
        gateway
            .schema()
            .execute(request.data(context))
            .instrument(span.clone())
            .await,
    )
}

/// Step 5, record: the operation's metric and log line. Returns the first root field as a
/// label (`-` unless validation proved it is one of the schema's).
fn record<'a>(
    kind: OperationType,
    first_field: Option<&'a str>,
    response: &async_graphql::Response,
    span: &tracing::Span,
    began: Instant,
) -> &'a str {
    let started = execution_started(response);
    let kind = match kind {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    let field = match (first_field, started) {
        (Some(field), true) => field,
        _ => "-",
    };
    let outcome = match (started, response.errors.is_empty()) {
        (false, _) => "refused",
        (true, true) => "ok",
        (true, false) => "error",
    };
    crate::metrics::observe_graphql(kind, field, outcome, began.elapsed());
    span.in_scope(|| tracing::info!(errors = response.errors.len(), "graphql operation"));
    field
}

/// `GET /graphql`: GraphiQL for a browser without parameters, otherwise a query from the URL.
#[handler]
pub async fn serve_get(
    request: &Request,
    gateway: PoemData<&Gateway>,
    store: PoemData<&Store>,
) -> Response {
    let headers = request.headers();
    let params = Params::from_url(request);
    if params.as_ref().is_ok_and(Params::is_empty) && accepts_html(headers) {
        return graphiql_page().into_response();
    }
    let Some(media) = negotiate(headers) else {
        return not_acceptable();
    };
    match params.and_then(Params::into_request) {
        Ok(graphql) => {
            execute(
                &gateway,
                &store,
                request,
                media,
                graphql,
                Transport::HttpGet,
            )
            .await
        }
        Err(message) => bad_request(media, message),
    }
}

/// Any other method on `/graphql`: `405`, naming the two that work.
#[handler]
pub fn other_method() -> Response {
    Response::builder()
        .status(StatusCode::METHOD_NOT_ALLOWED)
        .header(header::ALLOW, "GET, POST")
        .content_type("text/plain; charset=utf-8")
        .body("use GET for queries and POST for queries and mutations")
}

/// Most bytes of an oversized body that are read and thrown away before the `413` goes out.
/// Reading them lets a client that writes its whole body before it reads (most HTTP libraries)
/// receive the `413` instead of a broken connection; a body larger still is not read, and the
/// connection is closed after the answer.
const MAX_DRAINED_BYTES: u64 = 16 * 1024 * 1024;

fn plain(status: StatusCode, text: &'static str) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

/// `POST /graphql`: a query or mutation from a JSON body of at most [`MAX_BODY_BYTES`], which
/// must declare its length (`411` otherwise, `413` beyond the limit).
#[handler]
pub async fn serve_post(
    request: &Request,
    body: Body,
    gateway: PoemData<&Gateway>,
    store: PoemData<&Store>,
) -> Response {
    let headers = request.headers();
    let Some(length) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return plain(
            StatusCode::LENGTH_REQUIRED,
            "send the body with a Content-Length header",
        );
    };
    if length > MAX_BODY_BYTES as u64 {
        if length <= MAX_DRAINED_BYTES {
            let mut reader = body.into_async_read().take(length);
            // A failure to read the rest changes nothing: the answer is 413 either way.
            let _ = tokio::io::copy(&mut reader, &mut tokio::io::sink()).await;
        }
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is larger than 1 MiB",
        );
    }
    // The body is read before anything else is checked, for the same reason as above.
    let bytes = body.into_bytes_limit(MAX_BODY_BYTES).await;
    let Some(media) = negotiate(headers) else {
        return not_acceptable();
    };
    if !is_json_content(headers) {
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::new(
                ErrorCode::Validation,
                "send the request as Content-Type: application/json",
            ),
        );
    }
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(err) => {
            // A body longer than its `Content-Length` said is `413`, a broken stream `400`.
            return request_error(
                media,
                err.status(),
                ApiError::new(
                    ErrorCode::Validation,
                    format!("the body cannot be read: {err}"),
                ),
            );
        }
    };
    match Params::from_json(&bytes).and_then(Params::into_request) {
        Ok(graphql) => {
            execute(
                &gateway,
                &store,
                request,
                media,
                graphql,
                Transport::HttpPost,
            )
            .await
        }
        Err(message) => bad_request(media, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("a header"),
        );
        headers
    }

    #[test]
    fn negotiation_follows_weights_specificity_and_order() {
        use MediaType::{GraphQLResponseJson as G, Json as J};
        assert_eq!(negotiate(&HeaderMap::new()), Some(J));
        assert_eq!(negotiate(&accept("*/*")), Some(J));
        assert_eq!(negotiate(&accept("application/*")), Some(J));
        assert_eq!(negotiate(&accept("application/json")), Some(J));
        assert_eq!(negotiate(&accept(GRAPHQL_RESPONSE_JSON)), Some(G));
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(G)
        );
        assert_eq!(
            negotiate(&accept(
                "application/json, application/graphql-response+json"
            )),
            Some(J)
        );
        assert_eq!(
            negotiate(&accept(
                "application/json;q=0.5, application/graphql-response+json"
            )),
            Some(G)
        );
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json;q=0.8, */*;q=0.9"
            )),
            Some(J)
        );
        assert_eq!(
            negotiate(&accept("*/*, application/graphql-response+json")),
            Some(G)
        );
        assert_eq!(negotiate(&accept("application/json;q=0, text/html")), None);
        assert_eq!(negotiate(&accept("text/html")), None);
        assert_eq!(negotiate(&accept("application/json;q=nope")), None);
    }

    #[test]
    fn only_json_in_utf8_is_a_supported_body() {
        let content = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(value).expect("a header"),
            );
            headers
        };
        assert!(is_json_content(&content("application/json")));
        assert!(is_json_content(&content("Application/JSON; charset=UTF-8")));
        assert!(is_json_content(&content(
            "application/json;charset=\"utf-8\""
        )));
        assert!(!is_json_content(&content(
            "application/json; charset=latin1"
        )));
        assert!(!is_json_content(&content("text/plain;charset=UTF-8")));
        assert!(!is_json_content(&content("application/graphql")));
        assert!(!is_json_content(&HeaderMap::new()));
    }

    #[test]
    fn body_parameters_must_have_their_types() {
        assert!(Params::from_json(br#"{"query": "{ me { name } }", "variables": null, "operationName": null, "extensions": null}"#).is_ok());
        for body in [
            &br#"{"query": 0}"#[..],
            br#"{"query": "{ me { name } }", "variables": "x"}"#,
            br#"{"query": "{ me { name } }", "variables": []}"#,
            br#"{"query": "{ me { name } }", "operationName": false}"#,
            br#"{"query": "{ me { name } }", "extensions": 0}"#,
            br#"[{"query": "{ me { name } }"}]"#,
            br#"{"query": "#,
            b"",
        ] {
            assert!(
                Params::from_json(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let missing = Params::from_json(br#"{"qeury": "{ me { name } }"}"#)
            .expect("well-formed")
            .into_request();
        assert!(missing.is_err());
        let hash_only = Params::from_json(
            br#"{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}}"#,
        )
        .expect("well-formed")
        .into_request();
        assert!(hash_only.is_ok());
    }
}
