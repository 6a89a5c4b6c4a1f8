#![doc = include_str!("../README.md")]

pub mod audit;
pub mod changes;
pub mod clock;
pub mod deliveries;
pub mod directory;
pub mod entity;
pub mod error;
pub mod pagination;
pub mod publishing;
pub mod releases;
pub mod store;
pub mod visibility;
pub mod webhooks;

pub use error::{StorageError, StorageResult};
pub use store::Store;
