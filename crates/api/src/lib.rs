#![doc = include_str!("../README.md")]

pub mod context;
pub mod credentials;
pub mod error;
pub mod fast_path;
pub mod gateway;
pub mod graphiql;
pub mod graphql_http;
pub mod http;
pub mod inputs;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod mutation;
pub mod notifications;
pub mod public;
pub mod query;
pub mod response_cache;
pub mod scalars;
pub mod schema;
pub mod signoff;
pub mod subscription;
pub mod types;

pub use http::app;

/// The full GraphQL schema in SDL (what `pressroom schema` prints and `docs/schema.graphql` holds).
pub fn schema_sdl() -> String {
    schema::sdl()
}
