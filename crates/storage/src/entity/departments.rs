//! `departments`: the ministries whose press offices write releases.

use sea_orm::entity::prelude::*;

/// One department, e.g. `miljodepartementet`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// URL-safe name, unique.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// Display name, e.g. `Miljödepartementet`.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// IANA time zone used for human-facing output, e.g. `Europe/Stockholm`.
    #[sea_orm(column_type = "Text")]
    pub time_zone: String,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
}

/// No relations are declared from this side; the tables that point here declare theirs.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Related<super::departments_history::Entity> for Entity {
    fn to() -> RelationDef {
        super::departments_history::Relation::Department.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
