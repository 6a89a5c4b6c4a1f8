#![doc = include_str!("../README.md")]

pub mod audit;
pub mod changes;
pub mod clock;
pub mod deliveries;
pub mod directory;
pub mod directory_cache;
// The sea-orm entities are this crate's own business: tests and the benchmarks see them through
// the `test-util` feature, no runtime crate does.
#[cfg(feature = "test-util")]
pub mod entity;
#[cfg(not(feature = "test-util"))]
pub(crate) mod entity;
pub mod error;
pub mod newsroom;
pub mod notifications;
pub mod pagination;
pub mod publishing;
pub mod releases;
pub mod revisions;
pub mod sessions;
pub mod signoff;
pub mod store;
pub mod token_cache;
pub mod visibility;
pub mod webhooks;

pub use error::{StorageError, StorageResult};
pub use store::Store;
