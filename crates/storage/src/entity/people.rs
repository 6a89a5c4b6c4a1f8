//! `people`: ministers and other speakers whose offices review releases.

use sea_orm::entity::prelude::*;

/// One person, e.g. a minister; their office approves releases they are responsible for or
/// quoted in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "people")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Full name, e.g. `Annika Strandhäll`.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Title, e.g. `klimat- och miljöminister`.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// The person's department, if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub department_id: Option<String>,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
}

/// Foreign keys of `people`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `people.department_id` → `departments.id`.
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

impl Related<super::people_history::Entity> for Entity {
    fn to() -> RelationDef {
        super::people_history::Relation::Person.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
