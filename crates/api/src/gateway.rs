//! The way into the GraphQL engine for every request, over HTTP and WebSocket alike.
//!
//! Before the engine sees a request, the gateway resolves an automatic persisted query
//! (Apollo's `persistedQuery` extension), parses the document, or takes it from a cache of
//! parsed documents keyed by the SHA-256 of the query text, checks the limits on aliases and
//! root fields ([`crate::limits`]), and refuses a mutation sent with `GET`. The engine then only
//! validates (depth and complexity are checked there) and executes.
//!
//! This work lives here rather than in async-graphql extensions because the engine resolves
//! every field through the chain of extensions as soon as one is registered, which cost a
//! quarter of the CPU of a page request (docs/benchmarks.md); with no extension registered,
//! fields take the engine's direct path.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use async_graphql::{Data, Executor, Request, Response, ServerError};
use futures_util::stream::{self, BoxStream, StreamExt};
use lru::LruCache;
use pressroom_domain::content::sha256_hex;
use serde::Deserialize;

use crate::schema::{MAX_PERSISTED_QUERY_BYTES, PERSISTED_QUERY_CACHE_SIZE, PressroomSchema};

/// The message of the refusal of a mutation sent as a `GET`.
pub const MUTATION_OVER_GET: &str = "mutations cannot be sent with GET; send them with POST";

/// The message of the refusal of a subscription sent over HTTP.
pub const SUBSCRIPTION_OVER_HTTP: &str =
    "subscriptions are served over WebSocket at /graphql/ws (graphql-transport-ws)";

/// The schema and the documents it has parsed.
#[derive(Clone)]
pub struct Gateway {
    schema: PressroomSchema,
    documents: Arc<Mutex<LruCache<String, Arc<ExecutableDocument>>>>,
}

/// Why a request does not reach the engine.
#[derive(Debug)]
pub enum Refusal {
    /// The request is not a GraphQL request that can run: it does not parse, breaks a limit,
    /// names an unknown persisted query, or is a subscription over HTTP.
    Request(ServerError),
    /// A `GET` that would run a mutation.
    MutationOverGet(ServerError),
}

impl Refusal {
    /// The error to report.
    pub fn error(&self) -> &ServerError {
        match self {
            Refusal::Request(error) | Refusal::MutationOverGet(error) => error,
        }
    }
}

/// A request ready for the engine, with what it will run.
pub struct Prepared {
    /// The request (variables, operation name, data) without its query text: the engine gets
    /// it from [`Prepared::into_engine_request`], which hands it the parsed `document`.
    pub request: Request,
    /// The type of the operation that will run.
    pub kind: OperationType,
    /// The name (not the alias) of the first field at the root of that operation, when the
    /// root starts with a field.
    pub first_field: Option<String>,
    /// The parsed document (shared with the cache of parsed documents), for
    /// [`crate::fast_path`].
    pub document: Arc<ExecutableDocument>,
}

impl Prepared {
    /// The request for the engine, with a copy of the parsed document (the engine owns its
    /// document; the compiled path reads the shared one and needs no copy).
    pub fn into_engine_request(self) -> Request {
        let mut request = self.request;
        request.set_parsed_query(ExecutableDocument::clone(&self.document));
        request
    }
}

/// Where a request comes from, which decides what it may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `GET /graphql`: queries only.
    HttpGet,
    /// `POST /graphql`: queries and mutations.
    HttpPost,
    /// `/graphql/ws`: every operation type.
    WebSocket,
}

/// Apollo's `persistedQuery` request extension.
#[derive(Deserialize)]
struct PersistedQuery {
    version: i32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

/// The SHA-256 (hex) of `request`'s query text, `None` when it has none: the key of the
/// document cache and of persisted queries, and part of the response cache's key.
pub fn query_hash(request: &Request) -> Option<String> {
    (!request.query.is_empty()).then(|| sha256_hex(request.query.as_bytes()))
}

impl Gateway {
    /// A gateway to `schema` with an empty document cache.
    pub fn new(schema: PressroomSchema) -> Self {
        Self::with_capacity(schema, PERSISTED_QUERY_CACHE_SIZE)
    }

    /// A gateway whose cache keeps at most `capacity` documents (at least one).
    pub fn with_capacity(schema: PressroomSchema, capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            schema,
            documents: Arc::new(Mutex::new(LruCache::new(capacity))),
        }
    }

    /// The schema behind the gateway.
    pub fn schema(&self) -> &PressroomSchema {
        &self.schema
    }

    /// Resolves, parses and checks `request` as it came over `transport`.
    pub fn prepare(&self, request: Request, transport: Transport) -> Result<Prepared, Refusal> {
        self.prepare_hashed(request, transport, None)
    }

