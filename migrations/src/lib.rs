//! Versioned schema migrations of Pressroom.
//!
//! One code path serves SQLite and PostgreSQL: tables and indexes are written with the
//! sea-orm-migration schema builder, and only the append-only triggers, which have no portable
//! form, branch on the backend. A database made by any earlier release upgrades in place by
//! running [`Migrator::up`](MigratorTrait::up), which applies only the migrations it lacks.
//!
//! Column conventions, relied on by the storage crate's queries: ids are TEXT (uuid v7 strings
//! made by the application), instants are BIGINT microseconds since the Unix epoch (UTC),
//! enums are upper-case TEXT, JSON is TEXT and booleans are BOOLEAN.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_initial;
mod m20261129_000002_webhook_delivery_state;
mod m20261129_000003_full_text_search;
mod m20261129_000004_due_index;
mod m20261203_000005_signoff_links;
mod m20261204_000006_newsroom;
mod m20261204_000007_notifications;
mod m20261204_000008_scheduler_heartbeats;
mod m20261204_000009_review_deadlines;
mod m20261204_000010_directory_history;
mod m20261204_000011_token_last_used;

/// The hash the audit chain starts from: 64 zeros, the value `audit_head.hash` holds before
/// the first audit entry is written.
pub const GENESIS_HASH: &str = m20261129_000001_initial::GENESIS_HASH;

/// Every migration of Pressroom, in the order they are applied.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_initial::Migration),
            Box::new(m20261129_000002_webhook_delivery_state::Migration),
            Box::new(m20261129_000003_full_text_search::Migration),
            Box::new(m20261129_000004_due_index::Migration),
            Box::new(m20261203_000005_signoff_links::Migration),
            Box::new(m20261204_000006_newsroom::Migration),
            Box::new(m20261204_000007_notifications::Migration),
            Box::new(m20261204_000008_scheduler_heartbeats::Migration),
            Box::new(m20261204_000009_review_deadlines::Migration),
            Box::new(m20261204_000010_directory_history::Migration),
            Box::new(m20261204_000011_token_last_used::Migration),
        ]
    }
}
