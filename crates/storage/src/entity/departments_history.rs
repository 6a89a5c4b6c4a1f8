//! `departments_history`: a department's name and time zone as they were before an admin
//! changed them.

use sea_orm::entity::prelude::*;

/// What a department was called, and its zone, until `replaced_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "departments_history")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The department.
    #[sea_orm(column_type = "Text")]
    pub department_id: String,
    /// The name before the change.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// The IANA time zone before the change.
    #[sea_orm(column_type = "Text")]
    pub time_zone: String,
    /// When these values were replaced: microseconds since the Unix epoch, UTC.
    pub replaced_at: i64,
}

/// Foreign keys of `departments_history`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `departments_history.department_id` → `departments.id`.
    #[sea_orm(
        belongs_to = "super::departments::Entity",
        from = "Column::DepartmentId",
        to = "super::departments::Column::Id"
    )]
    Department,
}

impl Related<super::departments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