    /// [`Gateway::prepare`] with the request's [`query_hash`] when the caller computed it
    /// already (the response cache's key uses it too, so a request hashes its query text once);
    /// with `None` it is computed where it is needed.
    pub fn prepare_hashed(
        &self,
        mut request: Request,
        transport: Transport,
        query_hash: Option<String>,
    ) -> Result<Prepared, Refusal> {
        let persisted = match request.extensions.remove("persistedQuery") {
            // A query too long to keep runs as if it had not asked to be persisted.
            Some(_) if request.query.len() > MAX_PERSISTED_QUERY_BYTES => None,
            Some(value) => Some(persisted_query(value)?),
            None => None,
        };
        let query = std::mem::take(&mut request.query);
        let document = match persisted {
            Some(persisted) if query.is_empty() => self
                .cached(&persisted.sha256_hash)
                .ok_or_else(|| refused("PersistedQueryNotFound"))?,
            Some(persisted) => {
                let hash = query_hash.unwrap_or_else(|| sha256_hex(query.as_bytes()));
                if hash != persisted.sha256_hash {
                    return Err(refused("provided sha does not match query"));
                }
                self.document(&query, Some(hash))?
            }
            None if query.len() <= MAX_PERSISTED_QUERY_BYTES => {
                let hash = query_hash.unwrap_or_else(|| sha256_hex(query.as_bytes()));
                self.document(&query, Some(hash))?
            }
            None => self.document(&query, None)?,
        };
        crate::limits::check(&document).map_err(Refusal::Request)?;
        let (kind, first_field) =
            match selected_operation(&document, request.operation_name.as_deref()) {
                Some(operation) => (operation.ty, first_field(operation)),
                // No such operation: the engine says which name is unknown or missing.
                None => (OperationType::Query, None),
            };
        match (transport, kind) {
            (Transport::HttpGet, OperationType::Mutation) => {
                return Err(Refusal::MutationOverGet(ServerError::new(
                    MUTATION_OVER_GET,
                    None,
                )));
            }
            (Transport::HttpGet | Transport::HttpPost, OperationType::Subscription) => {
                return Err(refused(SUBSCRIPTION_OVER_HTTP));
            }
            _ => {}
        }
        Ok(Prepared {
            request,
            kind,
            first_field,
            document,
        })
    }

    /// The cached document of `hash`, if any.
    fn cached(&self, hash: &str) -> Option<Arc<ExecutableDocument>> {
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(hash)
            .cloned()
    }

    /// The document of `query`: from the cache when `hash` is given and known, else parsed,
    /// and then kept when `hash` is given and the document may enter the cache.
    fn document(
        &self,
        query: &str,
        hash: Option<String>,
    ) -> Result<Arc<ExecutableDocument>, Refusal> {
        if let Some(hash) = &hash
            && let Some(document) = self.cached(hash)
        {
            return Ok(document);
        }
        let document = Arc::new(
            async_graphql::parser::parse_query(query)
                .map_err(|error| Refusal::Request(ServerError::from(error)))?,
        );
        if let Some(hash) = hash
            && crate::schema::worth_keeping(&document)
        {
            self.documents
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .put(hash, Arc::clone(&document));
        }
        Ok(document)
    }
}

/// A refusal of the request with `message` (a contract code is added later, see
/// [`crate::graphql_http::with_codes`]).
fn refused(message: &str) -> Refusal {
    Refusal::Request(ServerError::new(message, None))
}

/// Reads the `persistedQuery` extension, as Apollo's protocol defines it (version 1).
fn persisted_query(value: async_graphql::Value) -> Result<PersistedQuery, Refusal> {
    let persisted: PersistedQuery = async_graphql::from_value(value)
        .map_err(|_| refused("Invalid \"PersistedQuery\" extension configuration."))?;
    if persisted.version != 1 {
        return Err(refused(&format!(
            "Only the \"PersistedQuery\" extension of version \"1\" is supported, and the \
             current version is \"{}\".",
            persisted.version
        )));
    }
    Ok(persisted)
}

/// The operation a request would run, as the engine picks it: the one named, or the only one.
pub fn selected_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    let mut operations = document.operations.iter();
    match name {
        Some(name) => operations
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| &op.node),
        None => {
            let first = operations.next();
            match operations.next() {
                Some(_) => None,
                None => first.map(|(_, op)| &op.node),
            }
        }
    }
}

/// The name of the first field at the root of `operation`, if the root starts with a field.
fn first_field(operation: &OperationDefinition) -> Option<String> {
    match &operation.selection_set.node.items.first()?.node {
        Selection::Field(field) => Some(field.node.name.node.to_string()),
        Selection::FragmentSpread(_) | Selection::InlineFragment(_) => None,
    }
}

/// Whether the engine started executing the operation that produced `response`: it did unless
/// it answered with errors and no data, none of them at a path (errors of parsing, validation,
/// variables and operation selection have no path; a field's error always has one).
pub fn execution_started(response: &Response) -> bool {
    response.errors.is_empty()
        || !matches!(response.data, async_graphql::Value::Null)
        || response.errors.iter().any(|error| !error.path.is_empty())
}

