//! `audit_log`: the hash-chained, append-only record of every write (the database refuses
//! UPDATE and DELETE).

use sea_orm::entity::prelude::*;

/// One audit entry; `hash` covers every other field including `prev_hash`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Position in the chain, assigned by the application (not by the database).
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
    /// User name, or `scheduler`.
    #[sea_orm(column_type = "Text")]
    pub actor: String,
    /// What was done, e.g. `approveRelease`.
    #[sea_orm(column_type = "Text")]
    pub action: String,
    /// The release concerned, if any (deliberately no foreign key).
    #[sea_orm(column_type = "Text", nullable)]
    pub release_id: Option<String>,
    /// State before the write.
    #[sea_orm(column_type = "Text", nullable)]
    pub from_state: Option<String>,
    /// State after the write.
    #[sea_orm(column_type = "Text", nullable)]
    pub to_state: Option<String>,
    /// Revision concerned.
    pub revision: Option<i32>,
    /// JSON object with camelCase keys (`comment`, `reason`, `lateMs`, ...).
    #[sea_orm(column_type = "Text")]
    pub details: String,
    /// Hash of the previous entry (64 zeros for the first).
    #[sea_orm(column_type = "Text")]
    pub prev_hash: String,
    /// Lowercase hex SHA-256 of this entry's canonical encoding.
    #[sea_orm(column_type = "Text")]
    pub hash: String,
}

/// The audit log points at nothing: it must outlive whatever it records.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
