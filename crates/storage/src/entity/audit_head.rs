//! `audit_head`: the single row holding the chain's last `seq` and `hash`; writers lock it to
//! append in order.

use sea_orm::entity::prelude::*;

/// The head of the audit chain. The migration inserts the only row, `(1, 0, 64 zeros)`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_head")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// `seq` of the last entry, 0 before the first.
    pub seq: i64,
    /// `hash` of the last entry, 64 zeros before the first.
    #[sea_orm(column_type = "Text")]
    pub hash: String,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
