//! `release_topics`: the topics of each release's current revision, one row each, for the topic filter.

use sea_orm::entity::prelude::*;

/// One topic of a release.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "release_topics")]
pub struct Model {
    /// The release.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub release_id: String,
    /// The topic, exactly as written.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub topic: String,
}

/// Foreign keys of `release_topics`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `release_topics.release_id` → `releases.id`.
    #[sea_orm(
        belongs_to = "super::releases::Entity",
        from = "Column::ReleaseId",
        to = "super::releases::Column::Id"
    )]
    Release,
}

impl Related<super::releases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Release.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
