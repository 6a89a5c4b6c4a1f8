//! The schema, its limits and its cache of persisted queries.

use std::sync::Arc;

use async_graphql::extensions::apollo_persisted_queries::{
    ApolloPersistedQueries, CacheStorage, LruCacheStorage,
};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, Schema, ServerResult};
use pressroom_storage::Store;

use crate::mutation::Mutation;
use crate::query::Query;
use crate::subscription::Subscription;

/// Deepest query accepted (GraphiQL's introspection query fits).
pub const MAX_DEPTH: usize = 20;
/// Highest complexity accepted.
pub const MAX_COMPLEXITY: usize = 2_000;

/// How many persisted queries (Apollo's automatic persisted queries) one server process keeps;
/// beyond that the least recently used one is dropped, and a client that sends its hash again
/// gets `PersistedQueryNotFound` and sends the full query once more.
pub const PERSISTED_QUERY_CACHE_SIZE: usize = 256;

/// Longest query text, in bytes, that is kept as a persisted query. A longer one is executed
/// as an ordinary query but not kept, so that the cache cannot be made to hold large documents.
pub const MAX_PERSISTED_QUERY_BYTES: usize = 16 * 1024;

/// Pressroom's GraphQL schema.
pub type PressroomSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema; with a store for serving, without one for exporting the SDL.
pub fn build(store: Option<Store>) -> PressroomSchema {
    // Extensions run in the order they are registered. The gate must see a request before the
    // persisted-query extension registers it. `FieldLimits` and `HttpConventions` both check the
    // parsed document, which a persisted query's hash resolves to as well, so persisted queries
    // meet every limit; `limit_depth` and `limit_complexity` are checked during validation,
    // which every document goes through whatever its source.
    let builder = Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(PersistedQueryGate)
        .extension(ApolloPersistedQueries::new(PersistedQueries::new(
            PERSISTED_QUERY_CACHE_SIZE,
        )))
        .extension(crate::limits::FieldLimits)
        .extension(crate::graphql_http::HttpConventions);
    match store {
        Some(store) => builder.data(store).finish(),
        None => builder.finish(),
    }
}

/// The full schema in SDL, as exported to `docs/schema.graphql`.
pub fn sdl() -> String {
    build(None).sdl()
}

/// The cache of persisted queries: an LRU cache that only keeps documents that can pass the
/// limits, so that neither a refused query nor an oversized one occupies a place in it.
#[derive(Clone)]
pub struct PersistedQueries(LruCacheStorage);

impl PersistedQueries {
    /// An empty cache that holds at most `capacity` documents (at least one).
    pub fn new(capacity: usize) -> Self {
        Self(LruCacheStorage::new(capacity.max(1)))
    }
}

#[async_graphql::async_trait::async_trait]
impl CacheStorage for PersistedQueries {
    async fn get(&self, key: String) -> Option<ExecutableDocument> {
        self.0.get(key).await
    }

    async fn set(&self, key: String, query: ExecutableDocument) {
        if worth_keeping(&query) {
            self.0.set(key, query).await;
        }
    }
}

/// Whether a document may enter the cache: it passes the alias and root-field limits, its
/// fields are not nested deeper than the depth limit, and it has no more selections than the
/// complexity limit allows fields (every field, fragment spread and inline fragment adds at
/// least one to the complexity of a valid query), which bounds the memory one cached document
/// takes. Fragments are measured on their own, which can only understate what the engine
/// measures where they are spread, so no document that could pass the limits is turned away.
fn worth_keeping(document: &ExecutableDocument) -> bool {
    let sets = || {
        document
            .operations
            .iter()
            .map(|(_, op)| &op.node.selection_set.node)
            .chain(
                document
                    .fragments
                    .values()
                    .map(|f| &f.node.selection_set.node),
            )
    };
    sets().map(selection_count).sum::<usize>() <= MAX_COMPLEXITY
        && sets().all(|set| field_depth(set) <= MAX_DEPTH)
        && crate::limits::check(document).is_ok()
}

/// How deeply fields nest in a set, counted as the engine counts depth (a leaf field is 1).
fn field_depth(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => 1 + field_depth(&field.node.selection_set.node),
            Selection::InlineFragment(fragment) => field_depth(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Selections in a set, nested ones included (the parser bounds the nesting).
fn selection_count(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => 1 + selection_count(&field.node.selection_set.node),
            Selection::InlineFragment(fragment) => {
                1 + selection_count(&fragment.node.selection_set.node)
            }
            Selection::FragmentSpread(_) => 1,
        })
        .sum()
}

/// Keeps queries longer than [`MAX_PERSISTED_QUERY_BYTES`] out of the persisted-query cache:
/// such a request is executed as if it had no `persistedQuery` extension. Apollo clients cope,
/// since they send the full query again whenever the hash alone is not found.
struct PersistedQueryGate;

impl ExtensionFactory for PersistedQueryGate {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PersistedQueryGate)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for PersistedQueryGate {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if request.query.len() > MAX_PERSISTED_QUERY_BYTES {
            request.extensions.remove("persistedQuery");
        }
        next.run(ctx, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).expect("parses")
    }

    #[test]
    fn a_document_within_the_limits_is_kept_and_one_beyond_them_is_not() {
        assert!(worth_keeping(&parse(
            "query Q { me { name } ...F } fragment F on Query { departments { slug } }"
        )));
        let names = vec!["name"; MAX_COMPLEXITY].join(" ");
        assert!(!worth_keeping(&parse(&format!("{{ me {{ {names} }} }}"))));
        let aliases = (0..51)
            .map(|i| format!("a{i}: me {{ name }}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(!worth_keeping(&parse(&format!("{{ {aliases} }}"))));
        let nested = |levels: usize| {
            (0..levels).fold("id".to_owned(), |inner, _| {
                format!("translationOf {{ {inner} }}")
            })
        };
        // releases > nodes > 17 × translationOf > id is 20 levels deep; one more is too deep.
        assert!(worth_keeping(&parse(&format!(
            "{{ releases {{ nodes {{ {} }} }} }}",
            nested(17)
        ))));
        assert!(!worth_keeping(&parse(&format!(
            "{{ releases {{ nodes {{ {} }} }} }}",
            nested(18)
        ))));
    }

    #[tokio::test]
    async fn the_cache_keeps_what_is_worth_keeping_and_drops_the_least_recently_used() {
        let cache = PersistedQueries::new(2);
        let names = vec!["name"; MAX_COMPLEXITY].join(" ");
        cache
            .set("big".into(), parse(&format!("{{ me {{ {names} }} }}")))
            .await;
        assert!(cache.get("big".into()).await.is_none());
        cache.set("a".into(), parse("{ me { name } }")).await;
        cache
            .set("b".into(), parse("{ departments { slug } }"))
            .await;
        assert!(cache.get("a".into()).await.is_some());
        cache.set("c".into(), parse("{ people { name } }")).await;
        assert!(cache.get("a".into()).await.is_some());
        assert!(
            cache.get("b".into()).await.is_none(),
            "b was the least recently used"
        );
        assert!(cache.get("c".into()).await.is_some());
    }
}
