//! The schema, its limits, and which documents the gateway's cache may keep.

use async_graphql::Schema;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use pressroom_storage::Store;

use crate::mutation::Mutation;
use crate::query::Query;
use crate::signoff::LinkSettings;
use crate::subscription::Subscription;

/// Deepest query accepted (GraphiQL's introspection query fits).
pub const MAX_DEPTH: usize = 20;
/// Highest complexity accepted.
pub const MAX_COMPLEXITY: usize = 2_000;

/// How many parsed documents one server process keeps, whether they came as persisted queries
/// (Apollo's automatic persisted queries) or as plain query texts; beyond that the least
/// recently used one is dropped, and a client that sends its hash again gets
/// `PersistedQueryNotFound` and sends the full query once more.
pub const PERSISTED_QUERY_CACHE_SIZE: usize = 256;

/// Longest query text, in bytes, that is kept in the document cache. A longer one is executed
/// as an ordinary query but not kept, so that the cache cannot be made to hold large documents.
pub const MAX_PERSISTED_QUERY_BYTES: usize = 16 * 1024;

/// Pressroom's GraphQL schema.
pub type PressroomSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema; with a store for serving, without one for exporting the SDL. Requests
/// reach it through [`crate::gateway::Gateway`], which checks what extensions would otherwise
/// check: the schema has no extension, so that fields resolve on the engine's direct path.
/// Depth and complexity are checked by the engine during validation, which every document
/// goes through whatever its source.
pub fn build(store: Option<Store>) -> PressroomSchema {
    build_with(store, LinkSettings::default())
}

/// Like [`build`], with the settings links are made with (public base URL, sign-off link life).
pub fn build_with(store: Option<Store>, links: LinkSettings) -> PressroomSchema {
    let builder = Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .data(links);
    match store {
        Some(store) => builder
            .data(crate::live::LiveFeed::new(store.clone()))
            .data(store)
            .finish(),
        None => builder.finish(),
    }
}

/// The full schema in SDL, as exported to `docs/schema.graphql`.
pub fn sdl() -> String {
    build(None).sdl()
}

/// Whether a document may enter the cache: it passes the alias and root-field limits, its
/// fields are not nested deeper than the depth limit, and it has no more selections than the
/// complexity limit allows fields (every field, fragment spread and inline fragment adds at
/// least one to the complexity of a valid query), which bounds the memory one cached document
/// takes. Fragments are measured on their own, which can only understate what the engine
/// measures where they are spread, so no document that could pass the limits is turned away.
pub(crate) fn worth_keeping(document: &ExecutableDocument) -> bool {
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
}
