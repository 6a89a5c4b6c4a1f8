//! `people_history`: a person's name and title as they were before an admin changed them.

use sea_orm::entity::prelude::*;

/// What a person was called until `replaced_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "people_history")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The person.
    #[sea_orm(column_type = "Text")]
    pub person_id: String,
    /// The name before the change.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// The title before the change.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// The department before the change.
    #[sea_orm(column_type = "Text", nullable)]
    pub department_id: Option<String>,
    /// When these values were replaced: microseconds since the Unix epoch, UTC.
    pub replaced_at: i64,
}

/// Foreign keys of `people_history`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `people_history.person_id` → `people.id`.
    #[sea_orm(
        belongs_to = "super::people::Entity",
        from = "Column::PersonId",
        to = "super::people::Column::Id"
    )]
    Person,
}

impl Related<super::people::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
