//! The schema and its limits.

use async_graphql::Schema;
use pressroom_storage::Store;

use crate::mutation::Mutation;
use crate::query::Query;
use crate::subscription::Subscription;

/// Deepest query accepted (GraphiQL's introspection query fits).
pub const MAX_DEPTH: usize = 20;
/// Highest complexity accepted.
pub const MAX_COMPLEXITY: usize = 2_000;

/// Pressroom's GraphQL schema.
pub type PressroomSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema; with a store for serving, without one for exporting the SDL.
pub fn build(store: Option<Store>) -> PressroomSchema {
    let builder = Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(crate::limits::FieldLimits);
    match store {
        Some(store) => builder.data(store).finish(),
        None => builder.finish(),
    }
}

/// The full schema in SDL, as exported to `docs/schema.graphql`.
pub fn sdl() -> String {
    build(None).sdl()
}
