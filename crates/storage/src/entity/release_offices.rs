//! `release_offices`: the ministers' offices a release's current revision needs or had.

use sea_orm::entity::prelude::*;

/// One office (identified by its person) attached to a release.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "release_offices")]
pub struct Model {
    /// The release.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub release_id: String,
    /// The person whose office reviews.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub person_id: String,
    /// Whether the office's approval is required for the current revision.
    pub required: bool,
    /// Whether a valid approval of the current content by this office is on record (the review queue reads it).
    pub approved: bool,
}

/// Foreign keys of `release_offices`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `release_offices.release_id` → `releases.id`.
    #[sea_orm(
        belongs_to = "super::releases::Entity",
        from = "Column::ReleaseId",
        to = "super::releases::Column::Id"
    )]
    Release,
    /// `release_offices.person_id` → `people.id`.
    #[sea_orm(
        belongs_to = "super::people::Entity",
        from = "Column::PersonId",
        to = "super::people::Column::Id"
    )]
    Person,
}

impl Related<super::releases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Release.def()
    }
}

impl Related<super::people::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