impl Executor for Gateway {
    async fn execute(&self, request: Request) -> Response {
        match self.prepare(request, Transport::WebSocket) {
            Ok(prepared) => self.schema.execute(prepared.into_engine_request()).await,
            Err(refusal) => Response::from_errors(vec![refusal.error().clone()]),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.prepare(request, Transport::WebSocket) {
            Ok(prepared) => {
                Executor::execute_stream(&self.schema, prepared.into_engine_request(), session_data)
            }
            Err(refusal) => stream::once(std::future::ready(Response::from_errors(vec![
                refusal.error().clone(),
            ])))
            .boxed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{MAX_COMPLEXITY, build};

    fn gateway(capacity: usize) -> Gateway {
        Gateway::with_capacity(build(None), capacity)
    }

    /// A request that names a persisted query by its hash only.
    fn by_hash(query: &str) -> Request {
        let mut request = Request::new("");
        request.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(serde_json::json!({
                "version": 1,
                "sha256Hash": sha256_hex(query.as_bytes()),
            }))
            .expect("a JSON value"),
        );
        request
    }

    fn message(result: Result<Prepared, Refusal>) -> String {
        match result {
            Ok(_) => "prepared".to_owned(),
            Err(refusal) => refusal.error().message.clone(),
        }
    }

    #[test]
    fn the_cache_keeps_what_is_worth_keeping_and_drops_the_least_recently_used() {
        let gateway = gateway(2);
        let post = Transport::HttpPost;
        let names = vec!["name"; MAX_COMPLEXITY].join(" ");
        let big = format!("{{ me {{ {names} }} }}");
        assert!(gateway.prepare(Request::new(big.as_str()), post).is_ok());
        assert_eq!(
            message(gateway.prepare(by_hash(&big), post)),
            "PersistedQueryNotFound"
        );

        let (a, b, c) = (
            "{ me { name } }",
            "{ departments { slug } }",
            "{ people { name } }",
        );
        for query in [a, b] {
            assert!(gateway.prepare(Request::new(query), post).is_ok());
        }
        assert!(gateway.prepare(by_hash(a), post).is_ok(), "a was kept");
        assert!(gateway.prepare(Request::new(c), post).is_ok());
        assert!(
            gateway.prepare(by_hash(a), post).is_ok(),
            "a was used last but one"
        );
        assert_eq!(
            message(gateway.prepare(by_hash(b), post)),
            "PersistedQueryNotFound",
            "b was the least recently used"
        );
        assert!(gateway.prepare(by_hash(c), post).is_ok());
    }

    #[test]
    fn what_a_transport_may_run_and_what_the_request_will_run() {
        let gateway = gateway(4);
        let mutation = "mutation { revokeToken(id: \"x\") }";
        assert!(matches!(
            gateway.prepare(Request::new(mutation), Transport::HttpGet),
            Err(Refusal::MutationOverGet(_))
        ));
        let prepared = gateway
            .prepare(Request::new(mutation), Transport::HttpPost)
            .expect("a mutation may be posted");
        assert_eq!(prepared.kind, OperationType::Mutation);
        assert_eq!(prepared.first_field.as_deref(), Some("revokeToken"));

        let subscription = "subscription { releasePublished { id } }";
        assert_eq!(
            message(gateway.prepare(Request::new(subscription), Transport::HttpPost)),
            SUBSCRIPTION_OVER_HTTP
        );
        assert!(
            gateway
                .prepare(Request::new(subscription), Transport::WebSocket)
                .is_ok()
        );

        let named = "query A { me { name } } mutation B { revokeToken(id: \"x\") }";
        let prepared = gateway
            .prepare(Request::new(named).operation_name("A"), Transport::HttpGet)
            .expect("the query of the document may run over GET");
        assert_eq!(prepared.kind, OperationType::Query);
        assert_eq!(prepared.first_field.as_deref(), Some("me"));
        assert!(matches!(
            gateway.prepare(Request::new(named).operation_name("B"), Transport::HttpGet),
            Err(Refusal::MutationOverGet(_))
        ));
    }

    #[test]
    fn a_syntax_error_or_a_broken_limit_never_reaches_the_engine() {
        let gateway = gateway(4);
        let post = Transport::HttpPost;
        assert!(matches!(
            gateway.prepare(Request::new("{ me { name }"), post),
            Err(Refusal::Request(_))
        ));
        let aliases = (0..51)
            .map(|i| format!("a{i}: me {{ name }}"))
            .collect::<Vec<_>>()
            .join(" ");
        let refusal = gateway
            .prepare(Request::new(format!("{{ {aliases} }}")), post)
            .err()
            .expect("too many aliases");
        let code = refusal
            .error()
            .extensions
            .as_ref()
            .and_then(|e| e.get("code").cloned());
        assert_eq!(
            code,
            Some(async_graphql::Value::from(
                pressroom_domain::ErrorCode::QueryTooComplex.as_str()
            ))
        );
    }
}
