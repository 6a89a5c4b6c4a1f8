#![doc = include_str!("../README.md")]

pub mod approval;
pub mod audit;
pub mod content;
pub mod directory;
pub mod error;
pub mod ids;
pub mod lifecycle;
pub mod links;
pub mod signoff;
pub mod slug;
pub mod visibility;

pub use error::{DomainError, ErrorCode};
pub use ids::{DepartmentId, PersonId, UserName};
