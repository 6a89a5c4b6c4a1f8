//! `webhook_outbox_cursor`: the single row holding the last outbox `audit_seq` fanned out into
//! webhook jobs.

use sea_orm::entity::prelude::*;

/// The fan-out cursor. The migration inserts the only row, at the outbox head of that moment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_outbox_cursor")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// `audit_seq` of the last outbox event turned into jobs.
    pub audit_seq: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
