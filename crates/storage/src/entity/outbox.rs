//! `outbox`: events written in the same transaction as the change they announce, delivered
//! to subscriptions and webhooks afterwards.

use sea_orm::entity::prelude::*;

/// One event, e.g. `release.published`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Assigned by the database, increasing.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The audit entry that caused the event; unique, so an event is written at most once.
    #[sea_orm(unique)]
    pub audit_seq: i64,
    /// Event type, e.g. `release.published`.
    #[sea_orm(column_type = "Text")]
    pub event: String,
    /// The release concerned.
    #[sea_orm(column_type = "Text")]
    pub release_id: String,
    /// The release's version after the change.
    pub version: i32,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
    /// JSON payload.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
