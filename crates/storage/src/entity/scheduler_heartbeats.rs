//! `scheduler_heartbeats`: when each running scheduler last reported in.

use sea_orm::entity::prelude::*;

/// One scheduler process.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduler_heartbeats")]
pub struct Model {
    /// A random id the process drew at start.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub instance: String,
    /// Microseconds since the Unix epoch, UTC.
    pub last_seen: i64,
}

/// `scheduler_heartbeats` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
